//! `pimbot admin`: the tenant side of pimbot as code. Each command reads what the tenant has,
//! plans the writes that would make it match what was asked (create, update, or nothing), prints
//! the plan with the exact requests, and, unless `--dry-run`, sends them. Running a command
//! twice changes nothing the second time, and says so.
//!
//! A CLI use case like `check`: it uses `config` and the raw Graph/ARM client of `pim`; no
//! adapter uses it. It signs in with the `[azure]` identity of `--config` (or the Azure CLI user
//! with `--credential azure_cli`), which needs write permissions that pimbot's own service
//! identity never holds.

mod args;
mod eligibility;
mod group;
mod names;
mod plan;
mod policy;
mod role;
mod setup;

use crate::config::{AzureCredential, Config};

pub use args::{AdminArgs, AdminCommand};
pub(crate) use names::Names;
pub(crate) use plan::{Change, Step};

/// Why an admin command stopped.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// What was asked cannot be done as written (a name that matches nothing, a bad file).
    #[error("{0}")]
    Invalid(String),
    /// Graph or ARM refused or failed (boxed: it is large, and rare).
    #[error(transparent)]
    Upstream(Box<crate::service::ports::UpstreamError>),
}

impl From<crate::service::ports::UpstreamError> for AdminError {
    fn from(error: crate::service::ports::UpstreamError) -> Self {
        AdminError::Upstream(Box::new(error))
    }
}

pub(crate) type Result<T> = std::result::Result<T, AdminError>;

pub(crate) fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::Invalid(message.into())
}

/// Runs one `pimbot admin` command, printing through `say`.
pub async fn run(
    args: AdminArgs,
    config: std::result::Result<Config, String>,
    say: fn(&str),
) -> std::result::Result<(), String> {
    let mut config = config?;
    if config.azure.tenant_id.is_empty() {
        return Err(
            "azure.tenant_id is not set: give --config a file whose [azure] section names the tenant \
             (and the identity to sign in as), or set PIMBOT_AZURE__TENANT_ID"
                .to_owned(),
        );
    }
    if args.credential == Some(args::Credential::AzureCli) {
        config.azure.credential = AzureCredential::AzureCli;
    }
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))?;
    // Reads are retried as pimbot's own are (production's default); writes are not retried.
    let attempts = crate::pim::ApiSettings::for_url("").max_attempts;
    let api = crate::app::tenant_api(&config, http, attempts).map_err(|e| format!("{e:#}"))?;
    let names = Names::new(api.clone());
    let outcome = match &args.command {
        AdminCommand::Apply { file } => setup::apply(&names, file, args.dry_run, say).await,
        command => {
            let steps = match command {
                AdminCommand::Role { command } => role::plan(&names, command).await,
                AdminCommand::Group { command } => group::plan(&names, command).await,
                AdminCommand::Eligibility { command } => eligibility::plan(&names, command).await,
                AdminCommand::Policy { command } => policy::plan(&names, command).await,
                AdminCommand::Apply { .. } => Ok(Vec::new()),
            };
            match steps {
                Ok(steps) => plan::carry_out(&api, steps, args.dry_run, say)
                    .await
                    .map(drop),
                Err(error) => Err(error),
            }
        }
    };
    outcome.map_err(|e| e.to_string())
}
