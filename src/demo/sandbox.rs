//! `/sandbox` (demo only): a page where a visitor plays a person of the demo tenant, and the API
//! behind it. Every action becomes the request Slack or Teams would send, correctly signed, POSTed
//! over HTTP to pimbot's real inbound endpoints; what the bot sent back is read from the fakes.

mod slack;
mod state;
mod teams;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::fake_slack::FakeSlack;
use super::fake_teams::FakeTeams;
use super::seed::Persona;
use crate::emulator::{Emulator, Tenant};
use crate::service::ports::Store;

const PAGE: &str = include_str!("sandbox/page.html");
const SCRIPT: &str = include_str!("sandbox/sandbox.js");
const RENDER: &str = include_str!("sandbox/render.js");
const STYLE: &str = include_str!("sandbox/sandbox.css");

/// What the sandbox routes share.
#[derive(Clone)]
pub(super) struct Sandbox(Arc<Inner>);

struct Inner {
    /// pimbot's own base URL: the sandbox calls it over HTTP like Slack and Teams do.
    service_url: String,
    signing_secret: String,
    people: Vec<Persona>,
    /// What can be requested, from the demo's `[[targets]]`.
    targets: Vec<Value>,
    tenant: Tenant,
    slack: FakeSlack,
    teams: FakeTeams,
    emulator: Emulator,
    store: Arc<dyn Store>,
    http: reqwest::Client,
}

impl Sandbox {
    pub(super) fn new(
        service_url: String,
        signing_secret: &str,
        tenant: Tenant,
        (people, targets): (Vec<Persona>, Vec<Value>),
        upstreams: (FakeSlack, FakeTeams, Emulator),
        store: Arc<dyn Store>,
    ) -> Self {
        let (slack, teams, emulator) = upstreams;
        Self(Arc::new(Inner {
            service_url,
            signing_secret: signing_secret.to_owned(),
            people,
            targets,
            tenant,
            slack,
            teams,
            emulator,
            store,
            http: reqwest::Client::new(),
        }))
    }

    fn persona(&self, key: &str) -> Result<&Persona, SandboxError> {
        self.0
            .people
            .iter()
            .find(|p| p.key == key)
            .ok_or_else(|| SandboxError::BadInput(format!("nobody called `{key}` in the demo")))
    }

    /// POSTs `body` to pimbot's `path`; its status and answer (JSON when it is JSON).
    async fn forward(
        &self,
        path: &str,
        body: String,
        headers: &[(&str, String)],
    ) -> Result<(u16, Value), SandboxError> {
        let mut request = self
            .0
            .http
            .post(format!("{}{path}", self.0.service_url))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| SandboxError::Unreachable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let answer = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, answer))
    }
}

/// The sandbox's routes; mounted beside pimbot's own only by `pimbot demo`. The actions take
/// JSON bodies only, so another site's page cannot post to them without a CORS preflight, which
/// the sandbox never answers.
pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route(
            "/sandbox",
            get(|| async { page("text/html; charset=utf-8", PAGE) }),
        )
        .route(
            "/sandbox/sandbox.js",
            get(|| async { page("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/sandbox/render.js",
            get(|| async { page("text/javascript; charset=utf-8", RENDER) }),
        )
        .route(
            "/sandbox/sandbox.css",
            get(|| async { page("text/css; charset=utf-8", STYLE) }),
        )
        .route("/sandbox/api/people", get(people))
        .route("/sandbox/api/state", get(state::handle_state))
        .route("/sandbox/api/slack/command", post(slack::handle_command))
        .route("/sandbox/api/slack/click", post(slack::handle_click))
        .route("/sandbox/api/slack/submit", post(slack::handle_submit))
        .route("/sandbox/api/slack/close", post(slack::handle_close))
        .route("/sandbox/api/teams/message", post(teams::handle_message))
        .route("/sandbox/api/teams/invoke", post(teams::handle_invoke))
        .with_state(sandbox)
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// The people one can be, and the conversations the page shows.
async fn people(State(sandbox): State<Sandbox>) -> Json<Value> {
    Json(json!({
        "people": sandbox.0.people,
        "slack": {
            "team_channel": super::fake_slack::TEAM_CHANNEL,
            "audit_channel": super::fake_slack::AUDIT_CHANNEL,
        },
        "teams": {
            "channel": super::fake_teams::CHANNEL,
            "audit_conversation": super::fake_teams::AUDIT_CONVERSATION,
        },
        "targets": sandbox.0.targets,
    }))
}

/// What pimbot answered to a forwarded request.
fn forwarded(status: u16, answer: Value) -> Json<Value> {
    Json(json!({ "status": status, "answer": answer }))
}

/// Why the sandbox could not forward an action.
#[derive(Debug, thiserror::Error)]
pub(super) enum SandboxError {
    #[error("{0}")]
    BadInput(String),
    #[error("pimbot did not answer: {0}")]
    Unreachable(String),
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for SandboxError {
    fn into_response(self) -> Response {
        let status = match self {
            SandboxError::BadInput(_) => StatusCode::BAD_REQUEST,
            SandboxError::Unreachable(_) => StatusCode::BAD_GATEWAY,
            SandboxError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}
