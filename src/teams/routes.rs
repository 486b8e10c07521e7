//! `POST /api/messages`: every activity is authenticated first (401 and nothing stored otherwise),
//! then its conversation reference is remembered and it is handled: messages are commands (the
//! bot's mention stripped, the text read once by the grammar), `adaptiveCard/action` invokes are
//! card clicks (the command built from the card's data) answered in the HTTP response. Replies to messages go out through the Connector after the 200.

mod invoke;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tracing::Instrument;

use super::activity::Activity;
use super::auth::{AuthError, Authenticator};
use super::chat::{TeamsChat, person_key};
use crate::domain::request::Platform;
use crate::service::inbound::{Envelope, Inbound};
use crate::service::notice::Reply;
use crate::service::ports::{Chat, ConversationRef};
use crate::service::{Service, ServiceError};

/// What the Teams route needs.
#[derive(Clone)]
pub struct TeamsState {
    pub service: Arc<Service>,
    pub auth: Arc<Authenticator>,
    pub chat: Arc<TeamsChat>,
}

/// `POST /api/messages`.
pub fn router(state: TeamsState) -> Router {
    Router::new()
        .route("/api/messages", post(handle_activity))
        .with_state(state)
}

/// Why an activity was turned away before anything ran.
#[derive(Debug, thiserror::Error)]
enum Rejection {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the activity is not JSON: {0}")]
    Malformed(String),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, reason) = match &self {
            // Nothing could be verified: ask the Bot Framework to retry later.
            Rejection::Auth(AuthError::KeysUnavailable(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "keys_unavailable")
            }
            Rejection::Auth(e) => (StatusCode::UNAUTHORIZED, e.reason()),
            Rejection::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed"),
        };
        // AuthError shows every value taken from the request quoted and escaped.
        tracing::warn!(reason, error = %self, "rejected a Teams activity");
        metrics::counter!("pimbot_teams_rejected_total", "reason" => reason).increment(1);
        (status, status.canonical_reason().unwrap_or_default()).into_response()
    }
}

async fn handle_activity(
    State(state): State<TeamsState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    let authorization = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    if authorization.is_none() {
        return Err(AuthError::Missing.into());
    }
    let activity: Activity =
        serde_json::from_slice(&body).map_err(|e| Rejection::Malformed(e.to_string()))?;
    state.auth.verify(authorization, &activity).await?;
    remember(&state, &activity).await;
    Ok(match (activity.kind.as_str(), activity.name.as_deref()) {
        ("message", _) => on_message(&state, activity, &headers).await,
        ("invoke", Some("adaptiveCard/action")) => {
            invoke::on_action(&state, &activity, &headers).await
        }
        (kind, _) => {
            tracing::debug!(teams.activity = kind, "Teams activity");
            StatusCode::OK.into_response()
        }
    })
}

/// Stores where the conversation and the sender can be reached (only authenticated activities
/// get here, so these service URLs are trusted for later outbound calls).
async fn remember(state: &TeamsState, activity: &Activity) {
    let (Some(service_url), Some(conversation)) =
        (activity.service_url.as_deref(), activity.conversation_id())
    else {
        return;
    };
    let tenant_id = activity.tenant_id().map(str::to_owned);
    let mut references = vec![ConversationRef {
        platform: Platform::Teams,
        key: conversation.to_owned(),
        conversation_id: Some(conversation.to_owned()),
        service_url: service_url.to_owned(),
        tenant_id: tenant_id.clone(),
        member_id: None,
    }];
    if let (Some(user), Some(from)) = (activity.aad_object_id(), &activity.from) {
        references.push(ConversationRef {
            platform: Platform::Teams,
            key: person_key(user),
            conversation_id: activity.is_personal().then(|| conversation.to_owned()),
            service_url: service_url.to_owned(),
            tenant_id,
            member_id: Some(from.id.clone()),
        });
    }
    for reference in references {
        if let Err(error) = state.service.remember_conversation(&reference).await {
            tracing::warn!(error = %error, "could not remember a Teams conversation");
        }
    }
}

/// A command typed to the bot, or an `Action.Submit` from a client without Universal Actions.
async fn on_message(state: &TeamsState, activity: Activity, headers: &HeaderMap) -> Response {
    let Some(conversation) = activity.conversation_id().map(str::to_owned) else {
        return StatusCode::OK.into_response();
    };
    let Some(user) = activity.aad_object_id().map(str::to_owned) else {
        send_reply(
            state,
            conversation,
            Reply::text("pimbot only works for Microsoft Entra accounts of this organisation."),
        );
        return StatusCode::OK.into_response();
    };
    // The Bot Framework repeats a delivery it saw fail; the key is recorded only together with
    // what the message causes, so a delivery that failed half-way is carried out on the repeat.
    let delivery = activity
        .id
        .as_ref()
        .map(|id| format!("teams:activity:{conversation}:{id}"));
    let delivery = delivery.as_deref();
    let tenant = activity.tenant_id().unwrap_or_default().to_owned();
    if let Some(value) = activity.value.as_ref().filter(|v| v.is_object()) {
        let click = invoke::Click {
            user: &user,
            tenant: &tenant,
            conversation: &conversation,
            headers,
            delivery,
        };
        let answer = invoke::submitted(state, &click, value).await;
        send_reply(state, conversation, Reply::text(answer));
        return StatusCode::OK.into_response();
    }
    let envelope = Envelope {
        platform: Platform::Teams,
        chat_user: user.clone(),
        workspace: tenant,
        conversation: conversation.clone(),
        reply_to: conversation.clone(),
    };
    let inbound = Inbound::typed(envelope, activity.command_text());
    if inbound.opens_form() {
        if let Err(slow) = state.service.limit_command(&inbound.envelope.sender()) {
            send_reply(state, conversation, Reply::text(slow.to_string()));
            return StatusCode::OK.into_response();
        }
        let opened = state
            .service
            .open_request_form(Platform::Teams, &user, &conversation, delivery)
            .await;
        if let Err(e) = opened {
            send_reply(state, conversation, Reply::text(failure_text(&e, headers)));
        }
        return StatusCode::OK.into_response();
    }
    let accepted = state.service.accept_command(inbound, delivery).await;
    let reply = match accepted {
        Ok(reply) => reply,
        Err(e) => Reply::text(failure_text(&e, headers)),
    };
    send_reply(state, conversation, reply);
    StatusCode::OK.into_response()
}

/// Sends a reply after the HTTP answer, in the request's span.
fn send_reply(state: &TeamsState, conversation: String, reply: Reply) {
    if reply.text.trim().is_empty() {
        return;
    }
    let chat = state.chat.clone();
    let work = async move {
        if let Err(e) = chat.reply(&conversation, &reply).await {
            tracing::warn!(error = %e, "could not answer in Teams");
        }
    };
    tokio::spawn(work.instrument(tracing::Span::current()));
}

/// What the user is told when the service could not run; the cause is logged once, there.
fn failure_text(error: &ServiceError, headers: &HeaderMap) -> String {
    error.user_message(&crate::http::error_reference(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_tokens_are_401_and_unreachable_keys_503() {
        let unauthorized = Rejection::from(AuthError::UnknownKey).into_response();
        assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
        let unavailable =
            Rejection::from(AuthError::KeysUnavailable("down".into())).into_response();
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
