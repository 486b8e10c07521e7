//! Adaptive Cards (version 1.5, Universal Actions) and message text for everything pimbot shows in
//! Teams. User-typed text goes through [`escape`], so only pimbot's own `<at>` mentions (each with
//! its `mention` entity) reach Teams as markup, and nobody can smuggle in a link.

mod approval;
pub(crate) mod form;
mod notice;

use serde_json::{Value, json};

use crate::domain::ids::ChatUserId;
use crate::domain::request::Person;
use crate::service::notice::Reply;
pub(crate) use crate::service::view::clip;
use crate::service::view::{Action, Line, NAME_MAX, Span, hhmm};

pub(crate) use approval::approval_card;
pub(crate) use form::{form_message_card, request_form};
pub(crate) use notice::{approver_notice_text, notice_text};

/// The attachment content type of an Adaptive Card (botbuilder's string).
pub(crate) const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
/// Card schema version: Universal Actions need 1.4; Teams documents 1.5.
pub(crate) const CARD_VERSION: &str = "1.5";
/// Cards stay under this many bytes (Teams refuses larger message-extension cards; a margin for
/// everything else).
pub(crate) const MAX_CARD_BYTES: usize = 28 * 1024;

/// `Action.Execute` verbs, also the `verb` of the `Action.Submit` fallbacks' data.
pub(crate) const VERB_APPROVE: &str = "approve";
pub(crate) const VERB_DENY: &str = "deny";
pub(crate) const VERB_REFRESH: &str = "refresh";
pub(crate) const VERB_REQUEST: &str = "request";
/// End now, on the ending-soon message.
pub(crate) const VERB_END_NOW: &str = "end_now";
/// Extend, on the ending-soon message.
pub(crate) const VERB_EXTEND: &str = "extend";
/// Input ids.
pub(crate) const REASON: &str = "reason";
pub(crate) const TARGET: &str = "target";
pub(crate) const DURATION: &str = "duration";
pub(crate) const TICKET: &str = "ticket";
pub(crate) const JUSTIFICATION: &str = "justification";

/// Neutralises user text for a card or message: `<` and `>` become look-alikes (no `<at>`
/// mention, no HTML), `[` and `]` too (no markdown links).
pub(crate) fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => '\u{2039}',
            '>' => '\u{203A}',
            '[' => '\u{FF3B}',
            ']' => '\u{FF3D}',
            c => c,
        })
        .collect()
}

/// A view's line as Teams markdown: someone's text escaped and cut; people mentioned (`<at>`, with
/// their entity) when `mentions` collects them, else named.
pub(crate) fn markdown_line(line: &Line, mut mentions: Option<&mut Mentions>) -> String {
    let mut out = String::new();
    for span in line.spans() {
        match span {
            Span::Words(words) => out.push_str(&escape(words)),
            Span::Text { text, max } | Span::Code { text, max } => {
                out.push_str(&clip(&escape(text), *max));
            }
            Span::Strong { text, max } => {
                out.push_str(&format!("**{}**", clip(&escape(text), *max)));
            }
            Span::Aside(words) => out.push_str(&format!("_{}_", escape(words))),
            Span::Person(person) => match mentions.as_deref_mut() {
                Some(mentions) => out.push_str(&mentions.add(person)),
                None => out.push_str(&name(&person.display_name)),
            },
            Span::Name(display_name) => out.push_str(&name(display_name)),
            Span::Time(at) => out.push_str(&hhmm(*at)),
            Span::Command(command) => out.push_str(&format!("`{}`", escape(command))),
            Span::Emoji(emoji) => out.push_str(emoji.character()),
        }
    }
    out
}

fn name(display_name: &str) -> String {
    clip(&escape(display_name), NAME_MAX)
}

/// `<at>` mentions and their entities, one per person.
#[derive(Default)]
pub(crate) struct Mentions {
    pub(crate) entities: Vec<Value>,
}

impl Mentions {
    /// `<at>Name</at>` when the person's Teams id (Entra object id) is known, else the name.
    pub(crate) fn add(&mut self, person: &Person) -> String {
        let name = name(&person.display_name);
        let Some(id) = person
            .chat_id
            .as_ref()
            .map(ChatUserId::as_str)
            .filter(|id| !id.is_empty())
        else {
            return name;
        };
        let text = format!("<at>{name}</at>");
        let known = self
            .entities
            .iter()
            .any(|e| e["mentioned"]["id"] == id && e["text"] == text.as_str());
        if !known {
            self.entities.push(json!({
                "type": "mention", "text": text, "mentioned": {"id": id, "name": name}
            }));
        }
        text
    }
}

/// A wrapping text block.
pub(crate) fn text_block(text: &str) -> Value {
    json!({"type": "TextBlock", "text": text, "wrap": true})
}

/// An empty 1.5 card around `body`.
pub(crate) fn card(body: Vec<Value>) -> Value {
    json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    })
}

/// An `Action.Execute` with its `Action.Submit` fallback for clients without Universal Actions.
pub(crate) fn execute(title: &str, verb: &str, data: Value) -> Value {
    let mut fallback_data = data.clone();
    fallback_data["verb"] = json!(verb);
    json!({
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": title, "data": fallback_data},
    })
}

/// A message activity carrying one card.
pub(crate) fn card_message(card: &Value) -> Value {
    let size = card.to_string().len();
    if size > MAX_CARD_BYTES {
        // The renderers clip every user field, so this is a bug worth hearing about.
        tracing::error!(teams.card_bytes = size, "an Adaptive Card exceeds 28 KB");
    }
    json!({
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}],
    })
}

/// The requester's message about `notice`: text, or, when the notice offers buttons (an elevation
/// about to end), a card with them.
pub(crate) fn notice_message(
    request: &crate::domain::request::Request,
    notice: &crate::service::notice::Notice,
) -> Value {
    let actions = crate::service::view::requester_message(request, notice).actions;
    let text = notice_text(request, notice);
    if actions.is_empty() {
        return text_message(&text);
    }
    let data = json!({"request": request.id.to_string()});
    let buttons: Vec<Value> = actions
        .iter()
        .map(|action| {
            let verb = match action {
                Action::Approve => VERB_APPROVE,
                Action::Deny => VERB_DENY,
                Action::Extend => VERB_EXTEND,
                Action::EndNow => VERB_END_NOW,
            };
            execute(action.label(), verb, data.clone())
        })
        .collect();
    card_message(&card(vec![
        text_block(&text),
        json!({"type": "ActionSet", "actions": buttons}),
    ]))
}

/// A plain message activity (markdown, user text escaped by the caller).
pub(crate) fn text_message(text: &str) -> Value {
    json!({"type": "message", "textFormat": "markdown", "text": text})
}

/// A service reply as Teams shows it: `*bold*` becomes markdown bold, user text is escaped.
pub(crate) fn reply_text(reply: &Reply) -> String {
    let text = clip(&escape(&reply.text).replace('*', "**"), 3000);
    match &reply.link {
        // The URL is pimbot's own (its public URL and a random state): nothing to escape.
        Some(link) => format!("{text}\n\n[{}]({})", escape(&link.label), link.url),
        None => text,
    }
}

/// The audit channel line.
pub(crate) fn audit_line(line: &str) -> String {
    clip(&escape(line), 4000)
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_defuses_mentions_html_and_links() {
        assert_eq!(
            escape("<at>Bob</at> [click](https://evil)"),
            "\u{2039}at\u{203A}Bob\u{2039}/at\u{203A} \u{FF3B}click\u{FF3D}(https://evil)"
        );
    }

    #[test]
    fn replies_are_markdown_with_user_text_escaped() {
        assert_eq!(
            reply_text(&Reply::text("*Your requests*\n<at>x</at>")),
            "**Your requests**\n\u{2039}at\u{203A}x\u{2039}/at\u{203A}"
        );
    }

    #[test]
    fn every_action_has_a_submit_fallback_carrying_the_verb() {
        let action = execute("Approve", VERB_APPROVE, json!({"request": "PIM-1"}));
        assert_eq!(action["fallback"]["type"], "Action.Submit");
        assert_eq!(action["fallback"]["data"]["verb"], "approve");
        assert_eq!(action["fallback"]["data"]["request"], "PIM-1");
    }
}
