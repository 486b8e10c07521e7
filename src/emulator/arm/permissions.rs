//! `GET {scope}/providers/Microsoft.Authorization/permissions`: what the caller may do at a
//! scope, one entry per role assignment at or above it, as ARM lists them.

use serde_json::{Value, json};

use super::Call;
use crate::emulator::providers::is_at_or_below;
use crate::emulator::state::State;

pub(super) fn list(state: &State, call: &Call) -> Value {
    let value: Vec<Value> = state
        .tenant
        .azure
        .permissions
        .iter()
        .filter(|p| p.client_id.eq_ignore_ascii_case(&call.client_id))
        .filter(|p| is_at_or_below(&call.scope, &p.scope))
        .map(|p| {
            json!({
                "actions": p.actions,
                "notActions": p.not_actions,
                "dataActions": [],
                "notDataActions": [],
            })
        })
        .collect();
    json!({ "value": value })
}
