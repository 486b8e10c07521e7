//! Card clicks: `adaptiveCard/action` invokes (answered in the HTTP response with the updated
//! card for the clicker, within the invoke budget) and `Action.Submit` fallbacks (answered with a
//! message). Approve/Deny only touch the database; the card is updated for everyone by a job.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use super::{TeamsState, failure_text};
use crate::domain::command::{Command, Field, ParseError};
use crate::domain::request::{Platform, ShortId};
use crate::service::inbound::{Envelope, Inbound};
use crate::teams::activity::Activity;
use crate::teams::render::{
    self, CARD_CONTENT_TYPE, REASON, VERB_APPROVE, VERB_DENY, VERB_END_NOW, VERB_EXTEND,
    VERB_REFRESH, VERB_REQUEST,
};

/// Who clicked, where, and (for a message the Bot Framework may repeat) the delivery's key.
pub(super) struct Click<'a> {
    pub(super) user: &'a str,
    /// The clicker's tenant (with `user`, who the limits count).
    pub(super) tenant: &'a str,
    pub(super) conversation: &'a str,
    pub(super) headers: &'a HeaderMap,
    pub(super) delivery: Option<&'a str>,
}

/// What a click gets: a card replacing the clicked one (for the clicker), or a message.
enum Answer {
    Card { card: Value, text: String },
    Message(String),
}

impl Answer {
    fn text(self) -> String {
        match self {
            Answer::Card { text, .. } | Answer::Message(text) => text,
        }
    }
}

/// `adaptiveCard/action`: the invoke response body (HTTP 200, `statusCode` 200).
pub(super) async fn on_action(
    state: &TeamsState,
    activity: &Activity,
    headers: &HeaderMap,
) -> Response {
    let answer = match (activity.aad_object_id(), activity.conversation_id()) {
        (Some(user), Some(conversation)) => {
            let action = activity
                .value
                .as_ref()
                .and_then(|v| v.get("action"))
                .cloned()
                .unwrap_or(Value::Null);
            let verb = action["verb"].as_str().unwrap_or_default();
            let click = Click {
                user,
                tenant: activity.tenant_id().unwrap_or_default(),
                conversation,
                headers,
                // Invokes are answered in the HTTP response, not repeated as deliveries.
                delivery: None,
            };
            dispatch(state, &click, verb, &action["data"]).await
        }
        _ => Answer::Message(
            "pimbot only works for Microsoft Entra accounts of this organisation.".into(),
        ),
    };
    let body = match answer {
        Answer::Card { card, .. } => {
            json!({"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card})
        }
        Answer::Message(text) => json!({
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": render::reply_text(&crate::service::notice::Reply::text(text)),
        }),
    };
    Json(body).into_response()
}

/// An `Action.Submit` fallback: the same actions, answered with text.
pub(super) async fn submitted(state: &TeamsState, click: &Click<'_>, value: &Value) -> String {
    let verb = value["verb"].as_str().unwrap_or_default();
    dispatch(state, click, verb, value).await.text()
}

async fn dispatch(state: &TeamsState, click: &Click<'_>, verb: &str, data: &Value) -> Answer {
    match verb {
        VERB_APPROVE | VERB_DENY => decide(state, click, verb == VERB_APPROVE, data).await,
        VERB_REFRESH => refresh(state, click.user, data).await,
        VERB_REQUEST => request(state, click, data).await,
        VERB_END_NOW => on_ending(state, click, |id| Command::End { id }, data).await,
        VERB_EXTEND => on_ending(state, click, |id| Command::Extend { id }, data).await,
        _ => {
            tracing::debug!(teams.verb = verb, "ignored a Teams card action");
            Answer::Message("pimbot does not know this button.".into())
        }
    }
}

fn request_id(data: &Value) -> Result<ShortId, Answer> {
    data["request"]
        .as_str()
        .and_then(|id| ShortId::parse(id).ok())
        .ok_or_else(|| Answer::Message("This card lost its request id.".into()))
}

async fn decide(state: &TeamsState, click: &Click<'_>, approve: bool, data: &Value) -> Answer {
    let id = match request_id(data) {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    let reason = data[REASON]
        .as_str()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if !approve && reason.is_none() {
        return Answer::Message(format!(
            "Say why you deny {id}; the requester sees the reason."
        ));
    }
    let decided = state
        .service
        .decide(Platform::Teams, click.user, id, approve, reason)
        .await;
    match decided {
        Ok(decided) if decided.recorded => match state.service.store().request(id).await {
            Ok(Some(request)) => Answer::Card {
                card: state
                    .chat
                    .approval_card(&request, Some(&decided.reply.text))
                    .await,
                text: decided.reply.text,
            },
            _ => Answer::Message(decided.reply.text),
        },
        Ok(refused) => Answer::Message(refused.reply.text),
        Err(e) => Answer::Message(failure_text(&e, click.headers)),
    }
}

/// The card as it is now (Teams asks for approvers listed in `refresh.userIds`), for the
/// requester and the request's approvers only: the card shows the target, justification and
/// ticket, and a tampered request id must not show anyone else's.
async fn refresh(state: &TeamsState, user: &str, data: &Value) -> Answer {
    let id = match request_id(data) {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    match state.service.store().request(id).await {
        Ok(Some(request))
            if request.platform == Platform::Teams
                && (request.requester.entra_id == user || request.is_approver(user)) =>
        {
            Answer::Card {
                card: state.chat.approval_card(&request, None).await,
                text: String::new(),
            }
        }
        Ok(_) => Answer::Message(format!("There is no request {id}.")),
        Err(e) => Answer::Message(failure_text(&e.into(), &HeaderMap::new())),
    }
}

/// Extend or End now on the ending-soon card: `extend ID` or `end ID` as the clicker (the
/// service checks who may), answered in the conversation.
async fn on_ending(
    state: &TeamsState,
    click: &Click<'_>,
    command: fn(ShortId) -> Command,
    data: &Value,
) -> Answer {
    let id = match request_id(data) {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    let inbound = Inbound::built(click.envelope(), command(id));
    match as_command(state, click, inbound).await {
        Ok(reply) | Err(reply) => Answer::Message(reply),
    }
}

/// The request form: its inputs, read field by field, are a `request` answered in the
/// conversation; inputs that cannot be read are answered as an unreadable command is.
async fn request(state: &TeamsState, click: &Click<'_>, data: &Value) -> Answer {
    let fields = render::form::submitted(data);
    let inbound = match fields.read() {
        Ok(args) => Inbound::built(click.envelope(), Command::Request(args)),
        Err(mut errors) if fields.target.is_none() => {
            return Answer::Message(errors.remove(&Field::Target).unwrap_or_default());
        }
        Err(errors) => {
            let messages: Vec<String> = errors.into_values().collect();
            let error = ParseError::Invalid(messages.join("\n"));
            Inbound::unreadable(click.envelope(), fields.text(), error)
        }
    };
    match as_command(state, click, inbound).await {
        Ok(reply) => Answer::Card {
            card: render::form_message_card(&reply),
            text: reply,
        },
        Err(failure) => Answer::Message(failure),
    }
}

impl Click<'_> {
    /// The clicker, where they clicked: a command from this card is answered there.
    fn envelope(&self) -> Envelope {
        Envelope {
            platform: Platform::Teams,
            chat_user: self.user.to_owned(),
            workspace: self.tenant.to_owned(),
            conversation: self.conversation.to_owned(),
            reply_to: self.conversation.to_owned(),
        }
    }
}

/// A card action carried out as a chat command of the clicker: the immediate answer, or what
/// went wrong, in words.
async fn as_command(
    state: &TeamsState,
    click: &Click<'_>,
    inbound: Inbound,
) -> Result<String, String> {
    let accepted = state.service.accept_command(inbound, click.delivery).await;
    accepted
        .map(|reply| reply.text)
        .map_err(|e| failure_text(&e, click.headers))
}
