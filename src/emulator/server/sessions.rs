//! `POST /v1.0/users/{id}/revokeSignInSessions`: ends the user's refresh tokens.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::emulator::Emulator;
use crate::emulator::identity::{self, Caller};
use crate::emulator::odata::GraphError;

/// Permissions that allow revoking someone's sessions (application roles or delegated scopes).
const PERMISSIONS: [&str; 3] = [
    "User.RevokeSessions.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];

/// An app needs one of [`PERMISSIONS`]; a user may revoke their own sessions, or anyone's
/// with one of them as a delegated scope.
fn allowed(state: &crate::emulator::state::State, caller: &Caller, id: &str) -> bool {
    match caller {
        Caller::App { roles, .. } => roles
            .iter()
            .any(|r| PERMISSIONS.iter().any(|p| p.eq_ignore_ascii_case(r))),
        Caller::User(user) => {
            let own = state
                .tenant
                .user(id)
                .is_some_and(|u| u.id.eq_ignore_ascii_case(&user.oid));
            own || PERMISSIONS.iter().any(|p| user.has_scope(p))
        }
    }
}

pub(super) async fn revoke(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphError> {
    let mut state = emulator.lock();
    if state.tenant.user(&id).is_some() && !allowed(&state, &caller, &id) {
        return Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ));
    }
    if !identity::revoke_sign_ins(&mut state, &id) {
        return Err(GraphError::not_found(&id));
    }
    Ok(Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean",
        "value": true,
    })))
}
