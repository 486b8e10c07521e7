//! Slack's inbound wire types, with Slack's own names: slash commands, interaction payloads and
//! Events API envelopes. Parsed only after the signature has been checked.

use std::collections::HashMap;

use serde::Deserialize;

/// A malformed inbound body; `Display` is the 400 response text.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("not a Slack slash command form: {0}")]
    Command(serde_urlencoded::de::Error),
    #[error("the form has no `payload` field")]
    NoPayload,
    #[error("the `payload` field is not a Slack interaction: {0}")]
    Interaction(serde_json::Error),
    #[error("not a Slack Events API body: {0}")]
    Event(serde_json::Error),
}

/// A slash command POST (form-encoded). Slack has already removed the command name from `text`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SlashCommand {
    pub team_id: String,
    #[serde(default)]
    pub team_domain: Option<String>,
    #[serde(default)]
    pub enterprise_id: Option<String>,
    pub channel_id: String,
    #[serde(default)]
    pub channel_name: Option<String>,
    pub user_id: String,
    #[serde(default)]
    pub user_name: Option<String>,
    pub command: String,
    #[serde(default)]
    pub text: String,
    pub response_url: String,
    pub trigger_id: String,
    #[serde(default)]
    pub api_app_id: Option<String>,
}

impl SlashCommand {
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        serde_urlencoded::from_bytes(body).map_err(PayloadError::Command)
    }

    /// Slack's certificate check (`ssl_check=1`), which only needs a 200.
    pub fn is_ssl_check(body: &[u8]) -> bool {
        #[derive(Deserialize)]
        struct Check {
            ssl_check: Option<String>,
        }
        serde_urlencoded::from_bytes::<Check>(body)
            .is_ok_and(|c| c.ssl_check.as_deref() == Some("1"))
    }
}

/// An interaction (`payload=` JSON in a form), told apart by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Interaction {
    BlockActions(BlockActions),
    ViewSubmission(ViewSubmission),
    /// `view_closed`, shortcuts, …: acknowledged and otherwise ignored.
    #[serde(other)]
    Other,
}

impl Interaction {
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        #[derive(Deserialize)]
        struct Form {
            payload: Option<String>,
        }
        let form: Form = serde_urlencoded::from_bytes(body).map_err(PayloadError::Command)?;
        let payload = form.payload.ok_or(PayloadError::NoPayload)?;
        serde_json::from_str(&payload).map_err(PayloadError::Interaction)
    }
}

/// Who clicked or submitted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

/// A button click (or another interactive element) on a message or in a view.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BlockActions {
    pub user: User,
    pub trigger_id: String,
    /// Present for actions on messages; absent for actions inside modals.
    #[serde(default)]
    pub response_url: Option<String>,
    pub actions: Vec<Action>,
    #[serde(default)]
    pub container: Option<Container>,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub team: Option<Team>,
}

impl BlockActions {
    /// The channel of the message clicked, if the click was on a message.
    pub fn channel_id(&self) -> Option<&str> {
        self.channel
            .as_ref()
            .map(|c| c.id.as_str())
            .or_else(|| self.container.as_ref()?.channel_id.as_deref())
    }

    /// The `ts` of the message clicked.
    pub fn message_ts(&self) -> Option<&str> {
        self.message
            .as_ref()
            .map(|m| m.ts.as_str())
            .or_else(|| self.container.as_ref()?.message_ts.as_deref())
    }
}

/// One element's action.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Action {
    pub action_id: String,
    #[serde(default)]
    pub block_id: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// Where the action happened.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Container {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub message_ts: Option<String>,
    #[serde(default)]
    pub channel_id: Option<String>,
    #[serde(default)]
    pub view_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Channel {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Message {
    pub ts: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Team {
    pub id: String,
}

/// A modal's Submit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ViewSubmission {
    pub user: User,
    pub view: View,
    #[serde(default)]
    pub trigger_id: Option<String>,
    #[serde(default)]
    pub team: Option<Team>,
}

/// The submitted view.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct View {
    pub id: String,
    #[serde(default)]
    pub callback_id: String,
    #[serde(default)]
    pub private_metadata: String,
    #[serde(default)]
    pub state: ViewState,
}

/// `values[block_id][action_id]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ViewState {
    #[serde(default)]
    pub values: HashMap<String, HashMap<String, InputValue>>,
}

impl ViewState {
    /// The non-blank text of an input (a text field's value or a select's chosen option), trimmed.
    pub fn text(&self, block_id: &str, action_id: &str) -> Option<String> {
        let input = self.values.get(block_id)?.get(action_id)?;
        let text = input
            .value
            .as_deref()
            .or(input.selected_option.as_ref().map(|o| o.value.as_str()))?;
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }
}

/// One input's state.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InputValue {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub selected_option: Option<SelectedOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SelectedOption {
    pub value: String,
}

/// An Events API body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventEnvelope {
    /// Sent once when the Request URL is configured: answer with the challenge.
    UrlVerification {
        challenge: String,
    },
    EventCallback(EventCallback),
    #[serde(other)]
    Other,
}

impl EventEnvelope {
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        serde_json::from_slice(body).map_err(PayloadError::Event)
    }
}

/// One event delivery; `event_id` is the same on Slack's retries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventCallback {
    pub event_id: String,
    #[serde(default)]
    pub team_id: Option<String>,
    pub event: Event,
}

/// The event itself (`app_home_opened`, …).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub tab: Option<String>,
}

#[cfg(test)]
mod tests;
