//! Submitting the Slack request form as Slack would.

use serde_json::{Value, json};

use super::{TestApp, fastrand};

impl TestApp {
    /// A modal submitted by `user`: `view` is the last view pimbot sent for it (with its
    /// `private_metadata`), `values` the inputs as Slack sends them. Returns the HTTP JSON answer.
    pub(crate) async fn submit_view(
        &self,
        user: &str,
        view_id: &str,
        view: &Value,
        values: Value,
    ) -> Value {
        let payload = json!({
            "type": "view_submission",
            "user": { "id": user, "username": user.to_lowercase(), "team_id": "T1" },
            "api_app_id": "A1",
            "team": { "id": "T1", "domain": "contoso" },
            "trigger_id": format!("trigger-{}", fastrand()),
            "view": {
                "id": view_id,
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": view["private_metadata"],
                "state": { "values": values }
            }
        });
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).expect("encode");
        let response = self
            .post_signed(
                "/slack/interactions",
                "application/x-www-form-urlencoded",
                body,
                0,
            )
            .await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

/// A text input's state as Slack sends it in `view.state.values`.
pub(crate) fn text_input(value: &str) -> Value {
    json!({ "type": "plain_text_input", "value": value })
}
