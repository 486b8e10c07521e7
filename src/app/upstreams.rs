//! The upstream identities and clients the composition root wires: pimbot's Entra sign-in, the
//! Graph and ARM adapters, the raw tenant client of the operator commands, and the Teams bot's own
//! sign-in for the Connector.

use std::sync::Arc;

use anyhow::Context;

use super::UPSTREAM_TIMEOUT;
use crate::config::{AzureCredential, Config};
use crate::pim::{
    ApiSettings, ArmClient, CachedDirectory, CredentialKind, EntraSignIn, GraphClient,
    PimProviders, SignInSettings, TokenProvider, TokenSettings, credential_tokens, token_provider,
};
use crate::secret::Secret;
use crate::service::ports::SignInProvider;

/// pimbot's own Entra identity (`[azure]`): one provider for Graph and ARM, which caches a
/// token per scope until shortly before it expires.
pub fn azure_tokens(config: &Config) -> anyhow::Result<Arc<dyn TokenProvider>> {
    let credential = match config.azure.credential {
        AzureCredential::ClientSecret => CredentialKind::ClientSecret,
        // The federated token file comes from the pod (`AZURE_FEDERATED_TOKEN_FILE`).
        AzureCredential::WorkloadIdentity => CredentialKind::WorkloadIdentity { token_file: None },
        AzureCredential::ManagedIdentity => CredentialKind::ManagedIdentity,
        AzureCredential::AzureCli => CredentialKind::AzureCli,
    };
    credential_tokens(
        &credential,
        &TokenSettings {
            authority_host: config.azure.authority_host.clone(),
            tenant_id: config.azure.tenant_id.clone(),
            client_id: config.azure.client_id.clone(),
            client_secret: config
                .azure
                .client_secret
                .clone()
                .unwrap_or_else(|| Secret::new("")),
            timeout: UPSTREAM_TIMEOUT,
        },
    )
    .context("configuring Entra sign-in")
}

/// Activate mode's sign-in of people (`[auth]`) as pimbot's app registration, a confidential
/// client of Entra's code flow; `None` without `[auth]`. The code flow authenticates the client
/// with its secret, so `azure.credential` must be `client_secret` (a managed identity has no
/// secret to present, and the federated token of workload identity is read by azure_identity
/// alone).
pub(crate) fn sign_in_provider(
    config: &Config,
    http: &reqwest::Client,
) -> anyhow::Result<Option<Arc<dyn SignInProvider>>> {
    let Some(auth) = &config.auth else {
        return Ok(None);
    };
    let client_secret = match (config.azure.credential, &config.azure.client_secret) {
        (AzureCredential::ClientSecret, Some(secret)) => secret.clone(),
        (AzureCredential::ClientSecret, None) => {
            anyhow::bail!("activate mode's sign-in needs azure.client_secret")
        }
        (other, _) => anyhow::bail!(
            "activate mode's sign-in needs azure.credential = \"client_secret\" (the code flow \
             authenticates pimbot's app registration with its secret), not {other:?}"
        ),
    };
    let provider = EntraSignIn::new(
        SignInSettings {
            authority_host: config.azure.authority_host.clone(),
            tenant_id: config.azure.tenant_id.clone(),
            client_id: config.azure.client_id.clone(),
            client_secret,
            redirect_url: auth.redirect_url.clone(),
            graph_url: config.azure.graph_url.clone(),
            arm_url: config.azure.arm_url.clone(),
            timeout: UPSTREAM_TIMEOUT,
        },
        http.clone(),
    )
    .context("configuring the sign-in of people (activate mode)")?;
    Ok(Some(Arc::new(provider)))
}

/// The PIM providers and the directory over Graph and ARM, sharing `tokens` (one token per
/// scope: `<graph_url>/.default`, `<arm_url>/.default`) and their caches.
pub fn pim_adapters(
    config: &Config,
    tokens: Arc<dyn TokenProvider>,
    http: &reqwest::Client,
) -> anyhow::Result<(Arc<PimProviders>, Arc<CachedDirectory>)> {
    let graph = Arc::new(
        GraphClient::new(
            ApiSettings {
                timeout: config.azure.timeout.as_std(),
                ..ApiSettings::for_url(&config.azure.graph_url)
            },
            tokens.clone(),
            http.clone(),
        )
        .context("configuring Microsoft Graph")?,
    );
    let arm = Arc::new(
        ArmClient::new(
            ApiSettings {
                timeout: config.azure.timeout.as_std(),
                ..ApiSettings::for_url(&config.azure.arm_url)
            },
            tokens,
            http.clone(),
        )
        .context("configuring Azure Resource Manager")?,
    );
    let cache = config.azure.policy_cache.as_std();
    let pim = Arc::new(PimProviders::new(graph.clone(), arm, cache));
    Ok((pim, Arc::new(CachedDirectory::new(graph, cache))))
}

/// Plain Graph and ARM calls as the `[azure]` identity, for the operator commands; reads are
/// tried `max_attempts` times.
pub fn tenant_api(
    config: &Config,
    http: reqwest::Client,
    max_attempts: u32,
) -> anyhow::Result<Arc<crate::pim::TenantApi>> {
    let settings = |url: &str| ApiSettings {
        timeout: config.azure.timeout.as_std(),
        max_attempts,
        ..ApiSettings::for_url(url)
    };
    Ok(Arc::new(crate::pim::TenantApi::new(
        settings(&config.azure.graph_url),
        settings(&config.azure.arm_url),
        azure_tokens(config)?,
        http,
    )?))
}

/// The Connector token: the bot's own app registration, from its tenant (single-tenant) or
/// `botframework.com`, for the Bot Framework scope; not pimbot's Graph identity.
pub fn teams_tokens(
    config: &Config,
    teams_config: &crate::config::TeamsConfig,
) -> anyhow::Result<Arc<dyn TokenProvider>> {
    token_provider(&TokenSettings {
        authority_host: config.azure.authority_host.clone(),
        tenant_id: teams_config
            .app_tenant_id
            .clone()
            .unwrap_or_else(|| crate::teams::MULTI_TENANT.to_owned()),
        client_id: teams_config.app_id.clone(),
        client_secret: teams_config.app_secret.clone(),
        timeout: UPSTREAM_TIMEOUT,
    })
    .context("configuring the Teams bot sign-in")
}
