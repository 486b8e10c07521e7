//! `TestApp`: the real pimbot on 127.0.0.1:0 against the PIM emulator and a fake Slack, with a
//! fresh database (SQLite file, or a new PostgreSQL database when `DATABASE_URL` is set).

use std::time::Duration;

use hmac::{KeyInit, Mac};
use pimbot::emulator::{Emulator, Tenant};
use serde_json::{Value, json};

use crate::fake_slack::FakeSlack;

mod clock;
mod database;
mod modal;
mod outside;
mod upstreams;

pub(crate) use database::{fresh_database, queue_raw_job, run_sql, tamper_with_audit_event};
pub(crate) use modal::text_input;
pub(crate) use upstreams::Upstreams;

pub(crate) const TENANT_ID: &str = "8a3e5c1f-2b4d-4e6f-9a1b-3c5d7e9f1a2b";
pub(crate) const SIGNING_SECRET: &str = "test-signing-secret";
pub(crate) const TEAM_CHANNEL: &str = "CTEAMFOO";
pub(crate) const AUDIT_CHANNEL: &str = "CAUDIT";

/// Slack users of the demo tenant: (Slack id, e-mail).
pub(crate) const SLACK_USERS: &[(&str, &str)] = &[
    ("UALICE", "alice@contoso.example"),
    ("UBOB", "bob@contoso.example"),
    ("UCAROL", "carol@contoso.example"),
    ("UDAVE", "dave@contoso.example"),
    ("UERIN", "erin@contoso.example"),
    ("UFRANK", "frank@contoso.example"),
];

/// Limits no test reaches by accident (production allows 20 commands a minute, 5 requests an hour).
pub(crate) const GENEROUS_LIMITS: &str =
    "[limits]\ncommands_per_minute = 100000\nrequests_per_hour = 100000\n";

pub(crate) struct TestApp {
    pub(crate) base_url: String,
    pub(crate) slack: FakeSlack,
    pub(crate) emulator: Emulator,
    /// The emulator's base URL, which is also pimbot's `azure.authority_host`.
    pub(crate) emulator_url: String,
    pub(crate) database_url: String,
    pub(crate) store: std::sync::Arc<dyn pimbot::service::ports::Store>,
    /// The Teams signing-key cache's clock, to age the keys.
    pub(crate) key_clock: pimbot::teams::KeyClock,
    /// pimbot's own clock ([`TestApp::advance_clock`]).
    clock: std::sync::Arc<clock::TestClock>,
    http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub(crate) async fn start() -> Self {
        Self::start_with(Tenant::demo(), "").await
    }

    /// Starts with a custom tenant and extra TOML appended to the test configuration.
    pub(crate) async fn start_with(tenant: Tenant, extra_toml: &str) -> Self {
        Self::start_with_azure(tenant, "", extra_toml).await
    }

    /// As [`start_with`](Self::start_with), with `azure_toml` added to the `[azure]` section.
    pub(crate) async fn start_with_azure(
        tenant: Tenant,
        azure_toml: &str,
        extra_toml: &str,
    ) -> Self {
        Self::serve(Upstreams::start(tenant, azure_toml, extra_toml).await).await
    }

    /// As [`start_with`](Self::start_with), against a fake Slack the test prepared (its
    /// workspace, its members) before pimbot starts.
    pub(crate) async fn start_with_slack(
        tenant: Tenant,
        extra_toml: &str,
        slack: FakeSlack,
    ) -> Self {
        Self::serve(Upstreams::start_with_slack(tenant, "", extra_toml, slack).await).await
    }

    /// As [`start_with`](Self::start_with), with the worker's settings changed by `tune` after
    /// the harness's own (fast polling and backoff), for tests about the worker's pace.
    pub(crate) async fn start_tuned(
        tenant: Tenant,
        extra_toml: &str,
        tune: impl FnOnce(&mut pimbot::worker::WorkerSettings),
    ) -> Self {
        Self::serve_tuned(Upstreams::start(tenant, "", extra_toml).await, tune).await
    }

    /// Builds pimbot on `upstreams` and serves it on a free port.
    async fn serve(upstreams: Upstreams) -> Self {
        Self::serve_tuned(upstreams, |_| {}).await
    }

    async fn serve_tuned(
        upstreams: Upstreams,
        tune: impl FnOnce(&mut pimbot::worker::WorkerSettings),
    ) -> Self {
        let Upstreams {
            emulator,
            emulator_url,
            slack,
            dir,
            database_url,
            config,
        } = upstreams;
        let clock = std::sync::Arc::new(clock::TestClock::default());
        let mut app = pimbot::app::build_with_clock(&config, clock.clone())
            .await
            .expect("app builds");
        app.worker.poll_interval = Duration::from_millis(50);
        app.worker.base_backoff = Duration::from_millis(50);
        app.worker.sweep_interval = Duration::from_millis(200);
        tune(&mut app.worker);
        let store = app.store.clone();
        let key_clock = app.teams_key_clock.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(pimbot::app::serve(app, listener, async move {
            let _ = stopped.await;
        }));
        TestApp {
            base_url,
            slack,
            emulator,
            emulator_url,
            database_url,
            store,
            key_clock,
            clock,
            http: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        }
    }

    /// Stops the server and waits for it to drain.
    pub(crate) async fn stop(mut self) {
        self.shut_down().await;
    }

    /// [`stop`](Self::stop), keeping the database (and the fakes) to look at afterwards.
    pub(crate) async fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }

    /// POSTs a body signed as Slack signs it, `age_secs` in the past.
    pub(crate) async fn post_signed(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        age_secs: i64,
    ) -> reqwest::Response {
        post_signed_to(
            &self.http,
            &self.base_url,
            path,
            content_type,
            body,
            age_secs,
        )
        .await
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .expect("request reaches pimbot")
    }

    /// `/pim <text>` typed by `user` in the team channel; returns the HTTP answer.
    pub(crate) async fn slash(&self, user: &str, text: &str) -> (u16, Value) {
        let body = slash_body(
            user,
            text,
            &self.slack.response_url(&format!("{user}-{}", fastrand())),
        );
        let response = self
            .post_signed(
                "/slack/commands",
                "application/x-www-form-urlencoded",
                body,
                0,
            )
            .await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A click on a button of the approval message.
    pub(crate) async fn click(&self, user: &str, action_id: &str, request: &str) -> u16 {
        let response_url = self
            .slack
            .response_url(&format!("click-{user}-{}", fastrand()));
        let body = click_body(user, action_id, request, &response_url);
        self.post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            body,
            0,
        )
        .await
        .status()
        .as_u16()
    }

    /// The ephemeral answers sent to `response_url`s whose id starts with `prefix`.
    pub(crate) fn responses(&self, prefix: &str) -> Vec<Value> {
        self.slack
            .calls_to("response_url")
            .into_iter()
            .map(|c| c.body)
            .filter(|b| {
                b["response_url_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with(prefix))
            })
            .collect()
    }

    /// Waits for a `response_url` answer to `prefix` containing `needle`.
    pub(crate) async fn wait_for_response(&self, prefix: &str, needle: &str) -> Value {
        let calls = self
            .slack
            .wait_for(
                &format!("a reply to {prefix} containing `{needle}`"),
                |calls| calls.iter().any(|c| is_response_with(c, prefix, needle)),
            )
            .await;
        calls
            .into_iter()
            .find(|c| is_response_with(c, prefix, needle))
            .map(|c| c.body)
            .unwrap_or_default()
    }
}

fn is_response_with(call: &crate::fake_slack::Call, prefix: &str, needle: &str) -> bool {
    call.method == "response_url"
        && call.body["response_url_id"]
            .as_str()
            .is_some_and(|id| id.starts_with(prefix))
        && call.body.to_string().contains(needle)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// POSTs `body` to `base_url` + `path`, signed as Slack signs it, `age_secs` in the past.
pub(crate) async fn post_signed_to(
    http: &reqwest::Client,
    base_url: &str,
    path: &str,
    content_type: &str,
    body: String,
    age_secs: i64,
) -> reqwest::Response {
    let ts = chrono::Utc::now().timestamp() - age_secs;
    http.post(format!("{base_url}{path}"))
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", ts.to_string())
        .header(
            "x-slack-signature",
            slack_signature(SIGNING_SECRET, ts, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .expect("request reaches pimbot")
}

/// The form body Slack sends when `user` clicks `action_id` on the approval message of `request`.
pub(crate) fn click_body(user: &str, action_id: &str, request: &str, response_url: &str) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": { "id": user, "username": user.to_lowercase(), "team_id": "T1" },
        "api_app_id": "A1",
        "team": { "id": "T1", "domain": "contoso" },
        "channel": { "id": TEAM_CHANNEL, "name": "team-foo" },
        "container": { "type": "message", "message_ts": "1700000000.000000", "channel_id": TEAM_CHANNEL, "is_ephemeral": false },
        "message": { "ts": "1700000000.000000", "text": "approval" },
        "trigger_id": format!("trigger-{}", fastrand()),
        "response_url": response_url,
        "actions": [{ "action_id": action_id, "block_id": "decision", "type": "button", "value": request, "action_ts": "1700000001.000000" }]
    });
    serde_urlencoded::to_string([("payload", payload.to_string())]).expect("encode")
}

pub(crate) fn slash_body(user: &str, text: &str, response_url: &str) -> String {
    serde_urlencoded::to_string([
        ("token", "legacy-verification-token"),
        ("team_id", "T1"),
        ("team_domain", "contoso"),
        ("channel_id", TEAM_CHANNEL),
        ("channel_name", "team-foo"),
        ("user_id", user),
        ("user_name", &user.to_lowercase()),
        ("command", "/pim"),
        ("text", text),
        ("api_app_id", "A1"),
        ("response_url", response_url),
        ("trigger_id", &format!("trigger-{}", fastrand())),
    ])
    .expect("encode")
}

/// `v0=` + hex HMAC-SHA256 of `v0:{ts}:{body}`, exactly as Slack computes it.
pub(crate) fn slack_signature(secret: &str, ts: i64, body: &[u8]) -> String {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// A unique-enough suffix for ids in one test run.
pub(crate) fn fastrand() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn init_test_logging() {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("pimbot=debug,info")
            .with_test_writer()
            .try_init();
    }
}

impl TestApp {
    /// Waits for a direct message to `user` containing `needle`; returns the DM's body.
    pub(crate) async fn wait_for_dm(&self, user: &str, needle: &str) -> Value {
        let channel = format!("D{user}");
        let is_it = |c: &crate::fake_slack::Call| {
            c.method == "chat.postMessage"
                && c.body["channel"] == channel.as_str()
                && c.body.to_string().contains(needle)
        };
        let calls = self
            .slack
            .wait_for(&format!("a DM to {user} containing `{needle}`"), |calls| {
                calls.iter().any(is_it)
            })
            .await;
        calls
            .into_iter()
            .find(|c| is_it(c))
            .map(|c| c.body)
            .unwrap_or_default()
    }
}
