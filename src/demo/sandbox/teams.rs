//! The sandbox as Microsoft Teams: @mentions in the team channel and clicks on Adaptive Card
//! buttons, sent to `/api/messages` as the Bot Connector sends them, with a Bot Framework token.

use axum::extract::State;
use axum::response::Json;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Sandbox, SandboxError, forwarded};
use crate::demo::fake_teams::{APP_ID, CHANNEL};
use crate::demo::seed::Persona;

impl Sandbox {
    /// An activity from `person` in `conversation`, as the Connector delivers it.
    fn activity(&self, kind: &str, person: &Persona, conversation: &str, id: &str) -> Value {
        let tenant = &self.0.tenant.tenant_id;
        json!({
            "type": kind,
            "id": id,
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "channelId": "msteams",
            "serviceUrl": self.0.teams.service_url(),
            "from": { "id": person.teams_id, "name": person.name, "aadObjectId": person.entra_id },
            "recipient": { "id": format!("28:{APP_ID}"), "name": "pimbot" },
            "conversation": { "id": conversation, "conversationType": "channel",
                              "tenantId": tenant, "isGroup": true },
            "channelData": { "tenant": { "id": tenant }, "channel": { "id": CHANNEL },
                             "team": { "id": CHANNEL } },
            "locale": "en-US",
        })
    }

    /// POSTs `activity` to `/api/messages` with a freshly minted Bot Framework token.
    async fn deliver(&self, activity: &Value) -> Result<(u16, Value), SandboxError> {
        let token = self
            .0
            .teams
            .token(APP_ID)
            .map_err(|e| SandboxError::Internal(format!("{e:#}")))?;
        self.forward(
            "/api/messages",
            activity.to_string(),
            &[
                ("content-type", "application/json".to_owned()),
                ("authorization", format!("Bearer {token}")),
            ],
        )
        .await
    }
}

#[derive(Deserialize)]
pub(super) struct MessageInput {
    #[serde(rename = "as")]
    persona: String,
    text: String,
}

/// `@pimbot <text>` posted in the team channel: a new thread, as in a Teams channel.
pub(super) async fn handle_message(
    State(sandbox): State<Sandbox>,
    Json(input): Json<MessageInput>,
) -> Result<Json<Value>, SandboxError> {
    let person = sandbox.persona(&input.persona)?;
    let text = input.text.trim().trim_start_matches("/pim").trim();
    let (conversation, id) =
        sandbox
            .0
            .teams
            .post_in_channel(CHANNEL, &person.entra_id, &format!("@pimbot {text}"));
    let mut activity = sandbox.activity("message", person, &conversation, &id);
    activity["text"] = json!(format!("<at>pimbot</at> {text}"));
    activity["entities"] = json!([{
        "type": "mention", "text": "<at>pimbot</at>",
        "mentioned": { "id": format!("28:{APP_ID}"), "name": "pimbot" }
    }]);
    let (status, answer) = sandbox.deliver(&activity).await?;
    Ok(forwarded(status, answer))
}

#[derive(Deserialize)]
pub(super) struct InvokeInput {
    #[serde(rename = "as")]
    persona: String,
    /// The id of the message whose card was clicked.
    activity: String,
    verb: String,
    /// The action's `data`, merged with the card's inputs (a deny reason).
    #[serde(default)]
    data: Value,
}

/// A click on an `Action.Execute` button: an `adaptiveCard/action` invoke; its answer (the card
/// the clicker now sees) is shown to the clicker only.
pub(super) async fn handle_invoke(
    State(sandbox): State<Sandbox>,
    Json(input): Json<InvokeInput>,
) -> Result<Json<Value>, SandboxError> {
    let person = sandbox.persona(&input.persona)?;
    let teams = &sandbox.0.teams;
    let message = teams
        .message(&input.activity)
        .ok_or_else(|| SandboxError::BadInput("no such message".into()))?;
    let conversation = message.conversation().to_owned();
    // Teams gives every delivery its own id (pimbot drops repeated ones as retries).
    let id = format!("f:{}", uuid::Uuid::new_v4().simple());
    let mut activity = sandbox.activity("invoke", person, &conversation, &id);
    activity["name"] = json!("adaptiveCard/action");
    activity["replyToId"] = json!(input.activity);
    activity["value"] = json!({
        "action": { "type": "Action.Execute", "id": input.verb, "verb": input.verb,
                    "data": input.data },
        "trigger": "manual",
    });
    let (status, answer) = sandbox.deliver(&activity).await?;
    if status == 200 {
        teams.answered(&person.entra_id, &conversation, &input.activity, &answer);
    }
    Ok(forwarded(status, answer))
}
