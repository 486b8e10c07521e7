//! A fake Bot Framework: the OpenID metadata and signing keys (JWKS with endorsements), a token
//! minter using the fixed test RSA key, and a Connector that records every call.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::harness::TENANT_ID;

pub(crate) const APP_ID: &str = "6f1c2d3e-4b5a-4c6d-8e7f-00000000b07a";
pub(crate) const BOT_ID: &str = "28:6f1c2d3e-4b5a-4c6d-8e7f-00000000b07a";
pub(crate) const ISSUER: &str = "https://api.botframework.com";
/// Signs tokens; endorses `msteams`.
pub(crate) const KID: &str = "test-key-msteams";
/// The same key material, endorsing only `webchat`.
pub(crate) const WEBCHAT_KID: &str = "test-key-webchat";
/// The same key material, published by the bot's Entra tenant (no endorsements).
pub(crate) const ENTRA_KID: &str = "test-key-entra";
/// The channel thread where Alice typed her request.
pub(crate) const CHANNEL: &str = "19:teamfoo@thread.tacv2";
pub(crate) const THREAD: &str = "19:teamfoo@thread.tacv2;messageid=1700000000001";
pub(crate) const AUDIT_CONVERSATION: &str = "19:audit@thread.tacv2";

/// The fixed test key (tests/app/fixtures/teams_test_key.pem); its public half as a JWK.
pub(crate) const PRIVATE_KEY: &str = include_str!("fixtures/teams_test_key.pem");
pub(crate) const PUBLIC_KEY: &str = include_str!("fixtures/teams_test_key.pub.pem");
const JWK_N: &str = "6LUJCeDXxVqMY_JAHbWrGL9U1o3sQgxuf2vqeV8Iyb7BxezI6f3wvv69GL8WJPsU2fmUfsZiB5bMKp3dG6m6jzIXyFTHHTzoJhhNDnYuRtphc1Y4SWlFfHeXnPjt0Gy2eRDGj2j-gWMesx9CrEcDPjQfsf5a1wqy_hHeqELkYDFWJLf7XkJqWRKoWnHUqxh5hi5FGRix6evmxQKA1IJEiS2ahs8DsdYojEljyNrn9q0yL_WDs8hB0rSqu7vN1gPza9g8rOyAYR4iHKSBw8R30LuwfswbRnEL-EMYSadS2SmG3abdwzZ6ehjZGNBqECaQqHdNkZ-me-A3ZgtcGX4Zlw";
const JWK_E: &str = "AQAB";

/// Teams users of the demo tenant: (name, `29:` id, Entra object id).
pub(crate) const ALICE: (&str, &str, &str) = (
    "Alice Engineer",
    "29:alice",
    "90ea226b-db03-48c5-a5c4-7d42c40e0145",
);
pub(crate) const BOB: (&str, &str, &str) = (
    "Bob Owner",
    "29:bob",
    "d7a95a2d-6f54-4d5b-9b0a-9b8847c25a70",
);
pub(crate) const CAROL_ID: &str = "8767515c-c303-466f-9b40-98e9a042f5b1";

/// One Connector call.
#[derive(Debug, Clone)]
pub(crate) struct ConnectorCall {
    pub(crate) method: String,
    /// Path after the service URL, decoded: `v3/conversations/{id}/activities[/{id}]`.
    pub(crate) path: String,
    pub(crate) authorization: String,
    pub(crate) body: Value,
}

/// How the Bot Framework's metadata and key endpoints behave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum KeyEndpoint {
    #[default]
    Up,
    /// 503 to every request.
    Down,
    /// Accepts the request and never answers.
    Hanging,
}

#[derive(Clone, Default)]
pub(crate) struct FakeTeams {
    calls: Arc<Mutex<Vec<ConnectorCall>>>,
    key_fetches: Arc<Mutex<u32>>,
    /// Requests to the metadata endpoint, answered or not.
    metadata_requests: Arc<Mutex<u32>>,
    key_endpoint: Arc<Mutex<KeyEndpoint>>,
    pub(crate) base_url: String,
}

impl FakeTeams {
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let fake = FakeTeams {
            base_url: format!("http://{}", listener.local_addr().expect("addr")),
            ..FakeTeams::default()
        };
        let app = Router::new()
            .route("/v1/.well-known/openidconfiguration", get(metadata))
            .route("/v1/.well-known/keys", get(keys))
            .route(
                "/entra/v2.0/.well-known/openid-configuration",
                get(entra_metadata),
            )
            .route("/entra/discovery/v2.0/keys", get(entra_keys))
            .route("/connector/v3/conversations", post(create_conversation))
            .route(
                "/connector/v3/conversations/{conversation}/activities",
                post(send),
            )
            .route(
                "/connector/v3/conversations/{conversation}/activities/{activity}",
                put(update).post(update),
            )
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    pub(crate) fn metadata_url(&self) -> String {
        format!("{}/v1/.well-known/openidconfiguration", self.base_url)
    }

    /// The bot's Entra tenant's OpenID metadata.
    pub(crate) fn entra_metadata_url(&self) -> String {
        format!(
            "{}/entra/v2.0/.well-known/openid-configuration",
            self.base_url
        )
    }

    /// The activities' (and the configured) service URL.
    pub(crate) fn service_url(&self) -> String {
        format!("{}/connector/", self.base_url)
    }

    pub(crate) fn calls(&self) -> Vec<ConnectorCall> {
        self.calls.lock().expect("lock").clone()
    }

    pub(crate) fn key_fetches(&self) -> u32 {
        *self.key_fetches.lock().expect("lock")
    }

    pub(crate) fn metadata_requests(&self) -> u32 {
        *self.metadata_requests.lock().expect("lock")
    }

    /// Takes the Bot Framework's metadata and key endpoints down, hangs them, or brings them back.
    pub(crate) fn set_key_endpoint(&self, state: KeyEndpoint) {
        *self.key_endpoint.lock().expect("lock") = state;
    }

    /// Answers as the key endpoints are set to: `Err` is the 503 of a down endpoint.
    async fn key_endpoint_answers(&self) -> Result<(), axum::http::StatusCode> {
        let state = *self.key_endpoint.lock().expect("lock");
        match state {
            KeyEndpoint::Up => Ok(()),
            KeyEndpoint::Down => Err(axum::http::StatusCode::SERVICE_UNAVAILABLE),
            KeyEndpoint::Hanging => {
                std::future::pending::<()>().await;
                Ok(())
            }
        }
    }

    /// Waits until `predicate` holds for the recorded calls (or panics after 10 s).
    pub(crate) async fn wait_for(
        &self,
        what: &str,
        predicate: impl Fn(&ConnectorCall) -> bool,
    ) -> ConnectorCall {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(call) = self.calls().into_iter().find(|c| predicate(c)) {
                return call;
            }
            if tokio::time::Instant::now() > deadline {
                let seen: Vec<String> = self
                    .calls()
                    .iter()
                    .map(|c| format!("{} {} {}", c.method, c.path, c.body))
                    .collect();
                panic!(
                    "timed out waiting for {what}; the Connector saw:\n{}",
                    seen.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Records a call; its 1-based position (the fake's activity and conversation numbering).
    fn record(&self, method: &Method, path: String, headers: &HeaderMap, body: &Bytes) -> usize {
        let authorization = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut calls = self.calls.lock().expect("lock");
        calls.push(ConnectorCall {
            method: method.to_string(),
            path,
            authorization,
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
        });
        calls.len()
    }
}

/// Claims of a valid token for an activity posted to `service_url`.
pub(crate) fn claims(service_url: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": ISSUER, "aud": APP_ID, "serviceurl": service_url,
        "nbf": now - 10, "exp": now + 3600, "iat": now - 10,
    })
}

/// An RS256 token with `kid`, signed with the test key.
pub(crate) fn sign(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).expect("test key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

async fn metadata(State(fake): State<FakeTeams>) -> Result<Json<Value>, axum::http::StatusCode> {
    *fake.metadata_requests.lock().expect("lock") += 1;
    fake.key_endpoint_answers().await?;
    Ok(Json(json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://invalid.botframework.com",
        "jwks_uri": format!("{}/v1/.well-known/keys", fake.base_url),
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    })))
}

async fn keys(State(fake): State<FakeTeams>) -> Result<Json<Value>, axum::http::StatusCode> {
    fake.key_endpoint_answers().await?;
    *fake.key_fetches.lock().expect("lock") += 1;
    let key = |kid: &str, endorsements: &[&str]| {
        json!({"kty": "RSA", "use": "sig", "kid": kid, "x5t": kid, "n": JWK_N, "e": JWK_E,
               "x5c": ["MIIDBTCCAe2gAwIBAgIQ"], "endorsements": endorsements})
    };
    Ok(Json(json!({"keys": [
        key(KID, &["msteams", "skype"]),
        key(WEBCHAT_KID, &["webchat"]),
        {"kty": "EC", "kid": "an-ec-key-pimbot-cannot-read", "crv": "P-256", "x": "AA", "y": "AA"},
    ]})))
}

async fn entra_metadata(State(fake): State<FakeTeams>) -> Json<Value> {
    Json(json!({
        "issuer": format!("https://login.microsoftonline.com/{TENANT_ID}/v2.0"),
        "jwks_uri": format!("{}/entra/discovery/v2.0/keys", fake.base_url),
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

/// Entra publishes plain JWKs: no `endorsements`.
async fn entra_keys() -> Json<Value> {
    Json(json!({"keys": [
        {"kty": "RSA", "use": "sig", "kid": ENTRA_KID, "x5t": ENTRA_KID, "n": JWK_N, "e": JWK_E},
    ]}))
}

async fn create_conversation(
    State(fake): State<FakeTeams>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let n = fake.record(&method, "v3/conversations".into(), &headers, &body);
    Json(json!({"id": format!("a:1on1-{n}"), "activityId": null, "serviceUrl": fake.service_url()}))
}

async fn send(
    State(fake): State<FakeTeams>,
    Path(conversation): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let n = fake.record(
        &method,
        format!("v3/conversations/{conversation}/activities"),
        &headers,
        &body,
    );
    Json(json!({"id": format!("1700000000{n:03}")}))
}

async fn update(
    State(fake): State<FakeTeams>,
    Path((conversation, activity)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let _ = fake.record(
        &method,
        format!("v3/conversations/{conversation}/activities/{activity}"),
        &headers,
        &body,
    );
    Json(json!({"id": activity}))
}

/// Tokens from pimbot must be the ones the (emulated) Entra issued for the bot.
/// A token the emulator's token endpoint issued for the Bot Framework (its `aud`), as the
/// Connector token must be.
pub(crate) fn is_bot_token(call: &ConnectorCall) -> bool {
    call.authorization
        .strip_prefix("Bearer ")
        .and_then(|token| jsonwebtoken::dangerous::insecure_decode_claims::<Value>(token).ok())
        .is_some_and(|claims| claims["aud"] == "https://api.botframework.com")
}

/// The tenant every activity in these tests comes from.
pub(crate) fn tenant() -> &'static str {
    TENANT_ID
}
