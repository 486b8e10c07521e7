//! The Microsoft Graph v1.0 client: implements [`Directory`](crate::service::ports::Directory) and
//! [`Pim`](crate::service::ports::Pim) for Entra roles (PIM for Groups and ARM come later).

mod directory;
mod errors;
mod http;
mod odata;
mod policy;
mod requests;
mod roles;

use std::sync::Arc;
use std::time::Duration;

use super::token::TokenProvider;
use crate::service::ports::{UpstreamError, UpstreamErrorKind};

/// Where Graph is and how hard to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphSettings {
    /// The Graph root without version, e.g. `https://graph.microsoft.com` (the client appends
    /// `/v1.0`; the token scope is `{graph_url}/.default`).
    pub graph_url: String,
    /// Per HTTP call.
    pub timeout: Duration,
    /// Attempts per call, the first included (reads, and writes whose failure was unambiguous).
    pub max_attempts: u32,
    /// No retry starts once this much time has passed since the first attempt.
    pub retry_budget: Duration,
    /// The first backoff; doubled per attempt, with jitter.
    pub backoff: Duration,
    /// Upper bound for one wait, whatever `Retry-After` says.
    pub max_retry_wait: Duration,
}

impl Default for GraphSettings {
    fn default() -> Self {
        Self {
            graph_url: "https://graph.microsoft.com".to_owned(),
            timeout: Duration::from_secs(30),
            max_attempts: 4,
            retry_budget: Duration::from_secs(60),
            backoff: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(30),
        }
    }
}

/// A Graph client authenticated as pimbot's app registration.
#[derive(Clone)]
pub struct GraphClient {
    settings: GraphSettings,
    /// `{graph_url}/v1.0`.
    base: reqwest::Url,
    scope: String,
    tokens: Arc<dyn TokenProvider>,
    http: reqwest::Client,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// Fails when `graph_url` is not an absolute http(s) URL.
    pub fn new(
        settings: GraphSettings,
        tokens: Arc<dyn TokenProvider>,
        http: reqwest::Client,
    ) -> Result<Self, UpstreamError> {
        let root = settings.graph_url.trim_end_matches('/');
        let invalid = |why: &str| {
            UpstreamError::new(
                "graph",
                "configure",
                UpstreamErrorKind::Rejected,
                format!("graph_url `{}` {why}", settings.graph_url),
            )
        };
        let mut base = reqwest::Url::parse(root).map_err(|_| invalid("is not a URL"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("must be http(s)"));
        }
        base.path_segments_mut()
            .map_err(|()| invalid("cannot be a base URL"))?
            .pop_if_empty()
            .push("v1.0");
        Ok(Self {
            scope: format!("{root}/.default"),
            base,
            settings,
            tokens,
            http,
        })
    }

    /// `{base}/seg/seg...`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.extend(segments);
        }
        url
    }
}

/// The answer for targets this client cannot handle yet.
fn unsupported(operation: &str, kind: crate::domain::target::TargetKind) -> UpstreamError {
    let mut error = UpstreamError::new(
        "graph",
        operation,
        UpstreamErrorKind::Rejected,
        format!("{kind:?} targets are not supported yet"),
    );
    error.user_message = Some(format!(
        "pimbot cannot grant {} targets yet; only Entra roles are supported.",
        format!("{kind:?}").to_lowercase()
    ));
    error
}

#[cfg(test)]
mod tests;
