//! The delegated grants at the token endpoint: `authorization_code` and `refresh_token`, for a
//! confidential client registered in the tenant.

use std::collections::HashMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{missing, oauth_error};
use crate::emulator::identity::{self, GrantError, Redemption, Tokens};
use crate::emulator::state::State;

/// The grants this module serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grant {
    AuthorizationCode,
    RefreshToken,
}

impl Grant {
    pub(super) fn parse(grant_type: &str) -> Option<Grant> {
        match grant_type {
            "authorization_code" => Some(Grant::AuthorizationCode),
            "refresh_token" => Some(Grant::RefreshToken),
            _ => None,
        }
    }

    fn required(self) -> &'static [&'static str] {
        match self {
            Grant::AuthorizationCode => &["client_id", "code", "redirect_uri", "code_verifier"],
            Grant::RefreshToken => &["client_id", "refresh_token", "scope"],
        }
    }
}

pub(super) fn issue(state: &mut State, grant: Grant, form: &HashMap<String, String>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if let Some(name) = grant.required().iter().find(|n| field(n).is_none()) {
        return missing(name);
    }
    if field("client_secret").is_none() && field("client_assertion").is_none() {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    let client_id = field("client_id").unwrap_or_default();
    if !identity::known_client(state, client_id) {
        let tenant = state.tenant.tenant_id.clone();
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        );
    }
    let outcome = match grant {
        Grant::AuthorizationCode => identity::redeem_code(
            state,
            &Redemption {
                client_id,
                code: field("code").unwrap_or_default(),
                redirect_uri: field("redirect_uri").unwrap_or_default(),
                code_verifier: field("code_verifier").unwrap_or_default(),
                scope: field("scope"),
            },
        ),
        Grant::RefreshToken => identity::refresh(
            state,
            client_id,
            field("refresh_token").unwrap_or_default(),
            field("scope").unwrap_or_default(),
        ),
    };
    match outcome {
        Ok(tokens) => success(&tokens),
        Err(error) => refusal(&error),
    }
}

/// The v2.0 token response of a delegated grant.
pub(crate) fn success(tokens: &Tokens) -> Response {
    let mut body = json!({
        "token_type": "Bearer",
        "scope": tokens.scope,
        "expires_in": tokens.expires_in,
        "ext_expires_in": tokens.expires_in,
        "access_token": tokens.access_token,
        "id_token": tokens.id_token,
    });
    if let Some(refresh) = &tokens.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    Json(body).into_response()
}

fn refusal(error: &GrantError) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        error.error,
        error.code,
        &error.description,
    )
}
