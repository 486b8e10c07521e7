//! The code flow against the emulator over HTTP: the authorize link, the sign-in form driven
//! with reqwest (no redirects followed), the redemption, refresh for ARM, and the refusals.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};

use super::{EntraSignIn, SignInSettings};
use crate::emulator::{Emulator, Tenant};
use crate::secret::Secret;
use crate::service::ports::{AuthorizeRequest, DelegatedApi, SignInError, SignInProvider};

pub(crate) const TENANT: &str = "8a3e5c1f-2b4d-4e6f-9a1b-3c5d7e9f1a2b";
pub(crate) const PIMBOT: &str = "5d1e7a52-0c3b-4f1e-9d2a-00000000de30";
const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";
const REDIRECT: &str = "http://localhost:3978/auth/callback";
const SUB: &str = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57";

/// A demo emulator on a free loopback port, and its base URL.
pub(crate) async fn emulator() -> (Emulator, String) {
    let emulator = Emulator::new(Tenant::demo());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    emulator.spawn(listener);
    (emulator, base)
}

fn provider(base: &str) -> EntraSignIn {
    EntraSignIn::new(
        SignInSettings {
            authority_host: base.to_owned(),
            tenant_id: TENANT.to_owned(),
            client_id: PIMBOT.to_owned(),
            client_secret: Secret::new("s3cret"),
            redirect_url: REDIRECT.to_owned(),
            graph_url: base.to_owned(),
            arm_url: base.to_owned(),
            timeout: Duration::from_secs(5),
        },
        reqwest::Client::new(),
    )
    .expect("settings")
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn query(url: &str) -> Vec<(String, String)> {
    let url = Url::parse(url).expect("url");
    url.query_pairs().into_owned().collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Signs `user` in through the emulator's form (with MFA), as a browser would; the code from
/// the redirect's `Location`.
async fn sign_in(sign_in: &EntraSignIn, user: &str, verifier: &str) -> String {
    let link = sign_in.authorize_url(&AuthorizeRequest {
        state: "state-1",
        code_challenge: &challenge(verifier),
        login_hint: None,
        claims: None,
        fresh: false,
    });
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = browser.get(&link).send().await.expect("authorize GET");
    assert_eq!(page.status(), StatusCode::OK);
    let mut form = query(&link);
    form.push(("user".into(), user.into()));
    form.push(("mfa".into(), "on".into()));
    let action = link.split('?').next().expect("path");
    let answer = browser
        .post(action)
        .form(&form)
        .send()
        .await
        .expect("authorize POST");
    assert_eq!(answer.status(), StatusCode::FOUND);
    let location = answer.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    let back = query(&location);
    assert_eq!(param(&back, "state"), Some("state-1"));
    param(&back, "code").expect("a code").to_owned()
}

#[tokio::test]
async fn the_authorize_link_asks_for_pkce_s256_the_state_the_claims_and_a_fresh_sign_in() {
    let (_emulator, base) = emulator().await;
    let claims = r#"{"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#;
    let link = provider(&base).authorize_url(&AuthorizeRequest {
        state: "s-42",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        login_hint: Some("alice@contoso.example"),
        claims: Some(claims),
        fresh: true,
    });
    assert!(link.starts_with(&format!("{base}/{TENANT}/oauth2/v2.0/authorize?")));
    let pairs = query(&link);
    for (name, value) in [
        ("client_id", PIMBOT),
        ("response_type", "code"),
        ("response_mode", "query"),
        ("redirect_uri", REDIRECT),
        ("state", "s-42"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
        ("login_hint", "alice@contoso.example"),
        ("prompt", "login"),
        ("claims", claims),
    ] {
        assert_eq!(param(&pairs, name), Some(value), "{name} in {link}");
    }
    let scope = param(&pairs, "scope").expect("scope");
    for wanted in [
        "openid",
        "offline_access",
        &format!("{base}/RoleAssignmentSchedule.ReadWrite.Directory"),
        &format!("{base}/PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"),
        &format!("{base}/user_impersonation"),
    ] {
        assert!(scope.split(' ').any(|s| s == wanted), "{wanted} in {scope}");
    }
    let quiet = provider(&base).authorize_url(&AuthorizeRequest {
        state: "s",
        code_challenge: "c",
        login_hint: None,
        claims: None,
        fresh: false,
    });
    let pairs = query(&quiet);
    assert_eq!(param(&pairs, "prompt"), None);
    assert_eq!(param(&pairs, "claims"), None);
}

#[tokio::test]
async fn the_code_flow_signs_alice_in_and_her_refresh_token_gives_a_token_arm_accepts() {
    let (emulator, base) = emulator().await;
    let entra = provider(&base);
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-alice";
    let code = sign_in(&entra, ALICE, verifier).await;
    let signed_in = entra.redeem(&code, verifier).await.expect("redeemed");
    assert_eq!(signed_in.object_id, ALICE);
    assert_eq!(signed_in.tenant_id, TENANT);
    assert!(signed_in.display_name.is_some());
    assert!(!signed_in.refresh_token.is_empty());
    assert!(
        signed_in
            .scopes
            .iter()
            .any(|s| s.ends_with("/RoleAssignmentSchedule.ReadWrite.Directory")),
        "{:?}",
        signed_in.scopes
    );
    assert!(!format!("{signed_in:?}").contains(&signed_in.refresh_token));

    let arm = entra
        .access_token(&signed_in.refresh_token, DelegatedApi::Arm)
        .await
        .expect("an ARM token");
    assert!(!format!("{arm:?}").contains(&arm.access_token));
    let eligible = reqwest::Client::new()
        .get(format!(
            "{base}{SUB}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances"
        ))
        .query(&[("api-version", "2020-10-01"), ("$filter", "asTarget()")])
        .bearer_auth(&arm.access_token)
        .send()
        .await
        .expect("ARM call");
    assert_eq!(eligible.status(), StatusCode::OK);
    let graph = entra
        .access_token(&signed_in.refresh_token, DelegatedApi::Graph)
        .await
        .expect("a Graph token");
    assert_ne!(graph.access_token, arm.access_token);

    assert!(emulator.revoke_sign_ins(ALICE));
    let revoked = entra
        .access_token(&signed_in.refresh_token, DelegatedApi::Graph)
        .await;
    assert!(
        matches!(&revoked, Err(SignInError::Expired { code: Some(code), .. }) if code == "AADSTS50173"),
        "{revoked:?}"
    );
}

#[tokio::test]
async fn a_replayed_code_or_a_wrong_verifier_is_refused() {
    let (_emulator, base) = emulator().await;
    let entra = provider(&base);
    let verifier = "a-verifier-of-at-least-forty-three-characters-0001";
    let code = sign_in(&entra, ALICE, verifier).await;
    entra
        .redeem(&code, verifier)
        .await
        .expect("first redemption");
    let replayed = entra.redeem(&code, verifier).await;
    assert!(
        matches!(&replayed, Err(SignInError::Refused { code: Some(code), .. }) if code == "AADSTS54005"),
        "{replayed:?}"
    );
    let code = sign_in(&entra, ALICE, verifier).await;
    let wrong = entra
        .redeem(&code, "another-verifier-entirely-0000000000000000")
        .await;
    assert!(
        matches!(&wrong, Err(SignInError::Refused { message, .. }) if message.contains("Code_Verifier")),
        "{wrong:?}"
    );
}
