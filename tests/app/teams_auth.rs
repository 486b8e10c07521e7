//! The Bot Framework token checks from outside: every forged or misdirected activity is a 401
//! and leaves nothing behind (no audit event, no delivery, no conversation reference, no
//! Connector call); a token within the 5-minute skew is accepted.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pimbot::domain::request::Platform;
use serde_json::{Value, json};

use crate::fake_teams::{self, ALICE, KID, PUBLIC_KEY, THREAD, WEBCHAT_KID, claims, sign};
use crate::story::REQUEST_TEXT;
use crate::teams_app::TeamsApp;

const OTHER_TENANT: &str = "0b5c7d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e";

/// base64url without padding (a JWT segment), by hand: no base64 crate for one test.
fn b64(value: &Value) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = value.to_string().into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Each forged case: a name, the header value (or none), and the activity to send.
fn forgeries(app: &TeamsApp) -> Vec<(&'static str, Option<String>, Value)> {
    let service_url = app.teams.service_url();
    let activity = app.channel_message(ALICE, REQUEST_TEXT);
    let valid = claims(&service_url);
    let with = |key: &str, value: Value| {
        let mut c = valid.clone();
        c[key] = value;
        c
    };
    let bearer = |token: String| Some(format!("Bearer {token}"));
    let now = chrono::Utc::now().timestamp();
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "kid": KID})),
        b64(&valid)
    );
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.kid = Some(KID.into());
    let hs256 = jsonwebtoken::encode(
        &hs256,
        &valid,
        &EncodingKey::from_secret(PUBLIC_KEY.as_bytes()),
    )
    .expect("sign");
    let mut other_tenant_activity = activity.clone();
    other_tenant_activity["channelData"]["tenant"]["id"] = json!(OTHER_TENANT);
    other_tenant_activity["conversation"]["tenantId"] = json!(OTHER_TENANT);
    vec![
        ("no token", None, activity.clone()),
        (
            "not a bearer token",
            Some("Basic YWxpY2U6cHc=".into()),
            activity.clone(),
        ),
        (
            "wrong audience",
            bearer(sign(&with("aud", json!("someone-else")), KID)),
            activity.clone(),
        ),
        (
            "wrong issuer",
            bearer(sign(
                &with("iss", json!("https://sts.windows.net/evil/")),
                KID,
            )),
            activity.clone(),
        ),
        (
            "expired beyond the skew",
            bearer(sign(&with("exp", json!(now - 400)), KID)),
            activity.clone(),
        ),
        (
            "not valid yet beyond the skew",
            bearer(sign(&with("nbf", json!(now + 400)), KID)),
            activity.clone(),
        ),
        ("alg none", bearer(alg_none), activity.clone()),
        (
            "HS256 signed with the public key",
            bearer(hs256),
            activity.clone(),
        ),
        (
            "unknown kid",
            bearer(sign(&valid, "no-such-key")),
            activity.clone(),
        ),
        (
            "key not endorsed for msteams",
            bearer(sign(&valid, WEBCHAT_KID)),
            activity.clone(),
        ),
        (
            "serviceurl claim differs",
            bearer(sign(
                &with("serviceurl", json!("https://evil.example/")),
                KID,
            )),
            activity.clone(),
        ),
        (
            "no serviceurl claim",
            bearer(sign(&with("serviceurl", Value::Null), KID)),
            activity.clone(),
        ),
        (
            "token from another tenant",
            bearer(sign(&with("tid", json!(OTHER_TENANT)), KID)),
            activity.clone(),
        ),
        (
            "activity from another tenant",
            bearer(sign(&valid, KID)),
            other_tenant_activity,
        ),
    ]
}

#[tokio::test]
async fn forged_or_misdirected_activities_are_401_and_leave_nothing_behind() {
    let app = TeamsApp::start("").await;
    for (case, authorization, activity) in forgeries(&app) {
        let answer = app.post(&activity, authorization).await;
        assert_eq!(answer.status, 401, "{case}: {}", answer.body);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let store = &app.app.store;
    let events = store.audit_events(0, 100).await.expect("audit");
    assert!(events.is_empty(), "nothing audited: {events:?}");
    assert!(
        app.teams.calls().is_empty(),
        "no Connector call: {:?}",
        app.teams.calls()
    );
    let reference = store
        .conversation_ref(Platform::Teams, THREAD)
        .await
        .expect("read");
    assert_eq!(reference, None, "no conversation reference stored");
    let activity = app.channel_message(ALICE, REQUEST_TEXT);
    assert!(app.app.emulator.schedule_requests().is_empty());
    // The unknown `kid` did not make pimbot re-read the keys (at most once an hour).
    assert_eq!(app.teams.key_fetches(), 1, "keys fetched once and cached");
    // A valid token still works afterwards, also one expired 200 s ago (inside the 5 min skew).
    let mut late = claims(&app.teams.service_url());
    late["exp"] = json!(chrono::Utc::now().timestamp() - 200);
    let answer = app
        .post(&activity, Some(format!("Bearer {}", sign(&late, KID))))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        store
            .conversation_ref(Platform::Teams, THREAD)
            .await
            .expect("read")
            .is_some(),
        "an authenticated activity is remembered"
    );
    let _ = fake_teams::tenant();
}

#[tokio::test]
async fn a_retried_activity_is_handled_once() {
    let app = TeamsApp::start("").await;
    let activity = app.channel_message(ALICE, "help");
    assert_eq!(app.send(&activity).await.status, 200);
    assert_eq!(app.send(&activity).await.status, 200);
    app.teams
        .wait_for("the help text", |c| {
            c.body["text"]
                .as_str()
                .is_some_and(|t| t.contains("pimbot"))
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let replies = app
        .teams
        .calls()
        .iter()
        .filter(|c| {
            c.body["text"]
                .as_str()
                .is_some_and(|t| t.contains("request"))
        })
        .count();
    assert_eq!(replies, 1, "{:?}", app.teams.calls());
}
