//! The Connector's gate against a local Connector: a 429's `Retry-After` closes its operation
//! for every caller and no other operation; a call held back is never sent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;

use super::Connector;
use crate::service::ports::{UpstreamError, UpstreamErrorKind};
use crate::teams::ConnectorToken;

struct Token;

#[async_trait::async_trait]
impl ConnectorToken for Token {
    async fn token(&self) -> Result<String, UpstreamError> {
        Ok("bot-token".to_owned())
    }
}

/// A Connector that throttles every `POST` (send) with `Retry-After: 30` and accepts the rest;
/// the methods it was called with.
async fn throttling_connector() -> (String, Arc<Mutex<Vec<Method>>>) {
    let seen: Arc<Mutex<Vec<Method>>> = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().fallback(move |method: Method| {
        let record = record.clone();
        async move {
            record.lock().expect("lock").push(method.clone());
            if method == Method::POST {
                let body = json!({"error": {"code": "Throttled"}}).to_string();
                (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "30")], body).into_response()
            } else {
                (StatusCode::OK, json!({"id": "1"}).to_string()).into_response()
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn a_429_closes_its_operation_for_every_caller_and_no_other_operation() {
    let (url, seen) = throttling_connector().await;
    let connector = Connector::new(reqwest::Client::new(), Arc::new(Token));
    let activity = json!({"type": "message", "text": "hi"});
    let error = connector
        .send(&url, "19:a", &activity)
        .await
        .expect_err("throttled");
    assert_eq!(
        error.kind,
        UpstreamErrorKind::Throttled {
            retry_after_secs: Some(30)
        }
    );
    assert!(!error.held_back);

    let started = Instant::now();
    let held = connector
        .clone()
        .send(&url, "19:other", &activity)
        .await
        .expect_err("held back");
    assert!(started.elapsed() < Duration::from_millis(500), "at once");
    assert!(held.held_back, "{held:?}");
    assert!(
        matches!(held.kind, UpstreamErrorKind::Throttled { retry_after_secs: Some(s) } if (29..=30).contains(&s)),
        "{:?}",
        held.kind
    );
    connector
        .update(&url, "19:a", "1", &activity)
        .await
        .expect("update is another operation");
    assert_eq!(
        *seen.lock().expect("lock"),
        [Method::POST, Method::PUT],
        "the held send was never sent"
    );
}
