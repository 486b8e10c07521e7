// Renders what pimbot sent as Slack (Block Kit, mrkdwn) and Teams (Adaptive Cards 1.5, Teams
// markdown) show it: the subset pimbot uses, plus a plain fallback for anything else, so an
// unexpected element is visible rather than silently dropped.
"use strict";

const Render = (() => {
  const EMOJI = {
    white_check_mark: "✅", x: "❌", unlock: "🔓", lock: "🔒", hourglass: "⌛",
    hourglass_flowing_sand: "⏳", no_entry: "⛔", alarm_clock: "⏰", wastebasket: "🗑️",
    warning: "⚠️", bell: "🔔", key: "🔑", wave: "👋",
  };

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  // Inline styles on already-escaped text: *bold* (Slack) or **bold** (Teams), _italic_, `code`.
  function inline(html, bold) {
    html = html.replace(/`([^`]+)`/g, "<code>$1</code>");
    html = bold === "**"
      ? html.replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
      : html.replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>");
    html = html.replace(/(^|[\s(])_([^_\n]+)_/g, "$1<i>$2</i>");
    html = html.replace(/(^|\s)~([^~\n]+)~/g, "$1<s>$2</s>");
    return html.replace(/:([a-z_]+):/g, (m, name) => EMOJI[name] || m).replace(/\n/g, "<br>");
  }

  // Slack mrkdwn: <@U…> mentions, <!here>, <url|label>; &amp; &lt; &gt; are Slack's escapes.
  function mrkdwn(text, names) {
    const parts = String(text || "").split(/(<[^>\n]+>)/);
    return parts.map((part) => {
      const token = part.match(/^<([^>]+)>$/);
      if (!token) {
        const raw = part.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
        return inline(escapeHtml(raw), "*");
      }
      const body = token[1];
      if (body.startsWith("@")) {
        const name = names[body.slice(1)] || body.slice(1);
        return `<span class="mention">@${escapeHtml(name)}</span>`;
      }
      if (body.startsWith("!")) return `<span class="mention">@${escapeHtml(body.slice(1).split("|")[0])}</span>`;
      if (body.startsWith("#")) return `<span class="mention">#${escapeHtml(body.slice(1).split("|").pop())}</span>`;
      const [url, label] = body.split("|");
      return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener">${escapeHtml(label || url)}</a>`;
    }).join("");
  }

  // Teams text: HTML-escaped by pimbot already where user-typed; <at>Name</at> is a mention.
  function teamsText(text) {
    const parts = String(text || "").split(/(<at>[^<]*<\/at>)/);
    return parts.map((part) => {
      const at = part.match(/^<at>([^<]*)<\/at>$/);
      if (at) return `<span class="mention">@${escapeHtml(at[1])}</span>`;
      const raw = part.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
      return markdownLinks(raw);
    }).join("");
  }

  // Teams markdown links, [label](http…): only pimbot's own (it defuses brackets people type),
  // such as the sign-in link of activate mode. The text around them gets the inline styles.
  function markdownLinks(raw) {
    return raw.split(/(\[[^\]\n]+\]\(https?:\/\/[^)\s]+\))/).map((part) => {
      const link = part.match(/^\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)$/);
      if (!link) return inline(escapeHtml(part), "**");
      return `<a href="${escapeHtml(link[2])}" target="_blank" rel="noopener">${escapeHtml(link[1])}</a>`;
    }).join("");
  }

  function textObject(obj, names) {
    if (!obj) return "";
    return obj.type === "mrkdwn" ? mrkdwn(obj.text, names) : inline(escapeHtml(obj.text || ""), "");
  }

  // ---- Block Kit ----
  // `onAction(element, block)` is called when a button is clicked.
  function blocks(list, names, onAction) {
    const root = el("div", "blocks");
    for (const block of list || []) root.appendChild(block1(block, names, onAction));
    return root;
  }

  function block1(block, names, onAction) {
    switch (block.type) {
      case "header":
        return html(el("div", "bk-header"), textObject(block.text, names));
      case "section": {
        const s = el("div", "bk-section");
        if (block.text) s.appendChild(html(el("div", "bk-text"), textObject(block.text, names)));
        if (block.fields) {
          const f = el("div", "bk-fields");
          for (const field of block.fields) f.appendChild(html(el("div", "bk-field"), textObject(field, names)));
          s.appendChild(f);
        }
        if (block.accessory && block.accessory.type === "button") {
          s.appendChild(button(block.accessory, block, onAction));
        }
        return s;
      }
      case "context": {
        const c = el("div", "bk-context");
        for (const e of block.elements || []) c.appendChild(html(el("span"), textObject(e, names)));
        return c;
      }
      case "divider":
        return el("hr", "bk-divider");
      case "actions": {
        const a = el("div", "bk-actions");
        for (const e of block.elements || []) {
          if (e.type === "button") a.appendChild(button(e, block, onAction));
        }
        return a;
      }
      case "input":
        return input(block, names);
      default:
        return el("pre", "unknown", JSON.stringify(block, null, 1));
    }
  }

  function button(e, block, onAction) {
    const b = el("button", "bk-button" + (e.style ? " " + e.style : ""), e.text ? e.text.text : e.action_id);
    b.dataset.actionId = e.action_id;
    b.addEventListener("click", () => onAction(e, block));
    return b;
  }

  // A modal's input block; its state is read back by `slackValues`.
  function input(block, names) {
    const wrap = el("label", "bk-input");
    wrap.dataset.blockId = block.block_id;
    wrap.appendChild(el("span", "bk-label", (block.label && block.label.text) + (block.optional ? " (optional)" : "")));
    const e = block.element || {};
    let field;
    if (e.type === "static_select") {
      field = el("select");
      // Like Slack, nothing is chosen until the user chooses (unless the form preselects).
      const none = el("option", null, (e.placeholder && e.placeholder.text) || "Choose…");
      none.value = "";
      field.appendChild(none);
      for (const o of e.options || []) {
        const opt = el("option", null, o.text.text);
        opt.value = o.value;
        if (e.initial_option && e.initial_option.value === o.value) opt.selected = true;
        field.appendChild(opt);
      }
    } else {
      field = el(e.multiline ? "textarea" : "input");
      if (e.initial_value) field.value = e.initial_value;
      if (e.placeholder) field.placeholder = e.placeholder.text;
    }
    field.dataset.actionId = e.action_id;
    field.dataset.type = e.type;
    wrap.appendChild(field);
    if (block.hint) wrap.appendChild(html(el("span", "bk-hint"), textObject(block.hint, names)));
    wrap.appendChild(el("span", "bk-error"));
    return wrap;
  }

  // `view.state.values` as Slack sends it.
  function slackValues(root) {
    const values = {};
    for (const wrap of root.querySelectorAll(".bk-input")) {
      const field = wrap.querySelector("[data-action-id]");
      const state = field.dataset.type === "static_select"
        ? { type: "static_select", selected_option: field.value ? { value: field.value } : null }
        : { type: field.dataset.type || "plain_text_input", value: field.value || null };
      values[wrap.dataset.blockId] = { [field.dataset.actionId]: state };
    }
    return values;
  }

  // ---- Adaptive Cards ----
  // `onExecute(action, data)` is called for Action.Execute / Action.Submit with the inputs merged.
  function card(content, onExecute) {
    const root = el("div", "ac-card");
    for (const item of content.body || []) root.appendChild(element(item, onExecute, root));
    if (content.actions) root.appendChild(actionSet(content.actions, onExecute, root));
    return root;
  }

  function element(item, onExecute, scope) {
    switch (item.type) {
      case "TextBlock": {
        const t = html(el("div", "ac-text"), teamsText(item.text));
        if (item.weight === "Bolder") t.classList.add("bolder");
        if (item.size) t.classList.add("size-" + item.size.toLowerCase());
        if (item.color) t.classList.add("color-" + item.color.toLowerCase());
        if (item.isSubtle) t.classList.add("subtle");
        return t;
      }
      case "FactSet": {
        const f = el("div", "ac-facts");
        for (const fact of item.facts || []) {
          f.appendChild(html(el("div", "ac-fact-title"), teamsText(fact.title)));
          f.appendChild(html(el("div", "ac-fact-value"), teamsText(fact.value)));
        }
        return f;
      }
      case "Container": {
        const c = el("div", "ac-container");
        for (const i of item.items || []) c.appendChild(element(i, onExecute, scope));
        return c;
      }
      case "ColumnSet": {
        const c = el("div", "ac-columns");
        for (const col of item.columns || []) {
          const cell = el("div", "ac-column");
          for (const i of col.items || []) cell.appendChild(element(i, onExecute, scope));
          c.appendChild(cell);
        }
        return c;
      }
      case "ActionSet":
        return actionSet(item.actions, onExecute, scope);
      case "Input.Text":
      case "Input.ChoiceSet":
        return acInput(item);
      default:
        return el("pre", "unknown", JSON.stringify(item, null, 1));
    }
  }

  function acInput(item) {
    const wrap = el("label", "ac-input");
    if (item.label) wrap.appendChild(el("span", "ac-label", item.label + (item.isRequired ? " *" : "")));
    let field;
    if (item.type === "Input.ChoiceSet") {
      field = el("select");
      const none = el("option", null, item.placeholder || "Choose…");
      none.value = "";
      field.appendChild(none);
      for (const c of item.choices || []) {
        const opt = el("option", null, c.title);
        opt.value = c.value;
        field.appendChild(opt);
      }
    } else {
      field = el(item.isMultiline ? "textarea" : "input");
      if (item.placeholder) field.placeholder = item.placeholder;
    }
    if (item.value !== undefined) field.value = item.value;
    field.dataset.inputId = item.id;
    field.dataset.required = item.isRequired ? "1" : "";
    field.dataset.error = item.errorMessage || "Required";
    wrap.appendChild(field);
    wrap.appendChild(el("span", "ac-error"));
    return wrap;
  }

  function actionSet(actions, onExecute, scope) {
    const set = el("div", "ac-actions");
    const shown = el("div", "ac-showcard");
    for (const action of actions || []) {
      const b = el("button", "ac-button" + (action.style ? " " + action.style : ""), action.title || action.verb);
      b.dataset.verb = action.verb || "";
      b.dataset.title = action.title || "";
      set.appendChild(b);
      if (action.type === "Action.ShowCard") {
        const inner = card(action.card || {}, onExecute);
        inner.classList.add("inner");
        inner.hidden = true;
        shown.appendChild(inner);
        b.addEventListener("click", () => { inner.hidden = !inner.hidden; });
      } else if (action.type === "Action.OpenUrl") {
        b.addEventListener("click", () => window.open(action.url, "_blank", "noopener"));
      } else {
        b.addEventListener("click", () => {
          const inputs = collect(b.closest(".ac-card:not(.inner)") || scope);
          if (inputs) onExecute(action, Object.assign({}, action.data || {}, inputs));
        });
      }
    }
    const wrap = el("div");
    wrap.appendChild(set);
    wrap.appendChild(shown);
    return wrap;
  }

  // The values of the card's visible inputs (a shown Deny form included, a hidden one not);
  // null, with the errors shown, when a required one is empty.
  function collect(root) {
    const values = {};
    let ok = true;
    for (const field of root.querySelectorAll("[data-input-id]")) {
      if (field.closest("[hidden]")) continue;
      const error = field.parentElement.querySelector(".ac-error");
      if (field.dataset.required && !field.value.trim()) {
        error.textContent = field.dataset.error;
        ok = false;
      } else {
        error.textContent = "";
        values[field.dataset.inputId] = field.value;
      }
    }
    return ok ? values : null;
  }

  function html(node, markup) {
    node.innerHTML = markup;
    return node;
  }

  return { el, escapeHtml, mrkdwn, teamsText, blocks, slackValues, card };
})();
