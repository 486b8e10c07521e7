//! Requests that pimbot must refuse, with a message that says why, and nothing created.

use pimbot::emulator::Tenant;

use crate::harness::TestApp;
use crate::story::TARGETS_TOML;

async fn refused(app: &TestApp, user: &str, text: &str, needle: &str) {
    let (status, _) = app.slash(user, text).await;
    assert_eq!(status, 200);
    let reply = app.wait_for_response(user, needle).await;
    assert!(reply.to_string().contains(needle), "{reply}");
    let pending = app.store.pending_requests().await.expect("store answers");
    assert!(pending.is_empty(), "nothing created: {pending:?}");
    assert!(
        app.slack
            .calls_to("chat.postMessage")
            .iter()
            .all(|c| c.body["channel"] != crate::harness::TEAM_CHANNEL)
    );
    assert!(app.emulator.schedule_requests().is_empty());
}

#[tokio::test]
async fn a_duration_over_the_policy_maximum_is_refused_naming_the_maximum() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    refused(
        &app,
        "UALICE",
        "request app1-secrets for 3h ticket INC-1 rotating",
        "maximum of 2h",
    )
    .await;
}

#[tokio::test]
async fn a_missing_ticket_is_refused_when_the_policy_requires_one() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    refused(
        &app,
        "UALICE",
        "request app1-secrets for 1h rotating the cert",
        "requires a ticket",
    )
    .await;
}

#[tokio::test]
async fn a_user_without_eligibility_is_refused() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    refused(
        &app,
        "UDAVE",
        "request app1-secrets for 1h ticket INC-1 rotating",
        "not eligible",
    )
    .await;
}

#[tokio::test]
async fn a_disabled_account_cannot_request() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    refused(
        &app,
        "UERIN",
        "request app1-secrets for 1h ticket INC-1 rotating",
        "disabled",
    )
    .await;
}

#[tokio::test]
async fn a_role_whose_policy_requires_mfa_is_refused_with_the_reason() {
    let app = TestApp::start().await;
    refused(
        &app,
        "UFRANK",
        "request role:\"Security Reader\"@/ for 1h checking alerts",
        "multi-factor",
    )
    .await;
}

#[tokio::test]
async fn refusals_are_audited() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    refused(
        &app,
        "UDAVE",
        "request app1-secrets for 1h ticket INC-1 rotating",
        "not eligible",
    )
    .await;
    let events = app.store.audit_events(0, 100).await.expect("store answers");
    assert!(
        events.iter().any(
            |e| e.canonical.contains("request.refused") && e.canonical.contains("not_eligible")
        ),
        "{events:?}"
    );
}

#[tokio::test]
async fn an_unknown_command_gets_the_usage_at_once() {
    let app = TestApp::start().await;
    let (status, answer) = app.slash("UALICE", "frobnicate now").await;
    assert_eq!(status, 200);
    let text = answer.to_string();
    assert!(
        text.contains("I don't know `frobnicate`") && text.contains("request"),
        "{text}"
    );
}
