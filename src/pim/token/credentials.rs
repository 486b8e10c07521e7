//! The azure_identity credentials besides client secrets: workload identity (a federated token
//! file, e.g. AKS), managed identity (App Service, VMs) and the Azure CLI (developer machines).
//! Each caches its tokens per scope and refreshes them before they expire.

use std::path::PathBuf;
use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::ClientOptions;
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};

use super::{AzureIdentityTokens, TokenProvider, TokenSettings, config_error, token_provider};
use crate::service::ports::UpstreamError;

/// `azure.credential`: how pimbot signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialKind {
    /// The app registration's client secret.
    ClientSecret,
    /// A federated token from a file; `None` reads `AZURE_FEDERATED_TOKEN_FILE`.
    WorkloadIdentity { token_file: Option<PathBuf> },
    /// The host's managed identity; a non-empty `client_id` picks a user-assigned one.
    ManagedIdentity,
    /// Whoever is signed in to the Azure CLI.
    AzureCli,
}

/// The token provider for a credential kind. Client secrets use [`token_provider`] (which also
/// serves plain-http loopback emulators); the others go through azure_identity, https only.
pub fn credential_tokens(
    kind: &CredentialKind,
    settings: &TokenSettings,
) -> Result<Arc<dyn TokenProvider>, UpstreamError> {
    match kind {
        CredentialKind::ClientSecret => token_provider(settings),
        other => Ok(Arc::new(AzureIdentityTokens::for_credential(
            other,
            settings,
            ClientOptions::default(),
        )?)),
    }
}

impl AzureIdentityTokens {
    /// An azure_identity credential of `kind` signing in at `settings.authority_host` (managed
    /// identity and the CLI use their own endpoints); `client_options` is the transport seam.
    pub fn for_credential(
        kind: &CredentialKind,
        settings: &TokenSettings,
        mut client_options: ClientOptions,
    ) -> Result<Self, UpstreamError> {
        let fail = |e: azure_core::Error| config_error(e.to_string());
        let credential: Arc<dyn TokenCredential> = match kind {
            CredentialKind::ClientSecret => {
                return Self::with_client_options(settings, client_options);
            }
            CredentialKind::WorkloadIdentity { token_file } => {
                let mut cloud = CustomConfiguration::default();
                cloud.authority_host = settings.authority_host.clone();
                client_options.cloud = Some(Arc::new(CloudConfiguration::Custom(cloud)));
                WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                    credential_options: ClientAssertionCredentialOptions { client_options },
                    client_id: Some(settings.client_id.clone()),
                    tenant_id: Some(settings.tenant_id.clone()),
                    token_file_path: token_file.clone(),
                }))
                .map_err(fail)?
            }
            CredentialKind::ManagedIdentity => {
                let client_id = settings.client_id.trim();
                ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                    user_assigned_id: (!client_id.is_empty())
                        .then(|| UserAssignedId::ClientId(client_id.to_owned())),
                    client_options,
                }))
                .map_err(fail)?
            }
            CredentialKind::AzureCli => AzureCliCredential::new(Some(AzureCliCredentialOptions {
                tenant_id: Some(settings.tenant_id.clone()),
                ..AzureCliCredentialOptions::default()
            }))
            .map_err(fail)?,
        };
        Ok(Self::from_credential(credential))
    }
}
