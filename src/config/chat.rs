//! `[slack]` and `[teams]`: the chat platforms pimbot answers on.

use crate::secret::Secret;

/// `[slack]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackConfig {
    /// `signing_secrets`: the app's signing secrets; a request signed with any of them is accepted
    /// (several, for rotation). At least one. From the environment,
    /// `PIMBOT_SLACK__SIGNING_SECRETS=a,b` or `PIMBOT_SLACK__SIGNING_SECRET=a`.
    pub signing_secrets: Vec<Secret>,
    /// `bot_token`: the bot user OAuth token (`xoxb-...`). Required.
    pub bot_token: Secret,
    /// `api_url`: the Slack Web API base URL. Default `https://slack.com/api`. No trailing slash.
    pub api_url: String,
    /// `audit_channel`: the channel id (`C...`) that gets one line per transition. Optional.
    pub audit_channel: Option<String>,
    /// `allowed_teams`: the Slack workspaces (team ids, `T...`) whose members' e-mail pimbot
    /// trusts to find their Entra account (an Enterprise Grid member counts in each of their
    /// workspaces). Default: the bot token's own workspace, from `auth.test`.
    pub allowed_teams: Option<Vec<String>>,
}

/// `[teams]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamsConfig {
    /// `app_id`: the Bot Framework app (client) id; inbound tokens must have it as audience.
    /// Required.
    pub app_id: String,
    /// `app_secret`: the bot app's client secret, for the outbound Connector token. Required.
    pub app_secret: Secret,
    /// `app_tenant_id`: set for a single-tenant bot; outbound tokens then come from this tenant
    /// instead of `botframework.com`. Optional.
    pub app_tenant_id: Option<String>,
    /// `openid_metadata_url`: where the Bot Framework's token signing keys are published. Default
    /// `https://login.botframework.com/v1/.well-known/openidconfiguration`.
    pub openid_metadata_url: String,
    /// `entra_openid_metadata_url`: single-tenant bots also accept tokens their own Entra tenant
    /// issued (`https://sts.windows.net/<tenant>/`, `<authority_host>/<tenant>/v2.0`), verified
    /// with the keys published here. Default
    /// `<azure.authority_host>/<app_tenant_id>/v2.0/.well-known/openid-configuration`; unused
    /// without `app_tenant_id`.
    pub entra_openid_metadata_url: Option<String>,
    /// `service_url`: the Connector base URL for proactive posts (replies use the activity's own).
    /// Default `https://smba.trafficmanager.net/teams/`.
    pub service_url: String,
    /// `audit_conversation`: the conversation id (`19:...@thread.tacv2`) that gets one line per
    /// transition. Optional.
    pub audit_conversation: Option<String>,
    /// `allowed_callers`: the app ids (`azp` of v2 tokens, `appid` of v1) whose tokens from the
    /// bot's own Entra tenant are accepted; any other app of the tenant could otherwise get a
    /// token for the bot and speak as any Teams user. Default: the Bot Framework channel
    /// service ([`DEFAULT_ALLOWED_CALLER`]). Unused without `app_tenant_id`.
    pub allowed_callers: Vec<String>,
}

/// The app id of the Bot Framework channel service, the caller of the Entra-issued tokens that
/// Azure Bot Service sends a single-tenant bot (Microsoft's Teams SDK for TypeScript accepts
/// Entra-authenticated inbound activities only from it, by `azp`, else `appid`).
pub const DEFAULT_ALLOWED_CALLER: &str = "5a807f24-c9de-44ee-a3a7-329e88a00ffc";
