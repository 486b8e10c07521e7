//! `GET|POST /{tenant}/oauth2/v2.0/authorize`: the interactive sign-in of the authorization-code
//! flow. GET validates the request as Entra does and shows a plain HTML form (pick a user, tick
//! MFA and the authentication contexts asked for); POST issues a PKCE-bound code and redirects.

mod page;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::emulator::Emulator;
use crate::emulator::identity::{self, SignIn};
use crate::emulator::state::State as EmuState;

/// An authorize request that passed validation.
struct Authorize {
    params: Vec<(String, String)>,
    client_id: String,
    redirect_uri: String,
    scope: String,
    code_challenge: String,
    state: Option<String>,
    /// The authentication contexts the `claims` parameter asks for.
    acrs: Vec<String>,
}

impl Authorize {
    fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// A sign-in error page: Entra shows these rather than redirecting when the client or the
/// request itself is wrong.
struct ErrorPage {
    code: u32,
    message: String,
}

fn error_page(code: u32, message: &str) -> ErrorPage {
    ErrorPage {
        code,
        message: message.to_owned(),
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let body = page::error(&format!("AADSTS{}: {}", self.code, self.message));
        (StatusCode::BAD_REQUEST, Html(body)).into_response()
    }
}

fn known_tenant(state: &EmuState, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&state.tenant.tenant_id)
        || state
            .tenant
            .domain
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(tenant))
}

/// Entra's checks, in its order: tenant, client, redirect URI, response type, PKCE, scope.
fn validate(
    state: &EmuState,
    tenant: &str,
    params: Vec<(String, String)>,
) -> Result<Authorize, ErrorPage> {
    if !known_tenant(state, tenant) {
        return Err(error_page(
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    let need = |name: &str| {
        param(&params, name).map(str::to_owned).ok_or_else(|| {
            error_page(
                900144,
                &format!("The request body must contain the following parameter: '{name}'."),
            )
        })
    };
    let client_id = need("client_id")?;
    if !identity::known_client(state, &client_id) {
        return Err(error_page(
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                state.tenant.tenant_id
            ),
        ));
    }
    let redirect_uri = need("redirect_uri")?;
    if !(redirect_uri.starts_with("https://") || redirect_uri.starts_with("http://")) {
        return Err(error_page(
            90102,
            &format!("'redirect_uri' value must be a valid absolute URI, not '{redirect_uri}'."),
        ));
    }
    let response_type = need("response_type")?;
    if response_type != "code" {
        return Err(error_page(
            700054,
            &format!(
                "response_type '{response_type}' is not enabled for the application. The emulator supports response_type=code."
            ),
        ));
    }
    let Some(code_challenge) = param(&params, "code_challenge").map(str::to_owned) else {
        return Err(error_page(
            9002325,
            "Proof Key for Code Exchange is required: send code_challenge and code_challenge_method=S256.",
        ));
    };
    let method = param(&params, "code_challenge_method").unwrap_or("plain");
    if method != "S256" {
        return Err(error_page(
            501491,
            &format!("The code_challenge_method '{method}' is not supported; use S256."),
        ));
    }
    let scope = need("scope")?;
    let acrs = match param(&params, "claims") {
        None => Vec::new(),
        Some(text) => requested_contexts(text).ok_or_else(|| {
            error_page(
                90100,
                "The 'claims' parameter is not valid JSON of the form {\"access_token\":{\"acrs\":{...}}}.",
            )
        })?,
    };
    let state_param = param(&params, "state").map(str::to_owned);
    Ok(Authorize {
        params,
        client_id,
        redirect_uri,
        scope,
        code_challenge,
        state: state_param,
        acrs,
    })
}

/// The contexts of `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}` (or `values`).
fn requested_contexts(claims: &str) -> Option<Vec<String>> {
    let parsed: Value = serde_json::from_str(claims).ok()?;
    let acrs = &parsed["access_token"]["acrs"];
    let mut out: Vec<String> = acrs["value"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();
    for value in acrs["values"].as_array().into_iter().flatten() {
        out.extend(value.as_str().map(str::to_owned));
    }
    Some(out)
}

pub(super) async fn show(
    State(emulator): State<Emulator>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let state = emulator.lock();
    let ask = match validate(&state, &tenant, params) {
        Ok(ask) => ask,
        Err(page) => return page.into_response(),
    };
    let users: Vec<_> = state
        .tenant
        .users
        .iter()
        .filter(|u| u.account_enabled)
        .collect();
    let body = page::sign_in(&page::SignInPage {
        tenant: &tenant,
        users: &users,
        hint: ask.param("login_hint"),
        acrs: &ask.acrs,
        hidden: &ask.params,
    });
    Html(body).into_response()
}

pub(super) async fn submit(
    State(emulator): State<Emulator>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut state = emulator.lock();
    let ask = match validate(&state, &tenant, form.clone()) {
        Ok(ask) => ask,
        Err(page) => return page.into_response(),
    };
    let mut answer: Vec<(&str, String)> = Vec::new();
    if form.iter().any(|(k, _)| k == "cancel") {
        answer.push(("error", "access_denied".to_owned()));
        answer.push((
            "error_description",
            "AADSTS65004: User declined to consent to access the app.".to_owned(),
        ));
    } else {
        let chosen = param(&form, "user").unwrap_or_default();
        let Some(user) = state.tenant.user(chosen).cloned() else {
            return error_page(
                50034,
                &format!("The user account '{chosen}' does not exist in the directory."),
            )
            .into_response();
        };
        if !user.account_enabled {
            return error_page(50057, "The user account is disabled.").into_response();
        }
        let mfa = param(&form, "mfa") == Some("on");
        let acrs: Vec<String> = form
            .iter()
            .filter(|(k, v)| k == "acrs" && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect();
        let sign_in = SignIn::new(&state, &user.id, &ask.client_id, mfa, acrs, &ask.scope);
        let code =
            identity::issue_code(&mut state, sign_in, &ask.redirect_uri, &ask.code_challenge);
        answer.push(("code", code));
    }
    if let Some(value) = &ask.state {
        answer.push(("state", value.clone()));
    }
    answer.push(("session_state", uuid::Uuid::new_v4().to_string()));
    redirect(&ask.redirect_uri, &answer)
}

/// `302 Found` to `redirect_uri` with the answer in its query.
fn redirect(redirect_uri: &str, answer: &[(&str, String)]) -> Response {
    let query = serde_urlencoded::to_string(answer).unwrap_or_default();
    let joiner = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{joiner}{query}");
    match HeaderValue::from_str(&location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        Err(_) => {
            error_page(90102, "'redirect_uri' value must be a valid absolute URI.").into_response()
        }
    }
}
