//! The Azure Resource Manager client for PIM on Azure resources (api-version 2020-10-01): the
//! calls on Azure roles that [`PimProviders`](super::PimProviders) routes here. It shares the retry,
//! paging and error code with the Graph client (the `rest` module).

mod activation;
mod reads;
mod writes;

use std::sync::Arc;

use reqwest::Url;

use super::rest::{Api, ApiSettings, Rest};
use super::token::TokenProvider;
use crate::service::ports::UpstreamError;

/// Where ARM is (e.g. `https://management.azure.com`; the token scope is `{url}/.default`) and
/// how hard to try.
pub type ArmSettings = ApiSettings;

/// The only stable api-version of the PIM resources.
const API_VERSION: &str = "2020-10-01";
/// Role definitions are another resource type, with their own versions.
const ROLE_DEFINITIONS_API_VERSION: &str = "2022-04-01";

/// An ARM client authenticated as pimbot's app registration.
#[derive(Clone)]
pub struct ArmClient {
    rest: Rest,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("base", &self.rest.base.as_str())
            .finish_non_exhaustive()
    }
}

impl ArmClient {
    /// Fails when `settings.url` is not an absolute http(s) URL.
    pub fn new(
        settings: ArmSettings,
        tokens: Arc<dyn TokenProvider>,
        http: reqwest::Client,
    ) -> Result<Self, UpstreamError> {
        Ok(Self {
            rest: Rest::new(Api::Arm, settings, None, tokens, http)?,
        })
    }

    /// This client calling as a signed-in person with their delegated ARM token (same
    /// settings, retries and gate).
    pub(crate) fn as_user(&self, token: &str) -> Self {
        Self {
            rest: self.rest.as_user(token),
        }
    }

    /// `{arm_url}{scope}/providers/Microsoft.Authorization/{resource...}`. The scope's segments are
    /// kept as they are (ARM does not encode them).
    fn url(&self, scope: &str, resource: &[&str]) -> Url {
        let scope_segments = scope.split('/').filter(|s| !s.is_empty());
        let segments: Vec<&str> = scope_segments
            .chain(["providers", "Microsoft.Authorization"])
            .chain(resource.iter().copied())
            .collect();
        self.rest.url(&segments)
    }
}

/// `'value'` with embedded quotes doubled, for `$filter` (ARM reads OData literals).
pub(crate) fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The GUID at the end of a role definition id (`…/roleDefinitions/{guid}`), or the id itself.
pub(crate) fn role_guid(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// Whether two role definition ids name the same role, whatever scope prefix each carries.
pub(crate) fn same_role(a: &str, b: &str) -> bool {
    role_guid(a).eq_ignore_ascii_case(role_guid(b))
}

/// ARM compares scopes case-insensitively and ignores a trailing slash.
pub(crate) fn same_scope(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

#[cfg(test)]
mod tests;
