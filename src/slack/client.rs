//! The Slack Web API client: bot-token calls with JSON bodies, `response_url` answers, and Slack's
//! `{"ok": false, "error": …}` mapped to [`UpstreamError`]. Implements the `Chat` port (`chat.rs`).
//!
//! Every call passes the client's [`Gate`]: at most 16 in flight, a slot waited for at most
//! [`CHAT_SLOT_WAIT`], and a `Retry-After` closing the Web API method it was given for (Slack's
//! limits are per method) for every caller until it ends. A call held back is answered at once
//! as throttled and never sent; its job is rescheduled.

mod chat;
mod users;

pub(crate) use chat::DM_PREFIX;

use std::sync::Arc;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

use super::SlackSettings;
use crate::gate::{CHAT_SLOT_WAIT, Gate};
use crate::service::ports::{MessageRef, Upstream, UpstreamError, UpstreamErrorKind};

const SERVICE: Upstream = Upstream::Slack;

/// Slack `error` codes that mean the token or its scopes are wrong.
const AUTH_ERRORS: [&str; 8] = [
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "no_permission",
    "not_allowed_token_type",
];

/// Calls the Slack Web API as the bot.
#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    settings: Arc<SlackSettings>,
    /// The bot token's workspace (`auth.test`), once known; shared by clones.
    own_team: Arc<tokio::sync::OnceCell<String>>,
    /// Slack's limits as pimbot keeps them (per Web API method); shared by clones.
    gate: Gate,
}

impl std::fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl SlackClient {
    /// A client with the settings' base URL and timeout.
    pub fn new(settings: Arc<SlackSettings>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("pimbot/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            settings,
            own_team: Arc::default(),
            gate: Gate::default(),
        })
    }

    pub fn settings(&self) -> &SlackSettings {
        &self.settings
    }

    /// A Web API method with a JSON body; the answer when Slack says `ok: true`.
    #[tracing::instrument(skip_all, fields(slack.method = method))]
    pub async fn call(&self, method: &str, body: &Value) -> Result<Value, UpstreamError> {
        self.send(method, self.post(method).json(body)).await
    }

    /// A read method (`users.info`, `users.lookupByEmail`): these take form bodies, not JSON.
    #[tracing::instrument(skip_all, fields(slack.method = method))]
    async fn call_form(&self, method: &str, form: &[(&str, &str)]) -> Result<Value, UpstreamError> {
        self.send(method, self.post(method).form(form)).await
    }

    fn post(&self, method: &str) -> RequestBuilder {
        let url = format!("{}/{method}", self.settings.api_url.trim_end_matches('/'));
        self.http
            .post(url)
            .bearer_auth(self.settings.bot_token.expose())
    }

    /// Sends `request` through the gate: held back (never sent) while `method` waits out a
    /// `Retry-After` or no call slot frees in time; a throttled answer closes `method`.
    async fn send(&self, method: &str, request: RequestBuilder) -> Result<Value, UpstreamError> {
        let _permit = self.admit(method).await?;
        self.exchange(method, request).await.inspect_err(|e| {
            self.gate.close_after(e);
            crate::metrics::chat_api_error(SERVICE.as_str(), e);
        })
    }

    /// A call slot for `method`, or the throttled error of a call held back.
    async fn admit(
        &self,
        method: &str,
    ) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, UpstreamError> {
        self.gate
            .admit(method, CHAT_SLOT_WAIT)
            .await
            .map_err(|held| {
                tracing::debug!(slack.method = method, held = ?held, "Slack call held back");
                held.into_error(SERVICE, method)
            })
    }

    async fn exchange(
        &self,
        method: &str,
        request: RequestBuilder,
    ) -> Result<Value, UpstreamError> {
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(method, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| transport_error(method, e))?;
        answer(method, status, &headers, &body)
    }

    /// `chat.postMessage`; `message` holds `text` and `blocks`.
    pub async fn post_message(
        &self,
        channel: &str,
        mut message: Value,
    ) -> Result<MessageRef, UpstreamError> {
        message["channel"] = json!(channel);
        let answer = self.call("chat.postMessage", &message).await?;
        Ok(MessageRef {
            conversation: string(&answer, "/channel").unwrap_or_else(|| channel.to_owned()),
            message_id: string(&answer, "/ts")
                .ok_or_else(|| malformed("chat.postMessage", "the answer has no `ts`"))?,
        })
    }

    /// `chat.update` of a message pimbot posted.
    pub async fn update_message(
        &self,
        message: &MessageRef,
        mut content: Value,
    ) -> Result<(), UpstreamError> {
        content["channel"] = json!(message.conversation);
        content["ts"] = json!(message.message_id);
        self.call("chat.update", &content).await.map(drop)
    }

    /// `conversations.open`: the DM channel with `user`.
    pub async fn open_dm(&self, user: &str) -> Result<String, UpstreamError> {
        let answer = self
            .call("conversations.open", &json!({"users": user}))
            .await?;
        string(&answer, "/channel/id")
            .ok_or_else(|| malformed("conversations.open", "the answer has no `channel.id`"))
    }

    /// A direct message (mrkdwn text) to `user`.
    pub async fn send_dm(&self, user: &str, text: &str) -> Result<MessageRef, UpstreamError> {
        self.send_dm_message(user, json!({"text": text})).await
    }

    /// A direct message with blocks (`message` is a `chat.postMessage` body without `channel`).
    pub async fn send_dm_message(
        &self,
        user: &str,
        message: serde_json::Value,
    ) -> Result<MessageRef, UpstreamError> {
        let channel = self.open_dm(user).await?;
        self.post_message(&channel, message).await
    }

    /// `views.open` with a (single-use, ~3 s) trigger id; the new view's id.
    pub async fn open_view(&self, trigger_id: &str, view: Value) -> Result<String, UpstreamError> {
        let answer = self
            .call(
                "views.open",
                &json!({"trigger_id": trigger_id, "view": view}),
            )
            .await?;
        string(&answer, "/view/id")
            .ok_or_else(|| malformed("views.open", "the answer has no `view.id`"))
    }

    /// `views.update` of an open view.
    pub async fn update_view(&self, view_id: &str, view: Value) -> Result<(), UpstreamError> {
        self.call("views.update", &json!({"view_id": view_id, "view": view}))
            .await
            .map(drop)
    }

    /// POSTs a message to an interaction's `response_url` (no token: the URL is the credential),
    /// through the gate as operation `response_url`.
    #[tracing::instrument(skip_all)]
    pub async fn respond(&self, response_url: &str, body: &Value) -> Result<(), UpstreamError> {
        const OPERATION: &str = "response_url";
        let _permit = self.admit(OPERATION).await?;
        self.post_response(OPERATION, response_url, body)
            .await
            .inspect_err(|e| {
                self.gate.close_after(e);
                crate::metrics::chat_api_error(SERVICE.as_str(), e);
            })
    }

    async fn post_response(
        &self,
        operation: &str,
        response_url: &str,
        body: &Value,
    ) -> Result<(), UpstreamError> {
        let response = self
            .http
            .post(response_url)
            .json(body)
            .send()
            .await
            .map_err(|e| transport_error(operation, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        Err(http_error(operation, status, &headers, &text))
    }
}

/// Reads Slack's answer: HTTP errors first, then `ok`.
#[expect(
    clippy::result_large_err,
    reason = "UpstreamError is the port's error type"
)]
fn answer(
    method: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
) -> Result<Value, UpstreamError> {
    if !status.is_success() {
        return Err(http_error(method, status, headers, body));
    }
    let value: Value = serde_json::from_str(body)
        .map_err(|e| malformed(method, &format!("the answer is not JSON: {e}")))?;
    if value["ok"] == json!(true) {
        return Ok(value);
    }
    let code = value["error"]
        .as_str()
        .unwrap_or("unknown_error")
        .to_owned();
    let kind = if code == "ratelimited" {
        UpstreamErrorKind::Throttled {
            retry_after_secs: retry_after(headers),
        }
    } else if AUTH_ERRORS.contains(&code.as_str()) {
        UpstreamErrorKind::Unauthorized
    } else {
        UpstreamErrorKind::Rejected
    };
    let mut error = UpstreamError::new(SERVICE, method, kind, format!("Slack answered `{code}`"));
    if matches!(code.as_str(), "channel_not_found" | "not_in_channel") {
        error.user_message = Some(
            "pimbot cannot post in that Slack channel: invite it with `/invite @pimbot`, or check the channel id.".into(),
        );
    }
    error.code = Some(code);
    error.upstream_request_id = request_id(headers);
    Err(error)
}

fn http_error(method: &str, status: StatusCode, headers: &HeaderMap, body: &str) -> UpstreamError {
    let kind = match status {
        StatusCode::TOO_MANY_REQUESTS => UpstreamErrorKind::Throttled {
            retry_after_secs: retry_after(headers),
        },
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => UpstreamErrorKind::Unauthorized,
        StatusCode::NOT_FOUND => UpstreamErrorKind::NotFound,
        s if s.is_server_error() => UpstreamErrorKind::Unavailable,
        _ => UpstreamErrorKind::Rejected,
    };
    let snippet: String = body.trim().chars().take(100).collect();
    let mut error = UpstreamError::new(SERVICE, method, kind, format!("HTTP {status}: {snippet}"));
    // response_url failures answer with a bare code such as `expired_url` or `used_url`.
    let bare_code =
        !snippet.is_empty() && snippet.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    error.code = bare_code.then_some(snippet);
    error.upstream_request_id = request_id(headers);
    error
}

fn transport_error(method: &str, error: reqwest::Error) -> UpstreamError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    // No URL in the message: a response_url is a credential of sorts.
    UpstreamError::new(
        SERVICE,
        method,
        UpstreamErrorKind::Unavailable,
        format!("the call {what}: {}", error.without_url()),
    )
}

fn malformed(method: &str, message: &str) -> UpstreamError {
    UpstreamError::new(SERVICE, method, UpstreamErrorKind::Unavailable, message)
}

fn retry_after(headers: &HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    Some(headers.get("x-slack-req-id")?.to_str().ok()?.to_owned())
}

fn string(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;
