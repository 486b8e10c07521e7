//! Activate mode on Slack, against the emulator: people sign in through pimbot's links, PIM
//! activates with the requester's own token and runs its own approval, decided on the card with
//! the approver's own token, while pimbot's application holds no write permission.

use pimbot::emulator::{Emulator, Provider, ServicePrincipal, Tenant};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;

use crate::harness::TestApp;

pub(crate) const PIMBOT_APP: &str = "11111111-2222-3333-4444-555555555555";
pub(crate) const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";
pub(crate) const BOB: &str = "d7a95a2d-6f54-4d5b-9b0a-9b8847c25a70";
pub(crate) const CAROL: &str = "8767515c-c303-466f-9b40-98e9a042f5b1";
pub(crate) const FRANK: &str = "20c857e8-5b84-4089-a34c-8729ea394230";

/// pimbot's application permissions in activate mode: reads only.
pub(crate) const READ_ONLY: [&str; 8] = [
    "User.Read.All",
    "GroupMember.Read.All",
    "Application.Read.All",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "RoleManagementPolicy.Read.Directory",
    "RoleManagementPolicy.Read.AzureADGroup",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
];

pub(crate) const CONFIG: &str = r#"
[auth]
token_keys = ["k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="]

[[targets]]
name = "groups-admin"
kind = "role"
role = "Groups Administrator"
mode = "activate"

[[targets]]
name = "security-reader"
kind = "role"
role = "Security Reader"
mode = "activate"
"#;

pub(crate) async fn start() -> TestApp {
    start_in(Tenant::demo(), CONFIG).await
}

/// pimbot on `tenant` with `config`, its application holding only read permissions.
pub(crate) async fn start_in(mut tenant: Tenant, config: &str) -> TestApp {
    tenant.service_principals.push(ServicePrincipal {
        id: "4c7a9d0e-1b2c-4d3e-8f4a-5b6c7d8e9f00".to_owned(),
        app_id: PIMBOT_APP.to_owned(),
        display_name: "pimbot".to_owned(),
        app_roles: READ_ONLY.iter().map(|p| (*p).to_owned()).collect(),
    });
    TestApp::start_with(tenant, config).await
}

pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `state` of the newest sign-in link pimbot sent `user` in a DM, once there are `nth`.
pub(crate) async fn sign_in_link(app: &TestApp, user: &str, nth: usize) -> String {
    let channel = format!("D{user}");
    let links = |calls: &[crate::fake_slack::Call]| -> Vec<String> {
        calls
            .iter()
            .filter(|c| c.method == "chat.postMessage" && c.body["channel"] == channel.as_str())
            .filter_map(|c| {
                let text = c.body["text"].as_str()?;
                let start = text.find("auth/start?state=")? + "auth/start?state=".len();
                let state: String = text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                Some(state)
            })
            .collect()
    };
    let calls = app
        .slack
        .wait_for(&format!("sign-in link {nth} to {user}"), |calls| {
            links(calls).len() >= nth
        })
        .await;
    links(&calls).pop().expect("a link")
}

/// Follows a sign-in link as `user`'s browser: pimbot's `/auth/start`, the emulator's sign-in
/// page (signing in as `account`, with MFA when `mfa`), and back to pimbot's callback.
pub(crate) async fn sign_in(
    app: &TestApp,
    state: &str,
    account: &str,
    mfa: bool,
) -> (StatusCode, String) {
    let browser = no_redirects();
    let start = browser
        .get(format!("{}/auth/start?state={state}", app.base_url))
        .send()
        .await
        .expect("start");
    assert_eq!(
        start.status(),
        StatusCode::FOUND,
        "pimbot sends the browser to Entra"
    );
    let authorize = reqwest::Url::parse(start.headers()[LOCATION].to_str().expect("location"))
        .expect("authorize URL");
    assert!(
        authorize.as_str().starts_with(&app.emulator_url),
        "{authorize}"
    );
    let query: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    assert!(
        query
            .iter()
            .any(|(k, v)| k == "code_challenge_method" && v == "S256")
    );
    assert!(
        !query.iter().any(|(k, _)| k == "code_verifier"),
        "the verifier never leaves pimbot"
    );
    // An authentication-context challenge is met by ticking the context on the sign-in page.
    let contexts: Vec<String> = query
        .iter()
        .filter(|(k, v)| k == "claims" && v.contains("\"c1\""))
        .map(|_| "c1".to_owned())
        .collect();
    let mut form = query;
    form.extend(contexts.into_iter().map(|c| ("acrs".to_owned(), c)));
    form.push(("user".to_owned(), account.to_owned()));
    if mfa {
        form.push(("mfa".to_owned(), "on".to_owned()));
    }
    let mut page = authorize.clone();
    page.set_query(None);
    let signed = browser
        .post(page)
        .form(&form)
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed.status(), StatusCode::FOUND);
    let back = reqwest::Url::parse(signed.headers()[LOCATION].to_str().expect("location"))
        .expect("callback URL");
    let callback = format!(
        "{}/auth/callback?{}",
        app.base_url,
        back.query().unwrap_or_default()
    );
    let answer = browser.get(callback).send().await.expect("callback");
    (answer.status(), answer.text().await.unwrap_or_default())
}

/// `user` types `login` and signs in as `account`.
pub(crate) async fn log_in(app: &TestApp, user: &str, account: &str, mfa: bool) {
    app.slash(user, "login").await;
    let state = sign_in_link(app, user, 1).await;
    let (status, page) = sign_in(app, &state, account, mfa).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("signed in"), "{page}");
    app.wait_for_dm(user, "You are signed in").await;
}

pub(crate) fn request_id(reply: &Value) -> String {
    let text = reply.to_string();
    let start = text.find("PIM-").expect("a request id");
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

pub(crate) fn self_requests(emulator: &Emulator) -> Vec<Value> {
    emulator
        .requests_of(Provider::Role)
        .into_iter()
        .filter(|r| r["action"] == "selfActivate")
        .collect()
}

#[tokio::test]
async fn pim_activates_as_the_requester_and_its_approval_is_decided_on_the_card_as_the_approver() {
    let app = start().await;
    log_in(&app, "UALICE", ALICE, true).await;

    app.slash(
        "UALICE",
        "request groups-admin for 1h ticket INC-7 cleaning up groups",
    )
    .await;
    let reply = app.wait_for_response("UALICE", "goes to PIM as you").await;
    let id = request_id(&reply);
    // PIM holds it for Carol's approval; the card asks its approvers.
    let card = app
        .slack
        .wait_for("the approval card", |calls| {
            calls.iter().any(|c| {
                c.method == "chat.postMessage"
                    && c.body.to_string().contains("waiting for approval in PIM")
            })
        })
        .await;
    assert!(!card.is_empty());
    let sent = self_requests(&app.emulator);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["principalId"], ALICE);
    assert_eq!(sent[0]["ticketInfo"]["ticketNumber"], "INC-7");
    assert!(
        app.emulator.active_of(Provider::Role).is_empty(),
        "PIM waits for Carol"
    );

    // Carol is not signed in: her click gets a link, and her approval goes to PIM once she is.
    assert_eq!(app.click("UCAROL", "approve", &id).await, 200);
    let state = sign_in_link(&app, "UCAROL", 1).await;
    let (status, page) = sign_in(&app, &state, CAROL, true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    app.wait_for_dm("UCAROL", "PIM recorded your approval")
        .await;
    app.wait_for_dm("UALICE", "active").await;
    let active = app.emulator.active_of(Provider::Role);
    assert!(
        active.iter().any(|a| a.principal_id == ALICE),
        "PIM activated it for Alice: {active:?}"
    );
    let calls = app.emulator.calls();
    assert!(
        !calls.iter().any(|c| c.contains("adminAssign")),
        "pimbot's own identity granted nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn pim_asks_for_mfa_and_the_activation_goes_on_after_a_stronger_sign_in() {
    let app = start().await;
    log_in(&app, "UFRANK", FRANK, false).await;
    app.slash(
        "UFRANK",
        "request security-reader for 1h reading the audit logs",
    )
    .await;
    app.wait_for_response("UFRANK", "goes to PIM as you").await;
    let state = sign_in_link(&app, "UFRANK", 2).await;
    app.wait_for_dm("UFRANK", "stronger sign-in").await;
    let (status, page) = sign_in(&app, &state, FRANK, true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    app.wait_for_dm("UFRANK", "active").await;
    assert!(
        app.emulator
            .active_of(Provider::Role)
            .iter()
            .any(|a| a.principal_id == FRANK)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_target_may_still_ask_for_pimbots_own_approval_before_pim_activates_as_the_requester() {
    let config = format!(
        r#"
[auth]
token_keys = ["k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="]

[[targets]]
name = "security-reader"
kind = "role"
role = "Security Reader"
mode = "activate"
approvals_required = 1
approvers = ["user:{BOB}"]
"#
    );
    let app = start_in(Tenant::demo(), &config).await;
    log_in(&app, "UFRANK", FRANK, true).await;
    app.slash(
        "UFRANK",
        "request security-reader for 1h reading the audit logs",
    )
    .await;
    let reply = app
        .wait_for_response("UFRANK", "waiting for approval by Bob Owner")
        .await;
    let id = request_id(&reply);
    assert!(
        self_requests(&app.emulator).is_empty(),
        "PIM waits for pimbot's approval"
    );
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_dm("UFRANK", "active").await;
    let sent = self_requests(&app.emulator);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["principalId"], FRANK);
    app.stop().await;
}
