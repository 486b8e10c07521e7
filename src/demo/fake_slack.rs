//! The demo's Slack workspace: the project's fake Slack ([`crate::emulator::slack`]) with the
//! demo's people, channels and bot token, served at `/slack` on the upstream listener.

use axum::Router;

pub(super) use crate::emulator::slack::FakeSlack;

use super::seed::Persona;

/// The demo workspace: the bot token's (`auth.test`) and every person's.
pub(super) const TEAM_ID: &str = "T0DEMO";
/// `#team-foo`, where the team types `/pim` and approval messages appear.
pub(super) const TEAM_CHANNEL: &str = "CTEAMFOO";
/// `#pim-audit`, the audit channel.
pub(super) const AUDIT_CHANNEL: &str = "CPIMAUDIT";

/// Where the fake is mounted on the upstream listener.
const MOUNT: &str = "/slack";

/// The workspace, its Web API under `<upstream_url>/slack`, whose members are `people`.
pub(super) fn workspace(upstream_url: &str, bot_token: &str, people: &[Persona]) -> FakeSlack {
    FakeSlack::new(
        &format!("{upstream_url}{MOUNT}"),
        bot_token,
        TEAM_ID,
        people.iter().map(|p| (p.slack_id.clone(), p.email.clone())),
    )
}

/// The routes to merge into the upstream listener's router.
pub(super) fn router(slack: &FakeSlack) -> Router {
    Router::new().nest(MOUNT, slack.router())
}
