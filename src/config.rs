//! Typed configuration: one TOML file, overridden by `PIMBOT_<SECTION>__<KEY>` environment variables,
//! validated once at startup. Every error names the key (or variable) at fault; secrets are
//! [`Secret`](crate::secret::Secret)s from the moment they are read, so `Debug` of a [`Config`] never shows them.
//!
//! The field docs below are the reference for every key; [`EXAMPLE`] is a complete, commented file.

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use crate::domain::duration::{ElevationDuration, Timeout};
use crate::domain::mode::ActivationMode;
use crate::domain::target::{GroupAccess, TargetKind};
use crate::service::ApproverRef;

mod auth;
mod azure;
mod chat;
mod env;
mod error;
mod raw;
mod resolve;
mod settings;
#[cfg(test)]
mod tests;

pub use auth::{AuthConfig, CALLBACK_PATH, TokenKey};
pub use azure::{AzureCloud, AzureConfig, AzureCredential};
pub use chat::{DEFAULT_ALLOWED_CALLER, SlackConfig, TeamsConfig};
pub use error::ConfigError;
use error::{Origins, suggest};

/// A complete, commented example configuration file (it loads and validates).
pub const EXAMPLE: &str = include_str!("config/example.toml");

/// The file read when no `--config` is given, if it exists.
pub const DEFAULT_PATH: &str = "pimbot.toml";

/// The whole configuration, validated and with defaults and cloud presets filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `[server]`: the HTTP listener.
    pub server: ServerConfig,
    /// `[database]`: where requests, jobs and the audit trail live.
    pub database: DatabaseConfig,
    /// `[azure]`: pimbot's own Entra identity and the cloud it talks to.
    pub azure: AzureConfig,
    /// `[slack]`: present when Slack is enabled (the section's presence enables it).
    pub slack: Option<SlackConfig>,
    /// `[teams]`: present when Microsoft Teams is enabled (the section's presence enables it).
    pub teams: Option<TeamsConfig>,
    /// `[auth]`: activate mode's sign-ins; required when any mode is `activate`.
    pub auth: Option<AuthConfig>,
    /// `[defaults]`: policy that applies to every target unless the target overrides it.
    pub defaults: DefaultsConfig,
    /// `[limits]`: how much one chat user may ask for (all keys optional).
    pub limits: LimitsConfig,
    /// `[worker]`: how side-effect jobs are run (all keys optional).
    pub worker: WorkerConfig,
    /// `[audit]`: the audit trail's anchors (all keys optional).
    pub audit: AuditConfig,
    /// `[[targets]]`: named aliases and per-target overrides (eligibilities are also discovered).
    pub targets: Vec<TargetConfig>,
    /// `[[identities]]`: chat users mapped to Entra accounts by configuration, which wins over
    /// the chat e-mail.
    pub identities: Vec<IdentityConfig>,
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// `listen`: the address and port of the one HTTP listener. Default `0.0.0.0:3000`.
    pub listen: SocketAddr,
    /// `public_url`: pimbot's externally reachable base URL, used in links the bot posts
    /// (absolute http(s); no trailing slash is kept). Optional.
    pub public_url: Option<String>,
}

/// `[database]`. `Debug` hides the password a PostgreSQL URL may hold.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// `url`: `sqlite://pimbot.db` (relative), `sqlite:///var/lib/pimbot/pimbot.db` (absolute), or a
    /// `postgres://` / `postgresql://` URL (required for several replicas). Default
    /// `sqlite://pimbot.db`. Also read from `DATABASE_URL` when neither the file nor
    /// `PIMBOT_DATABASE__URL` sets it.
    pub url: String,
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_password(&self.url))
            .finish()
    }
}

/// `scheme://user:[redacted]@host/...` for a URL with a password; anything else unchanged.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:[redacted]@{host}{path}"),
        None => url.to_owned(),
    }
}

/// `[limits]`: per chat user (platform, workspace or tenant, user), counted after the platform
/// proved who is typing, in each replica's memory. A refusal says how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsConfig {
    /// `commands_per_minute`: chat commands one user may send a minute (a burst of this many,
    /// then one every `60 / n` seconds); Approve and Deny buttons are not counted. Default 20.
    pub commands_per_minute: NonZeroU32,
    /// `requests_per_hour`: new elevation requests (`request`, `extend`, the form) one user may
    /// make an hour, on top of the command limit. Default 5.
    pub requests_per_hour: NonZeroU32,
}

/// `[worker]`: the job runner's pacing. The defaults suit production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// `lease`: how long a job is reserved for the replica running it (renewed while it runs); a
    /// replica that dies hands its jobs to the others after this. Default `30s`.
    pub lease: Timeout,
    /// `poll_interval`: how often an idle worker looks for due jobs. Default `1s`.
    pub poll_interval: Timeout,
    /// `sweep_interval`: how often the reconciliation sweep runs (once across replicas). Default `60s`.
    pub sweep_interval: Timeout,
    /// `max_attempts`: attempts of an operation before it is given up and the people affected
    /// are told: the runs of its job and, within them, every PIM write sent, counted together
    /// (one budget for the HTTP layer and the job runner). Default 6.
    pub max_attempts: u32,
    /// `concurrency`: jobs running at once on this replica. Chat commands and PIM writes may
    /// each take three eighths of them, so chat side effects always keep a quarter. Default 32,
    /// at least 4.
    pub concurrency: u32,
    /// `retry_deadline`: an activation's requester hears that it failed within this long of the
    /// approval; no retry is scheduled past it (a `Retry-After` that asks for longer ends the
    /// attempts). Default `2m`.
    pub retry_deadline: Timeout,
}

/// `[audit]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// `anchor_interval`: how often the head of the audit chain (`audit head: HASH@SEQ`) is posted
    /// to the audit channels, when it moved since the last post (once across replicas; also at
    /// shutdown). `pimbot audit verify --anchor HASH@SEQ` checks the chain against one. Default `1h`.
    pub anchor_interval: Timeout,
}

/// `[defaults]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultsConfig {
    /// `duration`: how long an elevation lasts when the request names no duration (`PT1H`, `2h`,
    /// `1h30m`). Default `PT1H`; at most `max_duration`.
    pub duration: ElevationDuration,
    /// `max_duration`: the longest elevation pimbot grants (never above the PIM policy's own
    /// maximum, which also applies). Default `PT8H`.
    pub max_duration: ElevationDuration,
    /// `approval_timeout`: how long a request waits for decisions before it expires. Default `PT1H`.
    pub approval_timeout: Timeout,
    /// `end_warning`: how long before an elevation ends the requester is told, with an **End
    /// now** button (`0s`: never). Default `10m`.
    pub end_warning: Timeout,
    /// `approvals_required`: how many distinct approvers must approve. Default 1; at least 1.
    pub approvals_required: u32,
    /// `require_justification`: whether a request must give a reason. Default `true`.
    pub require_justification: bool,
    /// `require_ticket`: whether a request must give a ticket id. Default `false`.
    pub require_ticket: bool,
    /// `approvers`: `user:<object id>` or `group:<object id>` entries; the last resort when nothing
    /// else names approvers. Default: none.
    pub approvers: Vec<ApproverRef>,
    /// `mode`: `assign` (pimbot brokers with its own permissions and `adminAssign`s) or
    /// `activate` (the requester signs in and pimbot calls `selfActivate` as them; needs
    /// `[auth]`). Default `assign`.
    pub mode: ActivationMode,
}

/// One `[[targets]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetConfig {
    /// `name`: what people type (`request app1-secrets`); unique, letters, digits, `.`, `_`, `-`.
    pub name: String,
    /// `kind`: `role` (Entra directory role), `group` (PIM for Groups) or `azure` (Azure RBAC role).
    pub kind: TargetKind,
    /// `role`: the role's display name or id; required for kinds `role` and `azure`.
    pub role: Option<String>,
    /// `group`: the group's display name or id; required for kind `group`.
    pub group: Option<String>,
    /// `scope`: for `role`, a directory scope (`/`, `/administrativeUnits/<id>`, or an
    /// application by name, appId or object id, with or without `/`; default `/`); for `azure`,
    /// the ARM scope (required). Not used by `group`. Resolved to ids at startup.
    pub scope: Option<String>,
    /// `access`: `member` or `owner` of the group (kind `group` only). Default `member`.
    pub access: GroupAccess,
    /// `max_duration`: this target's longest elevation, instead of `defaults.max_duration`.
    pub max_duration: Option<ElevationDuration>,
    /// `require_ticket`: overrides `defaults.require_ticket` for this target.
    pub require_ticket: Option<bool>,
    /// `require_justification`: overrides `defaults.require_justification` for this target.
    pub require_justification: Option<bool>,
    /// `approvals_required`: overrides `defaults.approvals_required` for this target (at least 1).
    pub approvals_required: Option<u32>,
    /// `approvers`: `user:<object id>` / `group:<object id>`; when set, these approve this target
    /// before anything PIM or group ownership would name.
    pub approvers: Vec<ApproverRef>,
    /// `approval_channel = { slack = "C0123", teams = "19:...@thread.tacv2" }`: where this target's
    /// approval cards are posted, per platform.
    pub approval_channel: ApprovalChannel,
    /// `mode`: overrides `defaults.mode` for this target.
    pub mode: Option<ActivationMode>,
}

/// One `[[identities]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    /// `slack`: the Slack user id (`U...` or `W...`); unique among the entries.
    pub slack: String,
    /// `entra`: the Entra user's object id or user principal name; unique among the entries.
    pub entra: String,
}

/// A target's `approval_channel`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalChannel {
    /// `slack`: a Slack channel id (`C...`).
    pub slack: Option<String>,
    /// `teams`: a Teams conversation id (`19:...@thread.tacv2`).
    pub teams: Option<String>,
}

impl Config {
    /// Reads `path` (else `./pimbot.toml` if it exists, else an empty document), applies the
    /// `PIMBOT_<SECTION>__<KEY>` overrides (and `DATABASE_URL`) found in `env`, and validates.
    /// `env` is the process environment as the caller collected it; this never reads it itself.
    pub fn load(path: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let (origin, text) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                (path.display().to_string(), text)
            }
            None => match std::fs::read_to_string(DEFAULT_PATH) {
                Ok(text) => (DEFAULT_PATH.to_owned(), text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    (DEFAULT_PATH.to_owned(), String::new())
                }
                Err(source) => {
                    return Err(ConfigError::Read {
                        path: PathBuf::from(DEFAULT_PATH),
                        source,
                    });
                }
            },
        };
        Self::read(&origin, &text, env)
    }

    /// Like [`Config::load`], from TOML text (tests, and configs built in code).
    pub fn parse(toml: &str, env: &[(String, String)]) -> Result<Config, ConfigError> {
        Self::read("(text)", toml, env)
    }

    fn read(origin: &str, text: &str, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut document: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            origin: origin.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let mut origins = Origins::default();
        env::apply(&mut document, env, &mut origins)?;
        resolve::resolve(document, &origins)
    }

    /// What `serve` needs beyond [`Config::load`]: at least one chat platform.
    pub fn validate_for_serve(&self) -> Result<(), ConfigError> {
        let missing = |key: &str, what: &str| ConfigError::Invalid {
            key: key.to_owned(),
            origin: None,
            message: format!("missing: {what}"),
        };
        if self.azure.tenant_id.is_empty() {
            return Err(missing("azure.tenant_id", "the Entra tenant id"));
        }
        if self.azure.client_id.is_empty() {
            return Err(missing(
                "azure.client_id",
                "the application (client) id pimbot signs in as",
            ));
        }
        if self.azure.credential == AzureCredential::ClientSecret
            && self.azure.client_secret.is_none()
        {
            return Err(missing(
                "azure.client_secret",
                "required when azure.credential is client_secret; set PIMBOT_AZURE__CLIENT_SECRET, \
                 or choose another azure.credential",
            ));
        }
        if self.slack.is_none() && self.teams.is_none() {
            return Err(ConfigError::NoChatPlatform);
        }
        Ok(())
    }
}
