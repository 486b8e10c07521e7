//! `roleAssignmentScheduleRequests` semantics: body validation, Admin-rule policy checks,
//! `adminAssign` / `adminRemove`, and the `unifiedRoleAssignmentScheduleRequest` they return.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Provider;
use super::activation::Denied;
use super::identity::Caller;
use super::odata::GraphError;
use super::policy::{AssignmentAsk, RolePolicy};
use super::server::iso;
use super::state::{Assignment, State};

mod info;
mod own;

pub(crate) use info::read_schedule;
pub(crate) use info::{Schedule, ticket_json};

const ACTIONS: [&str; 10] = [
    "adminAssign",
    "adminUpdate",
    "adminRemove",
    "adminExtend",
    "adminRenew",
    "selfActivate",
    "selfDeactivate",
    "selfExtend",
    "selfRenew",
    "unknownFutureValue",
];

/// The fields every request names.
struct Target {
    action: &'static str,
    principal_id: String,
    role_definition_id: String,
    directory_scope_id: Option<String>,
    app_scope_id: Option<String>,
}

/// One admin request, whichever provider it came from, reduced to what PIM checks.
pub(crate) struct Ask<'a> {
    pub(crate) provider: Provider,
    pub(crate) remove: bool,
    pub(crate) principal_id: &'a str,
    /// Role definition id (roles, Azure) or access `member`/`owner` (groups).
    pub(crate) resource: &'a str,
    /// Directory scope (roles), group id (groups) or ARM scope (Azure).
    pub(crate) scope: Option<&'a str>,
    pub(crate) app_scope: Option<&'a str>,
    pub(crate) schedule_info: Option<&'a Value>,
    pub(crate) has_justification: bool,
    pub(crate) has_ticket: bool,
    pub(crate) validation_only: bool,
    /// The new request's id, also the new schedule's id.
    pub(crate) request_id: &'a str,
}

/// What an accepted request did.
pub(crate) struct Outcome {
    pub(crate) schedule: Schedule,
    pub(crate) schedule_id: String,
    pub(crate) status: &'static str,
}

/// Applies PIM's rules to an admin request and executes it: the Admin-assignment policy rules,
/// `RoleAssignmentExists` for a live duplicate, `RoleAssignmentDoesNotExist` for a removal of
/// nothing. The same semantics serve all three providers.
pub(crate) fn execute(
    state: &mut State,
    ask: &Ask<'_>,
    policy: &RolePolicy,
) -> Result<Outcome, GraphError> {
    let now = state.now();
    let same = |a: &Assignment| {
        a.provider == ask.provider
            && a.is_live(now)
            && a.same_target(ask.principal_id, ask.resource, ask.scope, ask.app_scope)
    };
    if ask.remove {
        let Some(found) = state.assignments.iter().find(|a| same(a)) else {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                "RoleAssignmentDoesNotExist",
                "The Role assignment does not exist.",
            ));
        };
        let schedule_id = found.schedule_id.clone();
        if !ask.validation_only {
            state.assignments.retain(|a| !same(a));
        }
        let schedule = Schedule {
            start: now,
            end: None,
            length: None,
            kind: "notSpecified",
            duration: None,
        };
        return Ok(Outcome {
            schedule,
            schedule_id,
            status: "Revoked",
        });
    }
    let info = ask.schedule_info.filter(|v| v.is_object()).ok_or_else(|| {
        GraphError::bad_request("The 'scheduleInfo' field is required for action 'adminAssign'.")
    })?;
    let schedule = read_schedule(info, now)?;
    let failed = policy.failed_admin_rules(AssignmentAsk {
        length: schedule.length,
        has_justification: ask.has_justification,
        has_ticket: ask.has_ticket,
    });
    if !failed.is_empty() {
        let names = serde_json::to_string(&failed).unwrap_or_default();
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "RoleAssignmentRequestPolicyValidationFailed",
            format!("The following policy rules failed: {names}"),
        ));
    }
    if state.assignments.iter().any(same) {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "RoleAssignmentExists",
            "The Role assignment already exists.",
        ));
    }
    if !ask.validation_only {
        state.assignments.push(Assignment {
            provider: ask.provider,
            instance_id: Uuid::new_v4().to_string(),
            schedule_id: ask.request_id.to_owned(),
            principal_id: ask.principal_id.to_owned(),
            role_definition_id: ask.resource.to_owned(),
            directory_scope_id: ask.scope.map(str::to_owned),
            app_scope_id: ask.app_scope.map(str::to_owned),
            start: schedule.start,
            end: schedule.end,
            created: now,
            activated: false,
        });
    }
    let status = if schedule.start > now {
        "Granted"
    } else {
        "Provisioned"
    };
    Ok(Outcome {
        schedule,
        schedule_id: ask.request_id.to_owned(),
        status,
    })
}

/// Validates and executes one POSTed Entra role request; returns the stored request entity.
pub(crate) fn create(
    state: &mut State,
    body: &Value,
    caller: &Caller,
) -> Result<Value, GraphError> {
    if !body.is_object() {
        return Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        ));
    }
    let target = read_target(body)?;
    if target.action.starts_with("self") && caller.user().is_none() {
        return Err(own::refusal(Denied::AppOnly, target.action));
    }
    if state.tenant.principal_kind(&target.principal_id).is_none() {
        return Err(GraphError::not_found(&target.principal_id));
    }
    if state.tenant.role(&target.role_definition_id).is_none() {
        return Err(GraphError::not_found(&target.role_definition_id));
    }
    if let Some(scope) = &target.directory_scope_id {
        if !scope.starts_with('/') {
            return Err(GraphError::bad_request(format!(
                "Invalid directoryScopeId '{scope}': it must start with '/'."
            )));
        }
        if !state.tenant.scope_exists(scope) {
            return Err(GraphError::not_found(scope.trim_start_matches('/')));
        }
    }
    if target.action.starts_with("self") {
        return own::create(state, body, &target, caller);
    }
    let request_id = Uuid::new_v4().to_string();
    let ask = Ask {
        provider: Provider::Role,
        remove: target.action == "adminRemove",
        principal_id: &target.principal_id,
        resource: &target.role_definition_id,
        scope: target.directory_scope_id.as_deref(),
        app_scope: target.app_scope_id.as_deref(),
        schedule_info: body.get("scheduleInfo"),
        has_justification: non_empty(body.get("justification")),
        has_ticket: non_empty(body.get("ticketInfo").and_then(|t| t.get("ticketNumber"))),
        validation_only: body
            .get("isValidationOnly")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        request_id: &request_id,
    };
    let policy = state.policy(&target.role_definition_id);
    let outcome = execute(state, &ask, &policy)?;
    let now = state.now();
    let created_by = json!({
        "application": {"displayName": null, "id": caller.client_id()},
        "device": null,
        "user": null,
    });
    let entity = finish(body, &target, &outcome, &request_id, created_by, now);
    if !ask.validation_only {
        state.requests.push(entity.clone());
    }
    Ok(entity)
}

fn read_target(body: &Value) -> Result<Target, GraphError> {
    let text = |name: &str| -> Result<Option<String>, GraphError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(GraphError::bad_request(format!(
                "The '{name}' field must be a non-empty string."
            ))),
        }
    };
    let required = |name: &str| {
        text(name)?
            .ok_or_else(|| GraphError::bad_request(format!("The '{name}' field is required.")))
    };
    let raw_action = required("action")?;
    let action = ACTIONS.into_iter().find(|a| a.eq_ignore_ascii_case(&raw_action)).ok_or_else(|| {
        GraphError::bad_request(format!(
            "Cannot convert the literal '{raw_action}' to the expected type 'microsoft.graph.unifiedRoleScheduleRequestActions'."
        ))
    })?;
    let supported = [
        "adminAssign",
        "adminRemove",
        "selfActivate",
        "selfDeactivate",
    ];
    if !supported.contains(&action) && !action.starts_with("self") {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            format!("The action '{action}' is not supported by the emulator."),
        ));
    }
    let target = Target {
        action,
        principal_id: required("principalId")?,
        role_definition_id: required("roleDefinitionId")?,
        directory_scope_id: text("directoryScopeId")?,
        app_scope_id: text("appScopeId")?,
    };
    if target.directory_scope_id.is_none() && target.app_scope_id.is_none() {
        return Err(GraphError::bad_request(
            "The 'directoryScopeId' or 'appScopeId' field is required.",
        ));
    }
    Ok(target)
}

pub(crate) fn non_empty(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

/// The `unifiedRoleAssignmentScheduleRequest` entity for an executed request.
fn finish(
    body: &Value,
    target: &Target,
    outcome: &Outcome,
    request_id: &str,
    created_by: Value,
    now: DateTime<Utc>,
) -> Value {
    let schedule = &outcome.schedule;
    json!({
        "id": request_id,
        "status": outcome.status,
        "createdDateTime": iso(now),
        "completedDateTime": iso(now),
        "approvalId": null,
        "customData": body.get("customData").cloned().unwrap_or(Value::Null),
        "action": target.action,
        "principalId": target.principal_id,
        "roleDefinitionId": target.role_definition_id,
        "directoryScopeId": target.directory_scope_id,
        "appScopeId": target.app_scope_id,
        "isValidationOnly": body.get("isValidationOnly").and_then(Value::as_bool).unwrap_or(false),
        "targetScheduleId": outcome.schedule_id,
        "justification": body.get("justification").cloned().unwrap_or(Value::Null),
        "createdBy": created_by,
        "scheduleInfo": schedule.graph_json(),
        "ticketInfo": ticket_json(body.get("ticketInfo")),
    })
}
