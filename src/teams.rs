//! The Microsoft Teams adapter: Bot Framework token checks, the `/api/messages` route, Adaptive
//! Cards and the Connector REST client (which implements the `Chat` port). Uses `service` and
//! `domain`; must not use `slack`, `pim` or `store`.

pub mod activity;
pub mod auth;
mod chat;
mod connector;
mod render;
mod routes;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::service::ports::UpstreamError;

pub use auth::{AuthError, Authenticator, KeyClock};
pub use chat::TeamsChat;
pub use connector::Connector;
pub use routes::{TeamsState, router};

/// The scope of the outbound Connector token.
pub const CONNECTOR_SCOPE: &str = "https://api.botframework.com/.default";
/// The token tenant of a multi-tenant bot.
pub const MULTI_TENANT: &str = "botframework.com";

/// `[teams]`: what the adapter needs to talk to Teams through the Bot Framework.
#[derive(Clone)]
pub struct TeamsSettings {
    /// The bot's Microsoft App ID: the audience of inbound tokens.
    pub app_id: String,
    /// Set for a single-tenant bot: inbound tokens and activities must come from this tenant.
    pub app_tenant_id: Option<String>,
    /// The tenant of new 1:1 conversations when no stored reference names one.
    pub tenant_id: String,
    /// Bot Framework OpenID metadata, whose `jwks_uri` lists the signing keys.
    pub openid_metadata_url: String,
    /// Single-tenant bots: the bot's Entra tenant may also sign inbound tokens.
    pub entra_issuer: Option<EntraIssuer>,
    /// The Connector base URL for proactive posts when no stored reference names one.
    pub service_url: String,
    /// The conversation that gets one line per transition.
    pub audit_conversation: Option<String>,
    /// Timeout of each Connector and metadata call.
    pub timeout: Duration,
    /// How the signing-key cache tells the time (tests move it forward).
    pub key_clock: KeyClock,
}

impl fmt::Debug for TeamsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamsSettings")
            .field("app_id", &self.app_id)
            .field("app_tenant_id", &self.app_tenant_id)
            .field("openid_metadata_url", &self.openid_metadata_url)
            .field("entra_issuer", &self.entra_issuer)
            .field("service_url", &self.service_url)
            .field("audit_conversation", &self.audit_conversation)
            .finish_non_exhaustive()
    }
}

/// The bot's own Entra tenant as a token issuer (single-tenant bots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraIssuer {
    /// `https://login.microsoftonline.com` (or the national cloud's): the v2 issuer's host.
    pub authority_host: String,
    /// The tenant's OpenID metadata, whose `jwks_uri` lists Entra's signing keys.
    pub openid_metadata_url: String,
    /// The apps (`azp` / `appid`) whose tokens of this tenant are accepted.
    pub allowed_callers: Vec<String>,
}

/// The bearer token pimbot presents to the Connector (`app` supplies one backed by Entra).
#[async_trait]
pub trait ConnectorToken: Send + Sync {
    /// A currently valid token for [`CONNECTOR_SCOPE`] (implementations cache it).
    async fn token(&self) -> Result<String, UpstreamError>;
}
#[cfg(test)]
mod properties;
