//! A small fake Slack Web API on 127.0.0.1 that records every call and answers as scripted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::SlackClient;
use crate::secret::Secret;
use crate::slack::SlackSettings;

/// One recorded call.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub(super) path: String,
    pub(super) authorization: Option<String>,
    pub(super) content_type: String,
    pub(super) body: String,
}

impl Call {
    pub(super) fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A scripted answer: status, headers, body.
pub(super) type Answer = (u16, Vec<(&'static str, &'static str)>, String);

#[derive(Default)]
pub(super) struct Fake {
    calls: Mutex<Vec<Call>>,
    pub(super) answers: Mutex<HashMap<String, Answer>>,
    /// Every call is held this long (after being recorded) before it is answered.
    pub(super) delay: Mutex<Option<Duration>>,
}

impl Fake {
    pub(super) fn script(
        &self,
        path: &str,
        status: u16,
        headers: Vec<(&'static str, &'static str)>,
        body: Value,
    ) {
        self.answers
            .lock()
            .expect("lock")
            .insert(path.into(), (status, headers, body.to_string()));
    }

    pub(super) fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("lock").clone()
    }
}

async fn record(
    State(fake): State<Arc<Fake>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    fake.calls.lock().expect("lock").push(Call {
        path: uri.path().to_owned(),
        authorization: header("authorization"),
        content_type: header("content-type").unwrap_or_default(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let delay = *fake.delay.lock().expect("lock");
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let scripted = fake.answers.lock().expect("lock").get(uri.path()).cloned();
    let (status, extra, body) =
        scripted.unwrap_or_else(|| (200, vec![], default_answer(uri.path()).to_string()));
    let mut response = (StatusCode::from_u16(status).expect("status"), body).into_response();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().expect("header"));
    for (name, value) in extra {
        response
            .headers_mut()
            .insert(name, value.parse().expect("header"));
    }
    response
}

fn default_answer(path: &str) -> Value {
    match path {
        "/api/chat.postMessage" => {
            json!({"ok": true, "channel": "C0APPROVE", "ts": "1700000000.000100"})
        }
        "/api/conversations.open" => json!({"ok": true, "channel": {"id": "D0ALICE"}}),
        "/api/views.open" => json!({"ok": true, "view": {"id": "V0FORM"}}),
        "/api/auth.test" => json!({"ok": true, "team_id": "T0EXAMPLE", "user_id": "U0PIMBOT"}),
        "/api/users.info" => json!({"ok": true, "user": member("U0ALICE", "alice@example.com")}),
        "/api/users.lookupByEmail" => {
            json!({"ok": true, "user": member("U0BOB", "bob@example.com")})
        }
        _ => json!({"ok": true}),
    }
}

/// A live member of the bot's workspace with a confirmed address, as Slack describes one.
pub(super) fn member(id: &str, email: &str) -> Value {
    json!({
        "id": id, "team_id": "T0EXAMPLE", "deleted": false, "is_email_confirmed": true,
        "profile": {"email": email}
    })
}

pub(super) async fn start(audit_channel: Option<&str>) -> (SlackClient, Arc<Fake>, String) {
    let fake = Arc::new(Fake::default());
    let app = Router::new().fallback(record).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let settings = SlackSettings {
        signing_secrets: vec![Secret::new("sign")],
        bot_token: Secret::new("xoxb-test-token"),
        api_url: format!("{base}/api"),
        audit_channel: audit_channel.map(Into::into),
        allowed_teams: None,
        timeout: Duration::from_secs(5),
    };
    let client = SlackClient::new(Arc::new(settings)).expect("client");
    (client, fake, base)
}
