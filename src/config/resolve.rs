//! From the parsed document to a validated [`Config`]: defaults, cloud presets, and every check that
//! spans more than one key.

use std::net::SocketAddr;
use std::num::NonZeroU32;

use super::raw::{
    RawAudit, RawAzure, RawDatabase, RawDefaults, RawLimits, RawServer, RawWorker, SECTIONS,
    section,
};
use super::{
    AuditConfig, AzureCloud, AzureConfig, AzureCredential, Config, ConfigError, DatabaseConfig,
    DefaultsConfig, LimitsConfig, Origins, ServerConfig, WorkerConfig,
};
use crate::domain::duration::{ElevationDuration, Timeout};
use crate::secret::Secret;
use crate::service::ApproverRef;

mod auth;
mod chats;
mod identities;
mod targets;

const DEFAULT_LISTEN: &str = "0.0.0.0:3000";
const DEFAULT_DATABASE_URL: &str = "sqlite://pimbot.db";

pub(super) fn resolve(mut document: toml::Table, origins: &Origins) -> Result<Config, ConfigError> {
    if let Some(key) = document
        .keys()
        .find(|key| !SECTIONS.contains(&key.as_str()))
    {
        return Err(ConfigError::UnknownKey {
            key: key.clone(),
            suggestion: super::suggest(key, SECTIONS),
        });
    }
    let mut take = |name: &str| document.remove(name);
    let server = take("server");
    let database = take("database");
    let azure = take("azure");
    let slack = take("slack");
    let teams = take("teams");
    let auth = take("auth");
    let defaults = take("defaults");
    let limits = take("limits");
    let worker = take("worker");
    let audit = take("audit");
    let targets = take("targets");
    let identities = take("identities");

    let check = Check { origins };
    let server = check.server(read_or_default(server, "server", origins)?)?;
    let database = check.database(read_or_default(database, "database", origins)?)?;
    let azure = check.azure(read_or_default(azure, "azure", origins)?)?;
    let slack = slack
        .map(|value| section::<super::raw::RawSlack>(value, "slack", origins))
        .transpose()?
        .map(|raw| check.slack(raw))
        .transpose()?;
    let teams = teams
        .map(|value| section::<super::raw::RawTeams>(value, "teams", origins))
        .transpose()?
        .map(|raw| check.teams(raw))
        .transpose()?;
    let defaults = check.defaults(read_or_default(defaults, "defaults", origins)?)?;
    let limits = check.limits(read_or_default(limits, "limits", origins)?)?;
    let worker = check.worker(read_or_default(worker, "worker", origins)?)?;
    let audit = check.audit(read_or_default(audit, "audit", origins)?);
    let targets = check.targets(targets)?;
    let identities = check.identities(identities)?;
    let auth = auth
        .map(|value| section::<super::raw::RawAuth>(value, "auth", origins))
        .transpose()?
        .map(|raw| check.auth(raw, &server))
        .transpose()?;
    check.activate_needs_auth(&defaults, &targets, auth.as_ref())?;

    Ok(Config {
        server,
        database,
        azure,
        slack,
        teams,
        auth,
        defaults,
        limits,
        worker,
        audit,
        targets,
        identities,
    })
}

fn read_or_default<T: serde::de::DeserializeOwned + Default>(
    value: Option<toml::Value>,
    path: &str,
    origins: &Origins,
) -> Result<T, ConfigError> {
    value.map_or_else(|| Ok(T::default()), |value| section(value, path, origins))
}

struct Check<'a> {
    origins: &'a Origins,
}

impl Check<'_> {
    fn error(&self, key: &str, message: impl std::fmt::Display) -> ConfigError {
        self.origins.invalid(key, message)
    }

    fn required<T>(&self, value: Option<T>, key: &str, what: &str) -> Result<T, ConfigError> {
        value.ok_or_else(|| {
            let variable = format!("PIMBOT_{}", key.replace('.', "__").to_ascii_uppercase());
            self.error(
                key,
                format!("missing: {what}; set it in the file or with {variable}"),
            )
        })
    }

    fn non_empty(&self, value: String, key: &str) -> Result<String, ConfigError> {
        if value.trim().is_empty() {
            return Err(self.error(key, "must not be empty"));
        }
        Ok(value)
    }

    fn secret(&self, value: Secret, key: &str) -> Result<Secret, ConfigError> {
        if value.expose().trim().is_empty() {
            return Err(self.error(key, "must not be empty"));
        }
        Ok(value)
    }

    /// An absolute http(s) URL; plain http only for the local machine. Trailing slashes are kept
    /// only when `keep_slash` (the Connector's service URL is documented with one).
    fn url(&self, value: String, key: &str, keep_slash: bool) -> Result<String, ConfigError> {
        let parsed = reqwest::Url::parse(value.trim())
            .map_err(|_| self.error(key, format!("`{value}` is not an absolute http(s) URL")))?;
        let local = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        match parsed.scheme() {
            "https" if parsed.host_str().is_some() => {}
            "http" if local => {}
            "http" if parsed.host_str().is_some() => {
                return Err(self.error(
                    key,
                    format!("`{value}` must use https (http is only for localhost and 127.0.0.1)"),
                ));
            }
            _ => {
                return Err(self.error(key, format!("`{value}` is not an absolute http(s) URL")));
            }
        }
        let value = value.trim();
        Ok(if keep_slash {
            value.to_owned()
        } else {
            value.trim_end_matches('/').to_owned()
        })
    }

    fn approvers(&self, values: Vec<String>, key: &str) -> Result<Vec<ApproverRef>, ConfigError> {
        values
            .into_iter()
            .map(|entry| {
                parse_approver(&entry).ok_or_else(|| {
                    self.error(
                        key,
                        format!("`{entry}` is not an approver: use user:<object id> or group:<object id>"),
                    )
                })
            })
            .collect()
    }

    fn approvals_required(&self, value: u32, key: &str) -> Result<u32, ConfigError> {
        if value == 0 {
            return Err(self.error(key, "must be at least 1"));
        }
        Ok(value)
    }

    fn server(&self, raw: RawServer) -> Result<ServerConfig, ConfigError> {
        let listen = raw.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen.trim().parse().map_err(|_| {
            self.error(
                "server.listen",
                format!("`{listen}` is not an address and port like 0.0.0.0:3000"),
            )
        })?;
        let public_url = raw
            .public_url
            .map(|url| self.url(url, "server.public_url", false))
            .transpose()?;
        Ok(ServerConfig { listen, public_url })
    }

    fn database(&self, raw: RawDatabase) -> Result<DatabaseConfig, ConfigError> {
        let url = raw.url.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let lower = url.trim().to_ascii_lowercase();
        let known = ["sqlite:", "postgres:", "postgresql:"];
        if !known.iter().any(|scheme| lower.starts_with(scheme)) {
            return Err(self.error(
                "database.url",
                // The value itself is not shown: it may hold a password.
                "not a database URL: use sqlite://pimbot.db, sqlite:///absolute/path.db or \
                 postgres://user@host/db",
            ));
        }
        Ok(DatabaseConfig {
            url: url.trim().to_owned(),
        })
    }

    fn azure(&self, raw: RawAzure) -> Result<AzureConfig, ConfigError> {
        // Identity keys are checked by `Config::validate_for_serve`: the `audit` and `migrate`
        // commands only need the database.
        let tenant_id = raw.tenant_id.unwrap_or_default().trim().to_owned();
        let client_id = raw.client_id.unwrap_or_default().trim().to_owned();
        let credential = raw.credential.unwrap_or(AzureCredential::ClientSecret);
        let client_secret = raw
            .client_secret
            .map(|secret| self.secret(secret, "azure.client_secret"))
            .transpose()?;
        let cloud = raw.cloud.unwrap_or(AzureCloud::Public);
        let host = |value: Option<String>, preset: &str, key: &str| {
            self.url(value.unwrap_or_else(|| preset.to_owned()), key, false)
        };
        Ok(AzureConfig {
            tenant_id,
            client_id,
            credential,
            client_secret,
            cloud,
            authority_host: host(
                raw.authority_host,
                cloud.authority_host(),
                "azure.authority_host",
            )?,
            graph_url: host(raw.graph_url, cloud.graph_url(), "azure.graph_url")?,
            arm_url: host(raw.arm_url, cloud.arm_url(), "azure.arm_url")?,
            arm_scopes: raw
                .arm_scopes
                .unwrap_or_default()
                .into_iter()
                .map(|scope| scope.trim().trim_end_matches('/').to_owned())
                .collect(),
            policy_cache: raw.policy_cache.unwrap_or(Timeout::from_secs(300)),
            timeout: raw.timeout.unwrap_or(Timeout::from_secs(30)),
        })
    }

    fn limits(&self, raw: RawLimits) -> Result<LimitsConfig, ConfigError> {
        let at_least_one = |value: Option<u32>, default: u32, key: &str| {
            NonZeroU32::new(value.unwrap_or(default))
                .ok_or_else(|| self.error(key, "must be at least 1"))
        };
        Ok(LimitsConfig {
            commands_per_minute: at_least_one(
                raw.commands_per_minute,
                20,
                "limits.commands_per_minute",
            )?,
            requests_per_hour: at_least_one(raw.requests_per_hour, 5, "limits.requests_per_hour")?,
        })
    }

    fn worker(&self, raw: RawWorker) -> Result<WorkerConfig, ConfigError> {
        let max_attempts = raw.max_attempts.unwrap_or(6);
        if max_attempts == 0 {
            return Err(self.error("worker.max_attempts", "must be at least 1"));
        }
        let concurrency = raw.concurrency.unwrap_or(32);
        if concurrency < 4 {
            return Err(self.error(
                "worker.concurrency",
                "must be at least 4 (a quarter of the slots is kept for chat side effects)",
            ));
        }
        Ok(WorkerConfig {
            lease: raw.lease.unwrap_or(Timeout::from_secs(30)),
            poll_interval: raw.poll_interval.unwrap_or(Timeout::from_secs(1)),
            sweep_interval: raw.sweep_interval.unwrap_or(Timeout::from_secs(60)),
            max_attempts,
            concurrency,
            retry_deadline: raw.retry_deadline.unwrap_or(Timeout::from_secs(120)),
        })
    }

    fn audit(&self, raw: RawAudit) -> AuditConfig {
        AuditConfig {
            anchor_interval: raw.anchor_interval.unwrap_or(Timeout::from_secs(3600)),
        }
    }

    fn defaults(&self, raw: RawDefaults) -> Result<DefaultsConfig, ConfigError> {
        let hours = |h: u32, key: &str| {
            ElevationDuration::from_minutes(h * 60)
                .ok_or_else(|| self.error(key, format!("{h}h is not a duration")))
        };
        let one_hour = hours(1, "defaults.duration")?;
        let eight_hours = hours(8, "defaults.max_duration")?;
        let duration = raw.duration.unwrap_or(one_hour);
        let max_duration = raw.max_duration.unwrap_or(eight_hours);
        if duration > max_duration {
            return Err(self.error(
                "defaults.duration",
                format!("{duration} is longer than defaults.max_duration ({max_duration})"),
            ));
        }
        Ok(DefaultsConfig {
            duration,
            max_duration,
            approval_timeout: raw.approval_timeout.unwrap_or(Timeout::from_secs(3600)),
            end_warning: raw.end_warning.unwrap_or(Timeout::from_secs(600)),
            approvals_required: self.approvals_required(
                raw.approvals_required.unwrap_or(1),
                "defaults.approvals_required",
            )?,
            require_justification: raw.require_justification.unwrap_or(true),
            require_ticket: raw.require_ticket.unwrap_or(false),
            approvers: self.approvers(raw.approvers.unwrap_or_default(), "defaults.approvers")?,
            mode: raw.mode.unwrap_or_default(),
        })
    }
}

/// `user:<id>` or `group:<id>` (prefix in any case).
fn parse_approver(entry: &str) -> Option<ApproverRef> {
    let entry = entry.trim();
    let (prefix, id) = entry.split_once(':')?;
    let id = id.trim();
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        return None;
    }
    match prefix.to_ascii_lowercase().as_str() {
        "user" => Some(ApproverRef::User(id.to_owned())),
        "group" => Some(ApproverRef::Group(id.to_owned())),
        _ => None,
    }
}
