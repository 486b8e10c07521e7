// The sandbox page: be a person of the demo tenant, talk to pimbot in Slack and Teams, and watch
// pimbot's requests, the tenant's PIM assignments and the audit trail. Every action goes to the
// sandbox API, which sends it to pimbot's real endpoints; the page polls what came back.
"use strict";

(() => {
  const { el, mrkdwn, teamsText, blocks, slackValues, card } = Render;
  const EXAMPLES = [
    "request app1-secrets for 2h ticket INC-1234 rotating the cert",
    "request", "list", "status", "approvals", "help",
  ];
  const HINTS = {
    team: "Nothing here yet. As Alice, send the first example below; then be Dave and try to approve it, and be Bob and approve it.",
    channel: "Nothing here yet: post a message to @pimbot below.",
    audit: "pimbot posts one line here for every step of every request.",
    dm: "pimbot tells you here when your request is approved, denied, active or over.",
    chat: "pimbot tells you here when your request is approved, denied, active or over.",
  };
  const page = { me: null, people: [], ids: {}, slackView: "team", teamsView: "channel",
                 last: "", data: null, nodes: new Map() };

  async function api(path, body) {
    const options = body === undefined ? {} : {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    };
    const response = await fetch("/sandbox/api/" + path, options);
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || response.statusText);
    return answer;
  }

  const me = () => page.people.find((p) => p.key === page.me);
  const nameOf = (id) => (page.people.find((p) => p.slack_id === id || p.entra_id === id) || {}).name || id;

  async function act(path, body) {
    try {
      await api(path, Object.assign({ as: page.me }, body));
    } catch (error) {
      toast(error.message);
    }
    for (const delay of [150, 600, 1500]) setTimeout(refresh, delay);
  }

  function toast(text) {
    const t = el("div", "toast", text);
    document.body.appendChild(t);
    setTimeout(() => t.remove(), 4000);
  }

  // Re-renders an item only when its content (or who looks at it) changed, so a half-typed deny
  // reason or an open form survives the polling.
  function keyed(list, key, make) {
    const node = page.nodes.get(key) || make();
    page.nodes.set(key, node);
    list.push(node);
  }

  function replace(container, nodes) {
    if (nodes.length === container.children.length && nodes.every((n, i) => container.children[i] === n)) return;
    // New content arrived (or the view changed): show the latest, as chat clients do.
    container.replaceChildren(...nodes);
    container.scrollTop = container.scrollHeight;
  }

  function avatar(author) {
    const bot = author === "pimbot";
    const a = el("div", "avatar" + (bot ? " bot" : ""), bot ? "P" : nameOf(author).slice(0, 1));
    return a;
  }

  // ---- Slack ----
  function slackMessage(m) {
    const row = el("div", "msg" + (m.visible_to ? " ephemeral" : ""));
    row.dataset.ts = m.ts;
    row.appendChild(avatar(m.author));
    const body = el("div", "msg-body");
    const head = el("div", "msg-head");
    head.appendChild(el("b", null, m.author === "pimbot" ? "pimbot" : nameOf(m.author)));
    if (m.author === "pimbot") head.appendChild(el("span", "app", "APP"));
    if (m.thread_ts) head.appendChild(el("span", "note", "replied in a thread"));
    if (m.edited) head.appendChild(el("span", "note", "(edited)"));
    body.appendChild(head);
    if (Array.isArray(m.blocks) && m.blocks.length) {
      body.appendChild(blocks(m.blocks, page.ids, (e, block) => act("slack/click", {
        channel: m.channel, ts: m.ts, action_id: e.action_id, block_id: block.block_id || "", value: e.value || "",
      })));
    } else {
      const t = el("div", "bk-text");
      t.innerHTML = mrkdwn(m.text, page.ids);
      body.appendChild(t);
    }
    if (m.visible_to) body.appendChild(el("div", "only-you", "Only visible to you"));
    row.appendChild(body);
    return row;
  }

  function renderSlack(slack) {
    const who = me();
    const channel = { team: "CTEAMFOO", audit: "CPIMAUDIT", dm: "D" + who.slack_id }[page.slackView];
    const shown = slack.messages.filter((m) => m.channel === channel && (!m.visible_to || m.visible_to === who.slack_id));
    const nodes = [];
    for (const m of shown) keyed(nodes, "s" + page.me + JSON.stringify(m), () => slackMessage(m));
    if (!nodes.length) keyed(nodes, "slack-empty" + page.slackView, () => el("p", "hint", HINTS[page.slackView]));
    replace(document.getElementById("slack-messages"), nodes);
    const dms = slack.messages.filter((m) => m.channel === "D" + who.slack_id).length;
    document.getElementById("slack-dm-count").textContent = dms || "";
    renderModal(slack.views.filter((v) => v.user === who.slack_id).pop());
  }

  function renderModal(view) {
    const modal = document.getElementById("modal");
    if (!view) { modal.hidden = true; modal.dataset.key = ""; return; }
    const key = page.me + JSON.stringify(view);
    if (modal.dataset.key === key && !modal.hidden) return;
    modal.dataset.key = key;
    modal.dataset.viewId = view.id;
    const v = view.view;
    document.getElementById("modal-title").textContent = (v.title && v.title.text) || "pimbot";
    document.getElementById("modal-submit").textContent = (v.submit && v.submit.text) || "Submit";
    document.getElementById("modal-submit").hidden = !v.submit;
    document.getElementById("modal-body").replaceChildren(blocks(v.blocks, page.ids, () => {}));
    modal.hidden = false;
  }

  async function submitModal() {
    const modal = document.getElementById("modal");
    const body = document.getElementById("modal-body");
    try {
      const result = await api("slack/submit", { as: page.me, view_id: modal.dataset.viewId, values: slackValues(body) });
      const errors = (result.answer && result.answer.errors) || {};
      for (const wrap of body.querySelectorAll(".bk-input")) {
        wrap.querySelector(".bk-error").textContent = errors[wrap.dataset.blockId] || "";
      }
      if (!Object.keys(errors).length) modal.hidden = true;
    } catch (error) {
      toast(error.message);
    }
    setTimeout(refresh, 200);
  }

  // ---- Teams ----
  function teamsMessage(m, overlay) {
    const row = el("div", "tmsg" + (m.author === "pimbot" ? " from-bot" : " from-me"));
    row.dataset.id = m.id;
    row.appendChild(avatar(m.author));
    const body = el("div", "tmsg-body");
    const head = el("div", "msg-head");
    head.appendChild(el("b", null, m.author === "pimbot" ? "pimbot" : nameOf(m.author)));
    if (m.edited) head.appendChild(el("span", "note", "Edited"));
    body.appendChild(head);
    const shownCard = overlay && overlay.attachments ? overlay : m;
    if (m.text && !(overlay && overlay.attachments)) {
      const t = el("div", "ac-text");
      t.innerHTML = teamsText(m.text);
      body.appendChild(t);
    }
    for (const a of shownCard.attachments || []) {
      if (a.contentType !== "application/vnd.microsoft.card.adaptive") continue;
      body.appendChild(card(a.content, (action, data) => act("teams/invoke", {
        activity: m.id, verb: action.verb || data.verb || "", data,
      })));
    }
    if (overlay && overlay.attachments) body.appendChild(el("div", "only-you", "Updated for you after your click"));
    if (overlay && !overlay.attachments) {
      const note = el("div", "only-you");
      note.innerHTML = teamsText(overlay.text);
      body.appendChild(note);
    }
    row.appendChild(body);
    return row;
  }

  function renderTeams(teams) {
    const who = me();
    const inView = {
      channel: (c) => c.startsWith("19:teamfoo@thread.tacv2"),
      audit: (c) => c === "19:pim-audit@thread.tacv2",
      chat: (c) => teams.personal[c] === who.entra_id,
    }[page.teamsView];
    const overlays = {};
    for (const m of teams.messages) {
      if (m.replaces && m.visible_to === who.entra_id) overlays[m.replaces] = m;
    }
    const nodes = [];
    let thread = null;
    for (const m of teams.messages) {
      if (m.replaces || !inView(m.conversation)) continue;
      if (page.teamsView === "channel" && m.conversation !== thread) {
        thread = m.conversation;
        keyed(nodes, "thread" + thread, () => el("div", "thread-sep"));
      }
      const overlay = overlays[m.id] && overlays[m.id].seq > m.version ? overlays[m.id] : null;
      keyed(nodes, "t" + page.me + JSON.stringify(m) + JSON.stringify(overlay), () => teamsMessage(m, overlay));
    }
    if (!nodes.length) keyed(nodes, "teams-empty" + page.teamsView, () => el("p", "hint", HINTS[page.teamsView]));
    replace(document.getElementById("teams-messages"), nodes);
    const dms = teams.messages.filter((m) => teams.personal[m.conversation] === who.entra_id).length;
    document.getElementById("teams-dm-count").textContent = dms || "";
  }

  // ---- What happened ----
  function renderPanel(data) {
    const requests = data.requests.map((r) => {
      const box = el("div", "request state-" + r.state);
      box.dataset.state = r.state;
      const head = el("div", "request-head");
      head.appendChild(el("b", null, r.id));
      head.appendChild(el("span", "pill", r.state.replace(/_/g, " ")));
      head.appendChild(el("span", "via", r.platform));
      box.appendChild(head);
      box.appendChild(el("div", null, `${r.requester} → ${r.target} for ${r.duration}`));
      const details = [r.ticket && "ticket " + r.ticket, r.justification && "“" + r.justification + "”"].filter(Boolean);
      if (details.length) box.appendChild(el("div", "subtle", details.join(" · ")));
      box.appendChild(el("div", "subtle", "Approvers: " + (r.approvers || "none")));
      for (const d of r.decisions) {
        box.appendChild(el("div", d.approve ? "ok" : "bad", `${d.approve ? "Approved" : "Denied"} by ${d.by}${d.reason ? ": " + d.reason : ""}`));
      }
      if (r.active_until) box.appendChild(el("div", "ok", "Active until " + new Date(r.active_until).toLocaleTimeString()));
      if (r.failure) box.appendChild(el("div", "bad", r.failure));
      return box;
    });
    document.getElementById("requests").replaceChildren(...(requests.length ? requests : [el("p", "empty", "No request yet.")]));

    const assignments = data.assignments.map((a) => {
      const box = el("div", "assignment");
      box.appendChild(el("b", null, `${a.principal}: ${a.role}`));
      box.appendChild(el("div", "subtle", a.scope));
      const end = a.end ? "until " + new Date(a.end).toLocaleTimeString() : "permanent";
      box.appendChild(el("div", "ok", `active ${end}`));
      return box;
    });
    document.getElementById("assignments").replaceChildren(...(assignments.length ? assignments : [el("p", "empty", "No active assignment.")]));

    const chain = data.chain.intact ? `hash chain intact · ${data.chain.events} events` : "hash chain BROKEN: " + data.chain.error;
    const chainNode = document.getElementById("chain");
    chainNode.textContent = chain;
    chainNode.className = data.chain.intact ? "ok" : "bad";
    const audit = data.audit.slice().reverse().map((line) => {
      const e = line.event;
      const item = el("li", "audit-" + (e.outcome === "ok" ? "ok" : "refused"));
      item.appendChild(el("span", "seq", "#" + line.seq));
      item.appendChild(el("span", "kind", e.kind));
      if (e.request_id) item.appendChild(el("span", "rid", "PIM-" + e.request_id));
      item.appendChild(el("span", "actor", e.actor ? `${e.actor.display_name || e.actor.entra_id || "pimbot"} (${e.actor.platform || "system"})` : "pimbot"));
      if (e.outcome !== "ok") item.appendChild(el("span", "outcome", e.outcome));
      item.appendChild(el("span", "hash", line.hash.slice(0, 10)));
      item.title = JSON.stringify(e, null, 1);
      return item;
    });
    document.getElementById("audit").replaceChildren(...(audit.length ? audit : [el("li", "empty", "No event yet: every attempt, refused ones too, is recorded here.")]));
  }

  async function refresh() {
    let text;
    try {
      text = await (await fetch("/sandbox/api/state")).text();
    } catch (error) {
      return;
    }
    if (text === page.last) return;
    page.last = text;
    render(JSON.parse(text));
  }

  function render(data) {
    page.data = data;
    renderSlack(data.slack);
    renderTeams(data.teams);
    renderPanel(data);
  }

  function choose(key) {
    page.me = key;
    for (const b of document.querySelectorAll("#people button")) b.classList.toggle("active", b.dataset.persona === key);
    const who = me();
    document.getElementById("whoami").textContent = who.about;
    if (page.data) render(page.data);
  }

  function switchView(kind, view, label) {
    page[kind] = view;
    for (const b of document.querySelectorAll(`[data-${kind === "slackView" ? "slack" : "teams"}-view]`)) {
      b.classList.toggle("active", b.dataset[kind] === view);
    }
    document.getElementById(kind === "slackView" ? "slack-head" : "teams-head").textContent = label;
    if (page.data) render(page.data);
  }

  async function start() {
    const info = await api("people");
    page.people = info.people;
    for (const p of page.people) page.ids[p.slack_id] = p.name;
    const nav = document.getElementById("people");
    for (const p of page.people) {
      const b = el("button", "person role-" + p.role);
      b.dataset.persona = p.key;
      b.appendChild(el("b", null, p.name));
      b.appendChild(el("small", null, p.role));
      b.addEventListener("click", () => choose(p.key));
      nav.appendChild(b);
    }
    document.getElementById("targets").replaceChildren(...info.targets.map((t) => {
      const box = el("div", "target");
      box.appendChild(el("b", null, t.name));
      box.appendChild(el("span", "subtle", ` ${t.kind}: ${t.what}${t.scope ? " on " + t.scope : ""}`));
      // Activate mode: the person signs in (`login`) and PIM applies its own rules.
      const terms = t.mode === "activate"
        ? ["activate mode: sign in first (login)", "PIM's own rules and approval"]
        : ["up to " + t.max_duration, t.require_ticket && "ticket", t.require_justification && "justification"];
      box.appendChild(el("div", "subtle", terms.filter(Boolean).join(" · ")));
      return box;
    }));
    choose(page.people[0].key);
    for (const b of document.querySelectorAll("[data-slack-view]")) {
      b.addEventListener("click", () => switchView("slackView", b.dataset.slackView, b.textContent.replace(/\d+$/, "").trim()));
    }
    for (const b of document.querySelectorAll("[data-teams-view]")) {
      b.addEventListener("click", () => switchView("teamsView", b.dataset.teamsView, b.textContent.replace(/\d+$/, "").trim()));
    }
    for (const [form, input, path] of [["slack-form", "slack-input", "slack/command"], ["teams-form", "teams-input", "teams/message"]]) {
      document.getElementById(form).addEventListener("submit", (event) => {
        event.preventDefault();
        const field = document.getElementById(input);
        const text = field.value.trim() || field.placeholder.replace(/^\/pim /, "");
        field.value = "";
        act(path, { text });
      });
    }
    for (const chips of document.querySelectorAll(".chips")) {
      for (const example of EXAMPLES) {
        const chip = el("button", "chip", example);
        chip.type = "button";
        chip.addEventListener("click", () => { document.getElementById(chips.dataset.target).value = example; });
        chips.appendChild(chip);
      }
    }
    document.getElementById("modal-submit").addEventListener("click", submitModal);
    document.getElementById("modal-close").addEventListener("click", () => {
      const modal = document.getElementById("modal");
      api("slack/close", { view_id: modal.dataset.viewId }).catch(() => {});
      modal.hidden = true;
    });
    await refresh();
    setInterval(refresh, 800);
  }

  start().catch((error) => toast("The sandbox could not start: " + error.message));
})();
