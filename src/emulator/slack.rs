//! A fake Slack: the Web API methods pimbot calls (`/api/{method}`) and the `response_url` sink
//! (`/response/{id}`), answering as Slack does. It records every call (for the tests' assertions)
//! and keeps what the bot posted as a workspace (channels, DMs, ephemeral answers, modals), for the
//! demo's sandbox page. The one fake Slack of the project: the demo and the tests both use it.

mod api;
mod workspace;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::watch;

pub use workspace::{Message, View};
use workspace::{Origin, Workspace};

use super::Fault;

/// The author of everything the bot posts.
const BOT: &str = "pimbot";

/// A member as `users.info` and `users.lookupByEmail` describe them.
#[derive(Debug, Clone)]
pub struct Member {
    pub email: String,
    pub email_confirmed: bool,
    pub deleted: bool,
    pub team_id: String,
    /// Enterprise Grid: the workspaces of the organisation the member belongs to.
    pub enterprise_teams: Option<Vec<String>>,
}

impl Member {
    /// A live member of `team_id` whose address Slack has confirmed.
    pub fn new(email: &str, team_id: &str) -> Self {
        Self {
            email: email.to_owned(),
            email_confirmed: true,
            deleted: false,
            team_id: team_id.to_owned(),
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
pub struct Call {
    pub method: String,
    pub body: Value,
    /// When the call arrived (before any fault or stall delayed its answer).
    pub at: Instant,
}

/// The fake Slack; clones share everything.
#[derive(Clone)]
pub struct FakeSlack {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    /// `Authorization` the Web API accepts.
    bot_token: String,
    calls: Mutex<Vec<Call>>,
    /// The number of calls, bumped on each, so waiters wake on news instead of polling.
    recorded: watch::Sender<usize>,
    workspace: Mutex<Workspace>,
    /// Slack user id → member.
    members: Mutex<HashMap<String, Member>>,
    /// What `auth.test` says the bot token's workspace is.
    team_id: Mutex<String>,
    /// Scripted answers for the next calls of a method ([`FakeSlack::inject_faults`]).
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    /// Every call is held this long before it is answered ([`FakeSlack::stall`]).
    stall: Mutex<Option<Duration>>,
}

impl FakeSlack {
    /// A workspace `team_id` whose bot token is `bot_token`, served under `base_url` (where
    /// [`FakeSlack::router`] is mounted), with `members` (Slack user id, e-mail).
    pub fn new(
        base_url: &str,
        bot_token: &str,
        team_id: &str,
        members: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let members = members
            .into_iter()
            .map(|(id, email)| (id, Member::new(&email, team_id)))
            .collect();
        Self {
            inner: Arc::new(Inner {
                base_url: base_url.trim_end_matches('/').to_owned(),
                bot_token: format!("Bearer {bot_token}"),
                calls: Mutex::default(),
                recorded: watch::channel(0).0,
                workspace: Mutex::default(),
                members: Mutex::new(members),
                team_id: Mutex::new(team_id.to_owned()),
                faults: Mutex::default(),
                stall: Mutex::default(),
            }),
        }
    }

    /// `/api/{method}` and `/response/{id}`, to mount at the base URL.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/{method}", post(api::handle_api).get(api::handle_api))
            .route("/response/{id}", post(api::handle_response))
            .with_state(self.clone())
    }

    /// `[slack] api_url`.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.inner.base_url)
    }

    /// Changes a member (as a Slack admin may), or adds one with `edit` applied to an ordinary
    /// member of the bot's workspace.
    pub fn edit_member(&self, id: &str, edit: impl FnOnce(&mut Member)) {
        let team_id = self.team_id();
        let mut members = lock(&self.inner.members);
        edit(
            members
                .entry(id.to_owned())
                .or_insert_with(|| Member::new("", &team_id)),
        );
    }

    /// Makes `auth.test` name another workspace as the bot token's.
    pub fn set_team(&self, team_id: &str) {
        *lock(&self.inner.team_id) = team_id.to_owned();
    }

    /// The next calls of `method` (a Web API method, or `response_url`) meet `faults`, one
    /// each, in order: [`Fault::Throttle`] is Slack's HTTP 429 with `Retry-After` and
    /// `{"ok": false, "error": "ratelimited"}`. Each call is recorded all the same.
    pub fn inject_faults(&self, method: &str, faults: Vec<Fault>) {
        lock(&self.inner.faults)
            .entry(method.to_owned())
            .or_default()
            .extend(faults);
    }

    /// Holds every call (Web API and `response_url`) this long before answering it, as a
    /// stalled Slack would (`None`: answer at once again). Calls are recorded on arrival.
    pub fn stall(&self, hold: Option<Duration>) {
        *lock(&self.inner.stall) = hold;
    }

    /// The fault the next call of `method` meets, and how long every call is held.
    fn take_fault(&self, method: &str) -> (Option<Fault>, Option<Duration>) {
        let fault = lock(&self.inner.faults)
            .get_mut(method)
            .and_then(VecDeque::pop_front);
        (fault, *lock(&self.inner.stall))
    }

    fn team_id(&self) -> String {
        lock(&self.inner.team_id).clone()
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.inner.calls).clone()
    }

    /// Looks at the calls under the lock (cheap for long runs).
    pub fn with_calls<R>(&self, look: impl FnOnce(&[Call]) -> R) -> R {
        look(&lock(&self.inner.calls))
    }

    /// Changes each time a call is recorded.
    pub fn news(&self) -> watch::Receiver<usize> {
        self.inner.recorded.subscribe()
    }

    fn record(&self, method: &str, body: Value) {
        let count = {
            let mut calls = lock(&self.inner.calls);
            calls.push(Call {
                method: method.to_owned(),
                body,
                at: Instant::now(),
            });
            calls.len()
        };
        self.inner.recorded.send_replace(count);
    }

    fn workspace(&self) -> MutexGuard<'_, Workspace> {
        lock(&self.inner.workspace)
    }

    /// A `response_url` with a caller-chosen id; what is posted to it is recorded (as method
    /// `response_url`, with `response_url_id`) but lands nowhere in the workspace.
    pub fn response_url(&self, id: &str) -> String {
        format!("{}/response/{id}", self.inner.base_url)
    }

    /// A fresh `response_url` for something `user` did in `channel` (on `message_ts`, if a
    /// click): its answers appear in the workspace where Slack would show them.
    pub fn response_url_from(&self, user: &str, channel: &str, message_ts: Option<&str>) -> String {
        let mut workspace = self.workspace();
        let id = format!("r{}", workspace.next());
        workspace.response_urls.insert(
            id.clone(),
            Origin {
                user: user.to_owned(),
                channel: channel.to_owned(),
                message_ts: message_ts.map(str::to_owned),
            },
        );
        self.response_url(&id)
    }

    /// A fresh `trigger_id` for `user` (modals opened with it are theirs).
    pub fn trigger(&self, user: &str) -> String {
        let mut workspace = self.workspace();
        let id = format!("trigger-{}", workspace.next());
        workspace.triggers.insert(id.clone(), user.to_owned());
        id
    }

    /// What `user` typed, shown only to them (Slack does not echo slash commands to a channel).
    pub fn typed(&self, user: &str, channel: &str, text: &str) {
        self.workspace()
            .post(channel, user, &json!({ "text": text }), Some(user));
    }

    /// pimbot's HTTP answer to `user` (an ephemeral message), when it has any content.
    pub fn answered(&self, user: &str, channel: &str, answer: &Value) {
        let has_text = answer["text"].as_str().is_some_and(|t| !t.is_empty());
        if has_text || answer["blocks"].is_array() {
            self.workspace().post(channel, BOT, answer, Some(user));
        }
    }

    /// A message as posted or last updated.
    pub fn message(&self, channel: &str, ts: &str) -> Option<Message> {
        self.workspace().message(channel, ts).cloned()
    }

    /// The latest content of an open modal.
    pub fn view(&self, id: &str) -> Option<Value> {
        self.workspace().open_view(id).map(|v| v.view.clone())
    }

    /// Marks a modal closed (its submission was accepted, or the user cancelled).
    pub fn close_view(&self, id: &str) {
        self.workspace().close_view(id);
    }

    /// Everything in the workspace, for the sandbox page.
    pub fn snapshot(&self) -> Value {
        self.workspace().snapshot()
    }
}

/// A poisoned lock still holds consistent data here (each update is one assignment).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
