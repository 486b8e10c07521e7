//! A single-tenant bot also accepts tokens its own Entra tenant issued (v1 and v2 issuers, Entra
//! keys), and nothing else that looks like them: another tenant, `common`, a Bot Framework key
//! under an Entra issuer, a serviceUrl outside the configured Connector, a multi-tenant bot.

use std::time::Duration;

use pimbot::domain::request::Platform;
use serde_json::{Value, json};

use crate::fake_teams::{ALICE, ENTRA_KID, KID, THREAD, claims, sign};
use crate::harness::TENANT_ID;
use crate::teams_app::TeamsApp;

const OTHER_TENANT: &str = "0b5c7d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e";

/// Claims as Entra issues them for the bot when the channel service asks: `iss` of the tenant,
/// `tid`, the caller in `azp`, no `serviceurl`.
fn entra_claims(issuer: &str, tenant: &str) -> Value {
    let mut claims = claims("unused");
    claims["iss"] = json!(issuer);
    claims["tid"] = json!(tenant);
    claims["azp"] = json!(pimbot::config::DEFAULT_ALLOWED_CALLER);
    claims
        .as_object_mut()
        .expect("claims are an object")
        .remove("serviceurl");
    claims
}

fn v1_issuer(tenant: &str) -> String {
    format!("https://sts.windows.net/{tenant}/")
}

fn bearer(claims: &Value, kid: &str) -> Option<String> {
    Some(format!("Bearer {}", sign(claims, kid)))
}

#[tokio::test]
async fn tokens_from_the_bots_own_entra_tenant_are_accepted() {
    let app = TeamsApp::start("").await;
    let v2_issuer = format!("{}/{TENANT_ID}/v2.0", app.app.emulator_url);
    for issuer in [v1_issuer(TENANT_ID), v2_issuer] {
        let activity = app.channel_message(ALICE, "help");
        let answer = app
            .post(
                &activity,
                bearer(&entra_claims(&issuer, TENANT_ID), ENTRA_KID),
            )
            .await;
        assert_eq!(answer.status, 200, "{issuer}: {}", answer.body);
    }
    let reference = app
        .app
        .store
        .conversation_ref(Platform::Teams, THREAD)
        .await
        .expect("read")
        .expect("an authenticated activity is remembered");
    assert_eq!(reference.service_url, app.teams.service_url());
}

#[tokio::test]
async fn look_alike_entra_tokens_are_401_and_leave_nothing_behind() {
    let app = TeamsApp::start("").await;
    let activity = app.channel_message(ALICE, "help");
    let ours = entra_claims(&v1_issuer(TENANT_ID), TENANT_ID);
    let mut elsewhere = activity.clone();
    elsewhere["serviceUrl"] = json!("https://evil.example/connector/");
    let mut no_tid = ours.clone();
    no_tid.as_object_mut().expect("object").remove("tid");
    let cases = [
        (
            "another tenant's issuer",
            bearer(
                &entra_claims(&v1_issuer(OTHER_TENANT), OTHER_TENANT),
                ENTRA_KID,
            ),
            &activity,
        ),
        (
            "the common issuer",
            bearer(
                &entra_claims("https://login.microsoftonline.com/common/v2.0", TENANT_ID),
                ENTRA_KID,
            ),
            &activity,
        ),
        (
            "our issuer, a Bot Framework key",
            bearer(&ours, KID),
            &activity,
        ),
        (
            "the Bot Framework issuer, an Entra key",
            bearer(&claims(&app.teams.service_url()), ENTRA_KID),
            &activity,
        ),
        (
            "a serviceUrl outside the Connector",
            bearer(&ours, ENTRA_KID),
            &elsewhere,
        ),
        ("no tenant claim", bearer(&no_tid, ENTRA_KID), &activity),
        (
            "our issuer, another tenant's tid",
            bearer(
                &entra_claims(&v1_issuer(TENANT_ID), OTHER_TENANT),
                ENTRA_KID,
            ),
            &activity,
        ),
    ];
    for (case, authorization, activity) in cases {
        let answer = app.post(activity, authorization).await;
        assert_eq!(answer.status, 401, "{case}: {}", answer.body);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = app.app.store.audit_events(0, 100).await.expect("audit");
    assert!(events.is_empty(), "nothing audited: {events:?}");
    assert!(app.teams.calls().is_empty(), "no Connector call");
    let reference = app
        .app
        .store
        .conversation_ref(Platform::Teams, THREAD)
        .await
        .expect("read");
    assert_eq!(reference, None, "no conversation reference stored");
}

#[tokio::test]
async fn a_multi_tenant_bot_accepts_no_entra_issuer() {
    let app = TeamsApp::start_for(None, "").await;
    let activity = app.channel_message(ALICE, "help");
    let answer = app
        .post(
            &activity,
            bearer(&entra_claims(&v1_issuer(TENANT_ID), TENANT_ID), ENTRA_KID),
        )
        .await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    let answer = app
        .post(&activity, bearer(&claims(&app.teams.service_url()), KID))
        .await;
    assert_eq!(
        answer.status, 200,
        "the Bot Framework still works: {}",
        answer.body
    );
}
