//! `/slack/interactions`: Approve and Deny clicks, and the deny-reason and request forms.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::outcome::{self, Failure};
use super::{Rejection, SlackState, spawn};
use crate::domain::command::Command;
use crate::domain::request::{Platform, ShortId};
use crate::service::inbound::{Envelope, Inbound};
use crate::service::notice::Reply;
use crate::slack::client::DM_PREFIX;
use crate::slack::form::{self, FormMetadata, TARGET};
use crate::slack::payload::{BlockActions, Interaction, Team, User, ViewSubmission};
use crate::slack::render::{
    self, APPROVE_ACTION, DENY_ACTION, DENY_CALLBACK, END_NOW_ACTION, EXTEND_ACTION, FORM_CALLBACK,
    REASON,
};

pub(super) async fn handle_interaction(
    State(state): State<SlackState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    state.verify(&headers, &body)?;
    Ok(match Interaction::parse(&body)? {
        Interaction::BlockActions(click) => on_click(&state, click, &headers).await,
        Interaction::ViewSubmission(submission) => match submission.view.callback_id.as_str() {
            DENY_CALLBACK => on_deny_reason(&state, submission, &headers).await,
            FORM_CALLBACK => on_request_form(&state, submission, &headers).await,
            _ => StatusCode::OK.into_response(),
        },
        Interaction::Other => StatusCode::OK.into_response(),
    })
}

/// Approve decides at once (the answer goes to the clicker only); Deny asks for a reason first.
async fn on_click(state: &SlackState, click: BlockActions, headers: &HeaderMap) -> Response {
    let Some((action, id)) = button(&click) else {
        return StatusCode::OK.into_response();
    };
    let answer = match action {
        APPROVE_ACTION => approve(state, &click.user.id, id, headers).await,
        END_NOW_ACTION => in_dm(state, &click, Command::End { id }, headers).await,
        EXTEND_ACTION => in_dm(state, &click, Command::Extend { id }, headers).await,
        _ => ask_deny_reason(state, &click.trigger_id, id).await,
    };
    if let (Some(answer), Some(response_url)) = (answer, click.response_url) {
        let client = state.client.clone();
        let body = json!({"response_type": "ephemeral", "replace_original": false, "text": answer});
        spawn(async move {
            if let Err(e) = client.respond(&response_url, &body).await {
                tracing::warn!(error = %e, "could not answer a click");
            }
        });
    }
    StatusCode::OK.into_response()
}

/// Our Approve or Deny button and the request id it carries; other actions are ignored.
fn button(click: &BlockActions) -> Option<(&'static str, ShortId)> {
    let action = click.actions.first()?;
    let kind = [APPROVE_ACTION, DENY_ACTION, END_NOW_ACTION, EXTEND_ACTION]
        .into_iter()
        .find(|a| *a == action.action_id);
    let id = action.value.as_deref().map(ShortId::parse);
    match (kind, id) {
        (Some(kind), Some(Ok(id))) => Some((kind, id)),
        _ => {
            tracing::debug!(slack.action_id = %action.action_id, "ignored a Slack action");
            None
        }
    }
}

/// A button on the ending-soon DM (End now, Extend): its command (`end ID`, `extend ID`), as if
/// typed there; the service checks who may, and its answers arrive in the DM.
async fn in_dm(
    state: &SlackState,
    click: &BlockActions,
    command: Command,
    headers: &HeaderMap,
) -> Option<String> {
    let user = click.user.id.clone();
    let envelope = Envelope {
        platform: Platform::Slack,
        chat_user: user.clone(),
        workspace: workspace(click.team.as_ref(), &click.user),
        conversation: format!("{DM_PREFIX}{user}"),
        reply_to: format!("{DM_PREFIX}{user}"),
    };
    match state
        .service
        .accept_command(Inbound::built(envelope, command), None)
        .await
    {
        Ok(reply) => Some(reply.text).filter(|t| !t.trim().is_empty()),
        Err(e) => Some(Failure::new(&e, headers).text),
    }
}

/// The answer for the clicker.
async fn approve(
    state: &SlackState,
    user: &str,
    id: ShortId,
    headers: &HeaderMap,
) -> Option<String> {
    let decided = state
        .service
        .decide(Platform::Slack, user, id, true, None)
        .await;
    Some(match decided {
        Ok(decided) => render::reply_text(&decided.reply),
        Err(e) => Failure::new(&e, headers).text,
    })
}

/// Opens the deny-reason modal; an answer only when it could not be opened.
async fn ask_deny_reason(state: &SlackState, trigger_id: &str, id: ShortId) -> Option<String> {
    let opened = state
        .client
        .open_view(trigger_id, render::deny_reason_modal(id))
        .await;
    let error = opened.err()?;
    tracing::warn!(error = %error, request.id = %id, "could not open the deny form");
    Some(format!(
        "I couldn't open the deny form. Type `/pim deny {id} REASON` instead."
    ))
}

/// The deny-reason form: the modal closes only when this denial was recorded.
async fn on_deny_reason(
    state: &SlackState,
    submission: ViewSubmission,
    headers: &HeaderMap,
) -> Response {
    let user = submission.user.id;
    let Ok(id) = ShortId::parse(&submission.view.private_metadata) else {
        return outcome::field_error(
            REASON,
            "This form lost its request id: type `/pim deny ID REASON`.",
        );
    };
    let Some(reason) = submission.view.state.text(REASON, REASON) else {
        return outcome::field_error(REASON, "Say why you deny it.");
    };
    let decided = state
        .service
        .decide(Platform::Slack, &user, id, false, Some(reason))
        .await;
    match decided {
        Ok(decided) if decided.recorded => outcome::clear(),
        Ok(refused) => outcome::field_error(REASON, &refused.reply.text),
        Err(e) => outcome::field_error(REASON, &Failure::new(&e, headers).text),
    }
}

/// The request form: field errors stay in the form; a valid request is a `request` command
/// (built from the fields, not written out and read again) whose answers go to the requester's
/// DMs.
async fn on_request_form(
    state: &SlackState,
    submission: ViewSubmission,
    headers: &HeaderMap,
) -> Response {
    let user = submission.user.id.clone();
    let metadata = FormMetadata::decode(&submission.view.private_metadata);
    let request = match form::validate(&submission.view.state, &metadata) {
        Ok(request) => request,
        Err(errors) => return outcome::field_errors(&errors),
    };
    let envelope = Envelope {
        platform: Platform::Slack,
        chat_user: user.clone(),
        workspace: workspace(submission.team.as_ref(), &submission.user),
        conversation: metadata.channel.unwrap_or_else(|| user.clone()),
        reply_to: format!("{DM_PREFIX}{user}"),
    };
    let reply_to = envelope.reply_to.clone();
    let inbound = Inbound::built(envelope, Command::Request(request));
    match state.service.accept_command(inbound, None).await {
        Ok(reply) => {
            send_receipt(state, reply_to, reply);
            outcome::clear()
        }
        Err(e) => outcome::field_error(TARGET, &Failure::new(&e, headers).text),
    }
}

/// The Slack team of an interaction (the payload's `team`, else the user's), for the limits.
fn workspace(team: Option<&Team>, user: &User) -> String {
    team.map(|t| t.id.clone())
        .or_else(|| user.team_id.clone())
        .unwrap_or_default()
}

/// The immediate answer to a form request goes to the DM, where the later answers arrive.
fn send_receipt(state: &SlackState, reply_to: String, reply: Reply) {
    if reply.text.trim().is_empty() {
        return;
    }
    let client = state.client.clone();
    spawn(async move {
        use crate::service::ports::Chat;
        if let Err(e) = client.reply(&reply_to, &reply).await {
            tracing::warn!(error = %e, "could not send the form receipt");
        }
    });
}
