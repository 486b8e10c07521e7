//! The two chat adapters as the composition root wires them: each built from its config section
//! into its client (what the service posts through) and its routes' state.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;

use super::{UPSTREAM_TIMEOUT, teams_tokens};
use crate::config::{Config, SlackConfig, TeamsConfig};
use crate::pim::TokenProvider;
use crate::service::Service;
use crate::service::ports::Store;
use crate::slack::{SlackClient, SlackSettings, SlackState};
use crate::teams::{
    Authenticator, Connector, EntraIssuer, KeyClock, TeamsChat, TeamsSettings, TeamsState,
};

/// The Slack adapter: its settings and Web API client.
pub(super) struct SlackPart {
    settings: Arc<SlackSettings>,
    pub(super) client: Arc<SlackClient>,
}

/// The Teams adapter: the inbound token check and the Connector client.
pub(super) struct TeamsPart {
    auth: Arc<Authenticator>,
    pub(super) chat: Arc<TeamsChat>,
}

pub(super) fn slack_part(config: &SlackConfig) -> anyhow::Result<SlackPart> {
    let settings = Arc::new(SlackSettings {
        signing_secrets: config.signing_secrets.clone(),
        bot_token: config.bot_token.clone(),
        api_url: config.api_url.clone(),
        audit_channel: config.audit_channel.clone(),
        allowed_teams: config.allowed_teams.clone(),
        timeout: UPSTREAM_TIMEOUT,
    });
    let client = Arc::new(SlackClient::new(settings.clone()).context("building the Slack client")?);
    learn_slack_workspace(&client);
    Ok(SlackPart { settings, client })
}

pub(super) fn teams_part(
    config: &Config,
    teams: &TeamsConfig,
    http: &reqwest::Client,
    store: &Arc<dyn Store>,
    key_clock: &KeyClock,
) -> anyhow::Result<TeamsPart> {
    let settings = Arc::new(TeamsSettings {
        app_id: teams.app_id.clone(),
        app_tenant_id: teams.app_tenant_id.clone(),
        tenant_id: teams
            .app_tenant_id
            .clone()
            .unwrap_or_else(|| config.azure.tenant_id.clone()),
        openid_metadata_url: teams.openid_metadata_url.clone(),
        entra_issuer: teams
            .app_tenant_id
            .as_ref()
            .map(|tenant| entra_issuer(config, teams, tenant)),
        service_url: teams.service_url.clone(),
        audit_conversation: teams.audit_conversation.clone(),
        timeout: UPSTREAM_TIMEOUT,
        key_clock: key_clock.clone(),
    });
    let bot_tokens = teams_tokens(config, teams)?;
    let connector = Connector::new(http.clone(), Arc::new(ConnectorToken(bot_tokens)));
    let chat = Arc::new(TeamsChat::new(connector, store.clone(), settings.clone()));
    let auth = Arc::new(Authenticator::new(&settings, http.clone()));
    Ok(TeamsPart { auth, chat })
}

/// A single-tenant bot also accepts tokens Entra issues for its own tenant.
fn entra_issuer(config: &Config, teams: &TeamsConfig, tenant: &str) -> EntraIssuer {
    let authority_host = config.azure.authority_host.clone();
    let openid_metadata_url = teams.entra_openid_metadata_url.clone().unwrap_or_else(|| {
        format!(
            "{}/{tenant}/v2.0/.well-known/openid-configuration",
            authority_host.trim_end_matches('/')
        )
    });
    EntraIssuer {
        authority_host,
        openid_metadata_url,
        allowed_callers: teams.allowed_callers.clone(),
    }
}

/// The routes of the chats configured.
pub(super) fn chat_routes(
    service: &Arc<Service>,
    slack: Option<SlackPart>,
    teams: Option<TeamsPart>,
) -> Router {
    let mut routes = Router::new();
    if let Some(SlackPart { settings, client }) = slack {
        routes = routes.merge(crate::slack::router(SlackState {
            service: service.clone(),
            settings,
            client,
        }));
    }
    if let Some(TeamsPart { auth, chat }) = teams {
        routes = routes.merge(crate::teams::router(TeamsState {
            service: service.clone(),
            auth,
            chat,
        }));
    }
    routes
}

/// Asks Slack once, at startup, which workspace the bot token belongs to (its members are the
/// ones pimbot trusts unless `slack.allowed_teams` says otherwise), without holding up startup:
/// like every upstream, Slack may be down for a moment, and a failure is asked again when a
/// Slack user is first identified.
fn learn_slack_workspace(client: &Arc<SlackClient>) {
    if client.settings().allowed_teams.is_some() {
        return;
    }
    let client = client.clone();
    tokio::spawn(async move {
        match client.allowed_teams().await {
            Ok(teams) => {
                tracing::info!(slack.team_id = ?teams, "trusting the Slack workspace of the bot token")
            }
            Err(error) => tracing::warn!(
                error = %error,
                "cannot ask Slack (auth.test) which workspace the bot token belongs to; asking again \
                 when a Slack user is identified. Check slack.bot_token, or set slack.allowed_teams"
            ),
        }
    });
}

/// The Teams adapter's Connector token, from pimbot's token machinery.
struct ConnectorToken(Arc<dyn TokenProvider>);

#[async_trait::async_trait]
impl crate::teams::ConnectorToken for ConnectorToken {
    async fn token(&self) -> Result<String, crate::service::ports::UpstreamError> {
        self.0.token(crate::teams::CONNECTOR_SCOPE).await
    }
}
