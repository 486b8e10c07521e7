//! ARM's side of a principal's own requests: who may send `SelfActivate` / `SelfDeactivate`,
//! listing requests at a scope (`$filter=atScope()`, `asTarget()`, `principalId eq`), and
//! `POST …/roleAssignmentScheduleRequests/{name}/cancel` while pending.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::filter::{self, Term};
use super::{ArmError, Call};
use crate::emulator::Provider;
use crate::emulator::activation::{self, Denied};
use crate::emulator::approval;
use crate::emulator::identity::Delegated;
use crate::emulator::state::State;

const SCOPES: [&str; 1] = ["user_impersonation"];

/// The signed-in user sending a `Self*` request for `principal_id`, or ARM's 403.
pub(super) fn caller<'a>(call: &'a Call, principal_id: &str) -> Result<&'a Delegated, ArmError> {
    activation::check_caller(&call.caller, principal_id, &SCOPES).map_err(|denied| {
        let who = call
            .caller
            .user()
            .map_or(call.client_id.as_str(), |u| u.oid.as_str());
        let why = match denied {
            Denied::AppOnly => "Self requests act for the calling principal only".to_owned(),
            Denied::MissingScope => "the token lacks the user_impersonation scope".to_owned(),
            Denied::OtherPrincipal => {
                format!("principalId '{principal_id}' is not the calling principal")
            }
        };
        ArmError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            format!("The requestor '{who}' does not have permissions for this request: {why}."),
        )
    })
}

/// The caller's object id for `asTarget()`: the user, or the app's service principal.
pub(super) fn caller_object(state: &State, call: &Call) -> Option<String> {
    if let Some(user) = call.caller.user() {
        return Some(user.oid.clone());
    }
    let sps = &state.tenant.service_principals;
    sps.iter()
        .find(|s| s.app_id.eq_ignore_ascii_case(&call.client_id))
        .map(|s| s.id.clone())
}

pub(super) fn list(state: &State, call: &Call) -> Result<Value, ArmError> {
    let terms = filter::parse(call.param("$filter"))?;
    let me = caller_object(state, call);
    let items = state
        .arm_requests
        .iter()
        .map(|(_, v)| v)
        .filter(|v| {
            let text = |key: &str| v["properties"][key].as_str().unwrap_or_default();
            let mine = |t: &Term| match t {
                Term::AsTarget => me
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(text("requestorId"))),
                _ => true,
            };
            let others: Vec<Term> = terms
                .iter()
                .filter(|t| **t != Term::AsTarget)
                .cloned()
                .collect();
            terms.iter().all(mine)
                && filter::keeps(
                    &state.tenant,
                    &others,
                    me.as_deref(),
                    &call.scope,
                    text("scope"),
                    text("principalId"),
                )
        })
        .cloned()
        .collect();
    filter::page(call, items)
}

/// Cancels a pending request: by its requestor (the user, or the app that sent it).
pub(super) fn cancel(state: &mut State, call: &Call, name: &str) -> Result<Value, ArmError> {
    let me = call
        .caller
        .user()
        .map_or(call.client_id.clone(), |u| u.oid.clone());
    let found = state
        .arm_requests
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v["properties"].clone())
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "RoleAssignmentScheduleRequestNotFound",
                format!("The role assignment schedule request '{name}' does not exist."),
            )
        })?;
    let requestor = found["requestorId"].as_str().unwrap_or_default();
    if !requestor.eq_ignore_ascii_case(&me) {
        return Err(ArmError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            format!(
                "The requestor '{me}' does not have permissions for this request: only its requestor can cancel it."
            ),
        ));
    }
    if found["status"] != "PendingApproval" {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            format!(
                "The request is {} and can no longer be canceled.",
                found["status"].as_str().unwrap_or("closed")
            ),
        ));
    }
    approval::set_request_status(state, Provider::Azure, name, "Canceled");
    approval::close(state, Provider::Azure, name);
    Ok(json!({}))
}
