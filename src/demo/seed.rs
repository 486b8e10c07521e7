//! Who is who in the demo: the tenant's users as Slack and Teams people, and the targets.

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::Config;
use crate::emulator::Tenant;

/// The demo's `[[targets]]` (TOML). Group and Azure targets join here; see the file.
pub(super) const TARGETS: &str = include_str!("targets.toml");

/// A person of the demo tenant, as each chat platform knows them.
#[derive(Debug, Clone, Serialize)]
pub struct Persona {
    /// Short key the sandbox uses (`alice`).
    pub key: String,
    /// Entra display name.
    pub name: String,
    /// Their part in the story: `requester`, `owner` or `outsider`.
    pub role: String,
    /// One line about what they can do.
    pub about: String,
    /// The tenant e-mail, which the fake Slack reports: how pimbot maps Slack users to Entra.
    pub email: String,
    /// Entra object id (also what Teams sends as `aadObjectId`).
    pub entra_id: String,
    /// Slack user id; the fake Slack maps it to the tenant e-mail.
    pub slack_id: String,
    /// Teams user id (`29:…`).
    pub teams_id: String,
}

/// (key, e-mail, role, about): the seats of the story, in the order the page shows them.
const SEATS: [(&str, &str, &str, &str); 4] = [
    (
        "alice",
        "alice@contoso.example",
        "requester",
        "Engineer in Team Foo: eligible for Application Secret Manager on App1 through the team's group",
    ),
    (
        "bob",
        "bob@contoso.example",
        "owner",
        "Owner of Team Foo Application Secret Managers: approves or denies",
    ),
    (
        "carol",
        "carol@contoso.example",
        "owner",
        "Also an owner of the group: the second approver",
    ),
    (
        "dave",
        "dave@contoso.example",
        "outsider",
        "In sales: eligible for nothing, approves nothing",
    ),
];

/// The story's people, from the tenant's users (a seat whose user is missing is left out).
pub fn personas(tenant: &Tenant) -> Vec<Persona> {
    SEATS
        .iter()
        .filter_map(|(key, mail, role, about)| {
            let user = tenant
                .users
                .iter()
                .find(|u| u.mail.as_deref() == Some(*mail))?;
            let upper = key.to_ascii_uppercase();
            Some(Persona {
                key: (*key).to_owned(),
                name: user.display_name.clone(),
                role: (*role).to_owned(),
                about: (*about).to_owned(),
                email: (*mail).to_owned(),
                entra_id: user.id.clone(),
                slack_id: format!("U{upper}"),
                teams_id: format!("29:{key}"),
            })
        })
        .collect()
}

/// The configured targets as the sandbox lists them: what can be requested, and on what terms.
pub(super) fn target_summaries(config: &Config) -> Vec<Value> {
    let defaults = &config.defaults;
    config
        .targets
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "kind": t.kind,
                "what": t.role.as_deref().or(t.group.as_deref()).unwrap_or_default(),
                "scope": t.scope,
                "max_duration": t.max_duration.unwrap_or(defaults.max_duration).to_string(),
                "require_ticket": t.require_ticket.unwrap_or(defaults.require_ticket),
                "require_justification": t
                    .require_justification
                    .unwrap_or(defaults.require_justification),
                "mode": t.mode.unwrap_or(defaults.mode),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seat_of_the_story_is_a_user_of_the_demo_tenant() {
        let tenant = Tenant::demo();
        let people = personas(&tenant);
        let keys: Vec<&str> = people.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["alice", "bob", "carol", "dave"]);
        assert_eq!(people[0].name, "Alice Engineer");
        assert_eq!(people[1].email, "bob@contoso.example");
    }

    #[test]
    fn the_demo_targets_load_as_configuration_and_tell_their_terms() {
        // Activate mode (`groups-admin`) needs [auth], as the demo's configuration has.
        let auth = "[server]\npublic_url = \"http://127.0.0.1:3000\"\n\
                    [auth]\ntoken_keys = [\"k:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\"]\n";
        let config =
            Config::parse(&format!("{auth}{TARGETS}"), &[]).expect("targets.toml is valid");
        let summaries = target_summaries(&config);
        assert_eq!(
            summaries[0],
            json!({"name": "app1-secrets", "kind": "role", "what": "Application Secret Manager",
                   "scope": "App1", "max_duration": "2h", "require_ticket": true,
                   "require_justification": true, "mode": "assign"})
        );
        let last = summaries.last().expect("targets");
        assert_eq!(last["name"], "groups-admin");
        assert_eq!(last["mode"], "activate");
    }
}
