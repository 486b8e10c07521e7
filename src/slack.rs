//! The Slack adapter: request signing, the inbound routes, Block Kit rendering and the Web API
//! client (which implements the `Chat` port). Uses `service` and `domain`; must not use `teams`,
//! `pim` or `store`.

mod client;
mod form;
pub mod payload;
mod render;
mod routes;
pub mod signature;

use std::fmt;
use std::time::Duration;

use crate::secret::Secret;

pub use client::SlackClient;
pub use routes::{SlackState, router};
pub use signature::{SignatureError, sign, verify};

/// `[slack]`: what the adapter needs to talk to one Slack workspace.
#[derive(Clone)]
pub struct SlackSettings {
    /// Request signing secrets; several during a rotation, any one may match.
    pub signing_secrets: Vec<Secret>,
    /// `xoxb-…`.
    pub bot_token: Secret,
    /// The Web API base, `https://slack.com/api` (or a fake in tests), without a trailing slash.
    pub api_url: String,
    /// The channel that gets one line per transition; none means no audit lines on Slack.
    pub audit_channel: Option<String>,
    /// The workspaces (team ids) whose members' e-mail pimbot trusts; `None`: the bot token's
    /// own, from `auth.test`.
    pub allowed_teams: Option<Vec<String>>,
    /// Timeout of each Web API call.
    pub timeout: Duration,
}

impl fmt::Debug for SlackSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackSettings")
            .field(
                "signing_secrets",
                &format_args!("[{} redacted]", self.signing_secrets.len()),
            )
            .field("bot_token", &self.bot_token)
            .field("api_url", &self.api_url)
            .field("audit_channel", &self.audit_channel)
            .field("allowed_teams", &self.allowed_teams)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_debug_never_shows_a_secret() {
        let settings = SlackSettings {
            signing_secrets: vec![Secret::new("sign-1"), Secret::new("sign-2")],
            bot_token: Secret::new("xoxb-top-secret"),
            api_url: "https://slack.com/api".into(),
            audit_channel: Some("C1".into()),
            allowed_teams: None,
            timeout: Duration::from_secs(10),
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("sign-1") && !shown.contains("xoxb-top-secret"));
        assert!(shown.contains("[2 redacted]") && shown.contains("https://slack.com/api"));
    }
}
#[cfg(test)]
mod properties;
