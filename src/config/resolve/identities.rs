//! `[[identities]]` and `slack.allowed_teams`: whom pimbot takes a Slack user to be.

use super::super::raw::{self, RawIdentity, section};
use super::super::{ConfigError, IdentityConfig};
use super::Check;

/// Slack ids (`U…`, `W…` users; `T…` teams, `E…` Enterprise Grid organisations) are upper-case
/// letters and digits.
fn is_slack_id(value: &str, prefixes: &[char]) -> bool {
    value.len() > 1
        && value.starts_with(prefixes)
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

impl Check<'_> {
    pub(super) fn allowed_teams(&self, teams: Vec<String>) -> Result<Vec<String>, ConfigError> {
        const KEY: &str = "slack.allowed_teams";
        if teams.is_empty() {
            return Err(self.error(
                KEY,
                "must list at least one Slack team id (T…); leave it out to trust the bot token's own workspace",
            ));
        }
        teams
            .into_iter()
            .map(|team| {
                let team = team.trim().to_owned();
                if is_slack_id(&team, &['T', 'E']) {
                    Ok(team)
                } else {
                    Err(self.error(
                        KEY,
                        format!("`{team}` is not a Slack team id like T0123ABCD"),
                    ))
                }
            })
            .collect()
    }

    pub(super) fn identities(
        &self,
        value: Option<toml::Value>,
    ) -> Result<Vec<IdentityConfig>, ConfigError> {
        let entries = match value {
            None => return Ok(Vec::new()),
            Some(toml::Value::Array(entries)) => entries,
            Some(_) => {
                return Err(self.error("identities", "must be a list of [[identities]] tables"));
            }
        };
        let mut identities: Vec<IdentityConfig> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.into_iter().enumerate() {
            let path = format!("identities[{index}]");
            let raw: RawIdentity = section(entry, &path, self.origins)?;
            let identity = self.identity(raw, &path)?;
            let twice = |other: &IdentityConfig| {
                if other.slack == identity.slack {
                    Some(("slack", format!("Slack user `{}`", identity.slack)))
                } else if other.entra.eq_ignore_ascii_case(&identity.entra) {
                    Some(("entra", format!("Entra user `{}`", identity.entra)))
                } else {
                    None
                }
            };
            let duplicate = identities
                .iter()
                .enumerate()
                .find_map(|(first, other)| twice(other).map(|found| (first, found)));
            if let Some((first, (key, what))) = duplicate {
                return Err(self.error(
                    &raw::join(&path, key),
                    format!("{what} is mapped twice: identities[{first}] and {path}"),
                ));
            }
            identities.push(identity);
        }
        Ok(identities)
    }

    fn identity(&self, raw: RawIdentity, path: &str) -> Result<IdentityConfig, ConfigError> {
        let key = |name: &str| raw::join(path, name);
        let slack = raw.slack.map(|s| s.trim().to_owned()).ok_or_else(|| {
            self.error(
                &key("slack"),
                "missing: the Slack user id (U… or W…) to map",
            )
        })?;
        if !is_slack_id(&slack, &['U', 'W']) {
            return Err(self.error(
                &key("slack"),
                format!("`{slack}` is not a Slack user id like U0123ABCD"),
            ));
        }
        let entra = raw.entra.map(|e| e.trim().to_owned()).ok_or_else(|| {
            self.error(
                &key("entra"),
                format!("missing: the Entra object id or user principal name of `{slack}`"),
            )
        })?;
        let guid_like =
            entra.len() == 36 && entra.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        let upn_like = entra.contains('@') && !entra.contains(char::is_whitespace);
        if !guid_like && !upn_like {
            return Err(self.error(
                &key("entra"),
                format!("`{entra}` is neither an Entra object id nor a user principal name"),
            ));
        }
        Ok(IdentityConfig { slack, entra })
    }
}
