//! The demo's Microsoft Teams: the project's fake Bot Framework
//! ([`crate::emulator::bot_framework`]) with the demo's bot, channel, people and a demo-only
//! signing key, served at `/botframework` on the upstream listener.

use anyhow::Context;
use axum::Router;

pub(super) use crate::emulator::bot_framework::FakeBotFramework as FakeTeams;
use crate::emulator::bot_framework::Keys;

use super::seed::Persona;

/// The demo bot's Microsoft App ID (the audience of the tokens the sandbox mints).
pub(super) const APP_ID: &str = "6f1c2d3e-4b5a-4c6d-8e7f-0000000de307";
/// The team channel where people @mention the bot; each post starts a thread.
pub(super) const CHANNEL: &str = "19:teamfoo@thread.tacv2";
/// The audit conversation.
pub(super) const AUDIT_CONVERSATION: &str = "19:pim-audit@thread.tacv2";
const KID: &str = "pimbot-demo-key";
/// Demo only: generated for `pimbot demo` and trusted by nothing but the demo's own fake
/// metadata. A key generated at startup would need an RSA crate for this alone.
const PRIVATE_KEY: &str = include_str!("demo_bot_key.pem");

/// Where the fake is mounted on the upstream listener.
const MOUNT: &str = "/botframework";

/// The demo's Bot Framework under `<upstream_url>/botframework`, knowing `people`.
pub(super) fn bot_framework(upstream_url: &str, people: &[Persona]) -> anyhow::Result<FakeTeams> {
    let keys = Keys {
        private_key_pem: PRIVATE_KEY,
        bot_framework: vec![(KID.to_owned(), vec!["msteams".to_owned()])],
        entra: None,
    };
    let people = people
        .iter()
        .map(|p| (p.teams_id.clone(), p.entra_id.clone()));
    FakeTeams::new(&format!("{upstream_url}{MOUNT}"), keys, people).context("the demo bot key")
}

/// The routes to merge into the upstream listener's router.
pub(super) fn router(teams: &FakeTeams) -> Router {
    Router::new().nest(MOUNT, teams.router())
}
