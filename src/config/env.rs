//! `PIMBOT_<SECTION>__<KEY>` overrides, applied to the parsed document before it is read.

use super::raw::{self, LIST_SECTIONS, SECTIONS};
use super::{ConfigError, Origins};

const PREFIX: &str = "PIMBOT_";

/// `PIMBOT_` variables that are for the binary, not keys of the file (`--log-format`'s).
const PROCESS_VARIABLES: [&str; 1] = ["PIMBOT_LOG_FORMAT"];

/// The one alias: DESIGN.md's example spells the Slack secret in the singular.
const SINGULAR_SIGNING_SECRET: (&str, &str) = ("slack", "signing_secret");

/// Sets every `PIMBOT_` variable in `env` into `document`, and `DATABASE_URL` as the fallback for
/// `database.url`; records where each value came from in `origins`.
pub(super) fn apply(
    document: &mut toml::Table,
    env: &[(String, String)],
    origins: &mut Origins,
) -> Result<(), ConfigError> {
    let mut overrides = Vec::new();
    for (name, value) in env {
        let Some(rest) = strip_prefix_ci(name, PREFIX) else {
            continue;
        };
        if PROCESS_VARIABLES
            .iter()
            .any(|variable| variable.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let (section, key) = split_name(name, rest)?;
        overrides.push((name.as_str(), section, key, value.as_str()));
    }
    // Plural first, so that the singular alias can see whether the plural was given too.
    overrides.sort_by_key(|(_, section, key, _)| {
        (section.as_str(), key.as_str()) == SINGULAR_SIGNING_SECRET
    });

    for (name, section, key, text) in overrides {
        if (section.as_str(), key.as_str()) == SINGULAR_SIGNING_SECRET {
            let plural = "slack.signing_secrets";
            if let Some(other) = origins.variable(plural) {
                return Err(ConfigError::Environment {
                    variable: name.to_owned(),
                    message: format!("`{other}` sets the same key: set only one of them"),
                });
            }
            let value = toml::Value::Array(vec![toml::Value::String(text.to_owned())]);
            set(document, "slack", "signing_secrets", value)?;
            origins.record(plural, name);
            continue;
        }
        let value = read_value(&section, &key, text);
        set(document, &section, &key, value)?;
        origins.record(&format!("{section}.{key}"), name);
    }

    if let Some((name, url)) = env.iter().find(|(name, _)| name == "DATABASE_URL") {
        let has_url = document
            .get("database")
            .and_then(toml::Value::as_table)
            .is_some_and(|database| database.contains_key("url"));
        if !has_url {
            set(
                document,
                "database",
                "url",
                toml::Value::String(url.clone()),
            )?;
            origins.record("database.url", name);
        }
    }
    Ok(())
}

/// `SLACK__BOT_TOKEN` → (`slack`, `bot_token`), checked against the known sections and keys.
fn split_name(name: &str, rest: &str) -> Result<(String, String), ConfigError> {
    let unknown = |suggestion: Option<String>| ConfigError::UnknownVariable {
        variable: name.to_owned(),
        suggestion,
    };
    let Some((section, key)) = rest.split_once("__") else {
        return Err(unknown(None));
    };
    let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
    if LIST_SECTIONS.contains(&section.as_str()) {
        return Err(ConfigError::Environment {
            variable: name.to_owned(),
            message: format!("[[{section}]] can only be set in the config file"),
        });
    }
    let Some(fields) = raw::section_fields(&section) else {
        let settable: Vec<&str> = SECTIONS
            .iter()
            .copied()
            .filter(|s| !LIST_SECTIONS.contains(s))
            .collect();
        let suggestion = super::suggest(&section, &settable).map(|s| {
            format!(
                "{PREFIX}{}__{}",
                s.to_ascii_uppercase(),
                key.to_ascii_uppercase()
            )
        });
        return Err(unknown(suggestion));
    };
    if (section.as_str(), key.as_str()) == SINGULAR_SIGNING_SECRET || fields.contains(&key.as_str())
    {
        return Ok((section, key));
    }
    let suggestion = super::suggest(&key, fields).map(|k| {
        format!(
            "{PREFIX}{}__{}",
            section.to_ascii_uppercase(),
            k.to_ascii_uppercase()
        )
    });
    Err(unknown(suggestion))
}

/// The variable's text as the key wants it: a TOML value (number, boolean, `["a","b"]`) when it is
/// one the key accepts, else the plain string, else a comma-separated list. When none fits, the
/// plain string, so that the key's own error message is about what was typed.
fn read_value(section: &str, key: &str, text: &str) -> toml::Value {
    let string = toml::Value::String(text.to_owned());
    let list = toml::Value::Array(
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| toml::Value::String(item.to_owned()))
            .collect(),
    );
    parse_toml_value(text)
        .into_iter()
        .chain([string.clone(), list])
        .find(|candidate| raw::accepts(section, key, candidate))
        .unwrap_or(string)
}

/// `text` as one TOML value, if it is exactly one.
fn parse_toml_value(text: &str) -> Option<toml::Value> {
    let mut document: toml::Table = toml::from_str(&format!("value = {text}")).ok()?;
    if document.len() != 1 {
        return None;
    }
    document.remove("value")
}

/// Sets `[section] key = value`, creating the section when it is absent.
fn set(
    document: &mut toml::Table,
    section: &str,
    key: &str,
    value: toml::Value,
) -> Result<(), ConfigError> {
    let entry = document
        .entry(section.to_owned())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(table) = entry else {
        return Err(ConfigError::Invalid {
            key: section.to_owned(),
            origin: None,
            message: "must be a table".to_owned(),
        });
    };
    table.insert(key.to_owned(), value);
    Ok(())
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}
