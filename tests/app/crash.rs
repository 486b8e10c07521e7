//! Real processes: `pimbot serve` killed with SIGKILL at each step of the flow and started again.
//! The flow must complete with exactly one PIM assignment.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pimbot::emulator::{Emulator, Fault, Tenant};

use crate::fake_slack::FakeSlack;
use crate::harness::{
    AUDIT_CHANNEL, GENEROUS_LIMITS, SIGNING_SECRET, SLACK_USERS, TENANT_ID, click_body,
    fresh_database, post_signed_to, slash_body,
};
use crate::story::{REQUEST_TEXT, TARGETS_TOML};

/// The emulator, the fake Slack and a database, outliving the pimbot processes.
pub(crate) struct World {
    pub(crate) emulator: Emulator,
    emulator_url: String,
    pub(crate) slack: FakeSlack,
    pub(crate) database_url: String,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    /// Extra `[azure]` keys for the replicas started from now on.
    pub(crate) azure_toml: String,
    /// Extra sections (before the targets) for the replicas started from now on.
    pub(crate) extra_toml: String,
}

/// One `pimbot serve` process.
pub(crate) struct Replica {
    child: Child,
    pub(crate) base_url: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl World {
    pub(crate) async fn new() -> Self {
        Self::with(Tenant::demo(), SLACK_USERS).await
    }

    pub(crate) async fn with(tenant: Tenant, slack_users: &[(&str, &str)]) -> Self {
        let emulator = Emulator::new(tenant);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let emulator_url = format!("http://{}", listener.local_addr().expect("addr"));
        emulator.spawn(listener);
        let slack = FakeSlack::start(slack_users).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let database_url = fresh_database(dir.path()).await;
        World {
            emulator,
            emulator_url,
            slack,
            database_url,
            dir,
            http: reqwest::Client::new(),
            azure_toml: String::new(),
            extra_toml: String::new(),
        }
    }

    /// Starts a replica and waits until it is ready.
    pub(crate) async fn start(&self) -> Replica {
        self.start_on(&self.database_url).await
    }

    /// Starts a replica that reaches the database at `database_url` (a proxy, say).
    pub(crate) async fn start_on(&self, database_url: &str) -> Replica {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let config = self.dir.path().join(format!("pimbot-{port}.toml"));
        std::fs::write(
            &config,
            format!(
                r#"
[server]
listen = "127.0.0.1:{port}"
[database]
url = "{db}"
[azure]
tenant_id = "{TENANT_ID}"
client_id = "11111111-2222-3333-4444-555555555555"
client_secret = "emulator-secret"
authority_host = "{emulator}"
graph_url = "{emulator}"
{azure}
[slack]
signing_secrets = ["{SIGNING_SECRET}"]
bot_token = "xoxb-test-token"
api_url = "{api}"
audit_channel = "{AUDIT_CHANNEL}"
[worker]
lease = "2s"
poll_interval = "1s"
{GENEROUS_LIMITS}
{extra}
{TARGETS_TOML}
"#,
                db = database_url,
                azure = self.azure_toml,
                extra = self.extra_toml,
                emulator = self.emulator_url,
                api = self.slack.api_url()
            ),
        )
        .expect("write config");
        let child = Command::new(env!("CARGO_BIN_EXE_pimbot"))
            .args(["serve", "--config"])
            .arg(&config)
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            // `TEST_LOG=1` shows the replicas' logs, as it does the in-process app's.
            .stderr(if std::env::var_os("TEST_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start pimbot serve");
        let base_url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = self.http.get(format!("{base_url}/readyz")).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "pimbot serve did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Replica { child, base_url }
    }

    pub(crate) async fn slash(&self, replica: &Replica, user: &str, text: &str) -> u16 {
        self.slash_answer(replica, user, text).await.0
    }

    /// The slash command's HTTP status and the text pimbot answered with.
    pub(crate) async fn slash_answer(
        &self,
        replica: &Replica,
        user: &str,
        text: &str,
    ) -> (u16, String) {
        let body = slash_body(user, text, &self.slack.response_url(user));
        let response = post_signed_to(
            &self.http,
            &replica.base_url,
            "/slack/commands",
            "application/x-www-form-urlencoded",
            body,
            0,
        )
        .await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    pub(crate) async fn click(
        &self,
        replica: &Replica,
        user: &str,
        action: &str,
        request: &str,
    ) -> u16 {
        let body = click_body(
            user,
            action,
            request,
            &self.slack.response_url(&format!("click-{user}")),
        );
        post_signed_to(
            &self.http,
            &replica.base_url,
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            body,
            0,
        )
        .await
        .status()
        .as_u16()
    }

    /// `/readyz`'s status on `replica`.
    pub(crate) async fn readiness(&self, replica: &Replica) -> u16 {
        match self
            .http
            .get(format!("{}/readyz", replica.base_url))
            .send()
            .await
        {
            Ok(response) => response.status().as_u16(),
            Err(_) => 0,
        }
    }

    pub(crate) fn assign_calls(&self) -> usize {
        self.emulator
            .schedule_requests()
            .iter()
            .filter(|r| r["action"] == "adminAssign")
            .count()
    }
}

/// SIGKILL: no drain, no cleanup, as when a node dies.
pub(crate) fn kill_9(mut replica: Replica) {
    replica.child.kill().expect("SIGKILL");
    replica.child.wait().expect("reaped");
}

async fn request_and_wait_for_the_approval_message(world: &World, replica: &Replica) -> String {
    assert_eq!(world.slash(replica, "UALICE", REQUEST_TEXT).await, 200);
    let calls = world
        .slack
        .wait_for("the approval message", |calls| {
            calls.iter().any(|c| {
                c.method == "chat.postMessage" && c.body.to_string().contains("\"approve\"")
            })
        })
        .await;
    let message = calls
        .iter()
        .find(|c| c.body.to_string().contains("\"approve\""))
        .map(|c| c.body.to_string())
        .unwrap_or_default();
    regex::Regex::new(r"PIM-\d+")
        .expect("regex")
        .find(&message)
        .map(|m| m.as_str().to_owned())
        .expect("an id")
}

async fn wait_for_active_dm(world: &World) -> Duration {
    let started = Instant::now();
    world
        .slack
        .wait_for("the active DM", |calls| {
            calls
                .iter()
                .any(|c| c.body["channel"] == "DUALICE" && c.body.to_string().contains("until"))
        })
        .await;
    started.elapsed()
}

#[tokio::test]
async fn killed_after_the_request_is_stored_the_flow_completes_after_restart() {
    let world = World::new().await;
    let first = world.start().await;
    let id = request_and_wait_for_the_approval_message(&world, &first).await;
    kill_9(first);
    let second = world.start().await;
    assert_eq!(world.click(&second, "UBOB", "approve", &id).await, 200);
    wait_for_active_dm(&world).await;
    assert_eq!(world.emulator.active_assignments().len(), 1);
    assert_eq!(world.assign_calls(), 1);
}

#[tokio::test]
async fn killed_right_after_the_approval_the_assignment_is_made_once_after_restart() {
    let world = World::new().await;
    let first = world.start().await;
    let id = request_and_wait_for_the_approval_message(&world, &first).await;
    // Hold the PIM call so the kill lands before it: the approval is recorded, nothing more.
    world.emulator.inject_faults(
        "roleAssignmentScheduleRequests",
        vec![Fault::Delay(Duration::from_secs(2))],
    );
    assert_eq!(world.click(&first, "UBOB", "approve", &id).await, 200);
    kill_9(first);
    let second = world.start().await;
    let recovery = wait_for_active_dm(&world).await;
    assert_eq!(
        world.emulator.active_assignments().len(),
        1,
        "exactly one assignment"
    );
    assert!(
        world.assign_calls() <= 2,
        "at most the interrupted call and its replacement"
    );
    assert!(
        recovery < Duration::from_secs(15),
        "recovered in {recovery:?}"
    );
    drop(second);
}

#[tokio::test]
async fn killed_during_the_pim_call_the_assignment_is_made_once_after_restart() {
    let world = World::new().await;
    let first = world.start().await;
    let id = request_and_wait_for_the_approval_message(&world, &first).await;
    world.emulator.inject_faults(
        "roleAssignmentScheduleRequests",
        vec![Fault::Delay(Duration::from_millis(1500))],
    );
    assert_eq!(world.click(&first, "UBOB", "approve", &id).await, 200);
    tokio::time::sleep(Duration::from_millis(700)).await;
    kill_9(first);
    let _second = world.start().await;
    wait_for_active_dm(&world).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        world.emulator.active_assignments().len(),
        1,
        "exactly one assignment"
    );
}

#[tokio::test]
async fn killed_after_the_pim_call_the_request_is_recorded_active_without_a_second_assignment() {
    let world = World::new().await;
    let first = world.start().await;
    let id = request_and_wait_for_the_approval_message(&world, &first).await;
    assert_eq!(world.click(&first, "UBOB", "approve", &id).await, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while world.emulator.active_assignments().is_empty() {
        assert!(Instant::now() < deadline, "PIM was called");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    kill_9(first);
    let _second = world.start().await;
    wait_for_active_dm(&world).await;
    assert_eq!(world.emulator.active_assignments().len(), 1);
    assert_eq!(
        world.assign_calls(),
        1,
        "the restarted replica looked before assigning again"
    );
}
