//! `selfActivate` / `selfDeactivate` with PIM's EndUser semantics, shared by the three
//! providers: the caller must be the delegated principal itself, hold an eligibility, and meet
//! the policy's EndUser rules (expiration, justification, ticket, MFA by `amr`, authentication
//! context by `acrs`); approval turns the request into `PendingApproval`.

mod eligible;

use axum::http::StatusCode;
use chrono::TimeDelta;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Provider;
use super::approval::{self, PendingActivation};
use super::identity::{Caller, Delegated};
use super::odata::GraphError;
use super::policy::{AssignmentAsk, RolePolicy};
use super::schedule::{Outcome, Schedule, read_schedule};
use super::state::{Assignment, State};

/// PIM refuses a deactivation this soon after the activation started.
const MINIMUM_ACTIVE_MINUTES: i64 = 5;

/// One `self*` request, whichever provider it came from.
pub(crate) struct SelfAsk<'a> {
    pub(crate) provider: Provider,
    pub(crate) deactivate: bool,
    pub(crate) user: &'a Delegated,
    pub(crate) principal_id: &'a str,
    /// Role definition id (Entra), `member`/`owner` (groups), full role id (Azure).
    pub(crate) resource: &'a str,
    /// Directory scope (Entra), group id (groups), ARM scope (Azure).
    pub(crate) scope: &'a str,
    pub(crate) schedule_info: Option<&'a Value>,
    pub(crate) has_justification: bool,
    pub(crate) has_ticket: bool,
    pub(crate) validation_only: bool,
    /// The new request's id (Graph) or name (ARM); also the activation's schedule id.
    pub(crate) request_id: &'a str,
}

/// An accepted `self*` request: its outcome, and the approval it waits for, if any.
pub(crate) struct SelfOutcome {
    pub(crate) outcome: Outcome,
    pub(crate) approval_id: Option<String>,
}

/// Why a caller may not send a `self*` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    /// An app-only token: there is no "self" to activate.
    AppOnly,
    /// A delegated token without the scope the API needs.
    MissingScope,
    /// `principalId` is someone else.
    OtherPrincipal,
}

/// The signed-in user behind `caller`, if it may act on `principal_id` with one of `scopes`.
pub(crate) fn check_caller<'a>(
    caller: &'a Caller,
    principal_id: &str,
    scopes: &[&str],
) -> Result<&'a Delegated, Denied> {
    let user = caller.user().ok_or(Denied::AppOnly)?;
    if !scopes.iter().any(|s| user.has_scope(s)) {
        return Err(Denied::MissingScope);
    }
    if !user.oid.eq_ignore_ascii_case(principal_id) {
        return Err(Denied::OtherPrincipal);
    }
    Ok(user)
}

/// The Graph message for a refused caller.
pub(crate) fn denied_message(denied: Denied, action: &str, scopes: &[&str]) -> String {
    match denied {
        Denied::AppOnly => format!(
            "The action '{action}' requires a delegated (user) token; an application cannot act for a principal."
        ),
        Denied::MissingScope => format!(
            "The delegated token lacks the permission this request needs: {}.",
            scopes.join(" or ")
        ),
        Denied::OtherPrincipal => format!(
            "The action '{action}' acts on the signed-in user only: principalId must be the caller's object id."
        ),
    }
}

fn failed(code: &'static str, message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, code, message)
}

/// The 400 PIM answers when the token lacks the policy's authentication context: the claims
/// challenge, URL-encoded after `&claims=`, is the whole message (as ARM and Graph send it).
pub(crate) fn acrs_challenge(context: &str) -> GraphError {
    let claims = json!({"access_token": {"acrs": {"essential": true, "value": context}}});
    let encoded = serde_urlencoded::to_string([("claims", claims.to_string())]).unwrap_or_default();
    failed(
        "RoleAssignmentRequestAcrsValidationFailed",
        format!("&{encoded}"),
    )
}

/// Applies PIM's EndUser rules to a `self*` request and carries it out.
pub(crate) fn execute(
    state: &mut State,
    ask: &SelfAsk<'_>,
    policy: &RolePolicy,
) -> Result<SelfOutcome, GraphError> {
    if ask.deactivate {
        return deactivate(state, ask);
    }
    let now = state.now();
    if !eligible::holds(
        state,
        ask.provider,
        ask.principal_id,
        ask.resource,
        ask.scope,
    ) {
        return Err(failed(
            "RoleAssignmentRequestPolicyValidationFailed",
            "The following policy rules failed: [\"EligibilityRule\"]",
        ));
    }
    let info = ask.schedule_info.filter(|v| v.is_object()).ok_or_else(|| {
        GraphError::bad_request("The 'scheduleInfo' field is required for action 'selfActivate'.")
    })?;
    let schedule = read_schedule(info, now)?;
    let broken = policy.failed_activation_rules(
        AssignmentAsk {
            length: schedule.length,
            has_justification: ask.has_justification,
            has_ticket: ask.has_ticket,
        },
        ask.user.has_mfa(),
    );
    if !broken.is_empty() {
        let names = serde_json::to_string(&broken).unwrap_or_default();
        return Err(failed(
            "RoleAssignmentRequestPolicyValidationFailed",
            format!("The following policy rules failed: {names}"),
        ));
    }
    if let Some(context) = policy.required_auth_context()
        && !ask.user.acrs.iter().any(|a| a == context)
    {
        return Err(acrs_challenge(context));
    }
    let same = |a: &Assignment| {
        a.provider == ask.provider
            && a.is_live(now)
            && a.same_target(ask.principal_id, ask.resource, Some(ask.scope), None)
    };
    if state.assignments.iter().any(same) {
        return Err(failed(
            "RoleAssignmentExists",
            "The Role assignment already exists.",
        ));
    }
    let pending = state.approvals.iter().any(|a| {
        a.provider == ask.provider
            && a.stage.status == "InProgress"
            && a.activation
                .principal_id
                .eq_ignore_ascii_case(ask.principal_id)
            && a.activation.resource.eq_ignore_ascii_case(ask.resource)
            && a.activation.scope.eq_ignore_ascii_case(ask.scope)
    });
    if pending {
        return Err(failed(
            "PendingRoleAssignmentRequest",
            "There is already an existing pending Role assignment request.",
        ));
    }
    let schedule_id = ask.request_id.to_owned();
    if let Some(stage) = policy.approval_stage() {
        let approval_id = (!ask.validation_only).then(|| {
            let activation = PendingActivation {
                principal_id: ask.principal_id.to_owned(),
                resource: ask.resource.to_owned(),
                scope: ask.scope.to_owned(),
                length: schedule.length,
                schedule_id: schedule_id.clone(),
            };
            let (provider, request, requester) = (ask.provider, ask.request_id, &ask.user.oid);
            approval::open(state, provider, request, requester, stage, activation)
        });
        let outcome = Outcome {
            schedule,
            schedule_id,
            status: "PendingApproval",
        };
        return Ok(SelfOutcome {
            outcome,
            approval_id,
        });
    }
    if !ask.validation_only {
        state.assignments.push(Assignment {
            provider: ask.provider,
            instance_id: Uuid::new_v4().to_string(),
            schedule_id: schedule_id.clone(),
            principal_id: ask.principal_id.to_owned(),
            role_definition_id: ask.resource.to_owned(),
            directory_scope_id: Some(ask.scope.to_owned()),
            app_scope_id: None,
            start: schedule.start,
            end: schedule.end,
            created: now,
            activated: true,
        });
    }
    let status = if schedule.start > now {
        "Granted"
    } else {
        "Provisioned"
    };
    Ok(SelfOutcome {
        outcome: Outcome {
            schedule,
            schedule_id,
            status,
        },
        approval_id: None,
    })
}

/// Ends the caller's own activation: none → `RoleAssignmentDoesNotExist`; under five minutes
/// old → `ActiveDurationTooShort`.
fn deactivate(state: &mut State, ask: &SelfAsk<'_>) -> Result<SelfOutcome, GraphError> {
    let now = state.now();
    let own = |a: &Assignment| {
        a.provider == ask.provider
            && a.activated
            && a.is_current(now)
            && a.same_target(ask.principal_id, ask.resource, Some(ask.scope), None)
    };
    let Some(found) = state.assignments.iter().find(|a| own(a)) else {
        return Err(failed(
            "RoleAssignmentDoesNotExist",
            "The Role assignment does not exist.",
        ));
    };
    if now - found.start < TimeDelta::minutes(MINIMUM_ACTIVE_MINUTES) {
        return Err(failed(
            "ActiveDurationTooShort",
            "The Active duration is too short. Miniumum Required is 5 minutes.",
        ));
    }
    let schedule_id = found.schedule_id.clone();
    if !ask.validation_only {
        state.assignments.retain(|a| !own(a));
    }
    Ok(SelfOutcome {
        outcome: Outcome {
            schedule: Schedule {
                start: now,
                end: None,
                length: None,
                kind: "notSpecified",
                duration: None,
            },
            schedule_id,
            status: "Revoked",
        },
        approval_id: None,
    })
}
