//! `[slack]` and `[teams]`: the two chats' credentials and endpoints.

use super::super::raw::{RawSlack, RawTeams};
use super::super::{ConfigError, SlackConfig, TeamsConfig};
use super::Check;

const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";
const DEFAULT_OPENID_METADATA_URL: &str =
    "https://login.botframework.com/v1/.well-known/openidconfiguration";
const DEFAULT_SERVICE_URL: &str = "https://smba.trafficmanager.net/teams/";

impl Check<'_> {
    pub(super) fn slack(&self, raw: RawSlack) -> Result<SlackConfig, ConfigError> {
        let signing_secrets = raw.signing_secrets.unwrap_or_default();
        if signing_secrets.is_empty() {
            return Err(self.error(
                "slack.signing_secrets",
                "at least one signing secret is needed (from the Slack app's Basic Information \
                 page); set it in the file or with PIMBOT_SLACK__SIGNING_SECRETS",
            ));
        }
        let signing_secrets = signing_secrets
            .into_iter()
            .map(|secret| self.secret(secret, "slack.signing_secrets"))
            .collect::<Result<_, _>>()?;
        let bot_token =
            self.required(raw.bot_token, "slack.bot_token", "the bot token (xoxb-...)")?;
        let bot_token = self.secret(bot_token, "slack.bot_token")?;
        let api_url = raw
            .api_url
            .unwrap_or_else(|| DEFAULT_SLACK_API_URL.to_owned());
        Ok(SlackConfig {
            signing_secrets,
            bot_token,
            api_url: self.url(api_url, "slack.api_url", false)?,
            audit_channel: raw.audit_channel,
            allowed_teams: raw
                .allowed_teams
                .map(|teams| self.allowed_teams(teams))
                .transpose()?,
        })
    }

    pub(super) fn teams(&self, raw: RawTeams) -> Result<TeamsConfig, ConfigError> {
        let app_id = self.required(raw.app_id, "teams.app_id", "the bot's app id")?;
        let app_id = self.non_empty(app_id, "teams.app_id")?;
        let app_secret =
            self.required(raw.app_secret, "teams.app_secret", "the bot's app secret")?;
        let app_secret = self.secret(app_secret, "teams.app_secret")?;
        let openid = raw
            .openid_metadata_url
            .unwrap_or_else(|| DEFAULT_OPENID_METADATA_URL.to_owned());
        let service = raw
            .service_url
            .unwrap_or_else(|| DEFAULT_SERVICE_URL.to_owned());
        Ok(TeamsConfig {
            app_id,
            app_secret,
            app_tenant_id: raw.app_tenant_id,
            openid_metadata_url: self.url(openid, "teams.openid_metadata_url", true)?,
            entra_openid_metadata_url: raw
                .entra_openid_metadata_url
                .map(|url| self.url(url, "teams.entra_openid_metadata_url", true))
                .transpose()?,
            service_url: self.url(service, "teams.service_url", true)?,
            audit_conversation: raw.audit_conversation,
            allowed_callers: self.allowed_callers(raw.allowed_callers)?,
        })
    }

    fn allowed_callers(&self, raw: Option<Vec<String>>) -> Result<Vec<String>, ConfigError> {
        let Some(callers) = raw else {
            return Ok(vec![super::super::DEFAULT_ALLOWED_CALLER.to_owned()]);
        };
        let callers: Vec<String> = callers.iter().map(|c| c.trim().to_owned()).collect();
        if callers.is_empty() || callers.iter().any(String::is_empty) {
            return Err(self.error(
                "teams.allowed_callers",
                "must list at least one app id, none empty",
            ));
        }
        Ok(callers)
    }
}
