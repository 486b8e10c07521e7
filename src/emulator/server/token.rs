//! `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant, and the delegated
//! `authorization_code` (PKCE) and `refresh_token` grants, with Entra's error shapes.

mod delegated;

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, TimeDelta, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::emulator::Emulator;
use crate::emulator::identity::Caller;
use crate::emulator::state::IssuedToken;

const LIFETIME_SECS: i64 = 3599;

pub(super) async fn issue(
    State(emulator): State<Emulator>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut state = emulator.lock();
    state.token_requests += 1;
    let known_tenant = tenant.eq_ignore_ascii_case(&state.tenant.tenant_id)
        || state
            .tenant
            .domain
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(&tenant));
    if !known_tenant {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if let Some(grant) = field("grant_type").and_then(delegated::Grant::parse) {
        return delegated::issue(&mut state, grant, &form);
    }
    for name in ["grant_type", "client_id", "scope"] {
        if field(name).is_none() {
            return missing(name);
        }
    }
    if field("grant_type") != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "AADSTS70003: The app requested an unsupported grant type. The emulator supports client_credentials, authorization_code and refresh_token.",
        );
    }
    if field("client_secret").is_none() && field("client_assertion").is_none() {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    if !field("scope").is_some_and(|s| s.ends_with("/.default")) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
        );
    }
    let expires_at = state.now() + TimeDelta::seconds(LIFETIME_SECS);
    let client_id = field("client_id").unwrap_or_default().to_owned();
    let token = access_token(
        &state,
        &client_id,
        field("scope").unwrap_or_default(),
        expires_at,
    );
    let roles = app_roles(&state, &client_id);
    state.tokens.push(IssuedToken {
        token: token.clone(),
        caller: Caller::App { client_id, roles },
        resource: None,
        expires_at,
    });
    Json(json!({
        "token_type": "Bearer",
        "expires_in": LIFETIME_SECS,
        "ext_expires_in": LIFETIME_SECS,
        "access_token": token,
    }))
    .into_response()
}

/// A JWT shaped like Entra's (`aud`, `tid`, `appid`, `roles`, `exp`), so a client can read the
/// application permissions it holds from `roles` as it would from a real token. The signature
/// is an emulator secret: tokens are looked up by value, never verified by their signature.
fn access_token(
    state: &crate::emulator::state::State,
    client_id: &str,
    scope: &str,
    expires_at: chrono::DateTime<Utc>,
) -> String {
    let roles = app_roles(state, client_id);
    let claims = json!({
        "aud": scope.trim_end_matches("/.default"),
        "iss": format!("https://sts.windows.net/{}/", state.tenant.tenant_id),
        "tid": state.tenant.tenant_id,
        "appid": client_id,
        "roles": roles,
        "iat": state.now().timestamp(),
        "exp": expires_at.timestamp(),
        "jti": Uuid::new_v4().to_string(),
    });
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let key = jsonwebtoken::EncodingKey::from_secret(b"pimbot-emulator");
    jsonwebtoken::encode(&header, &claims, &key)
        .unwrap_or_else(|_| format!("emu.{}", Uuid::new_v4().simple()))
}

/// The application permissions granted to an app: its service principals' `appRoles`.
fn app_roles(state: &crate::emulator::state::State, client_id: &str) -> Vec<String> {
    state
        .tenant
        .service_principals
        .iter()
        .filter(|sp| sp.app_id.eq_ignore_ascii_case(client_id))
        .flat_map(|sp| sp.app_roles.iter().cloned())
        .collect()
}

pub(super) fn missing(name: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("AADSTS900144: The request body must contain the following parameter: '{name}'."),
    )
}

pub(super) fn oauth_error(
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
) -> Response {
    let trace_id = Uuid::new_v4();
    let correlation_id = Uuid::new_v4();
    let timestamp = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let body = json!({
        "error": error,
        "error_description": format!("{description}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
    });
    (status, Json(body)).into_response()
}
