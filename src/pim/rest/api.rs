//! What differs between the APIs one [`Rest`](super::Rest) client can talk to, and the settings
//! each is given.

use std::time::Duration;

use crate::service::ports::Upstream;

/// Where an API is and how hard to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSettings {
    /// The API root, e.g. `https://graph.microsoft.com` or `https://management.azure.com` (the
    /// token scope is `{url}/.default`; the Graph client appends `/v1.0`).
    pub url: String,
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

impl ApiSettings {
    /// Production defaults for an API at `url`.
    pub fn for_url(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            timeout: Duration::from_secs(30),
            max_attempts: 4,
            retry_budget: Duration::from_secs(60),
            backoff: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(30),
        }
    }
}

/// Which API a [`Rest`] talks to: they differ in correlation headers, paging key and error text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    Graph,
    Arm,
}

impl Api {
    /// The `service` of the errors it produces.
    pub(crate) fn service(self) -> Upstream {
        match self {
            Api::Graph => Upstream::Graph,
            Api::Arm => Upstream::Arm,
        }
    }

    pub(super) fn client_request_header(self) -> &'static str {
        match self {
            Api::Graph => "client-request-id",
            Api::Arm => "x-ms-client-request-id",
        }
    }

    pub(super) fn request_id_header(self) -> &'static str {
        match self {
            Api::Graph => "request-id",
            Api::Arm => "x-ms-request-id",
        }
    }
}
