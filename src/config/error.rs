//! What goes wrong while loading, and the bookkeeping that lets each error name its key.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// Why the configuration cannot be used; each names the key, variable or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` (or `./pimbot.toml`) cannot be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("config file {origin} is not valid TOML: {message}")]
    Syntax { origin: String, message: String },
    /// A key nobody reads (a typo, most likely).
    #[error("unknown config key `{key}`{}", did_you_mean(suggestion.as_deref()))]
    UnknownKey {
        key: String,
        suggestion: Option<String>,
    },
    /// A key whose value is missing or wrong.
    #[error("config key `{key}`{}: {message}", set_by(origin.as_deref()))]
    Invalid {
        key: String,
        /// The environment variable that set the value, if one did.
        origin: Option<String>,
        message: String,
    },
    /// A `PIMBOT_` variable that names no key.
    #[error("unknown environment variable `{variable}`{}", did_you_mean(suggestion.as_deref()))]
    UnknownVariable {
        variable: String,
        suggestion: Option<String>,
    },
    /// A `PIMBOT_` variable that cannot be used as it is.
    #[error("environment variable `{variable}`: {message}")]
    Environment { variable: String, message: String },
    /// `serve` with neither chat platform configured.
    #[error(
        "no chat platform is configured: add a [slack] section (signing_secrets, bot_token) or a \
         [teams] section (app_id, app_secret), or set PIMBOT_SLACK__SIGNING_SECRETS and \
         PIMBOT_SLACK__BOT_TOKEN (or PIMBOT_TEAMS__APP_ID and PIMBOT_TEAMS__APP_SECRET)"
    )]
    NoChatPlatform,
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"))
}

fn set_by(origin: Option<&str>) -> String {
    origin.map_or_else(String::new, |variable| format!(" (set by {variable})"))
}

/// Which environment variable set which key (`slack.bot_token` → `PIMBOT_SLACK__BOT_TOKEN`), so that
/// errors about those values can say so.
#[derive(Debug, Default)]
pub(super) struct Origins(HashMap<String, String>);

impl Origins {
    pub(super) fn record(&mut self, key: &str, variable: &str) {
        self.0.insert(key.to_owned(), variable.to_owned());
    }

    pub(super) fn variable(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub(super) fn invalid(&self, key: &str, message: impl fmt::Display) -> ConfigError {
        ConfigError::Invalid {
            key: key.to_owned(),
            origin: self.variable(key).map(str::to_owned),
            message: message.to_string(),
        }
    }
}

/// The known name closest to `typed`, if one is close enough to be what was meant.
pub(super) fn suggest(typed: &str, known: &[&str]) -> Option<String> {
    let typed = typed.to_ascii_lowercase();
    known
        .iter()
        .map(|candidate| (edit_distance(&typed, candidate), *candidate))
        .filter(|(distance, candidate)| {
            *distance <= (candidate.len() / 3).max(1)
                || (typed.len() >= 3
                    && (candidate.starts_with(&typed) || typed.starts_with(candidate)))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
