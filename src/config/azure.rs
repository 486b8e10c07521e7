//! `[azure]`: pimbot's identity in Entra and the hosts of the cloud it calls.

use crate::domain::duration::Timeout;
use crate::secret::Secret;

/// `[azure]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureConfig {
    /// `tenant_id`: the Entra tenant (directory) id. Required.
    pub tenant_id: String,
    /// `client_id`: the application (client) id of pimbot's app registration or managed identity.
    /// Required.
    pub client_id: String,
    /// `credential`: how pimbot gets its tokens. Default `client_secret`.
    pub credential: AzureCredential,
    /// `client_secret`: the app registration's secret; required when `credential` is
    /// `client_secret`. Better set as `PIMBOT_AZURE__CLIENT_SECRET` than in the file.
    pub client_secret: Option<Secret>,
    /// `cloud`: `public`, `usgov`, `usgov-dod` or `china`; chooses the presets for the three hosts
    /// below. Default `public`.
    pub cloud: AzureCloud,
    /// `authority_host`: where tokens come from
    /// (`<authority_host>/<tenant_id>/oauth2/v2.0/token`). Default: the cloud's preset, e.g.
    /// `https://login.microsoftonline.com`. No trailing slash.
    pub authority_host: String,
    /// `graph_url`: Microsoft Graph's base URL; the token scope is `<graph_url>/.default`.
    /// Default: the cloud's preset, e.g. `https://graph.microsoft.com`. No trailing slash.
    pub graph_url: String,
    /// `arm_url`: Azure Resource Manager's base URL; the token scope is `<arm_url>/.default`.
    /// Default: the cloud's preset, e.g. `https://management.azure.com`. No trailing slash.
    pub arm_url: String,
    /// `arm_scopes`: ARM scopes (`/subscriptions/<id>`, `/providers/Microsoft.Management/managementGroups/<id>`,
    /// ...) where Azure eligibilities are looked for. Default: none (no discovery of Azure targets).
    pub arm_scopes: Vec<String>,
    /// `policy_cache`: how long PIM policies, role definitions and directory reads (a user, their
    /// groups, group owners and members) are reused. Default `5m`. Eligibilities are never cached.
    pub policy_cache: Timeout,
    /// `timeout`: how long one Graph or ARM call may take before it counts as failed (and is
    /// retried, looking first whether a write took effect). Default `30s`.
    pub timeout: Timeout,
}

/// `azure.credential`: how pimbot authenticates to Entra.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AzureCredential {
    /// `client_secret`: the app registration's `client_secret`.
    ClientSecret,
    /// `workload_identity`: a federated token (Kubernetes workload identity), from the standard
    /// `AZURE_FEDERATED_TOKEN_FILE` environment.
    WorkloadIdentity,
    /// `managed_identity`: the Azure managed identity of the host (`client_id` picks a user-assigned one).
    ManagedIdentity,
    /// `azure_cli`: the signed-in Azure CLI user (local development only).
    AzureCli,
}

/// `azure.cloud`: which Azure cloud, and so the default hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AzureCloud {
    /// `public`: Azure commercial.
    Public,
    /// `usgov`: Azure Government (GCC High).
    Usgov,
    /// `usgov-dod`: Azure Government, Department of Defense.
    UsgovDod,
    /// `china`: Azure China, operated by 21Vianet.
    China,
}

impl AzureCloud {
    /// The cloud's Entra authority host.
    pub fn authority_host(self) -> &'static str {
        match self {
            AzureCloud::Public => "https://login.microsoftonline.com",
            AzureCloud::Usgov | AzureCloud::UsgovDod => "https://login.microsoftonline.us",
            AzureCloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The cloud's Microsoft Graph endpoint.
    pub fn graph_url(self) -> &'static str {
        match self {
            AzureCloud::Public => "https://graph.microsoft.com",
            AzureCloud::Usgov => "https://graph.microsoft.us",
            AzureCloud::UsgovDod => "https://dod-graph.microsoft.us",
            AzureCloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The cloud's Azure Resource Manager endpoint.
    pub fn arm_url(self) -> &'static str {
        match self {
            AzureCloud::Public => "https://management.azure.com",
            AzureCloud::Usgov | AzureCloud::UsgovDod => "https://management.usgovcloudapi.net",
            AzureCloud::China => "https://management.chinacloudapi.cn",
        }
    }
}
