//! `TeamsApp`: the test app with `[teams]` pointing at the fake Bot Framework, and helpers that
//! send activities as Teams would.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_teams::{
    self, APP_ID, AUDIT_CONVERSATION, BOT_ID, CHANNEL, ConnectorCall, FakeTeams, THREAD,
};
use crate::harness::{TENANT_ID, TestApp, fastrand};

pub(crate) struct TeamsApp {
    pub(crate) app: TestApp,
    pub(crate) teams: FakeTeams,
    http: reqwest::Client,
}

/// An HTTP answer and how long pimbot took to give it.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) elapsed: Duration,
}

impl TeamsApp {
    /// A single-tenant bot (the demo tenant) with `extra_toml` appended.
    pub(crate) async fn start(extra_toml: &str) -> Self {
        Self::start_for(Some(TENANT_ID), extra_toml).await
    }

    /// A bot of `tenant` (`None`: multi-tenant) with `extra_toml` appended.
    pub(crate) async fn start_for(tenant: Option<&str>, extra_toml: &str) -> Self {
        Self::start_on(pimbot::emulator::Tenant::demo(), tenant, "", extra_toml).await
    }

    /// A single-tenant bot against the PIM tenant `pim`, with `azure_toml` added to `[azure]`.
    pub(crate) async fn start_in(
        pim: pimbot::emulator::Tenant,
        azure_toml: &str,
        extra_toml: &str,
    ) -> Self {
        Self::start_on(pim, Some(TENANT_ID), azure_toml, extra_toml).await
    }

    async fn start_on(
        pim: pimbot::emulator::Tenant,
        tenant: Option<&str>,
        azure_toml: &str,
        extra_toml: &str,
    ) -> Self {
        let teams = FakeTeams::start().await;
        let tenant = tenant
            .map(|t| format!("app_tenant_id = \"{t}\""))
            .unwrap_or_default();
        let toml = format!(
            r#"
[teams]
app_id = "{APP_ID}"
app_secret = "bot-secret"
{tenant}
openid_metadata_url = "{metadata}"
entra_openid_metadata_url = "{entra}"
service_url = "{service}"
audit_conversation = "{AUDIT_CONVERSATION}"

{extra_toml}
"#,
            metadata = teams.metadata_url(),
            entra = teams.entra_metadata_url(),
            service = teams.service_url(),
        );
        let app = TestApp::start_with_azure(pim, azure_toml, &toml).await;
        TeamsApp {
            app,
            teams,
            http: reqwest::Client::new(),
        }
    }

    /// POSTs `activity` to `/api/messages` with `authorization` (a full header value).
    pub(crate) async fn post(&self, activity: &Value, authorization: Option<String>) -> Answer {
        let mut request = self
            .http
            .post(format!("{}/api/messages", self.app.base_url))
            .json(activity);
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let started = Instant::now();
        let response = request.send().await.expect("request reaches pimbot");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            elapsed: started.elapsed(),
        }
    }

    /// POSTs `activity` with a valid Bot Framework token.
    pub(crate) async fn send(&self, activity: &Value) -> Answer {
        let token = fake_teams::sign(
            &fake_teams::claims(&self.teams.service_url()),
            fake_teams::KID,
        );
        self.post(activity, Some(format!("Bearer {token}"))).await
    }

    /// `<at>pimbot</at> {text}` from `user` in the team channel's thread.
    pub(crate) fn channel_message(&self, user: (&str, &str, &str), text: &str) -> Value {
        let mut activity = self.activity("message", user, THREAD, "channel");
        activity["text"] = json!(format!("<at>pimbot</at> {text}"));
        activity["entities"] = json!([{
            "type": "mention", "text": "<at>pimbot</at>",
            "mentioned": {"id": BOT_ID, "name": "pimbot"}
        }]);
        activity
    }

    /// The request id on the approval card posted in the team channel's thread.
    pub(crate) async fn approval_card_id(&self) -> String {
        let posted = self
            .teams
            .wait_for("the approval card", |c| {
                c.path == format!("v3/conversations/{THREAD}/activities")
                    && c.body.to_string().contains("elevation request")
            })
            .await;
        regex::Regex::new(r"PIM-\d+")
            .expect("regex")
            .find(&posted.body.to_string())
            .map(|m| m.as_str().to_owned())
            .expect("the card names its request")
    }

    /// Waits for a message in a 1:1 chat whose text contains `needle`.
    pub(crate) async fn wait_for_dm(&self, needle: &str) -> ConnectorCall {
        self.teams
            .wait_for(&format!("a 1:1 message containing `{needle}`"), |c| {
                c.path.starts_with("v3/conversations/a:1on1-")
                    && c.body["text"].as_str().is_some_and(|t| t.contains(needle))
            })
            .await
    }

    /// A click on an `Action.Execute` of the card `reply_to`.
    pub(crate) fn invoke(
        &self,
        user: (&str, &str, &str),
        reply_to: &str,
        verb: &str,
        data: Value,
    ) -> Value {
        let mut activity = self.activity("invoke", user, THREAD, "channel");
        activity["name"] = json!("adaptiveCard/action");
        activity["replyToId"] = json!(reply_to);
        activity["value"] = json!({
            "action": {"type": "Action.Execute", "id": verb, "verb": verb, "data": data},
            "trigger": "manual"
        });
        activity
    }

    fn activity(
        &self,
        kind: &str,
        user: (&str, &str, &str),
        conversation: &str,
        conversation_type: &str,
    ) -> Value {
        let (name, id, aad) = user;
        json!({
            "type": kind,
            "id": format!("f:{}", fastrand()),
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "channelId": "msteams",
            "serviceUrl": self.teams.service_url(),
            "from": {"id": id, "name": name, "aadObjectId": aad},
            "recipient": {"id": BOT_ID, "name": "pimbot"},
            "conversation": {"id": conversation, "conversationType": conversation_type,
                             "tenantId": TENANT_ID, "isGroup": true},
            "channelData": {"tenant": {"id": TENANT_ID}, "channel": {"id": CHANNEL},
                            "team": {"id": CHANNEL}},
            "locale": "en-US",
        })
    }
}
