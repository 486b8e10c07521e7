//! The inbound routes: `/slack/commands`, `/slack/interactions`, `/slack/events`. Each checks the
//! signature over the raw body first, then parses (a slash command's text through the grammar,
//! once; a click or a form into the command it asks), calls one use case and answers within
//! Slack's 3 s; anything slow (posting to a `response_url`) runs in a spawned task.

mod interaction;
mod outcome;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde_json::json;
use tracing::Instrument;

use super::form::FormRef;
use super::payload::{EventEnvelope, PayloadError, SlashCommand};
use super::signature::{self, SignatureError};
use super::{SlackClient, SlackSettings, render};
use crate::domain::request::Platform;
use crate::service::Service;
use crate::service::inbound::{Envelope, Inbound};
use crate::service::notice::Reply;
use outcome::Failure;

/// What the Slack routes need.
#[derive(Clone)]
pub struct SlackState {
    pub service: Arc<Service>,
    pub settings: Arc<SlackSettings>,
    pub client: Arc<SlackClient>,
}

/// `POST /slack/commands`, `POST /slack/interactions`, `POST /slack/events`.
pub fn router(state: SlackState) -> Router {
    Router::new()
        .route("/slack/commands", post(handle_command))
        .route("/slack/interactions", post(interaction::handle_interaction))
        .route("/slack/events", post(handle_event))
        .with_state(state)
}

/// Why an inbound request was turned away before any use case ran.
#[derive(Debug, thiserror::Error)]
enum Rejection {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, reason, text) = match &self {
            Rejection::Signature(e) => (
                StatusCode::UNAUTHORIZED,
                e.reason(),
                "invalid Slack request signature".to_owned(),
            ),
            Rejection::Payload(e) => (StatusCode::BAD_REQUEST, "malformed", e.to_string()),
        };
        tracing::warn!(reason, error = %self, "rejected a Slack request");
        metrics::counter!("pimbot_slack_rejected_total", "reason" => reason).increment(1);
        (status, text).into_response()
    }
}

impl SlackState {
    /// The signature check every route runs before reading the body.
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), Rejection> {
        let now = chrono::Utc::now().timestamp();
        Ok(signature::verify(
            &self.settings.signing_secrets,
            headers,
            body,
            now,
        )?)
    }
}

/// A slash command: `request` without a target opens the form, anything else goes to the service.
async fn handle_command(
    State(state): State<SlackState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    state.verify(&headers, &body)?;
    if SlashCommand::is_ssl_check(&body) {
        return Ok(StatusCode::OK.into_response());
    }
    let command = SlashCommand::parse(&body)?;
    let envelope = Envelope {
        platform: Platform::Slack,
        chat_user: command.user_id.clone(),
        workspace: command.team_id.clone(),
        conversation: command.channel_id.clone(),
        reply_to: command.response_url.clone(),
    };
    let inbound = Inbound::typed(envelope, command.text.clone());
    if inbound.opens_form() {
        // Checked before the modal opens: a flood of `request` must not cost Slack API calls.
        if let Err(slow) = state.service.limit_command(&inbound.envelope.sender()) {
            return Ok(Json(render::ephemeral(&Reply::text(slow.to_string()))).into_response());
        }
        return Ok(open_form(&state, &command, &headers).await);
    }
    Ok(match state.service.accept_command(inbound, None).await {
        Ok(reply) if reply.text.trim().is_empty() => StatusCode::OK.into_response(),
        Ok(reply) => Json(render::ephemeral(&reply)).into_response(),
        Err(e) => Json(Failure::new(&e, &headers).ephemeral()).into_response(),
    })
}

/// Opens the loading modal while the trigger id is fresh, then asks the service to fill it.
async fn open_form(state: &SlackState, command: &SlashCommand, headers: &HeaderMap) -> Response {
    let view_id = match state
        .client
        .open_view(&command.trigger_id, render::request_form_loading())
        .await
    {
        Ok(view_id) => view_id,
        Err(e) => {
            tracing::warn!(error = %e, "could not open the request form");
            let text =
                "I couldn't open the form. Type `/pim request TARGET for 2h REASON` instead.";
            return Json(json!({"response_type": "ephemeral", "text": text})).into_response();
        }
    };
    let form_ref = FormRef {
        view_id: view_id.clone(),
        channel: Some(command.channel_id.clone()),
    };
    let opened = state
        .service
        .open_request_form(
            Platform::Slack,
            &command.user_id,
            &form_ref.to_string(),
            None,
        )
        .await;
    if let Err(e) = opened {
        let view = render::request_form_error(&Failure::new(&e, headers).text);
        let client = state.client.clone();
        spawn(async move {
            if let Err(e) = client.update_view(&view_id, view).await {
                tracing::warn!(error = %e, "could not show the form error");
            }
        });
    }
    StatusCode::OK.into_response()
}

/// Events API: the URL check, and deliveries deduplicated by `event_id` (Slack retries them).
async fn handle_event(
    State(state): State<SlackState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    state.verify(&headers, &body)?;
    match EventEnvelope::parse(&body)? {
        EventEnvelope::UrlVerification { challenge } => {
            Ok(Json(json!({"challenge": challenge})).into_response())
        }
        EventEnvelope::EventCallback(callback) => {
            let key = format!("slack:event:{}", callback.event_id);
            match state.service.first_delivery(&key).await {
                Ok(true) => tracing::debug!(slack.event = %callback.event.kind, "Slack event"),
                Ok(false) => tracing::debug!(slack.event_id = %callback.event_id, "Slack retry"),
                Err(e) => tracing::warn!(error = %e, "could not record a Slack event"),
            }
            Ok(StatusCode::OK.into_response())
        }
        EventEnvelope::Other => Ok(StatusCode::OK.into_response()),
    }
}

/// Runs slow follow-up work after the answer, in the request's span.
fn spawn(work: impl Future<Output = ()> + Send + 'static) {
    tokio::spawn(work.instrument(tracing::Span::current()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_signature_is_401_and_a_malformed_body_400() {
        let unsigned = Rejection::from(SignatureError::Stale).into_response();
        assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
        let malformed = SlashCommand::parse(b"text=help")
            .map(drop)
            .map_err(Rejection::from);
        let response = malformed.expect_err("malformed").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
}
