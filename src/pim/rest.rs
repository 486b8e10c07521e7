//! The HTTP plumbing Graph and ARM share: one call (token, client request id, timeout, logging of
//! the upstream request id), retries for reads with backoff, jitter and `Retry-After`, and
//! paging over `@odata.nextLink` (Graph) or `nextLink` (ARM).

mod api;
pub(crate) mod errors;

pub(crate) use api::Api;
pub use api::ApiSettings;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use super::token::TokenProvider;
use crate::service::ports::{UpstreamError, UpstreamErrorKind};

/// An authenticated client for one API.
#[derive(Clone)]
pub(crate) struct Rest {
    pub(crate) api: Api,
    settings: ApiSettings,
    /// Graph: `{url}/v1.0`; ARM: `{url}`.
    pub(crate) base: Url,
    scope: String,
    tokens: Arc<dyn TokenProvider>,
    http: reqwest::Client,
}

impl Rest {
    /// Fails when the URL is not an absolute http(s) URL.
    pub(crate) fn new(
        api: Api,
        settings: ApiSettings,
        version: Option<&str>,
        tokens: Arc<dyn TokenProvider>,
        http: reqwest::Client,
    ) -> Result<Self, UpstreamError> {
        let root = settings.url.trim_end_matches('/').to_owned();
        let invalid = |why: &str| {
            UpstreamError::new(
                api.service(),
                "configure",
                UpstreamErrorKind::Rejected,
                format!("{}_url `{}` {why}", api.service(), settings.url),
            )
        };
        let mut base = Url::parse(&root).map_err(|_| invalid("is not a URL"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("must be http(s)"));
        }
        {
            let mut path = base
                .path_segments_mut()
                .map_err(|()| invalid("cannot be a base URL"))?;
            path.pop_if_empty();
            if let Some(version) = version {
                path.push(version);
            }
        }
        Ok(Self {
            api,
            scope: format!("{root}/.default"),
            base,
            settings,
            tokens,
            http,
        })
    }

    /// `{base}/seg/seg...`, each segment percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.extend(segments);
        }
        url
    }

    /// A failure found in a 2xx answer, in this API's name.
    pub(crate) fn unreadable(
        &self,
        operation: &str,
        request_id: Option<String>,
        detail: impl std::fmt::Display,
    ) -> UpstreamError {
        errors::unreadable(self.api.service(), operation, request_id, detail)
    }
}

/// Stop following `@odata.nextLink` after this many pages (a loop in the upstream, not data).
const MAX_PAGES: usize = 1000;

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) service: &'static str,
    pub(crate) request_id: Option<String>,
    pub(crate) body: serde_json::Value,
}

impl Answer {
    pub(crate) fn parse<T: DeserializeOwned>(self, operation: &str) -> Result<T, UpstreamError> {
        serde_json::from_value(self.body)
            .map_err(|e| errors::unreadable(self.service, operation, self.request_id, e))
    }
}

/// A page of a collection.
#[derive(Debug, serde::Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", alias = "nextLink")]
    next_link: Option<String>,
}

impl Rest {
    /// One attempt, no retry.
    pub(crate) async fn attempt(
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
            .header(self.api.client_request_header(), &client_request_id)
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
                let error = errors::from_transport(self.api.service(), operation, &e);
                warn!(api.service = self.api.service(), api.operation = operation, api.client_request_id = %client_request_id, duration_ms, error = %error, "upstream call failed");
                return Err(error);
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = headers
            .get(self.api.request_id_header())
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response
            .text()
            .await
            .map_err(|e| errors::from_transport(self.api.service(), operation, &e))?;
        if !status.is_success() {
            let error = errors::from_response(
                self.api.service(),
                operation,
                status,
                &headers,
                request_id,
                &text,
            );
            let logged_id = error.upstream_request_id.as_deref().unwrap_or("-");
            warn!(
                api.request_id = logged_id,
                api.service = self.api.service(),
                api.operation = operation,
                api.status = status.as_u16(),
                api.code = error.code.as_deref().unwrap_or("-"),
                duration_ms,
                "upstream call refused"
            );
            return Err(error);
        }
        let logged_id = request_id.as_deref().unwrap_or("-");
        if method == Method::GET {
            debug!(
                api.request_id = logged_id,
                api.service = self.api.service(),
                api.operation = operation,
                api.status = status.as_u16(),
                duration_ms,
                "upstream call"
            );
        } else {
            tracing::info!(
                api.request_id = logged_id,
                api.service = self.api.service(),
                api.operation = operation,
                api.status = status.as_u16(),
                duration_ms,
                "upstream call"
            );
        }
        let body = if text.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|e| self.unreadable(operation, request_id.clone(), e))?
        };
        Ok(Answer {
            service: self.api.service(),
            request_id,
            body,
        })
    }

    /// A GET, retried on throttling and transient failures.
    pub(crate) async fn get(
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
                        api.service = self.api.service(),
                        api.operation = operation,
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "retrying upstream read"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// A GET of one object; 404 is `None`.
    pub(crate) async fn get_optional<T: DeserializeOwned>(
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
    pub(crate) async fn get_all<T: DeserializeOwned>(
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
        Err(self.unreadable(operation, None, format!("more than {MAX_PAGES} pages")))
    }

    /// A next link is followed only on the API's own origin, so the token never goes elsewhere.
    fn next_link(&self, operation: &str, link: &str) -> Result<Url, UpstreamError> {
        let url = Url::parse(link)
            .map_err(|e| self.unreadable(operation, None, format!("bad nextLink: {e}")))?;
        if url.origin() != self.base.origin() {
            return Err(self.unreadable(
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

    /// Sleeps before the next attempt of a write and counts it, or hands `error` back when the
    /// attempts or the time budget are spent.
    pub(crate) async fn pause_before_retry(
        &self,
        operation: &str,
        error: UpstreamError,
        attempt: &mut u32,
        started: Instant,
    ) -> Result<(), UpstreamError> {
        let Some(wait) = self.retry_wait(&error, *attempt, started) else {
            return Err(error);
        };
        warn!(api.service = self.api.service(), api.operation = operation, attempt = *attempt, error = %error, "retrying schedule request");
        tokio::time::sleep(wait).await;
        *attempt += 1;
        Ok(())
    }

    /// How long to wait before attempt `attempt + 1`, or `None` to give up.
    pub(crate) fn retry_wait(
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
