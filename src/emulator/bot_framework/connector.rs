//! The Connector: 1:1 conversations, posts, replies and updates, recorded as calls and kept as
//! conversations people see.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use serde::Serialize;
use serde_json::{Value, json};

use super::{ConnectorCall, FakeBotFramework, lock};

/// The author of everything the bot posts.
const BOT: &str = "pimbot";
const CARD: &str = "application/vnd.microsoft.card.adaptive";

/// One message in a Teams conversation, at its latest version.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    seq: u64,
    /// Bumped by every update, so the page can tell an invoke answer from a newer card.
    version: u64,
    conversation: String,
    id: String,
    /// `pimbot`, or the Entra object id of a person.
    author: String,
    text: String,
    attachments: Value,
    /// An invoke answer: the card this clicker sees in place of message `replaces`.
    visible_to: Option<String>,
    replaces: Option<String>,
    edited: bool,
}

impl Message {
    pub fn conversation(&self) -> &str {
        &self.conversation
    }
}

#[derive(Default)]
pub(super) struct Conversations {
    next: u64,
    messages: Vec<Message>,
    /// 1:1 conversation id → the member's `29:` id.
    personal: HashMap<String, String>,
}

impl Conversations {
    fn next(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn add(&mut self, conversation: &str, author: &str, activity: &Value) -> String {
        let seq = self.next();
        let id = format!("1700000{seq:06}");
        self.messages.push(Message {
            seq,
            version: seq,
            conversation: conversation.to_owned(),
            id: id.clone(),
            author: author.to_owned(),
            text: activity["text"].as_str().unwrap_or_default().to_owned(),
            attachments: activity["attachments"].clone(),
            visible_to: None,
            replaces: None,
            edited: false,
        });
        id
    }

    pub(super) fn post_in_channel(
        &mut self,
        channel: &str,
        user: &str,
        text: &str,
    ) -> (String, String) {
        let id = self.add(channel, user, &json!({ "text": text }));
        let conversation = format!("{channel};messageid={id}");
        if let Some(post) = self.messages.last_mut() {
            post.conversation.clone_from(&conversation);
        }
        (conversation, id)
    }

    pub(super) fn answered(
        &mut self,
        user: &str,
        conversation: &str,
        activity: &str,
        answer: &Value,
    ) {
        let content = if answer["type"] == CARD {
            json!({ "attachments": [{ "contentType": CARD, "content": answer["value"] }] })
        } else {
            json!({ "text": answer["value"].as_str().unwrap_or_default() })
        };
        let id = self.add(conversation, BOT, &content);
        if let Some(message) = self.messages.iter_mut().find(|m| m.id == id) {
            message.visible_to = Some(user.to_owned());
            message.replaces = Some(activity.to_owned());
        }
    }

    pub(super) fn message(&self, id: &str) -> Option<&Message> {
        self.messages.iter().find(|m| m.id == id)
    }

    fn update(&mut self, conversation: &str, activity_id: &str, activity: &Value) {
        let version = self.next();
        if let Some(message) = self
            .messages
            .iter_mut()
            .find(|m| m.conversation == conversation && m.id == activity_id)
        {
            message.text = activity["text"].as_str().unwrap_or_default().to_owned();
            message.attachments = activity["attachments"].clone();
            message.version = version;
            message.edited = true;
        }
    }

    pub(super) fn snapshot(&self, people: &[(String, String)]) -> Value {
        let personal: HashMap<&String, &String> = self
            .personal
            .iter()
            .filter_map(|(conversation, member)| {
                let entra = people.iter().find(|(id, _)| id == member)?;
                Some((conversation, &entra.1))
            })
            .collect();
        json!({ "messages": self.messages, "personal": personal })
    }
}

impl FakeBotFramework {
    /// Records a call; returns its body.
    fn record(&self, method: &Method, path: String, headers: &HeaderMap, body: &Bytes) -> Value {
        let authorization = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        lock(&self.inner.calls).push(ConnectorCall {
            method: method.to_string(),
            path,
            authorization,
            body: body.clone(),
        });
        body
    }
}

/// A 1:1 conversation with one member; the same member always gets the same conversation.
pub(super) async fn create_conversation(
    State(fake): State<FakeBotFramework>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let body = fake.record(&method, "v3/conversations".into(), &headers, &body);
    let member = body["members"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let id = format!("a:1on1-{}", member.trim_start_matches("29:"));
    fake.conversations().personal.insert(id.clone(), member);
    Json(json!({ "id": id, "activityId": null, "serviceUrl": fake.service_url() }))
}

pub(super) async fn send(
    State(fake): State<FakeBotFramework>,
    Path(conversation): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let path = format!("v3/conversations/{conversation}/activities");
    post(&fake, &conversation, path, &method, &headers, &body)
}

/// ReplyToActivity: a new message in the same conversation.
pub(super) async fn reply(
    State(fake): State<FakeBotFramework>,
    Path((conversation, activity_id)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let path = format!("v3/conversations/{conversation}/activities/{activity_id}");
    post(&fake, &conversation, path, &method, &headers, &body)
}

/// Records the call and adds the bot's message to the conversation.
fn post(
    fake: &FakeBotFramework,
    conversation: &str,
    path: String,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Json<Value> {
    let activity = fake.record(method, path, headers, body);
    let id = fake.conversations().add(conversation, BOT, &activity);
    Json(json!({ "id": id }))
}

pub(super) async fn update(
    State(fake): State<FakeBotFramework>,
    Path((conversation, activity_id)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let path = format!("v3/conversations/{conversation}/activities/{activity_id}");
    let activity = fake.record(&method, path, &headers, &body);
    fake.conversations()
        .update(&conversation, &activity_id, &activity);
    Json(json!({ "id": activity_id }))
}
