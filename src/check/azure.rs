//! Entra and Azure: a Graph token and the application permissions in its `roles` claim against
//! DESIGN's list (each missing one, and each one beyond it, named), an ARM token when Azure is
//! used, and at each ARM scope whether pimbot may write `roleAssignmentScheduleRequests`.

use serde_json::Value;

use super::Line;
use super::modes::{GRAPH_WRITES, Modes, REMOVE_WRITE};
use crate::config::{AzureCredential, Config};
use crate::domain::target::TargetKind;
use crate::pim::TenantApi;
use crate::pim::tenant::{Call, Service, Verb};

/// The Graph application permissions pimbot needs in `assign` mode, and nothing more (DESIGN).
pub const GRAPH_PERMISSIONS: [&str; 10] = [
    "User.Read.All",
    "GroupMember.Read.All",
    "Application.Read.All",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "RoleAssignmentSchedule.ReadWrite.Directory",
    "RoleManagementPolicy.Read.Directory",
    "RoleManagementPolicy.Read.AzureADGroup",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
];

/// What pimbot writes at each ARM scope.
const ARM_ACTION: &str = "Microsoft.Authorization/roleAssignmentScheduleRequests/write";
/// What pimbot reads at each ARM scope in activate mode.
const ARM_READ: &str = "Microsoft.Authorization/roleEligibilityScheduleInstances/read";

/// Pushes the Entra and Azure lines; whether Graph can be called at all.
pub(super) async fn check(config: &Config, api: &TenantApi, lines: &mut Vec<Line>) -> bool {
    let token = match api.token(Service::Graph).await {
        Ok(token) => token,
        Err(error) => {
            lines.push(Line::failed(
                "Graph token",
                error.to_string(),
                format!(
                    "check azure.tenant_id, azure.client_id and the {} credential (azure.credential); \
                     the token comes from {}/{}/oauth2/v2.0/token",
                    credential_name(config.azure.credential),
                    config.azure.authority_host.trim_end_matches('/'),
                    config.azure.tenant_id
                ),
            ));
            lines.push(Line::not_applicable(
                "Graph permissions",
                "not checked without a Graph token",
            ));
            arm(config, api, lines).await;
            return false;
        }
    };
    lines.push(Line::passed(
        "Graph token",
        format!("issued for {}", config.azure.graph_url),
    ));
    permissions(config, &token, lines);
    arm(config, api, lines).await;
    true
}

pub(super) fn credential_name(credential: AzureCredential) -> &'static str {
    match credential {
        AzureCredential::ClientSecret => "client_secret",
        AzureCredential::WorkloadIdentity => "workload_identity",
        AzureCredential::ManagedIdentity => "managed_identity",
        AzureCredential::AzureCli => "azure_cli",
    }
}

/// The `roles` claim of an access token (Entra puts application permissions there).
fn roles(token: &str) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    struct Claims {
        #[serde(default)]
        roles: Vec<String>,
    }
    jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(token)
        .map(|c| c.roles)
        .map_err(|e| format!("the Graph token is not a readable JWT ({e})"))
}

fn permissions(config: &Config, token: &str, lines: &mut Vec<Line>) {
    let held = match roles(token) {
        Ok(held) => held,
        Err(error) => {
            lines.push(Line::failed(
                "Graph permissions",
                error,
                "make sure azure.graph_url is Microsoft Graph itself (not a proxy that rewrites tokens)",
            ));
            return;
        }
    };
    let has = |p: &str| held.iter().any(|h| h.eq_ignore_ascii_case(p));
    let grant = |p: &str| {
        format!(
            "in Entra ID > App registrations > {} > API permissions, add the Microsoft Graph \
             application permission {p} and grant admin consent",
            config.azure.client_id
        )
    };
    let modes = Modes::of(config);
    let needed = needed_permissions(&modes);
    let missing: Vec<&(&str, Option<&str>)> = needed
        .iter()
        .filter(|(p, or)| !has(p) && !or.is_some_and(&has))
        .collect();
    for (permission, _) in &missing {
        lines.push(Line::failed(
            format!("Graph permission {permission}"),
            "missing from the token's roles claim",
            grant(permission),
        ));
    }
    if missing.is_empty() {
        lines.push(Line::passed(
            "Graph permissions",
            format!("all {} that pimbot needs are granted", needed.len()),
        ));
    }
    // A write form held for a read need satisfies it, and is flagged all the same.
    let is_needed = |h: &String| needed.iter().any(|(p, _)| p.eq_ignore_ascii_case(h));
    for extra in held.iter().filter(|h| !is_needed(h)) {
        let write = GRAPH_WRITES
            .iter()
            .any(|(w, _, kind)| w.eq_ignore_ascii_case(extra) && !modes.writes(*kind));
        if write {
            lines.push(Line::failed(
                format!("Graph permission {extra}"),
                "granted, but no target pimbot writes for needs it (activate mode only reads)",
                REMOVE_WRITE,
            ));
            continue;
        }
        lines.push(Line::failed(
            format!("Graph permission {extra}"),
            "granted, but more than pimbot needs",
            format!(
                "remove the application permission {extra} from app registration {} (least privilege: \
                 pimbot's identity holds RoleAssignmentSchedule.ReadWrite.Directory, so it is Tier 0)",
                config.azure.client_id
            ),
        ));
    }
}

/// The Graph application permissions the modes in use need: DESIGN's list, with the read form
/// of a write permission no target pimbot writes for needs. Each entry: the permission, and the
/// write form that satisfies a read need too.
fn needed_permissions(modes: &Modes) -> Vec<(&'static str, Option<&'static str>)> {
    GRAPH_PERMISSIONS
        .iter()
        .map(|p| {
            match GRAPH_WRITES
                .iter()
                .find(|(w, _, kind)| w == p && !modes.writes(*kind))
            {
                Some((write, read, _)) => (*read, Some(*write)),
                None => (*p, None),
            }
        })
        .collect()
}

/// Every ARM scope pimbot works at: `azure.arm_scopes` and the scopes of `azure` targets.
fn arm_scopes(config: &Config) -> Vec<String> {
    let mut scopes: Vec<String> = config.azure.arm_scopes.clone();
    let targets = config
        .targets
        .iter()
        .filter(|t| t.kind == TargetKind::Azure);
    for scope in targets.filter_map(|t| t.scope.clone()) {
        if !scopes.iter().any(|s| s.eq_ignore_ascii_case(&scope)) {
            scopes.push(scope);
        }
    }
    scopes
}

async fn arm(config: &Config, api: &TenantApi, lines: &mut Vec<Line>) {
    let scopes = arm_scopes(config);
    if scopes.is_empty() {
        lines.push(Line::not_applicable(
            "ARM token",
            "no azure.arm_scopes and no azure targets",
        ));
        return;
    }
    if let Err(error) = api.token(Service::Arm).await {
        lines.push(Line::failed(
            "ARM token",
            error.to_string(),
            format!(
                "check azure.arm_url ({}) and that the credential may sign in for it",
                config.azure.arm_url
            ),
        ));
        return;
    }
    lines.push(Line::passed(
        "ARM token",
        format!("issued for {}", config.azure.arm_url),
    ));
    let modes = Modes::of(config);
    for scope in scopes {
        let writes = modes.writes_at(config, &scope);
        lines.push(arm_scope(config, api, &scope, writes).await);
    }
}

/// At `scope`, whether pimbot may write schedule requests when it `writes` there (assign
/// mode); otherwise whether it may read eligibilities, and that it may not write.
async fn arm_scope(config: &Config, api: &TenantApi, scope: &str, writes: bool) -> Line {
    let check = format!("ARM scope {scope}");
    let call = Call::new(
        Service::Arm,
        Verb::Get,
        format!("{scope}/providers/Microsoft.Authorization/permissions"),
    )
    .query("api-version", "2022-04-01");
    let fix = format!(
        "assign pimbot's app ({}) User Access Administrator (or a custom role with {ARM_ACTION}) \
         at {scope}, with an ABAC condition limiting the roles it may assign (manifests/azure/README.md)",
        config.azure.client_id
    );
    if !writes {
        return match api.list(&call).await {
            Ok(entries) if may(&entries, ARM_ACTION) => Line::failed(
                check,
                format!("pimbot may {ARM_ACTION}, which no assign-mode target here needs"),
                format!("{REMOVE_WRITE} (give pimbot's app Reader at {scope} instead)"),
            ),
            Ok(entries) if may(&entries, ARM_READ) => Line::passed(
                check,
                format!("may {ARM_READ}; activate mode writes with the people's own sign-in"),
            ),
            Ok(_) => Line::failed(
                check,
                format!("pimbot may not {ARM_READ} here"),
                format!(
                    "assign pimbot's app ({}) Reader at {scope}",
                    config.azure.client_id
                ),
            ),
            Err(error) => Line::failed(
                check,
                format!("cannot read the permissions: {error}"),
                format!(
                    "assign pimbot's app ({}) Reader at {scope}",
                    config.azure.client_id
                ),
            ),
        };
    }
    match api.list(&call).await {
        Ok(entries) if may(&entries, ARM_ACTION) => {
            Line::passed(check, format!("may {ARM_ACTION}"))
        }
        Ok(_) => Line::failed(check, format!("pimbot may not {ARM_ACTION} here"), fix),
        Err(error) => Line::failed(check, format!("cannot read the permissions: {error}"), fix),
    }
}

/// Whether the permission entries (`actions` minus `notActions`, ARM's wildcards) allow `action`.
pub(crate) fn may(entries: &[Value], action: &str) -> bool {
    let list = |entry: &Value, key: &str| -> Vec<String> {
        entry[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    entries.iter().any(|entry| {
        list(entry, "actions").iter().any(|p| matches(p, action))
            && !list(entry, "notActions").iter().any(|p| matches(p, action))
    })
}

/// ARM action patterns: case-insensitive, `*` matches any run of characters.
fn matches(pattern: &str, action: &str) -> bool {
    let (pattern, action) = (pattern.to_ascii_lowercase(), action.to_ascii_lowercase());
    let parts: Vec<&str> = pattern.split('*').collect();
    let Some((first, rest)) = parts.split_first() else {
        return false;
    };
    let Some(mut remaining) = action.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn arm_wildcards_match_as_arm_reads_them() {
        let action = "Microsoft.Authorization/roleAssignmentScheduleRequests/write";
        assert!(matches("*", action));
        assert!(matches("Microsoft.Authorization/*", action));
        assert!(matches("microsoft.authorization/*/write", action));
        assert!(matches(action, action));
        assert!(!matches("*/read", action));
        assert!(!matches("Microsoft.Compute/*", action));
        assert!(!matches(
            "Microsoft.Authorization/roleAssignmentScheduleRequests/read",
            action
        ));
    }
}
