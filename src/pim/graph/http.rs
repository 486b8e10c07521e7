//! One Graph call: token, `client-request-id`, timeout, logging of `request-id`; retries for
//! reads; paging over `@odata.nextLink`.

use std::time::{Duration, Instant};

use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use super::GraphClient;
use super::errors;
use crate::service::ports::{UpstreamError, UpstreamErrorKind};

/// Stop following `@odata.nextLink` after this many pages (a loop in the upstream, not data).
const MAX_PAGES: usize = 1000;

/// A successful Graph answer.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) request_id: Option<String>,
    pub(super) body: serde_json::Value,
}

impl Answer {
    pub(super) fn parse<T: DeserializeOwned>(self, operation: &str) -> Result<T, UpstreamError> {
        serde_json::from_value(self.body)
            .map_err(|e| errors::unreadable(operation, self.request_id, e))
    }
}

/// A page of a Graph collection.
#[derive(Debug, serde::Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

impl GraphClient {
    /// One attempt, no retry.
    pub(super) async fn attempt(
        &self,
        operation: &str,
        method: Method,
        url: Url,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, UpstreamError> {
        let token = self.tokens.token(&self.scope).await?;
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut request = self
            .http
            .request(method.clone(), url)
            .bearer_auth(token)
            .header("client-request-id", &client_request_id)
            .timeout(self.settings.timeout);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = Instant::now();
        let response = request.send().await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let response = match response {
            Ok(response) => response,
            Err(e) => {
                let error = errors::from_transport(operation, &e);
                warn!(graph.operation = operation, graph.client_request_id = %client_request_id, duration_ms, error = %error, "graph call failed");
                return Err(error);
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = headers
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response
            .text()
            .await
            .map_err(|e| errors::from_transport(operation, &e))?;
        if !status.is_success() {
            let error = errors::from_response(operation, status, &headers, request_id, &text);
            let logged_id = error.upstream_request_id.as_deref().unwrap_or("-");
            warn!(
                graph.request_id = logged_id,
                graph.operation = operation,
                graph.status = status.as_u16(),
                graph.code = error.code.as_deref().unwrap_or("-"),
                duration_ms,
                "graph call refused"
            );
            return Err(error);
        }
        let logged_id = request_id.as_deref().unwrap_or("-");
        if method == Method::GET {
            debug!(
                graph.request_id = logged_id,
                graph.operation = operation,
                graph.status = status.as_u16(),
                duration_ms,
                "graph call"
            );
        } else {
            tracing::info!(
                graph.request_id = logged_id,
                graph.operation = operation,
                graph.status = status.as_u16(),
                duration_ms,
                "graph call"
            );
        }
        let body = if text.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|e| errors::unreadable(operation, request_id.clone(), e))?
        };
        Ok(Answer { request_id, body })
    }

    /// A GET, retried on throttling and transient failures.
    pub(super) async fn get(
        &self,
        operation: &str,
        url: Url,
        query: &[(&str, String)],
    ) -> Result<Answer, UpstreamError> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            match self
                .attempt(operation, Method::GET, url.clone(), query, None)
                .await
            {
                Err(error) if error.is_retryable() => {
                    let Some(wait) = self.retry_wait(&error, attempt, started) else {
                        return Err(error);
                    };
                    debug!(
                        graph.operation = operation,
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "retrying graph read"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// A GET of one object; 404 is `None`.
    pub(super) async fn get_optional<T: DeserializeOwned>(
        &self,
        operation: &str,
        url: Url,
        query: &[(&str, String)],
    ) -> Result<Option<T>, UpstreamError> {
        match self.get(operation, url, query).await {
            Ok(answer) => answer.parse(operation).map(Some),
            Err(error) if error.kind == UpstreamErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every item of a collection, following `@odata.nextLink`.
    pub(super) async fn get_all<T: DeserializeOwned>(
        &self,
        operation: &str,
        url: Url,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, UpstreamError> {
        let mut items = Vec::new();
        let mut page: Page<T> = self.get(operation, url, query).await?.parse(operation)?;
        for _ in 0..MAX_PAGES {
            items.append(&mut page.value);
            let Some(next) = page.next_link.take() else {
                return Ok(items);
            };
            let next = self.next_link(operation, &next)?;
            page = self.get(operation, next, &[]).await?.parse(operation)?;
        }
        Err(errors::unreadable(
            operation,
            None,
            format!("more than {MAX_PAGES} pages"),
        ))
    }

    /// A next link is followed only on Graph's own origin, so the token never goes elsewhere.
    fn next_link(&self, operation: &str, link: &str) -> Result<Url, UpstreamError> {
        let url = Url::parse(link)
            .map_err(|e| errors::unreadable(operation, None, format!("bad nextLink: {e}")))?;
        if url.origin() != self.base.origin() {
            return Err(errors::unreadable(
                operation,
                None,
                format!(
                    "nextLink leaves {}: {link}",
                    self.base.origin().ascii_serialization()
                ),
            ));
        }
        Ok(url)
    }

    /// How long to wait before attempt `attempt + 1`, or `None` to give up.
    pub(super) fn retry_wait(
        &self,
        error: &UpstreamError,
        attempt: u32,
        started: Instant,
    ) -> Option<Duration> {
        if attempt >= self.settings.max_attempts {
            return None;
        }
        let wait = match error.kind {
            UpstreamErrorKind::Throttled {
                retry_after_secs: Some(secs),
            } => {
                let wait = Duration::from_secs(secs);
                // Waiting less than asked only earns another 429; let the caller reschedule.
                if wait > self.settings.max_retry_wait {
                    return None;
                }
                wait
            }
            _ => self.backoff(attempt),
        };
        (started.elapsed() + wait <= self.settings.retry_budget).then_some(wait)
    }

    /// Exponential backoff with jitter: between half and all of `backoff * 2^(attempt-1)`.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self
            .settings
            .backoff
            .saturating_mul(1 << exponent)
            .min(self.settings.max_retry_wait);
        let half = full / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::random_range(0..=jitter_ms))
    }
}
