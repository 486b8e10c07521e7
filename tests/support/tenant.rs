//! What `pimbot check` and `pimbot admin` run against in the tests: the PIM emulator serving the
//! demo tenant on a port (Graph, ARM and the token endpoint), a fake Slack Web API that answers
//! `auth.test` with the scopes a test chose and `conversations.info` with the bot's membership,
//! and a fake Bot Connector; plus the real binary, run as an operator runs it.

#![allow(
    dead_code,
    reason = "tests/check.rs and tests/admin.rs each use part of it"
)]

use std::collections::HashMap;
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use pimbot::emulator::{AzurePermission, Emulator, ServicePrincipal, Tenant};
use serde_json::{Value, json};

pub(crate) const TENANT_ID: &str = "8a3e5c1f-2b4d-4e6f-9a1b-3c5d7e9f1a2b";
/// pimbot's app registration in the tests.
pub(crate) const PIMBOT_APP: &str = "11111111-2222-3333-4444-555555555555";
/// The Teams bot's app registration.
pub(crate) const BOT_APP: &str = "6f1c2d3e-4b5a-4c6d-8e7f-00000000b07a";
pub(crate) const SUBSCRIPTION: &str = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57";
pub(crate) const AUDIT_CHANNEL: &str = "CAUDIT";
pub(crate) const APPROVAL_CHANNEL: &str = "CAPPROVE";
pub(crate) const AUDIT_CONVERSATION: &str = "19:audit@thread.tacv2";

/// Every Graph application permission DESIGN lists.
pub(crate) const ALL_PERMISSIONS: [&str; 10] = [
    "User.Read.All",
    "GroupMember.Read.All",
    "Application.Read.All",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "RoleAssignmentSchedule.ReadWrite.Directory",
    "RoleManagementPolicy.Read.Directory",
    "RoleManagementPolicy.Read.AzureADGroup",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
];

/// The demo tenant, with pimbot's service principal holding `permissions` and may write
/// schedule requests on the subscription when `arm_write` holds.
pub(crate) fn tenant(permissions: &[&str], arm_write: bool) -> Tenant {
    let mut tenant = Tenant::demo();
    tenant.service_principals.push(ServicePrincipal {
        id: "4c7a9d0e-1b2c-4d3e-8f4a-5b6c7d8e9f00".to_owned(),
        app_id: PIMBOT_APP.to_owned(),
        display_name: "pimbot".to_owned(),
        app_roles: permissions.iter().map(|p| (*p).to_owned()).collect(),
    });
    let actions = if arm_write {
        vec!["Microsoft.Authorization/*".to_owned(), "*/read".to_owned()]
    } else {
        vec!["*/read".to_owned()]
    };
    tenant.azure.permissions.push(AzurePermission {
        client_id: PIMBOT_APP.to_owned(),
        scope: SUBSCRIPTION.to_owned(),
        actions,
        not_actions: Vec::new(),
    });
    tenant
}

/// What the fake Slack says.
#[derive(Clone, Default)]
pub(crate) struct SlackState {
    pub(crate) scopes: Arc<Mutex<String>>,
    /// Channel id → whether the bot is a member; unknown channels are `channel_not_found`.
    pub(crate) channels: Arc<Mutex<HashMap<String, bool>>>,
    pub(crate) calls: Arc<Mutex<Vec<String>>>,
}

/// The emulator, the fakes and a working directory, all up.
pub(crate) struct Upstreams {
    pub(crate) emulator: Emulator,
    pub(crate) emulator_url: String,
    pub(crate) arm_url: String,
    pub(crate) slack: SlackState,
    pub(crate) slack_url: String,
    pub(crate) connector_url: String,
    pub(crate) connector_calls: Arc<Mutex<Vec<String>>>,
    pub(crate) dir: tempfile::TempDir,
}

async fn bind() -> (tokio::net::TcpListener, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    (listener, port)
}

async fn auth_test(State(slack): State<SlackState>) -> impl IntoResponse {
    slack
        .calls
        .lock()
        .expect("calls")
        .push("auth.test".to_owned());
    let scopes = slack.scopes.lock().expect("scopes").clone();
    let mut headers = HeaderMap::new();
    headers.insert("x-oauth-scopes", scopes.parse().expect("header"));
    (
        headers,
        Json(
            json!({"ok": true, "user": "pimbot", "team": "Contoso", "team_id": "T1", "user_id": "UBOT"}),
        ),
    )
}

async fn conversations_info(
    State(slack): State<SlackState>,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    slack
        .calls
        .lock()
        .expect("calls")
        .push("conversations.info".to_owned());
    let channel = form.get("channel").cloned().unwrap_or_default();
    match slack.channels.lock().expect("channels").get(&channel) {
        Some(member) => Json(
            json!({"ok": true, "channel": {"id": channel, "name": channel.to_lowercase(), "is_member": member}}),
        ),
        None => Json(json!({"ok": false, "error": "channel_not_found"})),
    }
}

async fn members(
    State(calls): State<Arc<Mutex<Vec<String>>>>,
    Path(conversation): Path<String>,
    headers: HeaderMap,
) -> StatusCode {
    calls
        .lock()
        .expect("calls")
        .push(format!("GET members {conversation}"));
    let authorised = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    if !authorised {
        StatusCode::UNAUTHORIZED
    } else if conversation == AUDIT_CONVERSATION {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

impl Upstreams {
    pub(crate) async fn start(tenant: Tenant) -> Self {
        let emulator = Emulator::new(tenant);
        let (listener, port) = bind().await;
        emulator.spawn(listener);
        let slack = SlackState::default();
        *slack.scopes.lock().expect("scopes") =
            "commands,chat:write,im:write,users:read,users:read.email,channels:read,groups:read"
                .to_owned();
        slack.channels.lock().expect("channels").extend([
            (AUDIT_CHANNEL.to_owned(), true),
            (APPROVAL_CHANNEL.to_owned(), true),
        ]);
        let (slack_listener, slack_port) = bind().await;
        let router = axum::Router::new()
            .route("/api/auth.test", post(auth_test))
            .route("/api/conversations.info", post(conversations_info))
            .with_state(slack.clone());
        tokio::spawn(async move { axum::serve(slack_listener, router).await });
        let connector_calls: Arc<Mutex<Vec<String>>> = Arc::default();
        let (connector_listener, connector_port) = bind().await;
        let router = axum::Router::new()
            .route("/teams/v3/conversations/{id}/members", get(members))
            .with_state(connector_calls.clone());
        tokio::spawn(async move { axum::serve(connector_listener, router).await });
        Upstreams {
            emulator,
            emulator_url: format!("http://127.0.0.1:{port}"),
            arm_url: format!("http://localhost:{port}"),
            slack,
            slack_url: format!("http://127.0.0.1:{slack_port}/api"),
            connector_url: format!("http://127.0.0.1:{connector_port}/teams/"),
            connector_calls,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub(crate) fn database_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("pimbot.db").display())
    }

    /// A complete configuration (Slack, Teams, the three demo targets), plus `extra` at the end.
    pub(crate) fn config(&self, extra: &str) -> String {
        format!(
            r#"
[database]
url = "{db}"

[azure]
tenant_id = "{TENANT_ID}"
client_id = "{PIMBOT_APP}"
client_secret = "emulator-secret"
authority_host = "{emu}"
graph_url = "{emu}"
arm_url = "{arm}"
arm_scopes = ["{SUBSCRIPTION}"]

[slack]
signing_secrets = ["signing-secret"]
bot_token = "xoxb-test"
api_url = "{slack}"
audit_channel = "{AUDIT_CHANNEL}"

[teams]
app_id = "{BOT_APP}"
app_secret = "bot-secret"
app_tenant_id = "{TENANT_ID}"
service_url = "{connector}"
audit_conversation = "{AUDIT_CONVERSATION}"

[[targets]]
name = "app1-secrets"
kind = "role"
role = "Application Secret Manager"
scope = "App1"
approval_channel = {{ slack = "{APPROVAL_CHANNEL}" }}

[[targets]]
name = "kv-readers"
kind = "group"
group = "KeyVault Readers"
access = "member"

[[targets]]
name = "pim-rg-contributor"
kind = "azure"
role = "Contributor"
scope = "{SUBSCRIPTION}/resourceGroups/pim-rg"
approvers = ["user:8767515c-c303-466f-9b40-98e9a042f5b1"]
{extra}
"#,
            db = self.database_url(),
            emu = self.emulator_url,
            arm = self.arm_url,
            slack = self.slack_url,
            connector = self.connector_url,
        )
    }

    /// Writes `text` to `name` in the working directory; its path.
    pub(crate) fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    }

    /// The Graph and ARM calls that wrote something.
    pub(crate) fn writes(&self) -> Vec<String> {
        self.emulator
            .calls()
            .into_iter()
            .filter(|c| !c.starts_with("GET "))
            .collect()
    }
}

/// Runs the real `pimbot` binary in `dir`, with an empty environment (no `PIMBOT_*` or
/// `DATABASE_URL` of the test run reaches it).
pub(crate) async fn pimbot(args: &[&str], dir: &std::path::Path) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_pimbot"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .await
        .expect("run pimbot")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
