//! Which Entra account a Slack user is. Whoever administers the Slack workspace can edit a
//! member's e-mail, so pimbot trusts it only for a live member of an allowed workspace
//! (`slack.allowed_teams`, default the bot token's own from `auth.test`) whose address Slack has
//! confirmed, and only when it matches exactly one Entra account. `[[identities]]` wins over the
//! e-mail, and a changed mapping of an approver is audited.

use chrono::{Duration, Utc};
use pimbot::domain::request::Platform;
use pimbot::emulator::Tenant;

use crate::fake_slack::FakeSlack;
use crate::harness::{SLACK_USERS, TestApp};
use crate::story::{REQUEST_TEXT, TARGETS_TOML, approval_message};

const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";
const BOB: &str = "d7a95a2d-6f54-4d5b-9b0a-9b8847c25a70";
const DAVE: &str = "854eb95f-7e10-4e10-afd0-3853b84a2683";

/// `text` typed by `user` gets an answer containing `needle`; the refusal is audited as `code`,
/// no identity is remembered for `user`, and nothing reaches PIM.
async fn refused(app: &TestApp, user: &str, text: &str, needle: &str, code: &str) {
    let (status, _) = app.slash(user, text).await;
    assert_eq!(status, 200);
    let reply = app.wait_for_response(user, needle).await;
    assert_eq!(reply["response_type"], "ephemeral", "{reply}");
    let remembered = app.store.identity(Platform::Slack, user).await;
    assert!(
        remembered.expect("store answers").is_none(),
        "no identity is remembered for {user}"
    );
    assert!(app.emulator.schedule_requests().is_empty(), "no PIM call");
    let events = app.store.audit_events(0, 100).await.expect("audit");
    assert!(
        events
            .iter()
            .any(|e| e.canonical.contains("request.refused")
                && e.canonical.contains(&format!("\"outcome\":\"{code}\""))),
        "the refusal is audited as {code}: {events:?}"
    );
}

async fn assert_nothing_pending(app: &TestApp) {
    let pending = app.store.pending_requests().await.expect("store answers");
    assert!(pending.is_empty(), "nothing created: {pending:?}");
}

#[tokio::test]
async fn a_slack_email_that_slack_has_not_confirmed_is_refused() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    app.slack.edit_user("UALICE", |u| u.email_confirmed = false);
    let needle = "Slack e-mail address is not confirmed";
    refused(&app, "UALICE", REQUEST_TEXT, needle, "email_unconfirmed").await;
    assert_nothing_pending(&app).await;
}

#[tokio::test]
async fn a_deactivated_slack_account_is_refused() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    app.slack.edit_user("UALICE", |u| u.deleted = true);
    let needle = "Slack account is deactivated";
    refused(&app, "UALICE", REQUEST_TEXT, needle, "chat_account_deleted").await;
    assert_nothing_pending(&app).await;
}

#[tokio::test]
async fn a_member_of_another_slack_workspace_is_refused() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    // A Slack Connect guest from another organisation, with an address of ours.
    app.slack
        .edit_user("UALICE", |u| u.team_id = "T0OTHER".into());
    let needle = "not in an allowed Slack workspace";
    refused(
        &app,
        "UALICE",
        REQUEST_TEXT,
        needle,
        "outside_allowed_workspace",
    )
    .await;
    assert_nothing_pending(&app).await;
}

#[tokio::test]
async fn the_allowed_workspace_is_the_bot_tokens_own_by_default_read_once() {
    let slack = FakeSlack::start(SLACK_USERS).await;
    slack.set_team("T9");
    for user in ["UALICE", "UCAROL"] {
        slack.edit_user(user, |u| u.team_id = "T9".into());
    }
    let app = TestApp::start_with_slack(Tenant::demo(), TARGETS_TOML, slack).await;
    // Bob's account is in T1, which is not the bot's workspace any more.
    let needle = "not in an allowed Slack workspace";
    refused(
        &app,
        "UBOB",
        "approvals",
        needle,
        "outside_allowed_workspace",
    )
    .await;
    let (status, _) = app.slash("UALICE", REQUEST_TEXT).await;
    assert_eq!(status, 200);
    let (_, message) = approval_message(&app).await;
    let text = message.to_string();
    assert!(
        text.contains("<@UCAROL>") && !text.contains("<@UBOB>"),
        "only the approver of the allowed workspace is mentioned: {text}"
    );
    assert_eq!(
        app.slack.calls_to("auth.test").len(),
        1,
        "the bot's workspace is read once"
    );
}

#[tokio::test]
async fn configured_allowed_teams_replace_the_bot_tokens_own_workspace() {
    // The harness's `[slack]` section is the last one before this text.
    let toml = format!("allowed_teams = [\"T1\", \"T2\"]\n{TARGETS_TOML}");
    let app = TestApp::start_with(Tenant::demo(), &toml).await;
    app.slack.edit_user("UALICE", |u| u.team_id = "T2".into());
    app.slack.edit_user("UDAVE", |u| u.team_id = "T3".into());
    let needle = "not in an allowed Slack workspace";
    refused(
        &app,
        "UDAVE",
        "approvals",
        needle,
        "outside_allowed_workspace",
    )
    .await;
    let (status, _) = app.slash("UALICE", REQUEST_TEXT).await;
    assert_eq!(status, 200);
    approval_message(&app).await;
    assert!(app.slack.calls_to("auth.test").is_empty(), "no auth.test");
}

#[tokio::test]
async fn an_email_that_matches_two_entra_accounts_is_refused_instead_of_picking_one() {
    let mut tenant = Tenant::demo();
    let alice = tenant.users.iter_mut().find(|u| u.id == ALICE);
    let alice = alice.expect("alice");
    alice.user_principal_name = "alice.engineer@contoso.example".into();
    // Someone else signs in with Alice's address.
    let mut other = alice.clone();
    other.id = "5b0c7d1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e".into();
    other.display_name = "Alice Other".into();
    other.mail = None;
    other.user_principal_name = "alice@contoso.example".into();
    tenant.users.push(other);
    let app = TestApp::start_with(tenant, TARGETS_TOML).await;
    let needle = "matches more than one Microsoft Entra account";
    refused(&app, "UALICE", REQUEST_TEXT, needle, "ambiguous_email").await;
    assert_nothing_pending(&app).await;
}

#[tokio::test]
async fn an_identities_entry_wins_over_the_slack_email() {
    let toml = format!(
        "[[identities]]\nslack = \"UALICE\"\nentra = \"alice@contoso.example\"\n{TARGETS_TOML}"
    );
    let app = TestApp::start_with(Tenant::demo(), &toml).await;
    // A Slack admin gives Alice's account Bob's address (and Bob another one).
    app.slack
        .edit_user("UBOB", |u| u.email = "bob.old@contoso.example".into());
    app.slack
        .edit_user("UALICE", |u| u.email = "bob@contoso.example".into());
    let (status, _) = app.slash("UALICE", REQUEST_TEXT).await;
    assert_eq!(status, 200);
    approval_message(&app).await;
    let pending = app.store.pending_requests().await.expect("store");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        pending[0].requester.entra_id, ALICE,
        "Alice asked, as mapped"
    );
    let asked_about_alice = app
        .slack
        .calls_to("users.info")
        .iter()
        .any(|c| c.body["user"] == "UALICE");
    assert!(!asked_about_alice, "a mapped account's e-mail is not read");
}

#[tokio::test]
async fn an_email_of_an_entra_account_mapped_to_another_slack_user_is_refused() {
    let toml = format!("[[identities]]\nslack = \"UALICE2\"\nentra = \"{ALICE}\"\n{TARGETS_TOML}");
    let app = TestApp::start_with(Tenant::demo(), &toml).await;
    let needle = "mapped to another Slack account";
    refused(
        &app,
        "UALICE",
        REQUEST_TEXT,
        needle,
        "identity_mapped_elsewhere",
    )
    .await;
    assert_nothing_pending(&app).await;
}

/// Alice's request is pending, so its approvers (Bob and Carol) are approvers somewhere.
async fn alice_is_waiting(app: &TestApp) {
    let (status, _) = app.slash("UALICE", REQUEST_TEXT).await;
    assert_eq!(status, 200);
    approval_message(app).await;
}

/// The `identity.changed` events of the audit trail.
async fn identity_changes(app: &TestApp) -> Vec<String> {
    let events = app.store.audit_events(0, 200).await.expect("audit");
    events
        .into_iter()
        .map(|e| e.canonical)
        .filter(|c| c.contains("\"kind\":\"identity.changed\""))
        .collect()
}

#[tokio::test]
async fn a_slack_account_that_now_maps_to_an_approver_is_audited() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    app.slash("UDAVE", "approvals").await;
    app.wait_for_response("UDAVE", "Nothing is waiting").await;
    alice_is_waiting(&app).await;
    assert!(
        identity_changes(&app).await.is_empty(),
        "nothing changed yet"
    );
    // A Slack admin moves Bob's address to Dave's account; Dave's cached mapping runs out.
    app.slack
        .edit_user("UBOB", |u| u.email = "bob.old@contoso.example".into());
    app.slack
        .edit_user("UDAVE", |u| u.email = "bob@contoso.example".into());
    let cached = app.store.identity(Platform::Slack, "UDAVE").await;
    let mut cached = cached.expect("store answers").expect("Dave is remembered");
    assert_eq!(cached.user.id, DAVE);
    cached.fetched_at = Utc::now() - Duration::hours(2);
    app.store.save_identity(&cached).await.expect("store");

    app.slash("UDAVE", "status").await;
    app.wait_for_response("UDAVE", "no requests").await;
    let changes = identity_changes(&app).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    let change = &changes[0];
    assert!(
        change.contains("UDAVE") && change.contains(BOB) && change.contains(DAVE),
        "names the Slack account, the new and the previous Entra account: {change}"
    );
}

#[tokio::test]
async fn a_second_slack_account_for_an_approver_is_audited() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    alice_is_waiting(&app).await;
    // Bob is known as UBOB; a Slack admin gives a new account Bob's address.
    app.slack
        .edit_user("UBOB", |u| u.email = "bob.old@contoso.example".into());
    app.slack
        .edit_user("UMALLORY", |u| u.email = "bob@contoso.example".into());
    app.slash("UMALLORY", "status").await;
    app.wait_for_response("UMALLORY", "no requests").await;
    let changes = identity_changes(&app).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    let change = &changes[0];
    assert!(
        change.contains("UMALLORY") && change.contains(BOB) && change.contains("UBOB"),
        "names the new Slack account, the approver and the account known before: {change}"
    );
}
