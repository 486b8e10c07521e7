//! The world of the job-engine scenarios: the real service (`pimbot::app`, its router, worker
//! and SQLite store) against the PIM emulator with `engineers` extra people eligible for
//! `app1-secrets` (through the team group, as Alice is), and the tests' fake Slack. Everything
//! answers at once unless a scenario injects a fault.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use pimbot::emulator::{Emulator, Tenant};
use serde_json::json;

#[path = "../app/fake_slack.rs"]
#[allow(dead_code, reason = "the bench uses a part of the tests' fake Slack")]
mod fake_slack;

use fake_slack::FakeSlack;

pub(crate) const SIGNING_SECRET: &str = "bench-signing-secret";
const TEAM_GROUP: &str = "00c3b016-8650-4918-b328-0643b54fbd50";
const TEAM_CHANNEL: &str = "CTEAMFOO";

/// The stand-ins the service talks to: the PIM emulator and the fake Slack, each on its own port.
pub(crate) struct Upstreams {
    pub(crate) emulator: Emulator,
    pub(crate) slack: FakeSlack,
    pub(crate) tenant_id: String,
    /// The emulator's port (Entra, Graph and ARM).
    pub(crate) port: u16,
    people: Vec<(String, String)>,
}

impl Upstreams {
    pub(crate) async fn start(engineers: usize) -> anyhow::Result<Self> {
        let (tenant, people) = crowded(engineers)?;
        let tenant_id = tenant.tenant_id.clone();
        let emulator = Emulator::new(tenant);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        emulator.spawn(listener);
        let users: Vec<(&str, &str)> = people
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let slack = FakeSlack::start(&users).await;
        Ok(Self {
            emulator,
            slack,
            tenant_id,
            port,
            people,
        })
    }

    /// The service's configuration against these stand-ins.
    pub(crate) fn config(&self, database_url: &str) -> String {
        config_toml(
            database_url,
            &self.tenant_id,
            self.port,
            &self.slack.api_url(),
        )
    }
}

/// The acks world's configuration: `app1-secrets` for the team, limits lifted (the load
/// generator is one person).
pub(crate) fn config_toml(
    database_url: &str,
    tenant_id: &str,
    port: u16,
    slack_api: &str,
) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
[database]
url = "{database_url}"
[azure]
tenant_id = "{tenant_id}"
client_id = "11111111-2222-3333-4444-555555555555"
client_secret = "emulator-secret"
authority_host = "http://127.0.0.1:{port}"
graph_url = "http://127.0.0.1:{port}"
arm_url = "http://localhost:{port}"
[slack]
signing_secrets = ["{SIGNING_SECRET}"]
bot_token = "xoxb-test-token"
api_url = "{slack_api}"
audit_channel = "CAUDIT"
[limits]
commands_per_minute = 100000000
requests_per_hour = 100000000
[[targets]]
name = "app1-secrets"
kind = "role"
role = "Application Secret Manager"
scope = "App1"
"#
    )
}

/// Serves the service alone on `listen` against stand-ins running elsewhere (another process:
/// `--fakes`), on a fresh database, until interrupted: what `tests/bench/peer.sh` measures, so
/// that the process's memory and CPU are the service's own.
pub(crate) async fn serve_alone(
    listen: &str,
    tenant_id: &str,
    port: u16,
    slack_api: &str,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let database_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let toml = config_toml(&database_url, tenant_id, port, slack_api);
    // `PIMBOT_<SECTION>__<KEY>` tunes the served pimbot as it would a deployed one
    // (`PIMBOT_WORKER__CONCURRENCY=8 tests/bench/peer.sh`).
    #[expect(
        clippy::disallowed_methods,
        reason = "the benchmark's own process reads its tuning as `pimbot serve` would"
    )]
    let tuning: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| name.starts_with("PIMBOT_"))
        .collect();
    let config = pimbot::config::Config::parse(&toml, &tuning)?;
    let app = pimbot::app::build(&config).await?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("serving http://{}", listener.local_addr()?);
    pimbot::app::serve(app, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// A running world.
pub(crate) struct Fleet {
    pub(crate) base: String,
    pub(crate) emulator: Emulator,
    pub(crate) slack: FakeSlack,
    /// A read connection to the service's database.
    db: sqlx::SqlitePool,
    /// Slack ids of the engineers, `UENG0000`….
    pub(crate) engineers: Vec<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Fleet {
    pub(crate) async fn start(engineers: usize) -> anyhow::Result<Self> {
        Self::start_on("127.0.0.1:0", engineers).await
    }

    pub(crate) async fn start_on(listen: &str, engineers: usize) -> anyhow::Result<Self> {
        let upstreams = Upstreams::start(engineers).await?;
        let dir = tempfile::tempdir()?;
        let database_url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let toml = upstreams.config(&database_url);
        let Upstreams {
            emulator,
            slack,
            people,
            ..
        } = upstreams;
        let config = pimbot::config::Config::parse(&toml, &[])?;
        let app = pimbot::app::build(&config).await?;
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(pimbot::app::serve(app, listener, async move {
            let _ = stopped.await;
        }));
        let db = sqlx::SqlitePool::connect(&database_url).await?;
        Ok(Self {
            db,
            base,
            emulator,
            slack,
            engineers: people
                .iter()
                .map(|(id, _)| id.clone())
                .filter(|id| id.starts_with("UENG"))
                .collect(),
            stop: Some(stop),
            server,
            _dir: dir,
        })
    }

    /// Stops the service and waits for its running jobs.
    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.server).await?
    }

    /// One number from the database.
    pub(crate) async fn count(&self, sql: &'static str) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar(sql).fetch_one(&self.db).await?)
    }

    /// Rows of (id, state) of every request.
    pub(crate) async fn states(&self) -> anyhow::Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as("SELECT id, state FROM requests")
            .fetch_all(&self.db)
            .await?)
    }

    /// Stops without waiting for running jobs (a scenario that holds a call open).
    pub(crate) fn abandon(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The demo tenant plus `n` engineers in the team group, and everyone's Slack ids.
fn crowded(n: usize) -> anyhow::Result<(Tenant, Vec<(String, String)>)> {
    let mut tenant = Tenant::demo();
    let alice = tenant
        .users
        .iter()
        .find(|u| u.display_name == "Alice Engineer")
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the demo tenant has no Alice"))?;
    let mut slack = vec![
        ("UALICE".to_owned(), "alice@contoso.example".to_owned()),
        ("UBOB".to_owned(), "bob@contoso.example".to_owned()),
    ];
    for i in 0..n {
        let mut user = alice.clone();
        user.id = format!("00000000-0000-4000-8000-{i:012}");
        user.display_name = format!("Engineer {i}");
        user.mail = Some(format!("engineer{i}@contoso.example"));
        user.user_principal_name = format!("engineer{i}@contoso.example");
        if let Some(group) = tenant.groups.iter_mut().find(|g| g.id == TEAM_GROUP) {
            group.members.push(user.id.clone());
        }
        tenant.users.push(user);
        slack.push((
            format!("UENG{i:04}"),
            format!("engineer{i}@contoso.example"),
        ));
    }
    Ok((tenant, slack))
}

/// Signs a body as Slack does, at `ts`.
pub(crate) fn signature(ts: i64, body: &str) -> anyhow::Result<String> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SIGNING_SECRET.as_bytes())?;
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    Ok(format!("v0={}", hex::encode(mac.finalize().into_bytes())))
}

/// The form Slack posts for `/pim <text>` typed by `user`.
pub(crate) fn slash_body(user: &str, text: &str, response_url: &str) -> anyhow::Result<String> {
    Ok(serde_urlencoded::to_string([
        ("team_id", "T1"),
        ("channel_id", TEAM_CHANNEL),
        ("user_id", user),
        ("command", "/pim"),
        ("text", text),
        ("response_url", response_url),
        ("trigger_id", "bench"),
    ])?)
}

/// The form Slack posts when `user` clicks Approve on `request`'s message.
pub(crate) fn approve_body(user: &str, request: &str) -> anyhow::Result<String> {
    let payload = json!({
        "type": "block_actions",
        "user": { "id": user, "username": user.to_lowercase(), "team_id": "T1" },
        "api_app_id": "A1",
        "team": { "id": "T1", "domain": "contoso" },
        "channel": { "id": TEAM_CHANNEL, "name": "team-foo" },
        "container": { "type": "message", "message_ts": "1700000000.000000", "channel_id": TEAM_CHANNEL, "is_ephemeral": false },
        "message": { "ts": "1700000000.000000", "text": "approval" },
        "trigger_id": "bench",
        "response_url": "http://127.0.0.1:9/unused",
        "actions": [{ "action_id": "approve", "block_id": "decision", "type": "button", "value": request, "action_ts": "1700000001.000000" }]
    });
    Ok(serde_urlencoded::to_string([(
        "payload",
        payload.to_string(),
    )])?)
}

/// POSTs a signed form to `path`; the status.
pub(crate) async fn post_signed(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: String,
) -> anyhow::Result<u16> {
    let ts = chrono::Utc::now().timestamp();
    let answer = http
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", signature(ts, &body)?)
        .timeout(Duration::from_secs(30))
        .body(body)
        .send()
        .await?;
    Ok(answer.status().as_u16())
}
