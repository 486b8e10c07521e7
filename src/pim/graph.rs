//! The Microsoft Graph v1.0 client: implements [`Directory`](crate::service::ports::Directory),
//! and the Graph half of PIM (Entra roles and PIM for Groups) that
//! [`PimProviders`](super::PimProviders) dispatches to.

mod activation;
mod approvals;
mod directory;
mod groups;
mod odata;
mod requests;
mod roles;

pub(crate) use roles::DirectoryTarget;

use std::sync::Arc;

use super::rest::{Api, ApiSettings, Rest, errors};
use super::token::TokenProvider;
use crate::service::ports::UpstreamError;

/// Where Graph is (the root without version, e.g. `https://graph.microsoft.com`; the client
/// appends `/v1.0`) and how hard to try.
pub type GraphSettings = ApiSettings;

/// A Graph client authenticated as pimbot's app registration.
#[derive(Clone)]
pub struct GraphClient {
    rest: Rest,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.rest.base.as_str())
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// Fails when `settings.url` is not an absolute http(s) URL.
    pub fn new(
        settings: GraphSettings,
        tokens: Arc<dyn TokenProvider>,
        http: reqwest::Client,
    ) -> Result<Self, UpstreamError> {
        Ok(Self {
            rest: Rest::new(Api::Graph, settings, Some("v1.0"), tokens, http)?,
        })
    }

    /// `{graph_url}/v1.0/seg/seg...`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> reqwest::Url {
        self.rest.url(segments)
    }

    /// `{graph_url}/beta/seg/seg...`: only for what v1.0 lacks (Entra role approvals).
    fn beta_url(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.rest.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop().push("beta").extend(segments);
        }
        url
    }

    /// This client calling as a signed-in person with their delegated Graph token (same
    /// settings, retries and gate).
    pub(crate) fn as_user(&self, token: &str) -> Self {
        Self {
            rest: self.rest.as_user(token),
        }
    }
}

#[cfg(test)]
mod tests;
