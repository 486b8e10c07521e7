//! The `pimbot admin` command line, as issue 12 gives it (outside tests depend on the syntax).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// `pimbot admin [--config FILE] [--dry-run] [--credential config|azure_cli] COMMAND`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Configuration file whose `[azure]` section says how to sign in (default: ./pimbot.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Print the plan and the exact requests, and send nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Sign in with the `[azure]` credential of the configuration (`config`, the default) or as
    /// the signed-in Azure CLI user (`azure_cli`).
    #[arg(long, global = true, value_enum)]
    pub credential: Option<Credential>,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Credential {
    Config,
    #[value(name = "azure_cli")]
    AzureCli,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Custom Entra roles.
    Role {
        #[command(subcommand)]
        command: RoleCommand,
    },
    /// Security groups, their owners and members.
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// PIM eligibilities (Entra roles, PIM for Groups, Azure roles).
    Eligibility {
        #[command(subcommand)]
        command: EligibilityCommand,
    },
    /// PIM activation policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The whole setup declared in one file: prints a plan (create / update / unchanged per
    /// object), then applies it.
    Apply {
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Create or update a custom Entra role (matched by displayName) from a Graph
    /// unifiedRoleDefinition body.
    Apply {
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create the security group (matched by name) or update its description; add the owners
    /// and members named (others are left alone).
    Apply(GroupArgs),
}

#[derive(Debug, Clone, Args)]
pub struct GroupArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub description: Option<String>,
    /// Entra roles may be assigned to the group (only when it is created).
    #[arg(long)]
    pub role_assignable: bool,
    /// A user (display name, UPN or id); repeatable.
    #[arg(long = "owner")]
    pub owners: Vec<String>,
    /// A user or group (display name, UPN or id); repeatable.
    #[arg(long = "member")]
    pub members: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum EligibilityCommand {
    /// Make a user or group eligible (an existing eligibility is left as it is).
    Grant(GrantArgs),
    /// Remove an eligibility (none there: nothing to do).
    Revoke(Selector),
}

/// What a command is about: an Entra role at a directory scope, a group's membership or
/// ownership, or an Azure role at an ARM scope.
#[derive(Debug, Clone, Default, Args, serde::Deserialize)]
#[command(group(clap::ArgGroup::new("kind").required(true).args(["role", "group", "azure_role"])))]
pub struct Target {
    /// An Entra role (display name or id); with --scope (default `/`).
    #[arg(long)]
    pub role: Option<String>,
    /// A group (display name or id); with --access.
    #[arg(long, requires = "access")]
    pub group: Option<String>,
    #[arg(long, value_enum)]
    pub access: Option<Access>,
    /// An Azure role (name or role definition id); with --scope (an ARM scope).
    #[arg(long, requires = "scope")]
    pub azure_role: Option<String>,
    /// `/`, `/administrativeUnits/ID`, an application (name, appId or object id, with or
    /// without `/`), or for --azure-role an ARM scope. Policies of Entra roles are
    /// tenant-wide: `/` only.
    #[arg(long)]
    pub scope: Option<String>,
}

/// Which eligibility, and for whom.
#[derive(Debug, Clone, Args)]
pub struct Selector {
    #[command(flatten)]
    pub target: Target,
    /// The user or group (display name, UPN or id).
    #[arg(long)]
    pub principal: String,
    /// Sent to PIM with the request (default: "pimbot admin").
    #[arg(long)]
    pub justification: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Member,
    Owner,
}

impl Access {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Access::Member => "member",
            Access::Owner => "owner",
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct GrantArgs {
    #[command(flatten)]
    pub selector: Selector,
    #[command(flatten)]
    pub expiry: Expiry,
}

#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Expiry {
    /// How long, ISO 8601 (`P60D`, `P1Y`, `PT12H`).
    #[arg(long)]
    pub duration: Option<String>,
    /// Until this date (`2027-01-31`) or time (RFC 3339).
    #[arg(long)]
    pub until: Option<String>,
    /// No end (when the policy allows permanent eligibility).
    #[arg(long)]
    pub permanent: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Set activation rules: maximum duration, what activation requires, who approves.
    Set(PolicyArgs),
}

#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub target: Target,
    /// The longest activation, ISO 8601 (`PT2H`).
    #[arg(long)]
    pub max_duration: Option<String>,
    /// What activation requires: any of `justification`, `ticket`, `mfa` (comma-separated;
    /// `none` for nothing).
    #[arg(long, value_delimiter = ',')]
    pub require: Option<Vec<String>>,
    /// Who approves activation: `none`, or users and groups (names or ids), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub approval: Option<Vec<String>>,
}
