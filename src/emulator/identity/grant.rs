//! The delegated grants: redeeming an authorization code (PKCE S256), refreshing, and minting
//! the access, refresh and id tokens, with Entra's AADSTS codes for every refusal.

use chrono::TimeDelta;
use serde_json::{Value, json};
use uuid::Uuid;

use super::scope::{self, Resource};
use super::{Caller, Delegated, RefreshGrant, SignIn, s256};
use crate::emulator::state::{IssuedToken, State};

/// Access-token lifetime in seconds, as Entra's default.
pub(crate) const LIFETIME_SECS: i64 = 3599;

/// A refused grant: OAuth `error`, the AADSTS number and the description after `AADSTSn: `.
#[derive(Debug, Clone)]
pub(crate) struct GrantError {
    pub(crate) error: &'static str,
    pub(crate) code: u32,
    pub(crate) description: String,
}

fn refused(error: &'static str, code: u32, text: impl std::fmt::Display) -> GrantError {
    GrantError {
        error,
        code,
        description: format!("AADSTS{code}: {text}"),
    }
}

/// A successful token response's content.
#[derive(Debug, Clone)]
pub(crate) struct Tokens {
    pub(crate) access_token: String,
    pub(crate) refresh_token: Option<String>,
    pub(crate) id_token: String,
    /// The granted scopes (`{resource}/{name}` plus the OpenID ones asked).
    pub(crate) scope: String,
    pub(crate) expires_in: i64,
}

/// What an `authorization_code` redemption presents.
pub(crate) struct Redemption<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) code: &'a str,
    pub(crate) redirect_uri: &'a str,
    pub(crate) code_verifier: &'a str,
    /// The resource's scopes wanted now; the authorize request's when absent.
    pub(crate) scope: Option<&'a str>,
}

/// Redeems a code once: bound to its client, redirect URI and PKCE challenge, ten minutes.
pub(crate) fn redeem_code(state: &mut State, ask: &Redemption<'_>) -> Result<Tokens, GrantError> {
    let now = state.now();
    let Some(found) = state.codes.iter_mut().find(|c| c.code == ask.code) else {
        return Err(refused(
            "invalid_grant",
            70000,
            "The provided value for the 'code' parameter is not valid. The code was not issued by this tenant or is malformed.",
        ));
    };
    if !found.sign_in.client_id.eq_ignore_ascii_case(ask.client_id) {
        return Err(refused(
            "invalid_grant",
            70000,
            "The provided authorization code was issued to a different client application.",
        ));
    }
    if found.redeemed {
        return Err(refused(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        ));
    }
    if found.expires_at <= now {
        return Err(refused(
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        ));
    }
    if found.redirect_uri != ask.redirect_uri {
        return Err(refused(
            "invalid_grant",
            500112,
            format!(
                "The reply address '{}' does not match the reply address '{}' provided when requesting Authorization code.",
                ask.redirect_uri, found.redirect_uri
            ),
        ));
    }
    if s256(ask.code_verifier) != found.code_challenge {
        return Err(refused(
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        ));
    }
    found.redeemed = true;
    let sign_in = found.sign_in.clone();
    let wanted = ask.scope.unwrap_or(&sign_in.scope).to_owned();
    mint(state, &sign_in, &wanted)
}

/// A new access token (for any resource) and a new refresh token from a refresh token; the old
/// one stays valid until the user's sessions are revoked, as Entra's do.
pub(crate) fn refresh(
    state: &mut State,
    client_id: &str,
    token: &str,
    wanted: &str,
) -> Result<Tokens, GrantError> {
    let Some(grant) = state.refresh_tokens.iter().find(|g| g.token == token) else {
        return Err(refused(
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid: the refresh token was not issued by this tenant.",
        ));
    };
    if !grant.sign_in.client_id.eq_ignore_ascii_case(client_id) {
        return Err(refused(
            "invalid_grant",
            70000,
            "The provided refresh token was issued to a different client application.",
        ));
    }
    if grant.revoked {
        return Err(refused(
            "invalid_grant",
            50173,
            format!(
                "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{}' and the TokensValidFrom date (before which tokens are not valid) for this user is later.",
                grant.sign_in.at.to_rfc3339()
            ),
        ));
    }
    let sign_in = grant.sign_in.clone();
    mint(state, &sign_in, wanted)
}

/// Mints a delegated access token for the one resource `wanted` names (the sign-in's first
/// resource when it names none), an id token, and a refresh token when `offline_access` was
/// asked at sign-in or now. The user must still exist and be enabled.
pub(crate) fn mint(
    state: &mut State,
    sign_in: &SignIn,
    wanted: &str,
) -> Result<Tokens, GrantError> {
    let Some(user) = state.tenant.user(&sign_in.user_id).cloned() else {
        return Err(refused(
            "invalid_grant",
            50034,
            "The user account does not exist in the directory.",
        ));
    };
    if !user.account_enabled {
        return Err(refused(
            "invalid_grant",
            50057,
            "The user account is disabled.",
        ));
    }
    let mut asked = scope::resources(wanted);
    if asked.len() > 1 {
        return Err(refused(
            "invalid_scope",
            28000,
            "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope openid profile offline_access and one resource's scopes are allowed.",
        ));
    }
    let mut target = match asked.pop() {
        Some(found) => found,
        None => scope::resources(&sign_in.scope)
            .into_iter()
            .next()
            .unwrap_or_else(|| scope::resources("User.Read").remove(0)),
    };
    scope::expand_default(&mut target, &sign_in.scope);
    let now = state.now();
    let expires_at = now + TimeDelta::seconds(LIFETIME_SECS);
    let tid = state.tenant.tenant_id.clone();
    let mut claims = json!({
        "aud": target.audience,
        "iss": format!("https://sts.windows.net/{tid}/"),
        "tid": tid,
        "oid": user.id,
        "sub": user.id,
        "upn": user.user_principal_name,
        "preferred_username": user.user_principal_name,
        "name": user.display_name,
        "appid": sign_in.client_id,
        "scp": target.names.join(" "),
        "amr": sign_in.amr,
        "idtyp": "user",
        "ver": "1.0",
        "iat": now.timestamp(),
        "nbf": now.timestamp(),
        "exp": expires_at.timestamp(),
        "jti": Uuid::new_v4().to_string(),
    });
    if !sign_in.acrs.is_empty() {
        claims["acrs"] = json!(sign_in.acrs);
    }
    let access_token = sign(&claims);
    state.tokens.push(IssuedToken {
        token: access_token.clone(),
        caller: Caller::User(Delegated {
            oid: user.id.clone(),
            client_id: sign_in.client_id.clone(),
            scp: target.names.clone(),
            amr: sign_in.amr.clone(),
            acrs: sign_in.acrs.clone(),
        }),
        resource: Some(target.resource),
        expires_at,
    });
    let refresh_token = (scope::wants_refresh(wanted) || scope::wants_refresh(&sign_in.scope))
        .then(|| {
            let token = format!("0.A{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
            state.refresh_tokens.push(RefreshGrant {
                token: token.clone(),
                sign_in: sign_in.clone(),
                revoked: false,
            });
            token
        });
    let id_token = sign(&json!({
        "aud": sign_in.client_id,
        "iss": format!("https://login.microsoftonline.com/{tid}/v2.0"),
        "tid": tid,
        "oid": user.id,
        "sub": user.id,
        "preferred_username": user.user_principal_name,
        "name": user.display_name,
        "iat": now.timestamp(),
        "nbf": now.timestamp(),
        "exp": expires_at.timestamp(),
        "ver": "2.0",
    }));
    let mut granted = vec![target.granted()];
    granted.extend(scope::oidc(&sign_in.scope).into_iter().map(str::to_owned));
    Ok(Tokens {
        access_token,
        refresh_token,
        id_token,
        scope: granted.join(" "),
        expires_in: LIFETIME_SECS,
    })
}

/// Whether the access token is for `resource` (app-only tokens carry no recorded resource).
pub(crate) fn audience_matches(token: &IssuedToken, resource: Resource) -> bool {
    token.resource.is_none_or(|r| r == resource)
}

/// HS256 with the emulator's secret, like the app-only tokens: looked up by value, never
/// verified by signature.
fn sign(claims: &Value) -> String {
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let key = jsonwebtoken::EncodingKey::from_secret(b"pimbot-emulator");
    jsonwebtoken::encode(&header, claims, &key)
        .unwrap_or_else(|_| format!("emu.{}", Uuid::new_v4().simple()))
}
