//! A fake Slack Web API that records every call and answers like Slack, plus a `response_url` sink.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::watch;

/// The workspace the bot token belongs to (`auth.test`), and of every user unless edited; the
/// signed test payloads come from it too.
pub(crate) const TEAM_ID: &str = "T1";

/// A member as `users.info` and `users.lookupByEmail` describe them.
#[derive(Debug, Clone)]
pub(crate) struct FakeUser {
    pub(crate) email: String,
    pub(crate) email_confirmed: bool,
    pub(crate) deleted: bool,
    pub(crate) team_id: String,
    /// Enterprise Grid: the workspaces of the organisation the member belongs to.
    pub(crate) enterprise_teams: Option<Vec<String>>,
}

impl FakeUser {
    fn new(email: &str) -> Self {
        Self {
            email: email.to_owned(),
            email_confirmed: true,
            deleted: false,
            team_id: TEAM_ID.to_owned(),
            enterprise_teams: None,
        }
    }

    fn json(&self, id: &str) -> Value {
        let mut user = json!({
            "id": id,
            "team_id": self.team_id,
            "deleted": self.deleted,
            "is_email_confirmed": self.email_confirmed,
            "profile": { "email": self.email },
        });
        if let Some(teams) = &self.enterprise_teams {
            user["enterprise_user"] = json!({ "enterprise_id": "E1", "teams": teams });
        }
        user
    }
}

/// One recorded call: the Web API method (or `response_url`) and its parameters as JSON.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) method: String,
    pub(crate) body: Value,
}

#[derive(Clone)]
pub(crate) struct FakeSlack {
    calls: Arc<Mutex<Vec<Call>>>,
    /// Bumped on every recorded call, so waiters wake on news instead of polling.
    recorded: Arc<watch::Sender<usize>>,
    /// Source of unique message timestamps and view ids, safe under concurrent calls.
    next_id: Arc<AtomicU64>,
    /// Slack user id → member.
    users: Arc<Mutex<HashMap<String, FakeUser>>>,
    /// What `auth.test` says the bot token's workspace is.
    team_id: Arc<Mutex<String>>,
    pub(crate) base_url: String,
}

impl FakeSlack {
    pub(crate) async fn start(users: &[(&str, &str)]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let fake = FakeSlack {
            calls: Arc::default(),
            recorded: Arc::new(watch::channel(0).0),
            next_id: Arc::default(),
            users: Arc::new(Mutex::new(
                users
                    .iter()
                    .map(|(id, mail)| (id.to_string(), FakeUser::new(mail)))
                    .collect(),
            )),
            team_id: Arc::new(Mutex::new(TEAM_ID.to_owned())),
            base_url,
        };
        let app = Router::new()
            .route("/api/{method}", post(handle_api).get(handle_api))
            .route("/response/{id}", post(handle_response))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// Changes a member (as a Slack admin may), or adds one with `edit` applied to an ordinary
    /// member of the bot's workspace.
    pub(crate) fn edit_user(&self, id: &str, edit: impl FnOnce(&mut FakeUser)) {
        let mut users = self.users.lock().expect("lock");
        edit(
            users
                .entry(id.to_owned())
                .or_insert_with(|| FakeUser::new("")),
        );
    }

    /// Makes `auth.test` name another workspace as the bot token's.
    pub(crate) fn set_team(&self, team_id: &str) {
        *self.team_id.lock().expect("lock") = team_id.to_owned();
    }

    pub(crate) fn api_url(&self) -> String {
        format!("{}/api", self.base_url)
    }

    pub(crate) fn response_url(&self, id: &str) -> String {
        format!("{}/response/{id}", self.base_url)
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("lock").clone()
    }

    pub(crate) fn calls_to(&self, method: &str) -> Vec<Call> {
        let calls = self.calls.lock().expect("lock");
        calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// Waits until `predicate` holds for the recorded calls (or panics after 10 s).
    pub(crate) async fn wait_for(
        &self,
        what: &str,
        predicate: impl Fn(&[Call]) -> bool,
    ) -> Vec<Call> {
        self.wait_for_within(Duration::from_secs(10), what, predicate)
            .await
    }

    /// Waits until `predicate` holds for the recorded calls (or panics after `limit`).
    pub(crate) async fn wait_for_within(
        &self,
        limit: Duration,
        what: &str,
        predicate: impl Fn(&[Call]) -> bool,
    ) -> Vec<Call> {
        if !self.wait_until(limit, &predicate).await {
            panic!("timed out waiting for {what}; {}", self.last_calls());
        }
        self.calls()
    }

    /// Folds every call into `state` exactly once, in order, until `done(&state)`; returns the
    /// state (or panics after `limit`). Cheap for long runs: no call is looked at twice.
    pub(crate) async fn fold_until<S>(
        &self,
        limit: Duration,
        what: &str,
        state: S,
        step: impl FnMut(&mut S, &Call),
        done: impl Fn(&S) -> bool,
    ) -> S {
        match self.try_fold_until(limit, state, step, done).await {
            Ok(state) => state,
            Err(_) => panic!("timed out waiting for {what}; {}", self.last_calls()),
        }
    }

    /// [`FakeSlack::fold_until`] that hands back the state it reached when time runs out.
    pub(crate) async fn try_fold_until<S>(
        &self,
        limit: Duration,
        mut state: S,
        mut step: impl FnMut(&mut S, &Call),
        done: impl Fn(&S) -> bool,
    ) -> Result<S, S> {
        let mut folded = 0;
        let reached = self
            .wait_until(limit, |calls| {
                for call in &calls[folded..] {
                    step(&mut state, call);
                }
                folded = calls.len();
                done(&state)
            })
            .await;
        if reached { Ok(state) } else { Err(state) }
    }

    /// Checks `ready` on the calls under the lock, again after each new call, until it holds
    /// (`true`) or `limit` passes (`false`).
    async fn wait_until(&self, limit: Duration, mut ready: impl FnMut(&[Call]) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        let mut news = self.recorded.subscribe();
        loop {
            news.borrow_and_update();
            if ready(&self.calls.lock().expect("lock")) {
                return true;
            }
            if tokio::time::timeout_at(deadline, news.changed())
                .await
                .is_err()
            {
                return false;
            }
        }
    }

    /// The last calls, newest first, for a failure message.
    fn last_calls(&self) -> String {
        let seen: Vec<String> = self
            .calls()
            .iter()
            .rev()
            .take(50)
            .map(|c| format!("{} {}", c.method, c.body))
            .collect();
        format!("Slack's last calls (newest first):\n{}", seen.join("\n"))
    }

    fn record(&self, method: &str, body: Value) {
        let count = {
            let mut calls = self.calls.lock().expect("lock");
            calls.push(Call {
                method: method.to_owned(),
                body,
            });
            calls.len()
        };
        self.recorded.send_replace(count);
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
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
    let params = parameters(&headers, query, &body);
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "Bearer xoxb-test-token");
    fake.record(&method, params.clone());
    if !authorized {
        return Json(json!({ "ok": false, "error": "not_authed" }));
    }
    let text = |key: &str| params[key].as_str().unwrap_or_default().to_owned();
    let answer = match method.as_str() {
        "auth.test" => {
            let team_id = fake.team_id.lock().expect("lock").clone();
            json!({ "ok": true, "team": "Contoso", "team_id": team_id, "user_id": "UPIMBOT", "bot_id": "BPIMBOT" })
        }
        "users.info" => match fake.users.lock().expect("lock").get(&text("user")) {
            Some(user) => json!({ "ok": true, "user": user.json(&text("user")) }),
            None => json!({ "ok": false, "error": "user_not_found" }),
        },
        "users.lookupByEmail" => {
            let wanted = text("email").to_lowercase();
            let users = fake.users.lock().expect("lock");
            let mut matches: Vec<_> = users
                .iter()
                .filter(|(_, user)| user.email.to_lowercase() == wanted)
                .collect();
            // Slack keeps e-mail addresses unique in a workspace; stay deterministic regardless.
            matches.sort_by(|a, b| a.0.cmp(b.0));
            match matches.first() {
                Some((id, user)) => json!({ "ok": true, "user": user.json(id) }),
                None => json!({ "ok": false, "error": "users_not_found" }),
            }
        }
        "conversations.open" => {
            json!({ "ok": true, "channel": { "id": format!("D{}", text("users")) } })
        }
        "chat.postMessage" => {
            let n = fake.next_id();
            json!({ "ok": true, "channel": text("channel"), "ts": format!("1700000000.{n:06}") })
        }
        "views.open" => {
            let n = fake.next_id();
            json!({ "ok": true, "view": { "id": format!("V{n:04}") } })
        }
        _ => json!({ "ok": true }),
    };
    Json(answer)
}

async fn handle_response(
    State(fake): State<FakeSlack>,
    Path(id): Path<String>,
    body: Bytes,
) -> Json<Value> {
    let mut parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    parsed["response_url_id"] = Value::String(id);
    fake.record("response_url", parsed);
    Json(json!({ "ok": true }))
}
