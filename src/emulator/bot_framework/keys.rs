//! The OpenID metadata and key sets inbound tokens are checked with.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{FakeBotFramework, ISSUER, KeyEndpoint, lock};

impl FakeBotFramework {
    /// Answers as the key endpoints are set to: `Err` is the 503 of a down endpoint.
    async fn key_endpoint_answers(&self) -> Result<(), StatusCode> {
        let state = *lock(&self.inner.key_endpoint);
        match state {
            KeyEndpoint::Up => Ok(()),
            KeyEndpoint::Down => Err(StatusCode::SERVICE_UNAVAILABLE),
            KeyEndpoint::Hanging => std::future::pending().await,
        }
    }

    /// The public key as a JWK under `kid`.
    fn jwk(&self, kid: &str) -> Value {
        let mut jwk = self.inner.jwk.clone();
        jwk["kid"] = json!(kid);
        jwk["x5t"] = json!(kid);
        jwk["use"] = json!("sig");
        jwk
    }
}

pub(super) async fn metadata(
    State(fake): State<FakeBotFramework>,
) -> Result<Json<Value>, StatusCode> {
    *lock(&fake.inner.metadata_requests) += 1;
    fake.key_endpoint_answers().await?;
    Ok(Json(json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://invalid.botframework.com",
        "jwks_uri": format!("{}/v1/.well-known/keys", fake.inner.base_url),
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    })))
}

/// Every Bot Framework key id with its endorsements, plus a key pimbot cannot use (the real set
/// has more kinds than RS256 keys).
pub(super) async fn keys(State(fake): State<FakeBotFramework>) -> Result<Json<Value>, StatusCode> {
    fake.key_endpoint_answers().await?;
    *lock(&fake.inner.key_fetches) += 1;
    let mut keys: Vec<Value> = fake
        .inner
        .keys
        .bot_framework
        .iter()
        .map(|(kid, endorsements)| {
            let mut jwk = fake.jwk(kid);
            jwk["x5c"] = json!(["MIIDBTCCAe2gAwIBAgIQ"]);
            jwk["endorsements"] = json!(endorsements);
            jwk
        })
        .collect();
    keys.push(
        json!({"kty": "EC", "kid": "an-ec-key-pimbot-cannot-read", "crv": "P-256",
                     "x": "AA", "y": "AA"}),
    );
    Ok(Json(json!({ "keys": keys })))
}

pub(super) async fn entra_metadata(
    State(fake): State<FakeBotFramework>,
) -> Result<Json<Value>, StatusCode> {
    let (tenant, _) = fake
        .inner
        .keys
        .entra
        .as_ref()
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(json!({
        "issuer": format!("https://login.microsoftonline.com/{tenant}/v2.0"),
        "jwks_uri": format!("{}/entra/discovery/v2.0/keys", fake.inner.base_url),
        "id_token_signing_alg_values_supported": ["RS256"],
    })))
}

/// Entra publishes plain JWKs: no `endorsements`.
pub(super) async fn entra_keys(
    State(fake): State<FakeBotFramework>,
) -> Result<Json<Value>, StatusCode> {
    let (_, kid) = fake
        .inner
        .keys
        .entra
        .as_ref()
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(json!({ "keys": [fake.jwk(kid)] })))
}
