//! Azure Resource Manager's PIM surface, `{scope}/providers/Microsoft.Authorization/...`:
//! role definitions, eligibility and assignment schedule instances (`$filter=asTarget()`,
//! `atScope()`, `assignedTo('{id}')`, `principalId eq '{id}'`), schedule requests by
//! client-chosen name (PUT `AdminAssign`/`AdminRemove` app-only, `SelfActivate`/`SelfDeactivate`
//! delegated; GET; list with `atScope()`; POST `…/{name}/cancel`), approvals
//! (`/providers/Microsoft.Authorization/roleAssignmentApprovals[/{id}[/steps[/{stepId}]]]`,
//! api-version `2021-01-01-preview`), and policy assignments with `effectiveRules`. Errors use
//! ARM's `{"error":{"code","message"}}`; lists page with `nextLink`.

mod approvals;
mod eligibility;
pub(crate) mod filter;
mod own;
mod permissions;
mod policies;
mod resources;
mod writes;

use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Emulator;
use super::odata::GraphError;

/// The segment that separates the scope from the resource type in every ARM PIM path.
pub(crate) const PROVIDER: &str = "/providers/Microsoft.Authorization/";
/// The PIM resources' only stable api-version.
const PIM_API_VERSION: &str = "2020-10-01";
/// Role definitions are a different resource type with their own versions.
const ROLE_DEFINITION_API_VERSIONS: [&str; 2] = ["2022-04-01", "2020-10-01"];

/// An ARM error response.
#[derive(Debug, Clone)]
pub(crate) struct ArmError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
}

impl ArmError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ArmError {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// PIM's rule failures keep their codes; ARM answers a duplicate with 409.
    pub(crate) fn from_pim(error: GraphError) -> Self {
        let status = match error.code {
            "RoleAssignmentExists" => StatusCode::CONFLICT,
            _ => error.status,
        };
        ArmError::new(status, error.code, error.message)
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

/// One parsed ARM call.
pub(crate) struct Call {
    pub(crate) method: Method,
    /// The scope, normalised (`/subscriptions/{id}`); empty for tenant-wide calls.
    pub(crate) scope: String,
    /// `roleEligibilityScheduleInstances`, `roleAssignmentScheduleRequests/{name}`, ...
    pub(crate) resource: String,
    pub(crate) query: Vec<(String, String)>,
    /// `http://host:port{path}` for next links.
    pub(crate) url: String,
    pub(crate) client_id: String,
    /// The app or signed-in user behind the token.
    pub(crate) caller: crate::emulator::identity::Caller,
    pub(crate) body: axum::body::Bytes,
}

impl Call {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Whether a path belongs to ARM rather than Graph.
pub(crate) fn is_arm_path(path: &str) -> bool {
    path.contains(PROVIDER)
}

/// The official examples write `providers/Microsoft.Subscription/subscriptions/{id}`; ARM
/// answers with `/subscriptions/{id}`.
pub(crate) fn normalise_scope(scope: &str) -> String {
    let scope = scope.trim_end_matches('/');
    let scope = scope
        .strip_prefix("/providers/Microsoft.Subscription")
        .unwrap_or(scope);
    scope.to_owned()
}

/// Serves one authenticated ARM call.
pub(crate) fn handle(emulator: &Emulator, call: Call) -> Response {
    match dispatch(emulator, &call) {
        Ok((status, body)) => (status, Json(body)).into_response(),
        Err(error) => error.into_response(),
    }
}

fn dispatch(emulator: &Emulator, call: &Call) -> Result<(StatusCode, Value), ArmError> {
    let (kind, name) = match call.resource.split_once('/') {
        Some((kind, name)) => (kind, Some(name)),
        None => (call.resource.as_str(), None),
    };
    let versions: &[&str] = if kind.eq_ignore_ascii_case("roleDefinitions")
        || kind.eq_ignore_ascii_case("permissions")
    {
        &ROLE_DEFINITION_API_VERSIONS
    } else if kind.eq_ignore_ascii_case("roleAssignmentApprovals") {
        &[approvals::API_VERSION]
    } else {
        &[PIM_API_VERSION]
    };
    match call.param("api-version") {
        None => {
            return Err(ArmError::new(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ));
        }
        Some(v) if !versions.contains(&v) => {
            return Err(ArmError::new(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{v}' is invalid. The supported versions are '{}'.",
                    versions.join(",")
                ),
            ));
        }
        Some(_) => {}
    }
    let mut state = emulator.lock();
    crate::emulator::approval::expire(&mut state);
    if !call.scope.is_empty() && state.tenant.azure.scope(&call.scope).is_none() {
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("The scope '{}' could not be found.", call.scope),
        ));
    }
    let ok = |body| Ok((StatusCode::OK, body));
    match (&call.method, kind, name) {
        (&Method::GET, "roleDefinitions", None) => ok(resources::role_definitions(&state, call)?),
        (&Method::GET, "roleDefinitions", Some(id)) => {
            ok(resources::role_definition(&state, call, id)?)
        }
        (&Method::GET, "roleEligibilityScheduleInstances", None) => {
            ok(resources::eligibility_instances(&state, call)?)
        }
        (&Method::GET, "roleAssignmentScheduleInstances", None) => {
            ok(resources::assignment_instances(&state, call)?)
        }
        (&Method::GET, "roleManagementPolicyAssignments", None) => {
            ok(resources::policy_assignments(&state, call)?)
        }
        (&Method::GET, "permissions", None) => ok(permissions::list(&state, call)),
        (&Method::GET, "roleAssignmentScheduleRequests", Some(name)) => {
            ok(writes::get_request(&state, name)?)
        }
        (&Method::GET, "roleAssignmentScheduleRequests", None) => ok(own::list(&state, call)?),
        (&Method::POST, "roleAssignmentScheduleRequests", Some(name))
            if name.to_ascii_lowercase().ends_with("/cancel") =>
        {
            let name = &name[..name.len() - "/cancel".len()];
            ok(own::cancel(&mut state, call, name)?)
        }
        (&Method::GET, "roleAssignmentApprovals", None) => ok(approvals::list(&state, call)?),
        (&Method::GET, "roleAssignmentApprovals", Some(rest)) => {
            ok(approvals::get(&state, call, rest)?)
        }
        (&Method::PATCH | &Method::PUT, "roleAssignmentApprovals", Some(rest)) => {
            ok(approvals::decide(&mut state, call, rest)?)
        }
        (&Method::PATCH, "roleManagementPolicies", Some(name)) => {
            ok(policies::patch_policy(&mut state, call, name)?)
        }
        (&Method::PUT, "roleEligibilityScheduleRequests", Some(name)) => Ok((
            StatusCode::CREATED,
            eligibility::put_request(&mut state, call, name)?,
        )),
        (&Method::PUT, "roleAssignmentScheduleRequests", Some(name)) => Ok((
            StatusCode::CREATED,
            writes::put_request(&mut state, call, name)?,
        )),
        _ => Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidResourceType",
            format!(
                "The resource type '{kind}' could not be found in the namespace 'Microsoft.Authorization' for the emulator."
            ),
        )),
    }
}
