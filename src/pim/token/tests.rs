use std::sync::Arc;

use azure_core::http::{AsyncRawResponse, ClientOptions, HttpClient, Request, Transport};

use super::*;
use crate::pim::fake::{TokenEndpoint, serve, token_settings};

const GRAPH: &str = "https://graph.microsoft.com/.default";

#[tokio::test]
async fn the_plain_flow_posts_client_credentials_and_caches_per_scope() {
    let sts = TokenEndpoint::new(3599);
    let authority = serve(sts.router()).await;
    let tokens = ClientCredentialsTokens::new(&token_settings(&authority)).expect("loopback");

    for _ in 0..5 {
        assert_eq!(tokens.token(GRAPH).await.as_deref(), Ok("token-1"));
    }
    assert_eq!(sts.calls.get(), 1);
    assert_eq!(
        sts.form_value("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(
        sts.form_value("client_id").as_deref(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(
        sts.form_value("client_secret").as_deref(),
        Some("s3cret value&more")
    );
    assert_eq!(sts.form_value("scope").as_deref(), Some(GRAPH));

    let arm = "https://management.azure.com/.default";
    assert_eq!(tokens.token(arm).await.as_deref(), Ok("token-2"));
    assert_eq!(sts.calls.get(), 2);
}

#[tokio::test]
async fn a_token_that_is_about_to_expire_is_fetched_again() {
    let sts = TokenEndpoint::new(0);
    let authority = serve(sts.router()).await;
    let tokens = ClientCredentialsTokens::new(&token_settings(&authority)).expect("loopback");
    assert_eq!(tokens.token(GRAPH).await.as_deref(), Ok("token-1"));
    assert_eq!(tokens.token(GRAPH).await.as_deref(), Ok("token-2"));
}

#[tokio::test]
async fn a_refused_client_secret_is_unauthorized_with_the_sts_error_code() {
    let router = axum::Router::new().route(
        "/{tenant}/oauth2/v2.0/token",
        axum::routing::post(|| async {
            (
                axum::http::StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                    "correlation_id": "c0ffee00-0000-0000-0000-000000000000",
                })),
            )
        }),
    );
    let authority = serve(router).await;
    let tokens = ClientCredentialsTokens::new(&token_settings(&authority)).expect("loopback");
    let error = tokens.token(GRAPH).await.expect_err("refused");
    assert_eq!(error.kind, UpstreamErrorKind::Unauthorized);
    assert_eq!(error.service, Upstream::Token);
    assert_eq!(error.code.as_deref(), Some("invalid_client"));
    assert!(error.message.contains("AADSTS7000215"), "{}", error.message);
}

#[test]
fn the_provider_is_chosen_by_the_authority_and_foreign_http_is_refused() {
    let ok = |authority: &str| token_provider(&token_settings(authority)).is_ok();
    assert!(ok("https://login.microsoftonline.com"));
    assert!(ok("https://login.microsoftonline.us/"));
    assert!(ok("http://127.0.0.1:8080"));
    assert!(ok("http://localhost:8080"));
    assert!(ok("http://[::1]:8080"));
    let refused = token_provider(&token_settings("http://login.example.com"))
        .err()
        .expect("plain http to a real host is refused");
    assert_eq!(refused.kind, UpstreamErrorKind::Rejected);
    assert!(
        refused.message.contains("must use https"),
        "{}",
        refused.message
    );
    assert!(!ok("ftp://127.0.0.1"));
    assert!(!ok("not a url"));
}

#[test]
fn azure_identity_itself_refuses_a_plain_http_authority() {
    let error = AzureIdentityTokens::new(&token_settings("http://127.0.0.1:9")).expect_err("http");
    assert!(error.message.contains("HTTPS"), "{}", error.message);
}

/// Sends azure_identity's https requests to the loopback fake instead.
#[derive(Debug)]
struct ToLoopback {
    target: azure_core::http::Url,
    http: reqwest::Client,
}

#[async_trait]
impl HttpClient for ToLoopback {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let mut request = request.clone();
        let url = request.url_mut();
        url.set_scheme("http").expect("http");
        url.set_host(self.target.host_str()).expect("host");
        url.set_port(self.target.port()).expect("port");
        self.http.execute_request(&request).await
    }
}

#[tokio::test]
async fn azure_identity_tokens_use_the_configured_custom_authority_and_cache() {
    let sts = TokenEndpoint::new(3599);
    let fake = serve(sts.router()).await;
    let options = ClientOptions {
        transport: Some(Transport::new(Arc::new(ToLoopback {
            target: fake.parse().expect("url"),
            http: reqwest::Client::new(),
        }))),
        ..ClientOptions::default()
    };
    let settings = token_settings("https://login.sovereign.example");
    let tokens = AzureIdentityTokens::with_client_options(&settings, options).expect("https");
    assert_eq!(tokens.token(GRAPH).await.as_deref(), Ok("token-1"));
    assert_eq!(tokens.token(GRAPH).await.as_deref(), Ok("token-1"));
    assert_eq!(sts.calls.get(), 1);
    assert_eq!(sts.form_value("scope").as_deref(), Some(GRAPH));
}

#[tokio::test]
async fn workload_identity_sends_the_federated_token_as_a_client_assertion_and_caches() {
    let sts = TokenEndpoint::new(3599);
    let fake = serve(sts.router()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("azure-identity-token");
    std::fs::write(&token_file, "federated.jwt.from-kubernetes").expect("token file");
    let options = ClientOptions {
        transport: Some(Transport::new(Arc::new(ToLoopback {
            target: fake.parse().expect("url"),
            http: reqwest::Client::new(),
        }))),
        ..ClientOptions::default()
    };
    let kind = CredentialKind::WorkloadIdentity {
        token_file: Some(token_file),
    };
    let settings = token_settings("https://login.microsoftonline.us");
    let tokens =
        AzureIdentityTokens::for_credential(&kind, &settings, options).expect("workload identity");
    let arm = "https://management.usgovcloudapi.net/.default";
    for _ in 0..3 {
        assert_eq!(tokens.token(arm).await.as_deref(), Ok("token-1"));
    }
    assert_eq!(sts.calls.get(), 1, "one token request for many calls");
    assert_eq!(
        sts.form_value("client_assertion").as_deref(),
        Some("federated.jwt.from-kubernetes")
    );
    assert_eq!(
        sts.form_value("client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(sts.form_value("scope").as_deref(), Some(arm));
    assert_eq!(sts.form_value("client_secret"), None);
}

#[test]
fn every_configured_credential_kind_builds_a_provider() {
    let settings = token_settings("https://login.microsoftonline.com");
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "jwt").expect("token file");
    for kind in [
        CredentialKind::ClientSecret,
        CredentialKind::ManagedIdentity,
        CredentialKind::AzureCli,
        CredentialKind::WorkloadIdentity {
            token_file: Some(token_file),
        },
    ] {
        assert!(credential_tokens(&kind, &settings).is_ok(), "{kind:?}");
    }
    let missing = CredentialKind::WorkloadIdentity {
        token_file: Some(dir.path().join("absent")),
    };
    let error = credential_tokens(&missing, &settings)
        .err()
        .expect("a missing federated token file is a configuration error");
    assert_eq!(error.kind, UpstreamErrorKind::Rejected);
}
