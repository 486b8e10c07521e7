//! Eligibility schedule requests (`adminAssign` / `adminRemove`) for the three providers, with
//! PIM's checks: the principal, role and scope exist, the Admin-eligibility rules of the
//! policy hold, an eligibility is not granted twice nor removed when absent.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Provider;
use super::odata::GraphError;
use super::policy::AssignmentAsk;
use super::providers::{AzureEligibility, GroupEligibility};
use super::schedule::{Schedule, read_schedule};
use super::state::State;
use super::tenant::Eligibility;
use axum::http::StatusCode;

/// What one request asks, in the provider's ids.
pub(crate) struct EligibilityAsk<'a> {
    pub(crate) provider: Provider,
    /// `adminAssign` or `adminRemove` (any case).
    pub(crate) action: &'a str,
    pub(crate) principal_id: &'a str,
    /// Role definition id (Azure: its GUID), or the group access (`member` / `owner`).
    pub(crate) role: &'a str,
    /// Directory scope, group id, or ARM scope.
    pub(crate) scope: &'a str,
    pub(crate) schedule_info: &'a Value,
    pub(crate) has_justification: bool,
    pub(crate) has_ticket: bool,
}

fn failed(code: &'static str, message: &str) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, code, message)
}

/// Carries the request out; the schedule it created or removed, as
/// `(id, startDateTime, endDateTime, scheduleInfo kind)`.
pub(crate) fn execute(state: &mut State, ask: &EligibilityAsk<'_>) -> Result<Value, GraphError> {
    if state.tenant.principal_kind(ask.principal_id).is_none() {
        return Err(GraphError::not_found(ask.principal_id));
    }
    let now = state.now();
    let existing = find(state, ask, now);
    match ask.action.to_ascii_lowercase().as_str() {
        "adminassign" => {
            if existing.is_some() {
                return Err(failed(
                    "RoleAssignmentExists",
                    "The Role assignment already exists.",
                ));
            }
            let schedule = read_schedule(ask.schedule_info, now)?;
            let policy = match ask.provider {
                Provider::Role => state.policy(ask.role),
                Provider::Group => state.group_policy(ask.scope, ask.role),
                Provider::Azure => state.azure_policy(ask.scope, ask.role),
            };
            let broken = policy.failed_eligibility_rules(AssignmentAsk {
                length: schedule.length,
                has_justification: ask.has_justification,
                has_ticket: ask.has_ticket,
            });
            if !broken.is_empty() {
                let names = serde_json::to_string(&broken).unwrap_or_default();
                return Err(failed(
                    "RoleAssignmentRequestPolicyValidationFailed",
                    &format!("The following policy rules failed: {names}"),
                ));
            }
            let id = Uuid::new_v4().to_string();
            insert(state, ask, &id, &schedule);
            Ok(
                json!({"id": id, "start": schedule.start, "end": schedule.end, "info": schedule.graph_json()}),
            )
        }
        "adminremove" => {
            let Some(id) = existing else {
                return Err(failed(
                    "RoleAssignmentDoesNotExist",
                    "The Role assignment does not exist.",
                ));
            };
            remove(state, ask.provider, &id);
            Ok(json!({"id": id, "start": now, "end": now, "info": Value::Null}))
        }
        other => Err(GraphError::bad_request(format!(
            "The request action '{other}' is not supported for eligibility requests; use adminAssign or adminRemove."
        ))),
    }
}

/// The id of a live eligibility of exactly this principal, role and scope.
fn find(state: &State, ask: &EligibilityAsk<'_>, now: DateTime<Utc>) -> Option<String> {
    let live = |end: Option<DateTime<Utc>>| end.is_none_or(|end| end > now);
    let same = |a: &str, b: &str| {
        a.trim_end_matches('/')
            .eq_ignore_ascii_case(b.trim_end_matches('/'))
    };
    let tenant = &state.tenant;
    match ask.provider {
        Provider::Role => tenant
            .eligibilities
            .iter()
            .find(|e| {
                same(&e.principal_id, ask.principal_id)
                    && same(&e.role_definition_id, ask.role)
                    && same(&e.directory_scope_id, ask.scope)
                    && live(e.end_date_time)
            })
            .map(|e| e.id.clone()),
        Provider::Group => tenant
            .group_eligibilities
            .iter()
            .find(|e| {
                same(&e.principal_id, ask.principal_id)
                    && same(&e.access_id, ask.role)
                    && same(&e.group_id, ask.scope)
                    && live(e.end_date_time)
            })
            .map(|e| e.id.clone()),
        Provider::Azure => tenant
            .azure
            .eligibilities
            .iter()
            .find(|e| {
                same(&e.principal_id, ask.principal_id)
                    && same(&e.role_definition_id, ask.role)
                    && same(&e.scope, ask.scope)
                    && live(e.end_date_time)
            })
            .map(|e| e.id.clone()),
    }
}

fn insert(state: &mut State, ask: &EligibilityAsk<'_>, id: &str, schedule: &Schedule) {
    let tenant = &mut state.tenant;
    match ask.provider {
        Provider::Role => tenant.eligibilities.push(Eligibility {
            id: id.to_owned(),
            principal_id: ask.principal_id.to_owned(),
            role_definition_id: ask.role.to_owned(),
            directory_scope_id: ask.scope.to_owned(),
            start_date_time: schedule.start,
            end_date_time: schedule.end,
        }),
        Provider::Group => tenant.group_eligibilities.push(GroupEligibility {
            id: id.to_owned(),
            group_id: ask.scope.to_owned(),
            principal_id: ask.principal_id.to_owned(),
            access_id: ask.role.to_owned(),
            start_date_time: schedule.start,
            end_date_time: schedule.end,
        }),
        Provider::Azure => tenant.azure.eligibilities.push(AzureEligibility {
            id: id.to_owned(),
            scope: ask.scope.to_owned(),
            role_definition_id: ask.role.to_owned(),
            principal_id: ask.principal_id.to_owned(),
            start_date_time: schedule.start,
            end_date_time: schedule.end,
        }),
    }
}

fn remove(state: &mut State, provider: Provider, id: &str) {
    let tenant = &mut state.tenant;
    match provider {
        Provider::Role => tenant.eligibilities.retain(|e| e.id != id),
        Provider::Group => tenant.group_eligibilities.retain(|e| e.id != id),
        Provider::Azure => tenant.azure.eligibilities.retain(|e| e.id != id),
    }
}
