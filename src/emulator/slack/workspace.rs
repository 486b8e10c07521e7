//! What people in the fake workspace see: messages (the latest version of each), open modals,
//! and where each `response_url` and `trigger_id` came from.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

/// One message as people in the workspace see it (the latest version, after `chat.update`).
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// Order in the workspace: messages sort by it.
    seq: u64,
    channel: String,
    ts: String,
    thread_ts: Option<String>,
    /// `pimbot`, or the Slack user id of a person.
    author: String,
    text: String,
    blocks: Value,
    /// Set for an ephemeral message: only this Slack user sees it.
    visible_to: Option<String>,
    edited: bool,
}

impl Message {
    /// The payload's `message` object for a click on this message.
    pub fn as_payload(&self) -> Value {
        json!({ "type": "message", "ts": self.ts, "text": self.text, "blocks": self.blocks })
    }
}

/// A modal opened for a user (`views.open`), replaced by `views.update`.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    seq: u64,
    pub(super) id: String,
    /// The Slack user whose trigger opened it (empty when the trigger was not one of ours).
    user: String,
    pub(super) view: Value,
    open: bool,
}

/// Where a `response_url` answer lands.
#[derive(Debug, Clone)]
pub(super) struct Origin {
    pub(super) user: String,
    pub(super) channel: String,
    pub(super) message_ts: Option<String>,
}

#[derive(Default)]
pub(super) struct Workspace {
    next: u64,
    messages: Vec<Message>,
    views: Vec<View>,
    pub(super) response_urls: HashMap<String, Origin>,
    /// `trigger_id` → the Slack user whose click or command made it.
    pub(super) triggers: HashMap<String, String>,
}

impl Workspace {
    pub(super) fn next(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// Adds a message; returns its `ts`.
    pub(super) fn post(
        &mut self,
        channel: &str,
        author: &str,
        content: &Value,
        visible_to: Option<&str>,
    ) -> String {
        let seq = self.next();
        let ts = format!("1700000000.{seq:06}");
        self.messages.push(Message {
            seq,
            channel: channel.to_owned(),
            ts: ts.clone(),
            thread_ts: content["thread_ts"].as_str().map(str::to_owned),
            author: author.to_owned(),
            text: content["text"].as_str().unwrap_or_default().to_owned(),
            blocks: blocks(content),
            visible_to: visible_to.map(str::to_owned),
            edited: false,
        });
        ts
    }

    /// Replaces a message's content; `false` when there is no such message.
    pub(super) fn update(&mut self, channel: &str, ts: &str, content: &Value) -> bool {
        let Some(message) = self
            .messages
            .iter_mut()
            .find(|m| m.channel == channel && m.ts == ts)
        else {
            return false;
        };
        message.text = content["text"].as_str().unwrap_or_default().to_owned();
        message.blocks = blocks(content);
        message.edited = true;
        true
    }

    pub(super) fn message(&self, channel: &str, ts: &str) -> Option<&Message> {
        self.messages
            .iter()
            .find(|m| m.channel == channel && m.ts == ts)
    }

    /// Opens a modal for the user whose trigger it is; returns its id.
    pub(super) fn open_modal(&mut self, trigger_id: &str, view: &Value) -> String {
        let user = self.triggers.remove(trigger_id).unwrap_or_default();
        let seq = self.next();
        let id = format!("V{seq:05}");
        self.views.push(View {
            seq,
            id: id.clone(),
            user,
            view: view.clone(),
            open: true,
        });
        id
    }

    pub(super) fn view_mut(&mut self, id: &str) -> Option<&mut View> {
        self.views.iter_mut().find(|v| v.id == id)
    }

    pub(super) fn open_view(&self, id: &str) -> Option<&View> {
        self.views.iter().find(|v| v.id == id && v.open)
    }

    pub(super) fn close_view(&mut self, id: &str) {
        if let Some(view) = self.views.iter_mut().find(|v| v.id == id) {
            view.open = false;
        }
    }

    pub(super) fn snapshot(&self) -> Value {
        json!({
            "messages": self.messages,
            "views": self.views.iter().filter(|v| v.open).collect::<Vec<_>>(),
        })
    }
}

/// `blocks` as sent: a JSON array, or (form-encoded calls) a JSON string of one.
fn blocks(content: &Value) -> Value {
    match &content["blocks"] {
        Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        other => other.clone(),
    }
}
