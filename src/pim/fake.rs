//! Test helpers: axum fakes of the Entra token endpoint and Graph on 127.0.0.1:0.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;

use super::token::TokenSettings;
use crate::secret::Secret;

/// Serves `router` on a random loopback port; returns `http://127.0.0.1:PORT`.
pub(crate) async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("fake server");
    });
    format!("http://{address}")
}

/// Counts calls to a route.
#[derive(Clone, Default)]
pub(crate) struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub(crate) fn bump(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// The form fields of the last token request, and how many there were.
#[derive(Clone, Default)]
pub(crate) struct TokenEndpoint {
    pub(crate) calls: Counter,
    pub(crate) last_form: Arc<std::sync::Mutex<Vec<(String, String)>>>,
    pub(crate) expires_in: u64,
}

impl TokenEndpoint {
    pub(crate) fn new(expires_in: u64) -> Self {
        Self {
            expires_in,
            ..Self::default()
        }
    }

    /// `POST /{tenant}/oauth2/v2.0/token` answering `token-N` for the N-th request.
    pub(crate) fn router(&self) -> Router {
        Router::new()
            .route("/{tenant}/oauth2/v2.0/token", axum::routing::post(issue))
            .with_state(self.clone())
    }

    pub(crate) fn form_value(&self, key: &str) -> Option<String> {
        let form = self.last_form.lock().expect("form lock");
        form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }
}

async fn issue(
    State(endpoint): State<TokenEndpoint>,
    axum::extract::Form(form): axum::extract::Form<Vec<(String, String)>>,
) -> impl IntoResponse {
    let n = endpoint.calls.bump();
    *endpoint.last_form.lock().expect("form lock") = form;
    axum::Json(serde_json::json!({
        "token_type": "Bearer",
        "expires_in": endpoint.expires_in,
        "access_token": format!("token-{n}"),
    }))
}

/// Settings for a loopback authority.
pub(crate) fn token_settings(authority_host: &str) -> TokenSettings {
    TokenSettings {
        authority_host: authority_host.to_owned(),
        tenant_id: "contoso.onmicrosoft.com".to_owned(),
        client_id: "11111111-2222-3333-4444-555555555555".to_owned(),
        client_secret: Secret::new("s3cret value&more"),
        timeout: Duration::from_secs(5),
    }
}

/// The example files in `shared/contracts/{dir}` except `skip`: (file name, parsed JSON), so a
/// new example makes the contract tests fail until it is classified.
pub(crate) fn contract_examples(dir: &str, skip: &[&str]) -> Vec<(String, serde_json::Value)> {
    let root = format!("{}/../shared/contracts/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut examples = Vec::new();
    for entry in std::fs::read_dir(&root).expect("contract examples") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let example = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        examples.push((name, example));
    }
    examples
}
