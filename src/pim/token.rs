//! Access tokens for Graph and ARM: a port, azure_identity implementations for real clouds (client
//! secret, workload identity, managed identity, Azure CLI) and a small client-credentials flow for
//! plain-http loopback emulators.

mod client_credentials;
mod credentials;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::ClientOptions;
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};

use crate::secret::Secret;
use crate::service::ports::{Upstream, UpstreamError, UpstreamErrorKind};

pub use client_credentials::ClientCredentialsTokens;
pub use credentials::{CredentialKind, credential_tokens};

/// Gives a bearer token for a scope such as `https://graph.microsoft.com/.default`.
#[async_trait]
pub trait TokenProvider: Send + Sync {
    /// A currently valid access token (implementations cache until shortly before expiry).
    async fn token(&self, scope: &str) -> Result<String, UpstreamError>;
}

/// How pimbot signs in to Entra as its app registration (client credentials).
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// `https://login.microsoftonline.com` (or a national cloud, or `http://127.0.0.1:PORT` for the
    /// emulator). The token endpoint is `{authority_host}/{tenant_id}/oauth2/v2.0/token`.
    pub authority_host: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Per token request (plain flow only; azure_identity uses its own pipeline timeouts).
    pub timeout: Duration,
}

/// Picks the implementation for the authority: azure_identity for `https://`, the plain flow for
/// `http://127.0.0.1`, `http://localhost` and `http://[::1]`; anything else is refused.
pub fn token_provider(settings: &TokenSettings) -> Result<Arc<dyn TokenProvider>, UpstreamError> {
    let url = reqwest::Url::parse(&settings.authority_host).map_err(|e| {
        config_error(format!(
            "authority host `{}` is not a URL: {e}",
            settings.authority_host
        ))
    })?;
    match url.scheme() {
        "https" => Ok(Arc::new(AzureIdentityTokens::new(settings)?)),
        "http" if is_loopback(&url) => Ok(Arc::new(ClientCredentialsTokens::new(settings)?)),
        _ => Err(config_error(format!(
            "authority host `{}` must use https (plain http is only allowed for 127.0.0.1 or localhost)",
            settings.authority_host
        ))),
    }
}

pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn config_error(message: String) -> UpstreamError {
    let mut error = UpstreamError::new(
        Upstream::Token,
        "configure",
        UpstreamErrorKind::Rejected,
        message,
    );
    error.user_message = Some(format!(
        "pimbot's Entra sign-in is misconfigured: {}",
        error.message
    ));
    error
}

/// Tokens from azure_identity's `ClientSecretCredential` (which caches and refreshes them).
#[derive(Debug, Clone)]
pub struct AzureIdentityTokens {
    credential: Arc<dyn TokenCredential>,
}

impl AzureIdentityTokens {
    /// A client-secret credential against `settings.authority_host` (must be https).
    pub fn new(settings: &TokenSettings) -> Result<Self, UpstreamError> {
        Self::with_client_options(settings, ClientOptions::default())
    }

    /// As [`new`](Self::new), with pipeline options (e.g. a custom transport); the cloud is set
    /// from `settings.authority_host`.
    pub fn with_client_options(
        settings: &TokenSettings,
        mut client_options: ClientOptions,
    ) -> Result<Self, UpstreamError> {
        let mut cloud = CustomConfiguration::default();
        cloud.authority_host = settings.authority_host.clone();
        client_options.cloud = Some(Arc::new(CloudConfiguration::Custom(cloud)));
        let credential = ClientSecretCredential::new(
            &settings.tenant_id,
            settings.client_id.clone(),
            azure_core::credentials::Secret::new(settings.client_secret.expose().to_owned()),
            Some(ClientSecretCredentialOptions { client_options }),
        )
        .map_err(|e| config_error(e.to_string()))?;
        Ok(Self { credential })
    }

    /// Wraps any azure_identity credential (managed identity, workload identity, ...).
    pub fn from_credential(credential: Arc<dyn TokenCredential>) -> Self {
        Self { credential }
    }
}

#[async_trait]
impl TokenProvider for AzureIdentityTokens {
    async fn token(&self, scope: &str) -> Result<String, UpstreamError> {
        self.credential
            .get_token(&[scope], None)
            .await
            .map(|token| token.token.secret().to_owned())
            .map_err(|e| azure_error(scope, &e))
    }
}

/// Classifies an azure_identity failure: STS 4xx means the credentials are wrong, the rest may pass.
fn azure_error(scope: &str, error: &azure_core::Error) -> UpstreamError {
    let status = error.http_status().or_else(|| {
        error
            .downcast_ref::<azure_core::Error>()
            .and_then(azure_core::Error::http_status)
    });
    let kind = match status.map(u16::from) {
        Some(429) => UpstreamErrorKind::Throttled {
            retry_after_secs: None,
        },
        Some(400..=499) => UpstreamErrorKind::Unauthorized,
        // 5xx, or no status at all: the STS could not be reached.
        _ => UpstreamErrorKind::Unavailable,
    };
    let mut out = UpstreamError::new(
        Upstream::Token,
        format!("token {scope}"),
        kind,
        error.to_string(),
    );
    if out.kind == UpstreamErrorKind::Unauthorized {
        out.user_message = Some(
            "Microsoft Entra refused pimbot's sign-in; check the app registration's client id and secret."
                .to_owned(),
        );
    }
    out
}

#[cfg(test)]
mod tests;
