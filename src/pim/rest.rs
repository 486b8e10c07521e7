//! The HTTP plumbing Graph and ARM share: one call (token, client request id, timeout, logging of
//! the upstream request id, the call's metrics), retries with backoff, jitter and `Retry-After`
//! within the operation's [`RetryBudget`], per-API limits ([`Gate`]), and paging over
//! `@odata.nextLink` (Graph) or `nextLink` (ARM).
//!
//! [`RetryBudget`]: crate::service::jobs::RetryBudget
//! [`Gate`]: crate::gate::Gate

mod api;
mod call;
pub(crate) mod errors;
mod retry;

pub(crate) use api::Api;
pub use api::ApiSettings;

use std::sync::Arc;
use std::time::Instant;

use reqwest::Url;
use serde::de::DeserializeOwned;

use super::token::TokenProvider;
use crate::gate::{Gate, Held};
use crate::secret::Secret;
use crate::service::jobs::RetryBudget;
use crate::service::ports::{UpstreamError, UpstreamErrorKind};

/// The `outcome` label of a call that got no HTTP answer.
fn transport_outcome(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else {
        "error"
    }
}

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
    gate: Gate,
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
            gate: Gate::default(),
        })
    }

    /// The same client (settings, gate, metrics) calling as a signed-in person: every call
    /// carries `token`, their delegated token for this API, and never pimbot's own.
    pub(crate) fn as_user(&self, token: &str) -> Self {
        Self {
            tokens: Arc::new(Bearer(Secret::new(token))),
            ..self.clone()
        }
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

/// A person's delegated token, given for whatever scope the call names (it was issued for
/// this API alone).
struct Bearer(Secret);

#[async_trait::async_trait]
impl TokenProvider for Bearer {
    async fn token(&self, _scope: &str) -> Result<String, UpstreamError> {
        Ok(self.0.expose().to_owned())
    }
}

/// Stop following `@odata.nextLink` after this many pages (a loop in the upstream, not data).
const MAX_PAGES: usize = 1000;

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) service: crate::service::ports::Upstream,
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
    /// The timeout a call of `operation` may have now (no later than the operation's deadline),
    /// or why it may not be sent: its `Retry-After` is not over (throttled, for the time left).
    /// A run that starts after its deadline (the worker was down, say) still gets one full try
    /// of each call: the deadline stops retries, never the first look at PIM.
    fn admit(&self, operation: &str) -> Result<std::time::Duration, UpstreamError> {
        if let Some(left) = self.gate.closed_for(operation) {
            return Err(Held::Closed(left).into_error(self.api.service(), operation));
        }
        let left = RetryBudget::current().and_then(|budget| budget.time_left());
        Ok(match left {
            Some(left) if !left.is_zero() => self.settings.timeout.min(left),
            _ => self.settings.timeout,
        })
    }

    /// `pimbot_pim_call_seconds` and, for a refusal, `pimbot_pim_errors_total`.
    fn record(&self, started: Instant, outcome: &str, refused: Option<&str>) {
        let api = self.api.service().as_str();
        metrics::histogram!("pimbot_pim_call_seconds", "api" => api, "outcome" => outcome.to_owned())
            .record(started.elapsed().as_secs_f64());
        let code = refused
            .map(str::to_owned)
            .or_else(|| matches!(outcome, "timeout" | "error").then(|| outcome.to_owned()));
        if let Some(code) = code {
            metrics::counter!("pimbot_pim_errors_total", "api" => api, "code" => code).increment(1);
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
}
