//! `pimbot admin eligibility grant|revoke`: a PIM eligibility for an Entra role at a directory
//! scope (Graph `roleEligibilityScheduleRequests`), a group's membership or ownership (PIM for
//! Groups `eligibilityScheduleRequests`) or an Azure role at an ARM scope (ARM
//! `roleEligibilityScheduleRequests`). An eligibility already there is left as it is; revoking
//! one that is not there does nothing.

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::args::{EligibilityCommand, Expiry, Selector};
use super::names::{is_placeholder, literal};
use super::{Change, Names, Result, Step, invalid};
use crate::pim::tenant::{Call, Service, Verb};

const ROLE_REQUESTS: &str = "roleManagement/directory/roleEligibilityScheduleRequests";
const ROLE_INSTANCES: &str = "roleManagement/directory/roleEligibilityScheduleInstances";
const GROUP_REQUESTS: &str =
    "identityGovernance/privilegedAccess/group/eligibilityScheduleRequests";
const GROUP_INSTANCES: &str =
    "identityGovernance/privilegedAccess/group/eligibilityScheduleInstances";
const ARM_API: &str = "2020-10-01";

pub(crate) async fn plan(names: &Names, command: &EligibilityCommand) -> Result<Vec<Step>> {
    let step = match command {
        EligibilityCommand::Grant(args) => step(names, &args.selector, Some(&args.expiry)).await?,
        EligibilityCommand::Revoke(selector) => step(names, selector, None).await?,
    };
    Ok(vec![step])
}

/// An eligibility resolved to ids.
struct Resolved {
    kind: Kind,
    principal: String,
    /// Role definition id (Azure: the full id) or the access.
    role: String,
    /// Directory scope id, group id, or ARM scope.
    scope: String,
    label: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Role,
    Group,
    Azure,
}

async fn resolve(names: &Names, selector: &Selector) -> Result<Resolved> {
    let principal = names.principal_id(&selector.principal).await?;
    let who = &selector.principal;
    let target = &selector.target;
    if let Some(role) = &target.role {
        let role_id = names.role_id(role).await?;
        let (scope, shown) = names.directory_scope(target.scope.as_deref()).await?;
        return Ok(Resolved {
            kind: Kind::Role,
            principal,
            role: role_id,
            scope,
            label: format!("eligibility of {who} for role \"{role}\" on {shown}"),
        });
    }
    if let Some(group) = &target.group {
        let access = target
            .access
            .ok_or_else(|| invalid("--group needs --access member|owner"))?;
        return Ok(Resolved {
            kind: Kind::Group,
            principal,
            role: access.as_str().to_owned(),
            scope: names.group_id(group).await?,
            label: format!(
                "eligibility of {who} for {} of group \"{group}\"",
                access.as_str()
            ),
        });
    }
    let (Some(role), Some(scope)) = (&target.azure_role, &target.scope) else {
        return Err(invalid(
            "give --role, --group with --access, or --azure-role with --scope",
        ));
    };
    let scope = scope.trim_end_matches('/').to_owned();
    let (role_id, role_name) = names.azure_role(role, &scope).await?;
    Ok(Resolved {
        kind: Kind::Azure,
        principal,
        role: role_id,
        label: format!("eligibility of {who} for Azure role \"{role_name}\" at {scope}"),
        scope,
    })
}

/// Whether it names an object the plan has yet to create (so PIM cannot hold it yet).
fn pending(resolved: &Resolved) -> bool {
    [&resolved.principal, &resolved.role, &resolved.scope]
        .iter()
        .any(|v| is_placeholder(v))
}

/// Whether PIM already shows this eligibility.
async fn exists(names: &Names, e: &Resolved) -> Result<bool> {
    if pending(e) {
        return Ok(false);
    }
    let same = |a: &Value, b: &str| {
        a.as_str().is_some_and(|a| {
            a.trim_end_matches('/')
                .eq_ignore_ascii_case(b.trim_end_matches('/'))
        })
    };
    let guid = |id: &str| id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
    let found = match e.kind {
        Kind::Role => {
            let filter = format!(
                "principalId eq {} and roleDefinitionId eq {}",
                literal(&e.principal),
                literal(&e.role)
            );
            let call =
                Call::new(Service::Graph, Verb::Get, ROLE_INSTANCES).query("$filter", filter);
            names
                .api
                .list(&call)
                .await?
                .iter()
                .any(|i| same(&i["directoryScopeId"], &e.scope))
        }
        Kind::Group => {
            let filter = format!(
                "groupId eq {} and principalId eq {}",
                literal(&e.scope),
                literal(&e.principal)
            );
            let call =
                Call::new(Service::Graph, Verb::Get, GROUP_INSTANCES).query("$filter", filter);
            names
                .api
                .list(&call)
                .await?
                .iter()
                .any(|i| same(&i["accessId"], &e.role))
        }
        Kind::Azure => {
            let path = format!(
                "{}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances",
                e.scope
            );
            let call = Call::new(Service::Arm, Verb::Get, path)
                .query("api-version", ARM_API)
                .query(
                    "$filter",
                    format!("principalId eq {}", literal(&e.principal)),
                );
            names.api.list(&call).await?.iter().any(|i| {
                let p = &i["properties"];
                same(&p["scope"], &e.scope)
                    && p["roleDefinitionId"]
                        .as_str()
                        .is_some_and(|r| guid(r) == guid(&e.role))
            })
        }
    };
    Ok(found)
}

/// ISO 8601 durations as PIM reads them: `P60D`, `P1Y`, `P2W`, `PT12H`, `P1DT2H30M`.
pub(crate) fn valid_duration(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('P') else {
        return false;
    };
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let fields = |part: &str, units: &str| -> Option<usize> {
        let mut count = 0;
        let mut number = String::new();
        let mut allowed = units.chars();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            if number.is_empty() || !allowed.by_ref().any(|u| u == c) {
                return None;
            }
            number.clear();
            count += 1;
        }
        number.is_empty().then_some(count)
    };
    let (Some(d), Some(t)) = (fields(date, "YMWD"), fields(time, "HMS")) else {
        return false;
    };
    (d + t > 0) && !(rest.contains('T') && t == 0)
}

/// `scheduleInfo.expiration` in Graph's spelling (ARM capitalises the type).
fn expiration(expiry: &Expiry, arm: bool) -> Result<Value> {
    let kind = |graph: &str| {
        if arm {
            let mut chars = graph.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        } else {
            graph.to_owned()
        }
    };
    if let Some(duration) = &expiry.duration {
        if !valid_duration(duration) {
            return Err(invalid(format!(
                "--duration `{duration}` is not an ISO 8601 duration (P60D, P1Y, PT12H)"
            )));
        }
        return Ok(json!({"type": kind("afterDuration"), "duration": duration}));
    }
    if let Some(until) = &expiry.until {
        let end = crate::audit::parse_since(until).map_err(|e| invalid(format!("--until: {e}")))?;
        if end <= Utc::now() {
            return Err(invalid(format!("--until {until} is in the past")));
        }
        return Ok(
            json!({"type": kind("afterDateTime"), "endDateTime": end.to_rfc3339_opts(SecondsFormat::Secs, true)}),
        );
    }
    Ok(json!({"type": kind("noExpiration")}))
}

/// The grant (`expiry` given) or revoke step for one eligibility.
pub(crate) async fn step(
    names: &Names,
    selector: &Selector,
    expiry: Option<&Expiry>,
) -> Result<Step> {
    let e = resolve(names, selector).await?;
    let held = exists(names, &e).await?;
    let justification = selector
        .justification
        .clone()
        .unwrap_or_else(|| "pimbot admin".to_owned());
    let grant = expiry.is_some();
    if grant == held {
        return Ok(Step::unchanged(e.label).because(if held {
            "already eligible"
        } else {
            "not eligible"
        }));
    }
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let call = match e.kind {
        Kind::Role | Kind::Group => {
            let mut body = json!({
                "action": if grant { "adminAssign" } else { "adminRemove" },
                "justification": justification,
                "principalId": e.principal,
            });
            if e.kind == Kind::Role {
                body["roleDefinitionId"] = json!(e.role);
                body["directoryScopeId"] = json!(e.scope);
            } else {
                body["accessId"] = json!(e.role);
                body["groupId"] = json!(e.scope);
            }
            if let Some(expiry) = expiry {
                body["scheduleInfo"] =
                    json!({"startDateTime": now, "expiration": expiration(expiry, false)?});
            }
            let path = if e.kind == Kind::Role {
                ROLE_REQUESTS
            } else {
                GROUP_REQUESTS
            };
            Call::new(Service::Graph, Verb::Post, path).body(body)
        }
        Kind::Azure => {
            let mut properties = json!({
                "principalId": e.principal,
                "roleDefinitionId": e.role,
                "requestType": if grant { "AdminAssign" } else { "AdminRemove" },
                "justification": justification,
            });
            if let Some(expiry) = expiry {
                properties["scheduleInfo"] =
                    json!({"startDateTime": now, "expiration": expiration(expiry, true)?});
            }
            let name = uuid::Uuid::new_v4();
            let path = format!(
                "{}/providers/Microsoft.Authorization/roleEligibilityScheduleRequests/{name}",
                e.scope
            );
            Call::new(Service::Arm, Verb::Put, path)
                .query("api-version", ARM_API)
                .body(json!({ "properties": properties }))
        }
    };
    Ok(Step::new(
        e.label,
        if grant {
            Change::Create
        } else {
            Change::Remove
        },
        vec![call],
    ))
}

#[cfg(test)]
mod tests {
    use super::valid_duration;

    #[test]
    fn iso_durations_are_read_as_pim_reads_them() {
        for good in ["P60D", "P1Y", "P2W", "PT12H", "P1DT2H30M", "PT90M"] {
            assert!(valid_duration(good), "{good}");
        }
        for bad in ["60D", "P", "PT", "P1H", "PTD", "P1DT", "2h", "P-1D"] {
            assert!(!valid_duration(bad), "{bad}");
        }
    }
}
