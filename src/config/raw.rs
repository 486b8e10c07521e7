//! The file's shape, as serde reads it. Every key is optional here so that each key can be read on its
//! own and a bad one named; what is required is checked in `resolve`.

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use super::{AzureCloud, AzureCredential, ConfigError, Origins};
use crate::domain::duration::{ElevationDuration, Timeout};
use crate::domain::mode::ActivationMode;
use crate::domain::target::{GroupAccess, TargetKind};
use crate::secret::Secret;

/// The top-level sections, in the order they are documented.
pub(super) const SECTIONS: &[&str] = &[
    "server",
    "database",
    "azure",
    "slack",
    "teams",
    "auth",
    "defaults",
    "limits",
    "worker",
    "audit",
    "targets",
    "identities",
];

/// The sections that are lists of tables, which only the file can set.
pub(super) const LIST_SECTIONS: &[&str] = &["targets", "identities"];

/// `[server]`; see [`super::ServerConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawServer {
    /// See [`super::ServerConfig::listen`].
    pub(super) listen: Option<String>,
    /// See [`super::ServerConfig::public_url`].
    pub(super) public_url: Option<String>,
}

/// `[database]`; see [`super::DatabaseConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawDatabase {
    /// See [`super::DatabaseConfig::url`].
    pub(super) url: Option<String>,
}

/// `[azure]`; see [`super::AzureConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawAzure {
    /// See [`super::AzureConfig::tenant_id`].
    pub(super) tenant_id: Option<String>,
    /// See [`super::AzureConfig::client_id`].
    pub(super) client_id: Option<String>,
    /// See [`super::AzureConfig::credential`].
    pub(super) credential: Option<AzureCredential>,
    /// See [`super::AzureConfig::client_secret`].
    pub(super) client_secret: Option<Secret>,
    /// See [`super::AzureConfig::cloud`].
    pub(super) cloud: Option<AzureCloud>,
    /// See [`super::AzureConfig::authority_host`].
    pub(super) authority_host: Option<String>,
    /// See [`super::AzureConfig::graph_url`].
    pub(super) graph_url: Option<String>,
    /// See [`super::AzureConfig::arm_url`].
    pub(super) arm_url: Option<String>,
    /// See [`super::AzureConfig::arm_scopes`].
    pub(super) arm_scopes: Option<Vec<String>>,
    /// See [`super::AzureConfig::policy_cache`].
    pub(super) policy_cache: Option<Timeout>,
    /// See [`super::AzureConfig::timeout`].
    pub(super) timeout: Option<Timeout>,
}

/// `[slack]`; see [`super::SlackConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawSlack {
    /// See [`super::SlackConfig::signing_secrets`].
    pub(super) signing_secrets: Option<Vec<Secret>>,
    /// See [`super::SlackConfig::bot_token`].
    pub(super) bot_token: Option<Secret>,
    /// See [`super::SlackConfig::api_url`].
    pub(super) api_url: Option<String>,
    /// See [`super::SlackConfig::audit_channel`].
    pub(super) audit_channel: Option<String>,
    /// See [`super::SlackConfig::allowed_teams`].
    pub(super) allowed_teams: Option<Vec<String>>,
}

/// `[teams]`; see [`super::TeamsConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawTeams {
    /// See [`super::TeamsConfig::app_id`].
    pub(super) app_id: Option<String>,
    /// See [`super::TeamsConfig::app_secret`].
    pub(super) app_secret: Option<Secret>,
    /// See [`super::TeamsConfig::app_tenant_id`].
    pub(super) app_tenant_id: Option<String>,
    /// See [`super::TeamsConfig::openid_metadata_url`].
    pub(super) openid_metadata_url: Option<String>,
    /// See [`super::TeamsConfig::entra_openid_metadata_url`].
    pub(super) entra_openid_metadata_url: Option<String>,
    /// See [`super::TeamsConfig::service_url`].
    pub(super) service_url: Option<String>,
    /// See [`super::TeamsConfig::audit_conversation`].
    pub(super) audit_conversation: Option<String>,
    /// See [`super::TeamsConfig::allowed_callers`].
    pub(super) allowed_callers: Option<Vec<String>>,
}

/// `[auth]`; see [`super::AuthConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawAuth {
    /// See [`super::AuthConfig::token_keys`].
    pub(super) token_keys: Option<Vec<Secret>>,
    /// See [`super::AuthConfig::sign_in_lifetime`].
    pub(super) sign_in_lifetime: Option<Timeout>,
}

/// `[defaults]`; see [`super::DefaultsConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawDefaults {
    /// See [`super::DefaultsConfig::duration`].
    pub(super) duration: Option<ElevationDuration>,
    /// See [`super::DefaultsConfig::max_duration`].
    pub(super) max_duration: Option<ElevationDuration>,
    /// See [`super::DefaultsConfig::approval_timeout`].
    pub(super) approval_timeout: Option<Timeout>,
    /// See [`super::DefaultsConfig::end_warning`].
    pub(super) end_warning: Option<Timeout>,
    /// See [`super::DefaultsConfig::approvals_required`].
    pub(super) approvals_required: Option<u32>,
    /// See [`super::DefaultsConfig::require_justification`].
    pub(super) require_justification: Option<bool>,
    /// See [`super::DefaultsConfig::require_ticket`].
    pub(super) require_ticket: Option<bool>,
    /// See [`super::DefaultsConfig::approvers`].
    pub(super) approvers: Option<Vec<String>>,
    /// See [`super::DefaultsConfig::mode`].
    pub(super) mode: Option<ActivationMode>,
}

/// `[limits]`; see [`super::LimitsConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawLimits {
    /// See [`super::LimitsConfig::commands_per_minute`].
    pub(super) commands_per_minute: Option<u32>,
    /// See [`super::LimitsConfig::requests_per_hour`].
    pub(super) requests_per_hour: Option<u32>,
}

/// `[worker]`; see [`super::WorkerConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawWorker {
    /// See [`super::WorkerConfig::lease`].
    pub(super) lease: Option<Timeout>,
    /// See [`super::WorkerConfig::poll_interval`].
    pub(super) poll_interval: Option<Timeout>,
    /// See [`super::WorkerConfig::sweep_interval`].
    pub(super) sweep_interval: Option<Timeout>,
    /// See [`super::WorkerConfig::max_attempts`].
    pub(super) max_attempts: Option<u32>,
    /// See [`super::WorkerConfig::concurrency`].
    pub(super) concurrency: Option<u32>,
    /// See [`super::WorkerConfig::retry_deadline`].
    pub(super) retry_deadline: Option<Timeout>,
}

/// `[audit]`; see [`super::AuditConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawAudit {
    /// See [`super::AuditConfig::anchor_interval`].
    pub(super) anchor_interval: Option<Timeout>,
}

/// One `[[targets]]` entry; see [`super::TargetConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawTarget {
    /// See [`super::TargetConfig::name`].
    pub(super) name: Option<String>,
    /// See [`super::TargetConfig::kind`].
    pub(super) kind: Option<TargetKind>,
    /// See [`super::TargetConfig::role`].
    pub(super) role: Option<String>,
    /// See [`super::TargetConfig::group`].
    pub(super) group: Option<String>,
    /// See [`super::TargetConfig::scope`].
    pub(super) scope: Option<String>,
    /// See [`super::TargetConfig::access`].
    pub(super) access: Option<GroupAccess>,
    /// See [`super::TargetConfig::max_duration`].
    pub(super) max_duration: Option<ElevationDuration>,
    /// See [`super::TargetConfig::require_ticket`].
    pub(super) require_ticket: Option<bool>,
    /// See [`super::TargetConfig::require_justification`].
    pub(super) require_justification: Option<bool>,
    /// See [`super::TargetConfig::approvals_required`].
    pub(super) approvals_required: Option<u32>,
    /// See [`super::TargetConfig::approvers`].
    pub(super) approvers: Option<Vec<String>>,
    /// Read separately as [`RawApprovalChannel`], so its keys are named too.
    pub(super) approval_channel: Option<toml::Value>,
    /// See [`super::TargetConfig::mode`].
    pub(super) mode: Option<ActivationMode>,
}

/// One `[[identities]]` entry; see [`super::IdentityConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawIdentity {
    /// See [`super::IdentityConfig::slack`].
    pub(super) slack: Option<String>,
    /// See [`super::IdentityConfig::entra`].
    pub(super) entra: Option<String>,
}

/// A target's `approval_channel = { slack = "..", teams = ".." }`; see [`super::ApprovalChannel`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawApprovalChannel {
    /// See [`super::ApprovalChannel::slack`].
    pub(super) slack: Option<String>,
    /// See [`super::ApprovalChannel::teams`].
    pub(super) teams: Option<String>,
}

/// The keys a derived `Deserialize` struct accepts, asked of serde itself so the list cannot drift.
pub(super) fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probed"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    // The probe always fails: it only wants to see the field list on the way.
    let _probed = T::deserialize(Probe(&mut fields));
    fields
}

/// The field names of one section (not the lists, `targets` and `identities`).
pub(super) fn section_fields(section: &str) -> Option<&'static [&'static str]> {
    Some(match section {
        "server" => field_names::<RawServer>(),
        "database" => field_names::<RawDatabase>(),
        "azure" => field_names::<RawAzure>(),
        "slack" => field_names::<RawSlack>(),
        "teams" => field_names::<RawTeams>(),
        "auth" => field_names::<RawAuth>(),
        "defaults" => field_names::<RawDefaults>(),
        "limits" => field_names::<RawLimits>(),
        "worker" => field_names::<RawWorker>(),
        "audit" => field_names::<RawAudit>(),
        _ => return None,
    })
}

/// Whether `value` is acceptable for `section.key` on its own (used to pick how to read an
/// environment variable's text).
pub(super) fn accepts(section: &str, key: &str, value: &toml::Value) -> bool {
    match section {
        "server" => single::<RawServer>(key, value).is_ok(),
        "database" => single::<RawDatabase>(key, value).is_ok(),
        "azure" => single::<RawAzure>(key, value).is_ok(),
        "slack" => single::<RawSlack>(key, value).is_ok(),
        "teams" => single::<RawTeams>(key, value).is_ok(),
        "auth" => single::<RawAuth>(key, value).is_ok(),
        "defaults" => single::<RawDefaults>(key, value).is_ok(),
        "limits" => single::<RawLimits>(key, value).is_ok(),
        "worker" => single::<RawWorker>(key, value).is_ok(),
        "audit" => single::<RawAudit>(key, value).is_ok(),
        _ => false,
    }
}

/// Reads one key into an otherwise empty `T`: the error, if any, is that key's alone.
fn single<T: DeserializeOwned>(key: &str, value: &toml::Value) -> Result<T, String> {
    let mut table = toml::Table::new();
    table.insert(key.to_owned(), value.clone());
    table.try_into::<T>().map_err(|e| e.message().to_owned())
}

/// Reads the table at `path` into `T`, naming the first unknown or invalid key.
pub(super) fn section<T: DeserializeOwned>(
    value: toml::Value,
    path: &str,
    origins: &Origins,
) -> Result<T, ConfigError> {
    let toml::Value::Table(table) = value else {
        return Err(origins.invalid(path, "must be a table"));
    };
    let fields = field_names::<T>();
    for key in table.keys() {
        if !fields.contains(&key.as_str()) {
            return Err(ConfigError::UnknownKey {
                key: join(path, key),
                suggestion: super::suggest(key, fields),
            });
        }
    }
    for (key, value) in &table {
        if let Err(message) = single::<T>(key, value) {
            return Err(origins.invalid(&join(path, key), message));
        }
    }
    table
        .try_into::<T>()
        .map_err(|e| origins.invalid(path, e.message()))
}

/// `section.key`, or just `key` at the top level.
pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}
