//! The sandbox as Slack: slash commands, button clicks and modal submissions, each sent to
//! pimbot exactly as Slack sends it (form body, `x-slack-signature` over it).

use axum::extract::State;
use axum::response::Json;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Sandbox, SandboxError, forwarded};
use crate::demo::fake_slack::TEAM_CHANNEL;
use crate::slack::signature;

const FORM: &str = "application/x-www-form-urlencoded";
const TEAM: (&str, &str) = (crate::demo::fake_slack::TEAM_ID, "contoso");

impl Sandbox {
    /// POSTs a form body to a Slack route of pimbot, signed with the demo signing secret.
    async fn signed(&self, path: &str, body: String) -> Result<(u16, Value), SandboxError> {
        let ts = chrono::Utc::now().timestamp();
        let signature = signature::sign(&self.0.signing_secret, ts, body.as_bytes());
        self.forward(
            path,
            body,
            &[
                ("content-type", FORM.to_owned()),
                ("x-slack-request-timestamp", ts.to_string()),
                ("x-slack-signature", signature),
            ],
        )
        .await
    }
}

fn encode(pairs: &[(&str, &str)]) -> Result<String, SandboxError> {
    serde_urlencoded::to_string(pairs).map_err(|e| SandboxError::Internal(e.to_string()))
}

fn payload_form(payload: &Value) -> Result<String, SandboxError> {
    encode(&[("payload", &payload.to_string())])
}

#[derive(Deserialize)]
pub(super) struct CommandInput {
    #[serde(rename = "as")]
    persona: String,
    text: String,
}

/// `/pim <text>` typed in `#team-foo`.
pub(super) async fn handle_command(
    State(sandbox): State<Sandbox>,
    Json(input): Json<CommandInput>,
) -> Result<Json<Value>, SandboxError> {
    let person = sandbox.persona(&input.persona)?;
    let slack = &sandbox.0.slack;
    let user = person.slack_id.as_str();
    let text = input.text.trim().trim_start_matches("/pim").trim();
    slack.typed(user, TEAM_CHANNEL, &format!("/pim {text}"));
    let response_url = slack.response_url_from(user, TEAM_CHANNEL, None);
    let trigger_id = slack.trigger(user);
    let body = encode(&[
        ("token", "deprecated-verification-token"),
        ("team_id", TEAM.0),
        ("team_domain", TEAM.1),
        ("channel_id", TEAM_CHANNEL),
        ("channel_name", "team-foo"),
        ("user_id", user),
        ("user_name", &person.key),
        ("command", "/pim"),
        ("text", text),
        ("api_app_id", "A0PIMBOT"),
        ("response_url", &response_url),
        ("trigger_id", &trigger_id),
    ])?;
    let (status, answer) = sandbox.signed("/slack/commands", body).await?;
    slack.answered(user, TEAM_CHANNEL, &answer);
    Ok(forwarded(status, answer))
}

#[derive(Deserialize)]
pub(super) struct ClickInput {
    #[serde(rename = "as")]
    persona: String,
    channel: String,
    ts: String,
    action_id: String,
    #[serde(default)]
    block_id: String,
    #[serde(default)]
    value: String,
}

/// A click on a button of a message the bot posted.
pub(super) async fn handle_click(
    State(sandbox): State<Sandbox>,
    Json(input): Json<ClickInput>,
) -> Result<Json<Value>, SandboxError> {
    let person = sandbox.persona(&input.persona)?;
    let slack = &sandbox.0.slack;
    let user = person.slack_id.as_str();
    let message = slack
        .message(&input.channel, &input.ts)
        .ok_or_else(|| SandboxError::BadInput("no such message".into()))?;
    let now = chrono::Utc::now().timestamp();
    let payload = json!({
        "type": "block_actions",
        "user": { "id": user, "username": person.key, "team_id": TEAM.0 },
        "api_app_id": "A0PIMBOT",
        "team": { "id": TEAM.0, "domain": TEAM.1 },
        "channel": { "id": input.channel, "name": "team-foo" },
        "container": { "type": "message", "message_ts": input.ts, "channel_id": input.channel,
                       "is_ephemeral": false },
        "message": message.as_payload(),
        "trigger_id": slack.trigger(user),
        "response_url": slack.response_url_from(user, &input.channel, Some(&input.ts)),
        "actions": [{ "action_id": input.action_id, "block_id": input.block_id, "type": "button",
                      "value": input.value, "action_ts": format!("{now}.000100") }],
    });
    let (status, answer) = sandbox
        .signed("/slack/interactions", payload_form(&payload)?)
        .await?;
    slack.answered(user, &input.channel, &answer);
    Ok(forwarded(status, answer))
}

#[derive(Deserialize)]
pub(super) struct SubmitInput {
    #[serde(rename = "as")]
    persona: String,
    view_id: String,
    /// `view.state.values` as Slack sends it: block id → action id → element state.
    values: Value,
}

/// A modal submitted; it closes unless pimbot answers with field errors or a new view.
pub(super) async fn handle_submit(
    State(sandbox): State<Sandbox>,
    Json(input): Json<SubmitInput>,
) -> Result<Json<Value>, SandboxError> {
    let person = sandbox.persona(&input.persona)?;
    let slack = &sandbox.0.slack;
    let view = slack
        .view(&input.view_id)
        .ok_or_else(|| SandboxError::BadInput("that form is closed".into()))?;
    let payload = json!({
        "type": "view_submission",
        "user": { "id": person.slack_id, "username": person.key, "team_id": TEAM.0 },
        "api_app_id": "A0PIMBOT",
        "team": { "id": TEAM.0, "domain": TEAM.1 },
        "trigger_id": slack.trigger(&person.slack_id),
        "view": {
            "id": input.view_id,
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": { "values": input.values },
        },
    });
    let (status, answer) = sandbox
        .signed("/slack/interactions", payload_form(&payload)?)
        .await?;
    if status == 200 && answer["response_action"] != "errors" {
        slack.close_view(&input.view_id);
    }
    Ok(forwarded(status, answer))
}

/// Closing a modal without submitting it.
pub(super) async fn handle_close(
    State(sandbox): State<Sandbox>,
    Json(input): Json<Value>,
) -> Json<Value> {
    if let Some(id) = input["view_id"].as_str() {
        sandbox.0.slack.close_view(id);
    }
    Json(json!({ "ok": true }))
}
