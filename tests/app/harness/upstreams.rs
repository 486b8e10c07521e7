//! What a test's pimbot runs against, started before pimbot is built, so a test can also watch
//! pimbot fail to start.

use pimbot::emulator::{Emulator, Tenant};

use super::{
    AUDIT_CHANNEL, GENEROUS_LIMITS, SIGNING_SECRET, SLACK_USERS, TENANT_ID, fresh_database,
    init_test_logging,
};
use crate::fake_slack::FakeSlack;

/// What pimbot runs against, up before pimbot is built: the PIM emulator, a fake Slack, a fresh
/// database, and the configuration naming them.
pub(crate) struct Upstreams {
    pub(crate) emulator: Emulator,
    pub(crate) emulator_url: String,
    pub(crate) slack: FakeSlack,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) database_url: String,
    pub(crate) config: pimbot::config::Config,
}

impl Upstreams {
    /// `azure_toml` is added to the `[azure]` section, `extra_toml` to the end. ARM is the same
    /// emulator reached as `localhost`, so its token scope differs from Graph's.
    pub(crate) async fn start(tenant: Tenant, azure_toml: &str, extra_toml: &str) -> Self {
        let slack = FakeSlack::start(SLACK_USERS).await;
        Self::start_with_slack(tenant, azure_toml, extra_toml, slack).await
    }

    /// As [`start`](Self::start), against a fake Slack the test prepared (its workspace, its
    /// members) before pimbot starts.
    pub(crate) async fn start_with_slack(
        tenant: Tenant,
        azure_toml: &str,
        extra_toml: &str,
        slack: FakeSlack,
    ) -> Self {
        init_test_logging();
        let emulator = Emulator::new(tenant);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let emulator_url = format!("http://{}", listener.local_addr().expect("addr"));
        let arm_url = format!(
            "http://localhost:{}",
            listener.local_addr().expect("addr").port()
        );
        emulator.spawn(listener);
        let dir = tempfile::tempdir().expect("tempdir");
        let database_url = fresh_database(dir.path()).await;
        // Tests send many commands as one user; only the limits tests keep production's limits.
        let limits = if extra_toml.contains("[limits]") {
            ""
        } else {
            GENEROUS_LIMITS
        };
        // Activate mode's links need a public URL; tests follow them to pimbot's own port.
        let public_url = if extra_toml.contains("[auth]") {
            r#"public_url = "http://127.0.0.1:9""#
        } else {
            ""
        };
        let toml = format!(
            r#"
[server]
listen = "127.0.0.1:0"
{public_url}

[database]
url = "{database_url}"

[azure]
tenant_id = "{TENANT_ID}"
client_id = "11111111-2222-3333-4444-555555555555"
client_secret = "emulator-secret"
authority_host = "{emulator_url}"
graph_url = "{emulator_url}"
arm_url = "{arm_url}"
{azure_toml}

[slack]
signing_secrets = ["old-rotated-secret", "{SIGNING_SECRET}"]
bot_token = "xoxb-test-token"
api_url = "{api}"
audit_channel = "{AUDIT_CHANNEL}"

{extra_toml}

{limits}
"#,
            api = slack.api_url()
        );
        let config = pimbot::config::Config::parse(&toml, &[]).expect("test config is valid");
        Upstreams {
            emulator,
            emulator_url,
            slack,
            dir,
            database_url,
            config,
        }
    }
}
