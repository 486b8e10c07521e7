//! `/auth/start` and `/auth/callback`: the browser's part of signing in (activate mode). Both
//! answer small HTML pages; neither shows nor logs the `state`, the code or a token.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::service::sign_in::{AuthPage, AuthStart, Callback};
use crate::service::{Service, ServiceError};

/// The sign-in routes over `service`.
pub fn auth_routes(service: Arc<Service>) -> Router {
    Router::new()
        .route("/auth/start", get(start))
        .route("/auth/callback", get(callback))
        .with_state(service)
}

#[derive(Debug, serde::Deserialize)]
struct StartQuery {
    state: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn start(State(service): State<Arc<Service>>, Query(query): Query<StartQuery>) -> Response {
    let state = query.state.unwrap_or_default();
    if state.is_empty() || state.len() > 200 {
        return page(&AuthPage::refused("This sign-in link is incomplete."));
    }
    match service.begin_sign_in(&state).await {
        Ok(AuthStart::Redirect(url)) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, url),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
        )
            .into_response(),
        Ok(AuthStart::Refused(refusal)) => page(&refusal),
        Err(error) => unavailable(&error),
    }
}

async fn callback(
    State(service): State<Arc<Service>>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let callback = Callback {
        state: query.state,
        code: query.code,
        error: query.error,
        error_description: query.error_description,
    };
    match service.complete_sign_in(callback).await {
        Ok(outcome) => page(&outcome),
        Err(error) => unavailable(&error),
    }
}

fn unavailable(error: &ServiceError) -> Response {
    tracing::warn!(%error, "a sign-in could not be completed");
    let mut response = page(&AuthPage {
        ok: false,
        title: "Try again".to_owned(),
        message: "pimbot could not finish the sign-in just now. Ask it for a new link in a minute."
            .to_owned(),
    });
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
}

/// A small self-contained page; the texts are pimbot's own, escaped all the same.
fn page(outcome: &AuthPage) -> Response {
    let status = if outcome.ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>pimbot: {title}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto\">\
         <h1>{title}</h1><p>{message}</p></body></html>",
        title = escape(&outcome.title),
        message = escape(&outcome.message),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
