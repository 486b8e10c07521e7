//! Bot Framework wire types (the parts pimbot reads) and the command text inside a message.

use serde::Deserialize;
use serde_json::Value;

/// An inbound activity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub id: Option<String>,
    /// The invoke's name (`adaptiveCard/action`).
    pub name: Option<String>,
    pub channel_id: Option<String>,
    pub service_url: Option<String>,
    pub from: Option<ChannelAccount>,
    pub recipient: Option<ChannelAccount>,
    pub conversation: Option<ConversationAccount>,
    pub text: Option<String>,
    pub value: Option<Value>,
    #[serde(default)]
    pub entities: Vec<Value>,
    pub channel_data: Option<Value>,
    pub reply_to_id: Option<String>,
}

/// A user or bot.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelAccount {
    /// Teams: `29:…` for users, `28:<app id>` for bots.
    pub id: String,
    pub name: Option<String>,
    /// The Entra object id of a user.
    pub aad_object_id: Option<String>,
}

/// A conversation: personal, group chat, or a channel thread (`19:…@thread.tacv2;messageid=…`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationAccount {
    pub id: String,
    pub conversation_type: Option<String>,
    pub tenant_id: Option<String>,
}

impl Activity {
    /// The Teams tenant: `channelData.tenant.id`, else `conversation.tenantId`.
    pub fn tenant_id(&self) -> Option<&str> {
        self.channel_data
            .as_ref()
            .and_then(|d| d.pointer("/tenant/id"))
            .and_then(Value::as_str)
            .or_else(|| self.conversation.as_ref()?.tenant_id.as_deref())
    }

    /// The sender's Entra object id.
    pub fn aad_object_id(&self) -> Option<&str> {
        self.from
            .as_ref()?
            .aad_object_id
            .as_deref()
            .filter(|id| !id.is_empty())
    }

    pub fn conversation_id(&self) -> Option<&str> {
        self.conversation
            .as_ref()
            .map(|c| c.id.as_str())
            .filter(|id| !id.is_empty())
    }

    pub fn is_personal(&self) -> bool {
        self.conversation
            .as_ref()
            .and_then(|c| c.conversation_type.as_deref())
            == Some("personal")
    }

    /// The command typed to the bot: its own `<at>` mention removed, HTML undone.
    pub fn command_text(&self) -> String {
        let mut text = self.text.clone().unwrap_or_default();
        let bot = self.recipient.as_ref().map(|r| r.id.as_str());
        for entity in &self.entities {
            let is_bot_mention = entity["type"] == "mention"
                && bot
                    .is_some_and(|bot| entity.pointer("/mentioned/id") == Some(&Value::from(bot)));
            if let (true, Some(mention)) = (is_bot_mention, entity["text"].as_str()) {
                text = text.replace(mention, " ");
            }
        }
        // Without entities, a leading mention is still the bot's.
        let trimmed = text.trim_start();
        if let Some(rest) = trimmed.strip_prefix("<at>")
            && let Some(end) = rest.find("</at>")
        {
            text = rest[end + "</at>".len()..].to_owned();
        }
        unhtml(&text)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Drops tags (`<p>`, `<br>`) and decodes the entities Teams uses, in one pass, so decoded text
/// is never read as a tag again.
pub(super) fn unhtml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
        {
            out.push(' ');
            rest = &rest[end + 1..];
            continue;
        }
        // Entity names are ASCII: look for `;` among the next few bytes, never slicing there
        // (a slice could cut inside a character).
        if c == '&'
            && let Some(end) = rest.bytes().take(10).position(|b| b == b';')
        {
            let decoded = match &rest[1..end] {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "#39" | "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => None,
            };
            if let Some(decoded) = decoded {
                out.push(decoded);
                rest = &rest[end + 1..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(text: &str, entities: Vec<Value>) -> Activity {
        serde_json::from_value(json!({
            "type": "message", "text": text, "entities": entities,
            "recipient": { "id": "28:bot", "name": "pimbot" },
        }))
        .expect("activity")
    }

    #[test]
    fn the_bots_mention_is_stripped_and_html_undone() {
        let mention = json!({ "type": "mention", "text": "<at>pimbot</at>",
                              "mentioned": { "id": "28:bot", "name": "pimbot" } });
        let activity = message(
            "<at>pimbot</at> request app1-secrets for 2h ticket INC-1&amp;2 <p>rotating</p>",
            vec![mention],
        );
        assert_eq!(
            activity.command_text(),
            "request app1-secrets for 2h ticket INC-1&2 rotating"
        );
        assert_eq!(
            message("<at>pimbot</at>  help", vec![]).command_text(),
            "help"
        );
        assert_eq!(message("list", vec![]).command_text(), "list");
    }

    #[test]
    fn decoded_entities_never_become_tags() {
        assert_eq!(
            message("deny PIM-1 &lt;at&gt;Bob&lt;/at&gt;", vec![]).command_text(),
            "deny PIM-1 <at>Bob</at>"
        );
    }

    #[test]
    fn the_tenant_comes_from_channel_data_or_the_conversation() {
        let activity: Activity = serde_json::from_value(json!({
            "type": "message", "channelData": { "tenant": { "id": "t1" } },
            "conversation": { "id": "c", "tenantId": "t2" },
            "from": { "id": "29:a", "aadObjectId": "e1" }
        }))
        .expect("activity");
        assert_eq!(activity.tenant_id(), Some("t1"));
        assert_eq!(activity.aad_object_id(), Some("e1"));
    }
}
