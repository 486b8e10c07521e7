//! Which app asked for the token, and which channel the activity came through. A token the bot's
//! own Entra tenant issued is accepted only when its caller (`azp` in v2 tokens, `appid` in v1)
//! is allowed (`teams.allowed_callers`, default: the Bot Framework channel service), so another
//! app registration of the tenant cannot speak as a Teams user. Only `msteams` activities count:
//! Web Chat and Direct Line are on by default on an Azure Bot.

use std::time::Duration;

use pimbot::domain::request::Platform;
use serde_json::{Value, json};

use crate::fake_teams::{ALICE, BOB, ENTRA_KID, KID, THREAD, WEBCHAT_KID, claims, sign};
use crate::harness::TENANT_ID;
use crate::teams_app::TeamsApp;

/// The Bot Framework channel service's app id, which pimbot allows by default.
const CHANNEL_SERVICE: &str = "5a807f24-c9de-44ee-a3a7-329e88a00ffc";
/// Any other app registration of the tenant.
const ROGUE_APP: &str = "3f0e6d2c-1b4a-4c5d-9e8f-7a6b5c4d3e2f";

/// v2 claims as Entra issues them for a client-credentials token of `caller` for the bot.
fn v2_claims(app: &TeamsApp, caller: Option<&str>) -> Value {
    let mut claims = claims("unused");
    claims["iss"] = json!(format!("{}/{TENANT_ID}/v2.0", app.app.emulator_url));
    claims["tid"] = json!(TENANT_ID);
    claims["ver"] = json!("2.0");
    let object = claims.as_object_mut().expect("claims are an object");
    object.remove("serviceurl");
    if let Some(caller) = caller {
        object.insert("azp".into(), json!(caller));
    }
    claims
}

/// v1 claims: issuer `sts.windows.net`, the caller in `appid`.
fn v1_claims(caller: &str) -> Value {
    let mut claims = claims("unused");
    claims["iss"] = json!(format!("https://sts.windows.net/{TENANT_ID}/"));
    claims["tid"] = json!(TENANT_ID);
    claims["ver"] = json!("1.0");
    claims["appid"] = json!(caller);
    claims
        .as_object_mut()
        .expect("claims are an object")
        .remove("serviceurl");
    claims
}

fn bearer(claims: &Value, kid: &str) -> Option<String> {
    Some(format!("Bearer {}", sign(claims, kid)))
}

/// Nothing of a refused activity may remain: no audit event, no Connector call, no reference.
async fn nothing_stored(app: &TeamsApp) {
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
async fn entra_tokens_of_the_channel_service_are_accepted_in_both_versions() {
    let app = TeamsApp::start("").await;
    for claims in [
        v2_claims(&app, Some(CHANNEL_SERVICE)),
        v1_claims(CHANNEL_SERVICE),
        v2_claims(&app, Some(&CHANNEL_SERVICE.to_uppercase())),
    ] {
        let answer = app
            .post(
                &app.channel_message(ALICE, "help"),
                bearer(&claims, ENTRA_KID),
            )
            .await;
        assert_eq!(answer.status, 200, "{claims}: {}", answer.body);
    }
}

#[tokio::test]
async fn another_app_of_the_tenant_cannot_speak_as_a_teams_user() {
    let app = TeamsApp::start("").await;
    // The rogue app asks, as Bob (an approver), to approve something; as Alice, to request.
    let click = app.invoke(
        BOB,
        "1700000000009",
        "approve",
        json!({"request": "PIM-1001"}),
    );
    let typed = app.channel_message(ALICE, "request app1-secrets for 1h ticket INC-1 why");
    let cases = [
        (
            "v2, another azp",
            bearer(&v2_claims(&app, Some(ROGUE_APP)), ENTRA_KID),
            &click,
        ),
        (
            "v2, another azp",
            bearer(&v2_claims(&app, Some(ROGUE_APP)), ENTRA_KID),
            &typed,
        ),
        (
            "v1, another appid",
            bearer(&v1_claims(ROGUE_APP), ENTRA_KID),
            &typed,
        ),
        (
            "neither azp nor appid",
            bearer(&v2_claims(&app, None), ENTRA_KID),
            &typed,
        ),
    ];
    for (case, authorization, activity) in cases {
        let answer = app.post(activity, authorization).await;
        assert_eq!(answer.status, 401, "{case}: {}", answer.body);
    }
    nothing_stored(&app).await;
}

#[tokio::test]
async fn allowed_callers_replace_the_default() {
    // The extra TOML lands in the `[teams]` section.
    let app = TeamsApp::start(&format!("allowed_callers = [\"{ROGUE_APP}\"]")).await;
    let activity = app.channel_message(ALICE, "help");
    let answer = app
        .post(
            &activity,
            bearer(&v2_claims(&app, Some(ROGUE_APP)), ENTRA_KID),
        )
        .await;
    assert_eq!(answer.status, 200, "the configured caller: {}", answer.body);
    let answer = app
        .post(
            &activity,
            bearer(&v2_claims(&app, Some(CHANNEL_SERVICE)), ENTRA_KID),
        )
        .await;
    assert_eq!(answer.status, 401, "the default no longer: {}", answer.body);
}

#[tokio::test]
async fn only_msteams_activities_are_taken() {
    let app = TeamsApp::start("").await;
    let with_channel = |channel: Option<&str>| {
        let mut activity = app.channel_message(ALICE, "request app1-secrets for 1h why");
        match channel {
            Some(channel) => activity["channelId"] = json!(channel),
            None => {
                activity
                    .as_object_mut()
                    .expect("object")
                    .remove("channelId");
            }
        }
        activity
    };
    let bot_framework = claims(&app.teams.service_url());
    let entra = v2_claims(&app, Some(CHANNEL_SERVICE));
    let cases = [
        // A Bot Framework key that endorses Web Chat, for a Web Chat activity.
        (
            "webchat",
            bearer(&bot_framework, WEBCHAT_KID),
            with_channel(Some("webchat")),
        ),
        (
            "directline",
            bearer(&entra, ENTRA_KID),
            with_channel(Some("directline")),
        ),
        (
            "no channelId",
            bearer(&bot_framework, KID),
            with_channel(None),
        ),
        (
            "no channelId, Entra",
            bearer(&entra, ENTRA_KID),
            with_channel(None),
        ),
    ];
    for (case, authorization, activity) in cases {
        let answer = app.post(&activity, authorization).await;
        assert_eq!(answer.status, 401, "{case}: {}", answer.body);
    }
    nothing_stored(&app).await;
    let answer = app.send(&with_channel(Some("msteams"))).await;
    assert_eq!(answer.status, 200, "msteams still works: {}", answer.body);
}
