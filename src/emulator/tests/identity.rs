//! Delegated sign-in over HTTP: the authorize page, the PKCE code flow, code reuse, expiry and
//! a wrong verifier, refresh to another resource, session revocation, and audiences.

use chrono::TimeDelta;

use super::*;
use crate::emulator::identity::s256;

pub(super) const PIMBOT: &str = "5d1e7a52-0c3b-4f1e-9d2a-00000000de30";
pub(super) const GRAPH_SCOPES: &str = "openid offline_access https://graph.microsoft.com/RoleAssignmentSchedule.ReadWrite.Directory https://graph.microsoft.com/PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup";
pub(super) const ARM_SCOPE: &str = "https://management.azure.com/user_impersonation";
const REDIRECT: &str = "http://localhost:3978/auth/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn claims(token: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode_claims(token).expect("a JWT")
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn authorize_query(claims: Option<&str>) -> Vec<(&'static str, String)> {
    let mut query = vec![
        ("client_id", PIMBOT.to_owned()),
        ("response_type", "code".to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("scope", GRAPH_SCOPES.to_owned()),
        ("state", "xyz-42".to_owned()),
        ("code_challenge", s256(VERIFIER)),
        ("code_challenge_method", "S256".to_owned()),
        ("login_hint", "alice@contoso.example".to_owned()),
    ];
    if let Some(claims) = claims {
        query.push(("claims", claims.to_owned()));
    }
    query
}

impl Harness {
    /// The sign-in form's POST for `user`; the `Location` it redirects to.
    async fn sign_in_form(&self, user: &str, extra: &[(&str, &str)]) -> String {
        let mut form: Vec<(String, String)> = authorize_query(None)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        form.push(("user".into(), user.into()));
        form.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let answer = no_redirects()
            .post(format!("{}/{TENANT}/oauth2/v2.0/authorize", self.base))
            .form(&form)
            .send()
            .await
            .expect("authorize POST");
        assert_eq!(answer.status(), StatusCode::FOUND);
        answer.headers()[reqwest::header::LOCATION]
            .to_str()
            .expect("location")
            .to_owned()
    }

    async fn redeem(&self, code: &str, verifier: &str, redirect: &str) -> Reply {
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", PIMBOT),
            ("client_secret", "s3cret"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ];
        self.token_request(TENANT, &form).await
    }

    async fn refresh(&self, token: &str, scope: &str) -> Reply {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", PIMBOT),
            ("client_secret", "s3cret"),
            ("refresh_token", token),
            ("scope", scope),
        ];
        self.token_request(TENANT, &form).await
    }

    /// A request with another bearer token.
    pub(super) async fn send_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        reply(request.send().await.expect("call")).await
    }
}

fn code_of(location: &str) -> String {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("query");
    pairs
        .into_iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[tokio::test]
async fn the_pkce_code_flow_signs_alice_in_with_mfa_and_the_asked_context() {
    let harness = start().await;
    let claims_param = r#"{"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#;
    let page = harness
        .client
        .get(format!("{}/{TENANT}/oauth2/v2.0/authorize", harness.base))
        .query(&authorize_query(Some(claims_param)))
        .send()
        .await
        .expect("authorize GET");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&format!("value=\"{ALICE}\" checked")),
        "{html}"
    );
    assert!(html.contains("name=\"mfa\" value=\"on\""), "{html}");
    assert!(html.contains("name=\"acrs\" value=\"c1\""), "{html}");
    assert!(html.contains("name=\"cancel\""), "{html}");
    assert!(
        !html.contains("Erin Disabled"),
        "disabled users are not offered"
    );

    let location = harness
        .sign_in_form(ALICE, &[("mfa", "on"), ("acrs", "c1")])
        .await;
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert!(location.contains("state=xyz-42"), "{location}");
    let tokens = harness
        .redeem(&code_of(&location), VERIFIER, REDIRECT)
        .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    assert_eq!(tokens.body["token_type"], "Bearer");
    assert!(tokens.body["refresh_token"].is_string());
    let access = claims(tokens.body["access_token"].as_str().expect("access"));
    assert_eq!(access["oid"], ALICE);
    assert_eq!(access["aud"], "https://graph.microsoft.com");
    assert_eq!(access["appid"], PIMBOT);
    assert_eq!(access["upn"], "alice@contoso.example");
    assert_eq!(access["amr"], json!(["pwd", "mfa"]));
    assert_eq!(access["acrs"], json!(["c1"]));
    assert_eq!(
        access["scp"],
        "RoleAssignmentSchedule.ReadWrite.Directory PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"
    );
    let id = claims(tokens.body["id_token"].as_str().expect("id token"));
    assert_eq!(id["aud"], PIMBOT);
    assert_eq!(id["preferred_username"], "alice@contoso.example");
    let token = tokens.body["access_token"].as_str().expect("access");
    let me = harness
        .send_as(
            token,
            reqwest::Method::GET,
            &format!("/v1.0/users/{ALICE}"),
            &[],
            None,
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
}

#[tokio::test]
async fn a_code_is_single_use_expires_and_needs_the_right_verifier_and_redirect() {
    let harness = start().await;
    let code = code_of(&harness.sign_in_form(ALICE, &[]).await);
    let wrong = harness.redeem(&code, "not-the-verifier", REDIRECT).await;
    assert_eq!(wrong.body["error"], "invalid_grant");
    assert_eq!(wrong.body["error_codes"], json!([501481]));
    let elsewhere = harness
        .redeem(&code, VERIFIER, "http://localhost/other")
        .await;
    assert_eq!(elsewhere.body["error_codes"], json!([500112]));
    assert_eq!(
        harness.redeem(&code, VERIFIER, REDIRECT).await.status,
        StatusCode::OK
    );
    let again = harness.redeem(&code, VERIFIER, REDIRECT).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.body["error_codes"], json!([54005]));
    let forged = harness.redeem("1.Aforged", VERIFIER, REDIRECT).await;
    assert_eq!(forged.body["error_codes"], json!([70000]));

    let late = code_of(&harness.sign_in_form(ALICE, &[]).await);
    harness.emulator.advance_clock(TimeDelta::minutes(11));
    let expired = harness.redeem(&late, VERIFIER, REDIRECT).await;
    assert_eq!(expired.body["error"], "invalid_grant");
    assert_eq!(expired.body["error_codes"], json!([70008]));
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_bad_requests_get_an_error_page() {
    let harness = start().await;
    let location = harness.sign_in_form(ALICE, &[("cancel", "on")]).await;
    assert!(location.contains("error=access_denied"), "{location}");
    assert!(location.contains("AADSTS65004"), "{location}");
    assert!(location.contains("state=xyz-42"), "{location}");
    let get = |query: Vec<(&'static str, String)>, tenant: &'static str| {
        let url = format!("{}/{tenant}/oauth2/v2.0/authorize", harness.base);
        let client = harness.client.clone();
        async move { client.get(url).query(&query).send().await.expect("GET") }
    };
    let unknown_client: Vec<_> = authorize_query(None)
        .into_iter()
        .map(|(k, v)| {
            if k == "client_id" {
                (k, CLIENT_ID.to_owned())
            } else {
                (k, v)
            }
        })
        .collect();
    let page = get(unknown_client, TENANT).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.expect("html").contains("AADSTS700016"));
    let no_pkce: Vec<_> = authorize_query(None)
        .into_iter()
        .filter(|(k, _)| *k != "code_challenge")
        .collect();
    assert_eq!(get(no_pkce, TENANT).await.status(), StatusCode::BAD_REQUEST);
    let other_tenant = get(
        authorize_query(None),
        "11111111-2222-3333-4444-555555555555",
    )
    .await;
    assert!(
        other_tenant
            .text()
            .await
            .expect("html")
            .contains("AADSTS90002")
    );
    let erin = no_redirects()
        .post(format!("{}/{TENANT}/oauth2/v2.0/authorize", harness.base))
        .form(
            &authorize_query(None)
                .into_iter()
                .chain([("user", "2de412e6-80a1-4f9f-8442-e79fbbb6f521".to_owned())])
                .collect::<Vec<_>>(),
        )
        .send()
        .await
        .expect("POST");
    assert_eq!(erin.status(), StatusCode::BAD_REQUEST);
    assert!(erin.text().await.expect("html").contains("AADSTS50057"));
}

#[tokio::test]
async fn a_refresh_token_reaches_arm_keeps_the_sign_in_and_dies_with_revocation() {
    let harness = start().await;
    let tokens = harness
        .emulator
        .sign_in(ALICE, true, &["c1"], GRAPH_SCOPES)
        .expect("sign-in");
    let arm = harness.refresh(&tokens.refresh_token, ARM_SCOPE).await;
    assert_eq!(arm.status, StatusCode::OK, "{}", arm.body);
    let access = claims(arm.body["access_token"].as_str().expect("access"));
    assert_eq!(access["aud"], "https://management.azure.com");
    assert_eq!(access["scp"], "user_impersonation");
    assert_eq!(access["amr"], json!(["pwd", "mfa"]));
    assert_eq!(access["acrs"], json!(["c1"]));
    let arm_token = arm.body["access_token"].as_str().expect("access");
    let at_graph = harness
        .send_as(arm_token, reqwest::Method::GET, "/v1.0/users", &[], None)
        .await;
    assert_eq!(at_graph.status, StatusCode::UNAUTHORIZED);
    assert_eq!(at_graph.error_code(), "InvalidAuthenticationToken");
    let at_arm = harness
        .send_as(
            &tokens.access_token,
            reqwest::Method::GET,
            "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57/providers/Microsoft.Authorization/roleEligibilityScheduleInstances",
            &[("api-version", "2020-10-01"), ("$filter", "asTarget()")],
            None,
        )
        .await;
    assert_eq!(at_arm.status, StatusCode::UNAUTHORIZED);

    let both = harness
        .refresh(&tokens.refresh_token, &format!("{ARM_SCOPE} User.Read"))
        .await;
    assert_eq!(both.body["error_codes"], json!([28000]));
    let revoked = harness
        .send_as(
            &tokens.access_token,
            reqwest::Method::POST,
            &format!("/v1.0/users/{ALICE}/revokeSignInSessions"),
            &[],
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(revoked.body["value"], true);
    let refused = harness.refresh(&tokens.refresh_token, ARM_SCOPE).await;
    assert_eq!(refused.body["error"], "invalid_grant");
    assert_eq!(refused.body["error_codes"], json!([50173]));
    let still = harness
        .send_as(
            &tokens.access_token,
            reqwest::Method::GET,
            "/v1.0/users",
            &[],
            None,
        )
        .await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "access tokens live until they expire"
    );
}

#[tokio::test]
async fn a_user_disabled_after_sign_in_cannot_refresh() {
    let harness = start().await;
    let tokens = harness
        .emulator
        .sign_in(BOB, false, &[], GRAPH_SCOPES)
        .expect("sign-in");
    harness.emulator.edit_tenant(|t| {
        if let Some(bob) = t.users.iter_mut().find(|u| u.id == BOB) {
            bob.account_enabled = false;
        }
    });
    let refused = harness.refresh(&tokens.refresh_token, GRAPH_SCOPES).await;
    assert_eq!(refused.body["error_codes"], json!([50057]));
    assert!(harness.emulator.revoke_sign_ins(BOB));
    assert!(!harness.emulator.revoke_sign_ins("nobody"));
}
