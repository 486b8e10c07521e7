//! Token endpoint, authentication, request ids, paging, faults and unknown routes.

use std::time::{Duration, Instant};

use super::*;
use crate::emulator::Fault;

#[tokio::test]
async fn the_token_endpoint_issues_a_bearer_token_and_counts_every_call() {
    let harness = start().await;
    let reply = harness.token_request(TENANT, &token_form()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 3599);
    assert_eq!(reply.body["ext_expires_in"], 3599);
    let second = reply.body["access_token"].as_str().expect("token");
    assert_ne!(second, harness.token, "each call mints a fresh token");
    assert_eq!(harness.emulator.token_requests(), 2);
}

#[tokio::test]
async fn an_unknown_tenant_gets_aadsts90002_as_invalid_request() {
    let harness = start().await;
    let reply = harness
        .token_request("11111111-2222-3333-4444-555555555555", &token_form())
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["error"], "invalid_request");
    let description = reply.body["error_description"]
        .as_str()
        .expect("description");
    assert!(
        description
            .starts_with("AADSTS90002: Tenant '11111111-2222-3333-4444-555555555555' not found")
    );
    assert_eq!(reply.body["error_codes"], json!([90002]));
}

#[tokio::test]
async fn a_token_request_without_client_id_is_invalid_request_naming_the_field() {
    let harness = start().await;
    let form: Vec<_> = token_form()
        .into_iter()
        .filter(|(k, _)| *k != "client_id")
        .collect();
    let reply = harness.token_request(TENANT, &form).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["error"], "invalid_request");
    assert!(
        reply.body["error_description"]
            .as_str()
            .unwrap_or("")
            .contains("'client_id'")
    );
    assert_eq!(harness.emulator.token_requests(), 2);
}

#[tokio::test]
async fn a_graph_call_without_a_valid_token_is_401_with_a_graph_error_body() {
    let harness = start().await;
    let url = format!("{}/v1.0/users/{ALICE}", harness.base);
    let bare = reply(
        harness
            .client
            .get(&url)
            .header("client-request-id", "abc-123")
            .send()
            .await
            .expect("call"),
    )
    .await;
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bare.error_code(), "InvalidAuthenticationToken");
    assert_eq!(
        bare.body["error"]["innerError"]["client-request-id"],
        "abc-123"
    );
    assert_eq!(bare.headers["client-request-id"], "abc-123");
    let request_id = bare.headers["request-id"].to_str().expect("ascii");
    assert_eq!(bare.body["error"]["innerError"]["request-id"], request_id);
    let forged = reply(
        harness
            .client
            .get(&url)
            .bearer_auth("made-up")
            .send()
            .await
            .expect("call"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(forged.error_code(), "InvalidAuthenticationToken");
}

#[tokio::test]
async fn every_response_carries_a_fresh_request_id() {
    let harness = start().await;
    let first = harness.get(&format!("/v1.0/users/{ALICE}"), &[]).await;
    let second = harness.get(&format!("/v1.0/users/{ALICE}"), &[]).await;
    let (a, b) = (&first.headers["request-id"], &second.headers["request-id"]);
    assert_eq!(a.len(), 36, "a GUID");
    assert_ne!(a, b);
}

#[tokio::test]
async fn an_expired_token_is_refused_after_the_clock_moves_an_hour() {
    let harness = start().await;
    harness
        .emulator
        .advance_clock(chrono::TimeDelta::seconds(3600));
    let reply = harness.get("/v1.0/users", &[]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.error_message().contains("expired"),
        "{}",
        reply.error_message()
    );
}

#[tokio::test]
async fn paging_with_top_one_walks_every_user_through_next_links() {
    let harness = start().await;
    let mut page = harness
        .get("/v1.0/users", &[("$top", "1"), ("$select", "id,mail")])
        .await;
    let mut seen = Vec::new();
    loop {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.body["value"].as_array().map(Vec::len), Some(1));
        seen.extend(ids(&page.body));
        let Some(next) = page.body["@odata.nextLink"].as_str().map(str::to_owned) else {
            break;
        };
        assert!(
            next.starts_with(&harness.base),
            "next link {next} is on the emulator's host"
        );
        assert!(next.contains("$skiptoken="), "{next}");
        page = harness.get_url(&next).await;
    }
    let expected: Vec<String> = Tenant::demo().users.into_iter().map(|u| u.id).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn an_injected_throttle_answers_429_with_retry_after_then_serves_normally() {
    let harness = start().await;
    harness.emulator.inject_faults(
        "/users",
        vec![Fault::Throttle {
            retry_after_secs: 7,
        }],
    );
    let throttled = harness.get(&format!("/v1.0/users/{ALICE}"), &[]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.headers["retry-after"], "7");
    assert_eq!(throttled.error_code(), "TooManyRequests");
    let normal = harness.get(&format!("/v1.0/users/{ALICE}"), &[]).await;
    assert_eq!(normal.status, StatusCode::OK);
}

#[tokio::test]
async fn server_errors_and_delays_are_served_in_order_only_on_matching_paths() {
    let harness = start().await;
    let faults = vec![Fault::ServerError, Fault::Delay(Duration::from_millis(200))];
    harness.emulator.inject_faults("roleDefinitions", faults);
    let other = harness.get("/v1.0/users", &[]).await;
    assert_eq!(other.status, StatusCode::OK, "other paths are untouched");
    let failed = harness
        .get("/v1.0/roleManagement/directory/roleDefinitions", &[])
        .await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.error_code(), "UnknownError");
    let started = Instant::now();
    let delayed = harness
        .get("/v1.0/roleManagement/directory/roleDefinitions", &[])
        .await;
    assert_eq!(delayed.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404_not_an_html_page() {
    let harness = start().await;
    let reply = harness.get("/v1.0/nonsense/thing", &[]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "BadRequest");
    assert!(reply.error_message().contains("'thing'"));
    assert_eq!(reply.headers["content-type"], "application/json");
}
