//! Every `[[targets]]` entry, resolved as `pimbot serve` resolves it at startup: what it grants,
//! its PIM policy (and whether that policy asks for MFA or an authentication context, which an
//! app's token cannot satisfy in `assign` mode), and that someone enabled would approve it.

use std::sync::Arc;

use super::Line;
use crate::config::Config;
use crate::domain::mode::ActivationMode;
use crate::domain::policy::PimPolicy;
use crate::domain::target::{ResolvedTarget, TargetKind};
use crate::pim::TenantApi;
use crate::pim::tenant::{Call, Service as Api, Verb};
use crate::service::ports::Directory;
use crate::service::{Service, Settings, TargetReport};

/// The last step of DESIGN's approver order, which needs a requester: the owners of a group
/// through which someone is eligible. Without a requester, every group eligible for the target
/// at its scope counts; their enabled user owners would approve requests made through them.
async fn eligible_group_owners(
    api: &TenantApi,
    directory: &dyn Directory,
    grants: &ResolvedTarget,
) -> Result<Vec<String>, String> {
    let literal = |v: &str| format!("'{}'", v.replace('\'', "''"));
    let (call, scope_key) = match grants.kind() {
        TargetKind::Group => return Ok(Vec::new()),
        TargetKind::Role => (
            Call::new(
                Api::Graph,
                Verb::Get,
                "roleManagement/directory/roleEligibilityScheduleInstances",
            )
            .query(
                "$filter",
                format!("roleDefinitionId eq {}", literal(grants.resource_id())),
            ),
            "directoryScopeId",
        ),
        TargetKind::Azure => (
            Call::new(
                Api::Arm,
                Verb::Get,
                format!(
                    "{}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances",
                    grants.scope_id()
                ),
            )
            .query("api-version", "2020-10-01")
            .query("$filter", "atScope()"),
            "scope",
        ),
    };
    let instances = api.list(&call).await.map_err(|e| e.to_string())?;
    let mut owners = Vec::new();
    for instance in &instances {
        let fields = instance.get("properties").unwrap_or(instance);
        let at_scope = fields[scope_key].as_str().is_some_and(|s| {
            s.trim_end_matches('/')
                .eq_ignore_ascii_case(grants.scope_id().trim_end_matches('/'))
        });
        let Some(principal) = fields["principalId"].as_str().filter(|_| at_scope) else {
            continue;
        };
        if directory
            .group(principal)
            .await
            .map_err(|e| e.to_string())?
            .is_none()
        {
            continue;
        }
        for owner in directory
            .group_owners(principal)
            .await
            .map_err(|e| e.to_string())?
        {
            if owner.account_enabled && !owners.contains(&owner.display_name) {
                owners.push(owner.display_name);
            }
        }
    }
    Ok(owners)
}

pub(super) async fn check(config: &Config, api: &TenantApi, lines: &mut Vec<Line>) {
    if config.targets.is_empty() {
        lines.push(Line::not_applicable(
            "targets",
            "no [[targets]] configured (eligibilities are discovered)",
        ));
        return;
    }
    let (service, directory) = match preflight_service(config).await {
        Ok(built) => built,
        Err(error) => {
            lines.push(Line::failed(
                "targets",
                format!("{error:#}"),
                "correct [azure] so Graph and ARM can be called",
            ));
            return;
        }
    };
    let settings = config.service_settings();
    for target in &settings.targets {
        let mut report = service.preflight_target(target).await;
        if let (Some(Ok(people)), Some(grants)) = (&report.approvers, &report.grants)
            && people.is_empty()
        {
            report.approvers = Some(eligible_group_owners(api, directory.as_ref(), grants).await);
        }
        let mode = settings.mode_of(Some(target));
        push_report(&target.name, (target.kind, mode), &report, lines);
    }
}

/// The service without a database (the target checks never touch one: an in-memory SQLite
/// stands in, so a stopped or unmigrated database does not hide a target's problems) and
/// without targets (each is resolved and reported one by one instead of failing the start).
async fn preflight_service(config: &Config) -> anyhow::Result<(Service, Arc<dyn Directory>)> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    let tokens = crate::app::azure_tokens(config)?;
    let (pim, directory) = crate::app::pim_adapters(config, tokens, &http)?;
    let store = crate::store::connect("sqlite::memory:").await?;
    let settings = Settings {
        targets: Vec::new(),
        ..config.service_settings()
    };
    let service = Service::new(store, directory.clone(), pim, Vec::new(), settings).await?;
    Ok((service, directory))
}

fn push_report(
    name: &str,
    (kind, mode): (TargetKind, ActivationMode),
    report: &TargetReport,
    lines: &mut Vec<Line>,
) {
    let check = format!("target {name}");
    let what = match &report.resolved {
        Ok(what) => what,
        Err(missing) => {
            lines.push(Line::failed(
                check,
                format!("does not resolve: {missing}"),
                format!(
                    "correct [[targets]] `{name}`, or create what it names (`pimbot admin apply`)"
                ),
            ));
            return;
        }
    };
    lines.push(Line::passed(
        check,
        format!("grants {what} ({} mode)", mode.as_str()),
    ));
    let policy_check = format!("target {name} policy");
    match &report.policy {
        Some(Ok(policy)) => lines.push(policy_line(policy_check, policy, mode)),
        Some(Err(error)) => lines.push(Line::failed(
            policy_check,
            format!("cannot be read: {error}"),
            policy_fix(kind),
        )),
        None => {}
    }
    let approvers_check = format!("target {name} approvers");
    match &report.approvers {
        Some(Ok(people)) if !people.is_empty() => lines.push(Line::passed(
            approvers_check,
            format!("{} enabled: {}", people.len(), people.join(", ")),
        )),
        Some(Ok(_)) if mode == ActivationMode::Activate => lines.push(Line::not_applicable(
            approvers_check,
            "none named in pimbot: PIM runs its own approval, if its policy asks for one",
        )),
        Some(Ok(_)) => lines.push(Line::failed(
            approvers_check,
            "nobody enabled would approve it (target approvers, PIM policy approvers, group owners, defaults.approvers)",
            format!("set `approvers` on [[targets]] `{name}` or defaults.approvers, or add approvers to its PIM policy"),
        )),
        Some(Err(error)) => lines.push(Line::failed(
            approvers_check,
            format!("cannot be read: {error}"),
            "grant User.Read.All and GroupMember.Read.All",
        )),
        None => {}
    }
}

/// What a readable PIM policy means for a target in `mode`: MFA and authentication contexts
/// cannot be met by pimbot's own token (assign), but are by the person's sign-in (activate).
fn policy_line(check: String, policy: &PimPolicy, mode: ActivationMode) -> Line {
    let strong = if policy.require_mfa {
        Some("multi-factor authentication".to_owned())
    } else {
        policy
            .authentication_context
            .as_ref()
            .map(|c| format!("the authentication context {c}"))
    };
    if let Some(strong) = &strong
        && mode == ActivationMode::Assign
    {
        let fix = if policy.require_mfa {
            "turn off \"On activation, require Azure MFA\" in the PIM settings of what it grants \
             (`pimbot admin policy set … --require justification,ticket`), put the target in \
             activate mode (`mode = \"activate\"`), or remove the target"
        } else {
            "turn off \"On activation, require Microsoft Entra Conditional Access authentication \
             context\" in the PIM settings of what it grants, put the target in activate mode \
             (`mode = \"activate\"`), or remove the target"
        };
        return Line::failed(
            check,
            format!(
                "its PIM activation policy requires {strong}, which assign mode cannot satisfy"
            ),
            fix,
        );
    }
    let maximum = policy.max_duration.map_or_else(
        || "no maximum".to_owned(),
        |d| format!("at most {}", d.to_iso8601()),
    );
    let mut needs = Vec::new();
    if policy.require_justification {
        needs.push("justification");
    }
    if policy.require_ticket {
        needs.push("ticket");
    }
    let needs = if needs.is_empty() {
        "nothing else".to_owned()
    } else {
        needs.join(" and ")
    };
    let mut detail = format!("readable: {maximum}, needs {needs}");
    if let Some(strong) = strong {
        let checked = if policy.require_mfa { "MFA" } else { "it" };
        detail.push_str(&format!(
            "; it requires {strong}: PIM checks {checked} at activation with the person's sign-in"
        ));
    }
    Line::passed(check, detail)
}

fn policy_fix(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Role => {
            "grant the Graph application permission RoleManagementPolicy.Read.Directory"
        }
        TargetKind::Group => {
            "grant the Graph application permission RoleManagementPolicy.Read.AzureADGroup"
        }
        TargetKind::Azure => {
            "give pimbot's app Microsoft.Authorization/roleManagementPolicies/read at the scope (User Access Administrator has it)"
        }
    }
}
