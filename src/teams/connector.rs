//! The Bot Connector REST client: send, update and create conversations, with the bot's token.
//! Only `https` service URLs (or loopback `http`, for fakes) are called, and only those the
//! caller took from an authenticated activity or the configuration.
//!
//! Every call passes the client's [`Gate`]: at most 16 in flight, a slot waited for at most
//! [`CHAT_SLOT_WAIT`], and a `Retry-After` closing the operation it was given for (`send`,
//! `update`, `create_conversation`) for every caller until it ends. A call held back is answered
//! at once as throttled and never sent; its job is rescheduled.

use std::sync::Arc;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::ConnectorToken;
use crate::gate::{CHAT_SLOT_WAIT, Gate};
use crate::service::ports::{Upstream, UpstreamError, UpstreamErrorKind};

const SERVICE: Upstream = Upstream::Teams;

/// Calls the Connector as the bot.
#[derive(Clone)]
pub struct Connector {
    http: reqwest::Client,
    token: Arc<dyn ConnectorToken>,
    /// The Connector's limits as pimbot keeps them (per operation); shared by clones.
    gate: Gate,
}

/// What `POST /v3/conversations` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Created {
    pub(crate) conversation_id: String,
    pub(crate) activity_id: Option<String>,
}

impl Connector {
    pub fn new(http: reqwest::Client, token: Arc<dyn ConnectorToken>) -> Self {
        Self {
            http,
            token,
            gate: Gate::default(),
        }
    }

    /// `POST /v3/conversations/{id}/activities`: the new activity's id.
    pub(crate) async fn send(
        &self,
        service_url: &str,
        conversation: &str,
        activity: &Value,
    ) -> Result<String, UpstreamError> {
        let url = endpoint(
            service_url,
            &["v3", "conversations", conversation, "activities"],
        )?;
        let answer = self.call(Method::POST, url, activity, "send").await?;
        Ok(answer["id"].as_str().unwrap_or_default().to_owned())
    }

    /// `PUT /v3/conversations/{id}/activities/{activity id}`: replaces a card for everyone.
    pub(crate) async fn update(
        &self,
        service_url: &str,
        conversation: &str,
        activity_id: &str,
        activity: &Value,
    ) -> Result<(), UpstreamError> {
        let url = endpoint(
            service_url,
            &[
                "v3",
                "conversations",
                conversation,
                "activities",
                activity_id,
            ],
        )?;
        self.call(Method::PUT, url, activity, "update")
            .await
            .map(drop)
    }

    /// `POST /v3/conversations` (a 1:1 conversation with a user).
    pub(crate) async fn create_conversation(
        &self,
        service_url: &str,
        parameters: &Value,
    ) -> Result<Created, UpstreamError> {
        let url = endpoint(service_url, &["v3", "conversations"])?;
        let answer = self
            .call(Method::POST, url, parameters, "create_conversation")
            .await?;
        let conversation_id = answer["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                UpstreamError::new(
                    SERVICE,
                    "create_conversation",
                    UpstreamErrorKind::Unavailable,
                    "the answer has no conversation id",
                )
            })?
            .to_owned();
        Ok(Created {
            conversation_id,
            activity_id: answer["activityId"].as_str().map(str::to_owned),
        })
    }

    #[tracing::instrument(skip_all, fields(teams.operation = operation))]
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: &Value,
        operation: &'static str,
    ) -> Result<Value, UpstreamError> {
        let _permit = self
            .gate
            .admit(operation, CHAT_SLOT_WAIT)
            .await
            .map_err(|held| {
                tracing::debug!(teams.operation = operation, held = ?held, "Connector call held back");
                held.into_error(SERVICE, operation)
            })?;
        self.exchange(method, url, body, operation)
            .await
            .inspect_err(|e| {
                self.gate.close_after(e);
                crate::metrics::chat_api_error(SERVICE.as_str(), e);
            })
    }

    async fn exchange(
        &self,
        method: Method,
        url: Url,
        body: &Value,
        operation: &'static str,
    ) -> Result<Value, UpstreamError> {
        let token = self.token.token().await?;
        let response = self
            .http
            .request(method, url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(|e| transport_error(operation, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| transport_error(operation, e))?;
        if !status.is_success() {
            return Err(http_error(operation, status, &headers, &text));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// `service_url` + segments, each percent-encoded; refuses anything but https or loopback http.
#[expect(
    clippy::result_large_err,
    reason = "UpstreamError is the port's error type"
)]
fn endpoint(service_url: &str, segments: &[&str]) -> Result<Url, UpstreamError> {
    let refuse = |why: &str| {
        UpstreamError::new(
            SERVICE,
            "service_url",
            UpstreamErrorKind::Rejected,
            format!("refusing service URL: {why}"),
        )
    };
    let mut url = Url::parse(service_url).map_err(|_| refuse("not a URL"))?;
    let loopback = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .is_some_and(|h| {
            h.eq_ignore_ascii_case("localhost")
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(refuse("not https")),
    }
    url.path_segments_mut()
        .map_err(|()| refuse("cannot be a base"))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

fn http_error(
    operation: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
) -> UpstreamError {
    let kind = match status {
        StatusCode::TOO_MANY_REQUESTS => UpstreamErrorKind::Throttled {
            retry_after_secs: headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok()),
        },
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => UpstreamErrorKind::Unauthorized,
        StatusCode::NOT_FOUND => UpstreamErrorKind::NotFound,
        s if s.is_server_error() => UpstreamErrorKind::Unavailable,
        _ => UpstreamErrorKind::Rejected,
    };
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let snippet: String = body.trim().chars().take(200).collect();
    let mut error = UpstreamError::new(
        SERVICE,
        operation,
        kind,
        format!("HTTP {status}: {snippet}"),
    );
    error.code = parsed
        .pointer("/error/code")
        .and_then(Value::as_str)
        .map(str::to_owned);
    error.upstream_request_id = headers
        .get("ms-cv")
        .or_else(|| headers.get("x-ms-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    error
}

fn transport_error(operation: &str, error: reqwest::Error) -> UpstreamError {
    UpstreamError::new(
        SERVICE,
        operation,
        UpstreamErrorKind::Unavailable,
        format!("the call failed: {}", error.without_url()),
    )
}

#[cfg(test)]
mod gate_tests;
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_ids_are_one_encoded_segment() {
        let url = endpoint(
            "https://smba.trafficmanager.net/teams/",
            &[
                "v3",
                "conversations",
                "19:a@thread.tacv2;messageid=1/x",
                "activities",
            ],
        )
        .expect("url");
        assert_eq!(
            url.as_str(),
            "https://smba.trafficmanager.net/teams/v3/conversations/19:a@thread.tacv2;messageid=1%2Fx/activities"
        );
    }

    #[test]
    fn only_https_or_loopback_service_urls_are_called() {
        assert!(endpoint("http://evil.example/", &["v3"]).is_err());
        assert!(endpoint("file:///etc/passwd", &["v3"]).is_err());
        assert!(endpoint("http://127.0.0.1:9/", &["v3"]).is_ok());
    }
}
