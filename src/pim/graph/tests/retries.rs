use std::time::Instant;

use axum::http::StatusCode;
use serde_json::json;

use super::*;
use crate::pim::fake::{Counter, TokenEndpoint, token_settings};
use crate::pim::token::ClientCredentialsTokens;
use crate::service::ports::{Directory, UpstreamErrorKind};

#[tokio::test]
async fn many_graph_calls_need_one_token_request() {
    let sts = TokenEndpoint::new(3599);
    let graph = FakeGraph::start(sts.router(), |_| async {
        ok(json!({"id": "u-1", "displayName": "Pat", "accountEnabled": true}))
    })
    .await;
    let tokens = ClientCredentialsTokens::new(&token_settings(&graph.url)).expect("loopback");
    let client = graph.client_with(Arc::new(tokens), quick_settings(&graph.url));
    for _ in 0..5 {
        assert!(client.user("u-1").await.expect("answered").is_some());
    }
    assert_eq!(sts.calls.get(), 1);
    assert_eq!(
        sts.form_value("scope"),
        Some(format!("{}/.default", graph.url))
    );
    let seen = graph.seen();
    assert_eq!(seen.len(), 5);
    assert!(
        seen.iter()
            .all(|s| s.header("authorization") == Some("Bearer token-1"))
    );
}

#[tokio::test]
async fn every_call_sends_a_fresh_client_request_id() {
    let graph = FakeGraph::new(|_| async { ok(json!({"value": []})) }).await;
    let client = graph.client();
    client.user_groups("u-1").await.expect("answered");
    client.user_groups("u-1").await.expect("answered");
    let ids: Vec<String> = graph
        .seen()
        .iter()
        .map(|s| s.header("client-request-id").expect("sent").to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(
        ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()),
        "{ids:?}"
    );
}

#[tokio::test]
async fn a_throttled_read_waits_for_retry_after_then_succeeds() {
    let calls = Counter::default();
    let graph = FakeGraph::new(move |_| {
        let n = calls.bump();
        async move {
            if n == 1 {
                let mut response = graph_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    "slow down",
                );
                response
                    .headers_mut()
                    .insert("retry-after", axum::http::HeaderValue::from_static("1"));
                response
            } else {
                ok(json!({"value": [{"id": "g-1", "displayName": "One"}]}))
            }
        }
    })
    .await;
    let started = Instant::now();
    let groups = graph.client().user_groups("u-1").await.expect("second try");
    assert_eq!(groups.len(), 1);
    assert_eq!(graph.seen().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_the_cap_is_returned_to_the_caller_at_once() {
    let graph = FakeGraph::new(|_| async {
        let mut response = graph_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "slow down",
        );
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("120"));
        response
    })
    .await;
    let error = graph
        .client()
        .user_groups("u-1")
        .await
        .expect_err("throttled");
    assert_eq!(
        error.kind,
        UpstreamErrorKind::Throttled {
            retry_after_secs: Some(120)
        }
    );
    assert_eq!(graph.seen().len(), 1);
}

#[tokio::test]
async fn a_persistent_500_is_unavailable_after_max_attempts() {
    let graph = FakeGraph::new(|_| async {
        graph_error(StatusCode::INTERNAL_SERVER_ERROR, "UnknownError", "boom")
    })
    .await;
    let error = graph
        .client()
        .user_groups("u-1")
        .await
        .expect_err("gave up");
    assert_eq!(error.kind, UpstreamErrorKind::Unavailable);
    assert_eq!(error.code.as_deref(), Some("UnknownError"));
    assert_eq!(error.upstream_request_id.as_deref(), Some("req-0001"));
    assert_eq!(error.operation, "userGroups");
    assert_eq!(graph.seen().len(), 4);
}

#[tokio::test]
async fn a_read_that_times_out_is_retried() {
    let calls = Counter::default();
    let graph = FakeGraph::new(move |_| {
        let n = calls.bump();
        async move {
            if n == 1 {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            ok(json!({"value": []}))
        }
    })
    .await;
    let settings = GraphSettings {
        timeout: Duration::from_millis(300),
        ..quick_settings(&graph.url)
    };
    let client = graph.client_with(Arc::new(StaticToken), settings);
    assert_eq!(client.user_groups("u-1").await, Ok(vec![]));
    assert_eq!(graph.seen().len(), 2);
}

#[tokio::test]
async fn an_unreachable_graph_is_unavailable() {
    // Bind and drop a listener to get a port nobody answers on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let settings = GraphSettings {
        max_attempts: 2,
        ..quick_settings(&url)
    };
    let client =
        GraphClient::new(settings, Arc::new(StaticToken), reqwest::Client::new()).expect("valid");
    let error = client.user("u-1").await.expect_err("nobody there");
    assert_eq!(error.kind, UpstreamErrorKind::Unavailable);
    assert!(error.message.contains("connect"), "{}", error.message);
}

#[tokio::test]
async fn a_forbidden_call_names_the_missing_permission_and_is_not_retried() {
    let graph = FakeGraph::new(|_| async {
        graph_error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    })
    .await;
    let error = graph
        .client()
        .group_owners("g-1")
        .await
        .expect_err("denied");
    assert_eq!(error.kind, UpstreamErrorKind::Unauthorized);
    assert_eq!(
        error.user_message(),
        "pimbot's app registration lacks the Graph permission GroupMember.Read.All (application, admin-consented); ask an Entra administrator to grant it."
    );
    assert_eq!(graph.seen().len(), 1);
}
