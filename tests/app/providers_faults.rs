//! Upstream faults on the group and Azure paths: throttling with `Retry-After` ends in one
//! assignment; a persistent 500 ends the request `failed`, tells the requester and leaves no
//! assignment (and, on ARM, only ever one request name).

use std::time::Instant;

use pimbot::domain::request::State;
use pimbot::emulator::{Fault, Provider, Tenant};

use crate::azure_story::{RESOURCE_GROUP, azure_toml, targets_toml};
use crate::elevation::{request_and_approve, wait_for_dm_about};
use crate::harness::TestApp;
use crate::story::approval_message;

/// Calls whose `METHOD /path` contains `needle`.
fn calls_with(app: &TestApp, needle: &str) -> Vec<String> {
    app.emulator
        .calls()
        .into_iter()
        .filter(|c| c.contains(needle))
        .collect()
}

#[tokio::test]
async fn a_throttled_group_assignment_waits_as_told_and_then_succeeds_once() {
    let app = TestApp::start_with(Tenant::demo(), "").await;
    app.emulator.inject_faults(
        "privilegedAccess/group/assignmentScheduleRequests",
        vec![Fault::Throttle {
            retry_after_secs: 1,
        }],
    );
    let started = Instant::now();
    request_and_approve(
        &app,
        "UALICE",
        r#"request group:"KeyVault Readers" for 1h reading secrets"#,
        "UBOB",
        Provider::Group,
    )
    .await;
    assert!(
        started.elapsed().as_millis() >= 1000,
        "Retry-After honoured"
    );
    let posts = calls_with(
        &app,
        "POST /v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests",
    );
    assert_eq!(
        posts.len(),
        2,
        "the throttled POST and the one that worked: {posts:?}"
    );
    assert_eq!(app.emulator.active_of(Provider::Group).len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_throttled_arm_request_is_sent_again_under_the_same_name() {
    let app = TestApp::start_with_azure(Tenant::demo(), &azure_toml(), &targets_toml()).await;
    app.emulator.inject_faults(
        "roleAssignmentScheduleRequests/",
        vec![Fault::Throttle {
            retry_after_secs: 1,
        }],
    );
    request_and_approve(
        &app,
        "UALICE",
        "request pim-rg-contributor for 1h deploying",
        "UCAROL",
        Provider::Azure,
    )
    .await;
    let puts = calls_with(&app, "PUT ");
    assert_eq!(puts.len(), 2, "{puts:?}");
    assert_eq!(puts[0], puts[1], "one request name for both attempts");
    assert!(puts[0].starts_with(&format!(
        "PUT {RESOURCE_GROUP}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/"
    )));
    assert_eq!(app.emulator.active_of(Provider::Azure).len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_persistent_arm_500_fails_the_request_tells_the_requester_and_assigns_nothing() {
    let worker = "[worker]\nmax_attempts = 2\n";
    let extra = format!("{}\n{worker}", targets_toml());
    let app = TestApp::start_with_azure(Tenant::demo(), &azure_toml(), &extra).await;
    app.emulator.inject_faults(
        "roleAssignmentScheduleRequests/",
        vec![Fault::ServerError; 100],
    );
    let (status, _) = app
        .slash("UALICE", "request pim-rg-contributor for 1h deploying")
        .await;
    assert_eq!(status, 200);
    let (id, _) = approval_message(&app).await;
    assert_eq!(app.click("UCAROL", "approve", &id).await, 200);
    wait_for_dm_about(&app, "UALICE", &id, "failed").await;
    assert!(
        app.emulator.active_of(Provider::Azure).is_empty(),
        "nothing assigned"
    );
    let writes = calls_with(&app, "roleAssignmentScheduleRequests/");
    assert!(writes.iter().any(|c| c.starts_with("PUT ")), "{writes:?}");
    assert!(
        writes.iter().any(|c| c.starts_with("GET ")),
        "the outcome was asked for by name: {writes:?}"
    );
    let names: std::collections::HashSet<&str> =
        writes.iter().filter_map(|c| c.rsplit('/').next()).collect();
    assert_eq!(names.len(), 1, "never a second request name: {writes:?}");
    let request = app.stored_request(&id).await;
    assert_eq!(request.state, State::Failed);
    app.stop().await;
}
