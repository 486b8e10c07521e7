//! Graph client tests against an axum fake that records every request and answers from a
//! per-test closure.

mod contracts;
mod directory;
mod request_body;
mod retries;
mod roles;
mod writes;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{GraphClient, GraphSettings};
use crate::pim::fake::serve;
use crate::pim::token::TokenProvider;
use crate::service::ports::UpstreamError;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    method: Method,
    path: String,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Value,
}

impl Seen {
    fn query(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }
    fn header(&self, key: &str) -> Option<&str> {
        self.headers.get(key).and_then(|v| v.to_str().ok())
    }
}

type Handler = Arc<dyn Fn(Seen) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

/// A fake Graph: the requests it saw, and its base URL.
pub(super) struct FakeGraph {
    pub(super) url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeGraph {
    /// Serves `answer` for every request under `/v1.0` (and `extra` routes, e.g. a token endpoint).
    async fn start<F, Fut>(extra: axum::Router, answer: F) -> Self
    where
        F: Fn(Seen) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(move |s| Box::pin(answer(s)));
        let record = seen.clone();
        let router = extra.fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let handler = handler.clone();
                let record = record.clone();
                async move {
                    let query = uri
                        .query()
                        .map(|q| serde_urlencoded::from_str(q).expect("query"))
                        .unwrap_or_default();
                    let seen = Seen {
                        method,
                        path: uri.path().to_owned(),
                        query,
                        headers,
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    };
                    record.lock().expect("lock").push(seen.clone());
                    handler(seen).await
                }
            },
        );
        Self {
            url: serve(router).await,
            seen,
        }
    }

    async fn new<F, Fut>(answer: F) -> Self
    where
        F: Fn(Seen) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        Self::start(axum::Router::new(), answer).await
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    fn client(&self) -> GraphClient {
        self.client_with(Arc::new(StaticToken), quick_settings(&self.url))
    }

    fn client_with(&self, tokens: Arc<dyn TokenProvider>, settings: GraphSettings) -> GraphClient {
        GraphClient::new(settings, tokens, reqwest::Client::new()).expect("valid settings")
    }
}

/// Retries fast enough for tests.
fn quick_settings(url: &str) -> GraphSettings {
    GraphSettings {
        url: url.to_owned(),
        timeout: Duration::from_secs(5),
        max_attempts: 4,
        retry_budget: Duration::from_secs(20),
        backoff: Duration::from_millis(10),
        max_retry_wait: Duration::from_secs(5),
    }
}

struct StaticToken;

#[async_trait]
impl TokenProvider for StaticToken {
    async fn token(&self, _scope: &str) -> Result<String, UpstreamError> {
        Ok("static-token".to_owned())
    }
}

/// A JSON answer with a Graph `request-id`.
fn json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [
            ("request-id", "req-0001"),
            ("content-type", "application/json"),
        ],
        body.to_string(),
    )
        .into_response()
}

fn ok(body: Value) -> Response {
    json(StatusCode::OK, body)
}

/// A Graph error body.
fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        serde_json::json!({"error": {
            "code": code,
            "message": message,
            "innerError": {"request-id": "req-0001", "date": "2026-11-22T10:00:00"}
        }}),
    )
}
