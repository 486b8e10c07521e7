//! The demo's Slack workspace: a fake Web API (`/slack/api/{method}`) and `response_url` sink
//! (`/slack/response/{id}`) that answer like Slack and keep what the bot posted as a workspace
//! (channels, DMs, ephemeral answers, modals) for the sandbox page to show.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};

use super::seed::Persona;

/// The demo workspace: the bot token's (`auth.test`) and every person's.
pub(super) const TEAM_ID: &str = "T0DEMO";
/// `#team-foo`, where the team types `/pim` and approval messages appear.
pub(super) const TEAM_CHANNEL: &str = "CTEAMFOO";
/// `#pim-audit`, the audit channel.
pub(super) const AUDIT_CHANNEL: &str = "CPIMAUDIT";
/// The author of everything the bot posts.
const BOT: &str = "pimbot";

/// One message as people in the workspace see it (the latest version, after `chat.update`).
#[derive(Debug, Clone, Serialize)]
pub(super) struct Message {
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

/// A modal opened for a user (`views.open`), replaced by `views.update`.
#[derive(Debug, Clone, Serialize)]
pub(super) struct View {
    seq: u64,
    id: String,
    user: String,
    view: Value,
    open: bool,
}

/// Where a `response_url` answer lands.
#[derive(Debug, Clone)]
struct Origin {
    user: String,
    channel: String,
    message_ts: Option<String>,
}

#[derive(Default)]
struct Workspace {
    next: u64,
    messages: Vec<Message>,
    views: Vec<View>,
    response_urls: HashMap<String, Origin>,
    /// `trigger_id` → the Slack user whose click or command made it.
    triggers: HashMap<String, String>,
}

impl Workspace {
    fn next(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn post(
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

    fn update(&mut self, channel: &str, ts: &str, content: &Value) -> bool {
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
}

/// `blocks` as sent: a JSON array, or (form-encoded calls) a JSON string of one.
fn blocks(content: &Value) -> Value {
    match &content["blocks"] {
        Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        other => other.clone(),
    }
}

/// The fake Slack; clones share the workspace.
#[derive(Clone)]
pub(super) struct FakeSlack {
    workspace: Arc<Mutex<Workspace>>,
    /// Slack user id → e-mail, as `users.info` reports it.
    users: Arc<Vec<(String, String)>>,
    base_url: String,
    bot_token: String,
}

impl FakeSlack {
    /// A workspace served under `base_url` (the upstream listener) whose members are `people`.
    pub(super) fn new(base_url: &str, bot_token: &str, people: &[Persona]) -> Self {
        Self {
            workspace: Arc::default(),
            users: Arc::new(
                people
                    .iter()
                    .map(|p| (p.slack_id.clone(), p.email.clone()))
                    .collect(),
            ),
            base_url: base_url.to_owned(),
            bot_token: format!("Bearer {bot_token}"),
        }
    }

    pub(super) fn router(&self) -> Router {
        Router::new()
            .route("/slack/api/{method}", post(handle_api).get(handle_api))
            .route("/slack/response/{id}", post(handle_response))
            .with_state(self.clone())
    }

    /// `[slack] api_url`.
    pub(super) fn api_url(&self) -> String {
        format!("{}/slack/api", self.base_url)
    }

    fn lock(&self) -> MutexGuard<'_, Workspace> {
        self.workspace
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh `response_url` for something `user` did in `channel` (on `message_ts`, if a click).
    pub(super) fn response_url(
        &self,
        user: &str,
        channel: &str,
        message_ts: Option<&str>,
    ) -> String {
        let mut workspace = self.lock();
        let id = format!("r{}", workspace.next());
        workspace.response_urls.insert(
            id.clone(),
            Origin {
                user: user.to_owned(),
                channel: channel.to_owned(),
                message_ts: message_ts.map(str::to_owned),
            },
        );
        format!("{}/slack/response/{id}", self.base_url)
    }

    /// A fresh `trigger_id` for `user` (modals opened with it are theirs).
    pub(super) fn trigger(&self, user: &str) -> String {
        let mut workspace = self.lock();
        let id = format!("trigger-{}", workspace.next());
        workspace.triggers.insert(id.clone(), user.to_owned());
        id
    }

    /// What `user` typed, shown only to them (Slack does not echo slash commands to a channel).
    pub(super) fn typed(&self, user: &str, channel: &str, text: &str) {
        self.lock()
            .post(channel, user, &json!({ "text": text }), Some(user));
    }

    /// pimbot's HTTP answer to `user` (an ephemeral message), when it has any content.
    pub(super) fn answered(&self, user: &str, channel: &str, answer: &Value) {
        let has_text = answer["text"].as_str().is_some_and(|t| !t.is_empty());
        if has_text || answer["blocks"].is_array() {
            self.lock().post(channel, BOT, answer, Some(user));
        }
    }

    /// A message as posted or last updated.
    pub(super) fn message(&self, channel: &str, ts: &str) -> Option<Message> {
        self.lock()
            .messages
            .iter()
            .find(|m| m.channel == channel && m.ts == ts)
            .cloned()
    }

    /// The latest content of an open modal.
    pub(super) fn view(&self, id: &str) -> Option<Value> {
        self.lock()
            .views
            .iter()
            .find(|v| v.id == id && v.open)
            .map(|v| v.view.clone())
    }

    /// Marks a modal closed (its submission was accepted, or the user cancelled).
    pub(super) fn close_view(&self, id: &str) {
        if let Some(view) = self.lock().views.iter_mut().find(|v| v.id == id) {
            view.open = false;
        }
    }

    /// Everything in the workspace, for the sandbox page.
    pub(super) fn snapshot(&self) -> Value {
        let workspace = self.lock();
        json!({
            "messages": workspace.messages,
            "views": workspace.views.iter().filter(|v| v.open).collect::<Vec<_>>(),
        })
    }
}

impl Message {
    /// The payload's `message` object for a click on this message.
    pub(super) fn as_payload(&self) -> Value {
        json!({ "type": "message", "ts": self.ts, "text": self.text, "blocks": self.blocks })
    }
}

/// Slack methods take form, query or JSON parameters; normalise them to one JSON object.
fn parameters(headers: &HeaderMap, query: Option<String>, body: &Bytes) -> Value {
    let mut out = serde_json::Map::new();
    let form = |text: &str, out: &mut serde_json::Map<String, Value>| {
        for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(text).unwrap_or_default()
        {
            out.insert(k, Value::String(v));
        }
    };
    if let Some(query) = query {
        form(&query, &mut out);
    }
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
            out.extend(map);
        }
    } else {
        form(&String::from_utf8_lossy(body), &mut out);
    }
    Value::Object(out)
}

async fn handle_api(
    State(fake): State<FakeSlack>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == fake.bot_token);
    if !authorized {
        return Json(json!({ "ok": false, "error": "not_authed" }));
    }
    let params = parameters(&headers, query, &body);
    let text = |key: &str| params[key].as_str().unwrap_or_default().to_owned();
    let answer = match method.as_str() {
        "auth.test" => {
            json!({ "ok": true, "team": "Contoso", "team_id": TEAM_ID, "user_id": "UPIMBOT" })
        }
        "users.info" => match fake.users.iter().find(|(id, _)| *id == text("user")) {
            Some((id, mail)) => json!({ "ok": true, "user": member(id, mail) }),
            None => json!({ "ok": false, "error": "user_not_found" }),
        },
        "users.lookupByEmail" => {
            let wanted = text("email").to_lowercase();
            match fake
                .users
                .iter()
                .find(|(_, mail)| mail.to_lowercase() == wanted)
            {
                Some((id, mail)) => json!({ "ok": true, "user": member(id, mail) }),
                None => json!({ "ok": false, "error": "users_not_found" }),
            }
        }
        "conversations.open" => {
            json!({ "ok": true, "channel": { "id": format!("D{}", text("users")) } })
        }
        "chat.postMessage" => {
            let ts = fake.lock().post(&text("channel"), BOT, &params, None);
            json!({ "ok": true, "channel": text("channel"), "ts": ts })
        }
        "chat.postEphemeral" => {
            let ts = fake
                .lock()
                .post(&text("channel"), BOT, &params, Some(&text("user")));
            json!({ "ok": true, "message_ts": ts })
        }
        "chat.update" => {
            if fake.lock().update(&text("channel"), &text("ts"), &params) {
                json!({ "ok": true, "channel": text("channel"), "ts": text("ts") })
            } else {
                json!({ "ok": false, "error": "message_not_found" })
            }
        }
        "views.open" => open_view(&fake, &text("trigger_id"), &params["view"]),
        "views.update" => {
            let mut workspace = fake.lock();
            match workspace.views.iter_mut().find(|v| v.id == text("view_id")) {
                Some(view) => {
                    view.view = params["view"].clone();
                    json!({ "ok": true, "view": { "id": view.id } })
                }
                None => json!({ "ok": false, "error": "not_found" }),
            }
        }
        _ => json!({ "ok": true }),
    };
    Json(answer)
}

/// A live member of the demo workspace whose address Slack has confirmed, as Slack describes one.
fn member(id: &str, email: &str) -> Value {
    json!({
        "id": id, "team_id": TEAM_ID, "deleted": false, "is_email_confirmed": true,
        "profile": { "email": email }
    })
}

fn open_view(fake: &FakeSlack, trigger_id: &str, view: &Value) -> Value {
    let mut workspace = fake.lock();
    let Some(user) = workspace.triggers.remove(trigger_id) else {
        return json!({ "ok": false, "error": "invalid_trigger_id" });
    };
    let seq = workspace.next();
    let id = format!("V{seq:05}");
    workspace.views.push(View {
        seq,
        id: id.clone(),
        user,
        view: view.clone(),
        open: true,
    });
    json!({ "ok": true, "view": { "id": id } })
}

async fn handle_response(
    State(fake): State<FakeSlack>,
    Path(id): Path<String>,
    body: Bytes,
) -> Json<Value> {
    let content: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut workspace = fake.lock();
    let Some(origin) = workspace.response_urls.get(&id).cloned() else {
        return Json(json!({ "ok": false, "error": "expired_url" }));
    };
    let replaced = content["replace_original"] == true
        && origin
            .message_ts
            .as_deref()
            .is_some_and(|ts| workspace.update(&origin.channel, ts, &content));
    if !replaced {
        let visible_to = (content["response_type"] != "in_channel").then_some(origin.user.as_str());
        workspace.post(&origin.channel, BOT, &content, visible_to);
    }
    Json(json!({ "ok": true }))
}
