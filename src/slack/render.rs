//! Block Kit and message text for everything pimbot shows in Slack. Every piece of user-typed
//! text goes through [`escape`], so only pimbot's own `<@U…>` mentions reach Slack as markup.

mod approval;
#[cfg(test)]
pub(crate) mod fixtures;
mod modal;
mod notice;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::domain::request::{Person, Platform};
use crate::service::notice::Reply;

pub(crate) use approval::approval_message;
pub(crate) use approval::{APPROVE_ACTION, DENY_ACTION};
pub(crate) use modal::{
    DENY_CALLBACK, FORM_CALLBACK, REASON, deny_reason_modal, request_form, request_form_error,
    request_form_loading,
};
pub(crate) use notice::{END_NOW_ACTION, EXTEND_ACTION, approver_notice_text, notice_message};

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
    match person.chat_id.as_deref() {
        Some(id) if platform == Platform::Slack && is_slack_id(id) => format!("<@{id}>"),
        _ => escape(&clip(&person.display_name, 80)),
    }
}

/// `U…`/`W…` ids are upper-case letters and digits; anything else is not mentioned.
fn is_slack_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// `14:05 UTC`.
pub(crate) fn hhmm(at: DateTime<Utc>) -> String {
    at.format("%H:%M UTC").to_string()
}

/// At most `max` characters, with an ellipsis when cut (Slack rejects over-long fields).
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
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
    clip(&escape(&reply.text), 3000)
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

    #[test]
    fn long_text_is_clipped() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
