//! `pimbot demo`: the real service (same router, worker and store) on a laptop with nothing to
//! configure. Only its upstreams are replaced: the PIM emulator for Entra and Graph, and an
//! in-process fake Slack Web API and fake Bot Framework that record what the bot sends. The
//! sandbox page (`/sandbox`, demo only) drives the real inbound endpoints with signed requests.
//!
//! Like [`crate::app`], this is a composition root: it may use every module. Nothing but `main`
//! and the tests may use it.

mod fake_slack;
mod fake_teams;
mod sandbox;
mod seed;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::emulator::{Emulator, Tenant};

pub use seed::{Persona, personas};

/// The default listener: loopback only, because the sandbox signs whatever it is asked to.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DB: &str = "pimbot-demo.db";

/// The Slack signing secret of the demo workspace; the sandbox signs with it.
/// Public so the benchmark can sign requests itself; only the demo's own configuration trusts it.
pub const SIGNING_SECRET: &str = "demo-signing-secret";
/// `auth.token_keys` of the demo. DEMO ONLY: public, so it seals nothing worth keeping.
const DEMO_TOKEN_KEY: &str = "demo:ZGVtby1vbmx5LXB1YmxpYy1rZXktbm90LXNlY3JldCE=";
/// The bot token the fake Slack expects.
const BOT_TOKEN: &str = "xoxb-demo-bot-token";

/// How `pimbot demo` runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where the service (and the sandbox) listens.
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Serve the sandbox on a non-loopback address anyway (`--allow-remote`).
    pub allow_remote: bool,
    /// Lift the per-user command limits (the benchmark sends thousands of commands as one
    /// person); the demo otherwise keeps production's.
    pub lift_limits: bool,
}

impl DemoOptions {
    /// `db` is a SQLite file path or a database URL.
    pub fn new(listen: SocketAddr, db: &str) -> Self {
        let database_url = if db.contains("://") {
            db.to_owned()
        } else {
            format!("sqlite://{db}")
        };
        Self {
            listen,
            database_url,
            allow_remote: false,
            lift_limits: false,
        }
    }
}

/// A running demo: the service, the emulator and the fakes.
pub struct DemoHandle {
    /// The service's address (the sandbox is at `/sandbox`).
    pub addr: SocketAddr,
    /// The emulated tenant, for tests that check PIM's side.
    pub emulator: Emulator,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<anyhow::Result<()>>,
    upstreams: Vec<JoinHandle<std::io::Result<()>>>,
}

impl DemoHandle {
    /// `http://127.0.0.1:3000`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, drains the service and its worker, then stops the upstreams
    /// (after the worker, whose last jobs may still call them).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = (&mut self.server).await;
        for upstream in &self.upstreams {
            upstream.abort();
        }
        served.context("the demo service task panicked")?
    }

    /// Runs until `signal` resolves (Ctrl-C for the CLI), then stops cleanly.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        self.stop().await
    }
}

/// Starts the emulator, the fakes and the real service wired to them.
pub async fn start(options: DemoOptions) -> anyhow::Result<DemoHandle> {
    if !options.listen.ip().is_loopback() && !options.allow_remote {
        anyhow::bail!(
            "refusing to serve the demo sandbox on {}: it signs any request it is asked to, so \
             anyone who can reach it can act as any demo user; use a loopback address, or pass \
             --allow-remote if you really mean it",
            options.listen
        );
    }
    // Bound first: a busy port fails before anything else is started.
    let listener = TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("listening on {}", options.listen))?;
    let addr = listener.local_addr()?;
    let tenant = Tenant::demo();
    let people = personas(&tenant);
    let tenant_id = tenant.tenant_id.clone();
    let emulator = Emulator::new(tenant.clone());
    let emulator_listener = loopback().await?;
    let emulator_url = format!("http://{}", emulator_listener.local_addr()?);
    let mut upstreams = vec![emulator.spawn(emulator_listener)];

    let upstream_listener = loopback().await?;
    let upstream_url = format!("http://{}", upstream_listener.local_addr()?);
    let slack = fake_slack::workspace(&upstream_url, BOT_TOKEN, &people);
    let teams = fake_teams::bot_framework(&upstream_url, &people)?;
    let upstream = fake_slack::router(&slack).merge(fake_teams::router(&teams));
    upstreams.push(tokio::spawn(async move {
        axum::serve(upstream_listener, upstream).await
    }));

    let mut toml = config_toml(
        (&options.database_url, &public_url(addr)),
        &tenant_id,
        &emulator_url,
        &slack,
        &teams,
    );
    if options.lift_limits {
        toml.push_str("\n[limits]\ncommands_per_minute = 1000000\nrequests_per_hour = 1000000\n");
    }
    let config = crate::config::Config::parse(&toml, &[]).context("the demo configuration")?;
    let mut app = crate::app::build(&config).await?;
    // A demo is watched by a person: jobs run within a fraction of a second.
    app.worker.poll_interval = Duration::from_millis(200);
    app.worker.base_backoff = Duration::from_millis(500);
    app.router = app.router.merge(sandbox::router(sandbox::Sandbox::new(
        format!("http://{addr}"),
        SIGNING_SECRET,
        tenant,
        (people, seed::target_summaries(&config)),
        (slack, teams, emulator.clone()),
        app.store.clone(),
    )));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(crate::app::serve(app, listener, async move {
        let _ = stopped.await;
    }));
    Ok(DemoHandle {
        addr,
        emulator,
        stop: Some(stop),
        server,
        upstreams,
    })
}

/// `pimbot demo`: starts, tells `announce` where to go, runs until Ctrl-C or SIGTERM.
pub async fn run_command(options: DemoOptions, announce: impl FnOnce(&str)) -> anyhow::Result<()> {
    let handle = start(options.clone()).await?;
    announce(&banner(&handle.url(), &options.database_url));
    handle.run_until(crate::app::shutdown_signal()).await?;
    tracing::info!("the demo stopped cleanly");
    Ok(())
}

fn banner(url: &str, database_url: &str) -> String {
    format!(
        "pimbot demo is running: the real service, with a built-in PIM emulator tenant\n\
         \n  open  {url}/sandbox\n\
         \n  Be Alice (engineer) and type `/pim request app1-secrets for 2h ticket INC-1234 rotating the cert`,\
         \n  then be Bob (owner) and click Approve; Dave (outsider) cannot.\
         \n  Activate mode: be Alice, type `/pim login` and follow the link (sign in as Alice, tick\
         \n  \"completed MFA\"), then `/pim request groups-admin for 1h ticket INC-7 cleaning up groups`:\
         \n  PIM activates it as Alice once Carol approves (she signs in from her card too).\
         \n  database: {database_url} (kept between runs: delete it to start the story over)\
         \n  Ctrl-C stops it.\n"
    )
}

/// The demo's `server.public_url`, where the sign-in links lead and Entra (the emulator) sends
/// the browser back: its own address, or loopback when it listens on every address (`--allow-
/// remote`; http is only accepted for loopback, so sign-ins then work from this machine only).
fn public_url(addr: SocketAddr) -> String {
    if addr.ip().is_loopback() {
        format!("http://{addr}")
    } else {
        format!("http://127.0.0.1:{}", addr.port())
    }
}

async fn loopback() -> anyhow::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding a loopback port for the demo's upstreams")
}

/// The demo's configuration: ordinary keys, every upstream pointing at an in-process stand-in.
fn config_toml(
    (database_url, public_url): (&str, &str),
    tenant_id: &str,
    emulator_url: &str,
    slack: &fake_slack::FakeSlack,
    teams: &fake_teams::FakeTeams,
) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "{public_url}"

[database]
url = "{database_url}"

[azure]
tenant_id = "{tenant_id}"
client_id = "5d1e7a52-0c3b-4f1e-9d2a-00000000de30"
client_secret = "demo-emulator-secret"
authority_host = "{emulator_url}"
graph_url = "{emulator_url}"
# Nothing of the demo may reach the real Azure Resource Manager.
arm_url = "{emulator_url}"
arm_scopes = ["/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57"]

[slack]
signing_secrets = ["{SIGNING_SECRET}"]
bot_token = "{BOT_TOKEN}"
api_url = "{slack_api}"
audit_channel = "{slack_audit}"

[teams]
app_id = "{teams_app}"
app_secret = "demo-bot-secret"
app_tenant_id = "{tenant_id}"
openid_metadata_url = "{teams_metadata}"
service_url = "{teams_service}"
audit_conversation = "{teams_audit}"

[defaults]
duration = "1h"
approval_timeout = "15m"

# Activate mode's sign-ins (the `groups-admin` target). DEMO ONLY: this key is public, in
# pimbot's source; a real deployment generates its own (`openssl rand -base64 32`) and keeps it
# in a secret.
[auth]
token_keys = ["{DEMO_TOKEN_KEY}"]

{targets}
"#,
        slack_api = slack.api_url(),
        slack_audit = fake_slack::AUDIT_CHANNEL,
        teams_app = fake_teams::APP_ID,
        teams_metadata = teams.metadata_url(),
        teams_service = teams.service_url(),
        teams_audit = fake_teams::AUDIT_CONVERSATION,
        targets = seed::TARGETS,
    )
}
