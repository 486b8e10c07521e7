//! Block Kit and message text for everything pimbot shows in Slack. Every piece of user-typed
//! text goes through [`escape`], so only pimbot's own `<@U…>` mentions reach Slack as markup.

mod approval;
#[cfg(test)]
pub(crate) mod fixtures;
mod modal;
mod notice;

use serde_json::{Value, json};

use crate::domain::ids::ChatUserId;
use crate::domain::request::{Person, Platform};
use crate::service::notice::Reply;
use crate::service::view::{Action, Line, NAME_MAX, Span, hhmm};

pub(crate) use crate::service::view::clip;
pub(crate) use approval::approval_message;
pub(crate) use modal::{
    DENY_CALLBACK, FORM_CALLBACK, REASON, deny_reason_modal, request_form, request_form_error,
    request_form_loading,
};
pub(crate) use notice::{approver_notice_text, notice_message};

/// `action_id` of the Approve button; its `value` is the request id (`PIM-12`).
pub(crate) const APPROVE_ACTION: &str = "approve";
/// `action_id` of the Deny button; its `value` is the request id.
pub(crate) const DENY_ACTION: &str = "deny";
/// `action_id` of the End now button on the ending-soon DM; its `value` is the request id.
pub(crate) const END_NOW_ACTION: &str = "end_now";
/// `action_id` of the Extend button on the ending-soon DM; its `value` is the request id.
pub(crate) const EXTEND_ACTION: &str = "extend";

/// Escapes `&`, `<` and `>` so text can never become a mention, `@channel` or a link.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A Slack mention when the person's Slack id is known, else their (escaped) name.
pub(crate) fn who(person: &Person, platform: Platform) -> String {
    match person.chat_id.as_ref().map(ChatUserId::as_str) {
        Some(id) if platform == Platform::Slack && is_slack_id(id) => format!("<@{id}>"),
        _ => escape(&clip(&person.display_name, NAME_MAX)),
    }
}

/// `U…`/`W…` ids are upper-case letters and digits; anything else is not mentioned.
fn is_slack_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A view's line as mrkdwn: someone's text escaped and cut, people mentioned by Slack id.
pub(crate) fn mrkdwn_line(line: &Line, platform: Platform) -> String {
    let mut out = String::new();
    for span in line.spans() {
        match span {
            Span::Words(words) => out.push_str(&escape(words)),
            Span::Text { text, max } => out.push_str(&clip(&escape(text), *max)),
            Span::Strong { text, max } => {
                out.push_str(&format!("*{}*", clip(&escape(text), *max)));
            }
            Span::Aside(words) => out.push_str(&format!("_{}_", escape(words))),
            Span::Code { text, max } => {
                out.push_str(&format!("`{}`", clip(&escape(text), *max)));
            }
            Span::Person(person) => out.push_str(&who(person, platform)),
            Span::Name(name) => out.push_str(&escape(&clip(name, NAME_MAX))),
            Span::Time(at) => out.push_str(&hhmm(*at)),
            Span::Command(command) => out.push_str(&format!("`/pim {}`", escape(command))),
            Span::Emoji(emoji) => out.push_str(emoji.short_code()),
        }
    }
    out
}

/// Block Kit buttons for `actions`, each carrying the request id as its `value`.
pub(crate) fn buttons(actions: &[Action], request_id: &str) -> Vec<Value> {
    actions
        .iter()
        .map(|action| {
            let (action_id, style) = match action {
                Action::Approve => (APPROVE_ACTION, "primary"),
                Action::Deny => (DENY_ACTION, "danger"),
                Action::Extend => (EXTEND_ACTION, "primary"),
                Action::EndNow => (END_NOW_ACTION, "danger"),
            };
            json!({"type": "button", "action_id": action_id, "style": style,
                   "text": plain(action.label()), "value": request_id})
        })
        .collect()
}

/// A `plain_text` object.
pub(crate) fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text, "emoji": true})
}

/// A `mrkdwn` object (the text must already be escaped).
pub(crate) fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text})
}

/// The body of an ephemeral answer (slash command response or `response_url` POST).
pub(crate) fn ephemeral(reply: &Reply) -> Value {
    json!({"response_type": "ephemeral", "text": reply_text(reply)})
}

/// A reply's text as Slack shows it: the service writes `*bold*` and `` `code` ``, never markup.
pub(crate) fn reply_text(reply: &Reply) -> String {
    let text = clip(&escape(&reply.text), 2000);
    match &reply.link {
        Some(link) => format!("{text}\n<{}|{}>", escape(&link.url), escape(&link.label)),
        None => text,
    }
}

/// The audit channel line: pimbot's ready-made text, escaped.
pub(crate) fn audit_line(line: &str) -> String {
    clip(&escape(line), 3000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_defuses_mentions_and_links() {
        assert_eq!(
            escape("<!channel> & <@U123|bob> <https://x|y>"),
            "&lt;!channel&gt; &amp; &lt;@U123|bob&gt; &lt;https://x|y&gt;"
        );
    }

    #[test]
    fn people_are_mentioned_only_with_a_slack_id() {
        let mut person = Person {
            entra_id: "e1".into(),
            display_name: "Bob <!here>".into(),
            chat_id: Some("U0BOB".into()),
        };
        assert_eq!(who(&person, Platform::Slack), "<@U0BOB>");
        assert_eq!(who(&person, Platform::Teams), "Bob &lt;!here&gt;");
        person.chat_id = Some("29:1abc".into());
        assert_eq!(who(&person, Platform::Slack), "Bob &lt;!here&gt;");
        person.chat_id = None;
        assert_eq!(who(&person, Platform::Slack), "Bob &lt;!here&gt;");
    }

    #[test]
    fn replies_and_audit_lines_are_escaped() {
        let body = ephemeral(&Reply::text("I don't know `<!channel>`"));
        assert_eq!(body["response_type"], "ephemeral");
        assert_eq!(body["text"], "I don't know `&lt;!channel&gt;`");
        assert_eq!(audit_line("PIM-1 <!here>"), "PIM-1 &lt;!here&gt;");
    }
}
