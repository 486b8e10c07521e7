//! `GET /sandbox/api/state`: what each side holds now. Chat messages from the fakes, requests
//! from the store, PIM assignments from the emulator, and the audit trail as `pimbot audit export`
//! shows it, checked by the same code as `pimbot audit verify`.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::response::Json;
use serde_json::{Value, json};

use super::{Sandbox, SandboxError};
use crate::audit::verify;
use crate::domain::request::{Request, ShortId};
use crate::emulator::Provider;

pub(super) async fn handle_state(
    State(sandbox): State<Sandbox>,
) -> Result<Json<Value>, SandboxError> {
    let inner = &sandbox.0;
    // Chat first, then the store: whatever a message shows was committed before it was posted,
    // so the requests and audit read next are at least as new as the messages.
    let slack = inner.slack.snapshot();
    let teams = inner.teams.snapshot();
    let audit = audit_trail(&sandbox).await?;
    let chain = match verify(inner.store.as_ref()).await {
        Ok(count) => json!({ "intact": true, "events": count }),
        Err(error) => json!({ "intact": false, "error": error.to_string() }),
    };
    let ids: BTreeSet<i64> = audit
        .iter()
        .filter_map(|line| line["event"]["request_id"].as_i64())
        .collect();
    let mut requests = Vec::new();
    for id in ids.into_iter().rev() {
        let found = inner
            .store
            .request(ShortId::new(id))
            .await
            .map_err(|e| SandboxError::Internal(e.to_string()))?;
        if let Some(request) = found {
            requests.push(request_view(&request));
        }
    }
    Ok(Json(json!({
        "slack": slack,
        "teams": teams,
        "requests": requests,
        "assignments": assignments(&sandbox),
        "pim_requests": inner.emulator.schedule_requests().len(),
        "audit": audit,
        "chain": chain,
    })))
}

/// The audit trail in the shape of `pimbot audit export --format jsonl`, read from the store.
/// (`export` itself writes to a `dyn Write` that cannot be held across an await in a handler.)
async fn audit_trail(sandbox: &Sandbox) -> Result<Vec<Value>, SandboxError> {
    const PAGE: u32 = 500;
    let mut lines = Vec::new();
    let mut after = 0;
    loop {
        let page = sandbox
            .0
            .store
            .audit_events(after, PAGE)
            .await
            .map_err(|e| SandboxError::Internal(e.to_string()))?;
        let Some(last) = page.last() else {
            return Ok(lines);
        };
        after = last.seq;
        for stored in &page {
            let parsed: Value = serde_json::from_str(&stored.canonical).unwrap_or(Value::Null);
            lines.push(json!({ "seq": stored.seq, "event": parsed["event"],
                               "prev_hash": stored.prev_hash, "hash": stored.hash }));
        }
    }
}

fn request_view(request: &Request) -> Value {
    let names = |people: &mut dyn Iterator<Item = &str>| people.collect::<Vec<_>>().join(", ");
    json!({
        "id": request.id.to_string(),
        "state": request.state.as_str(),
        "platform": request.platform.as_str(),
        "requester": request.requester.display_name,
        "target": request.target.label(),
        "duration": request.duration.to_string(),
        "ticket": request.ticket,
        "justification": request.justification,
        "approvers": names(&mut request.approvers.iter().map(|p| p.display_name.as_str())),
        "decisions": request.decisions.iter().map(|d| json!({
            "by": d.approver.display_name, "approve": d.approve, "reason": d.reason, "at": d.at,
        })).collect::<Vec<_>>(),
        "active_until": request.active_until,
        "failure": request.failure,
        "created_at": request.created_at,
    })
}

/// The emulator's current active assignments, with names instead of object ids.
fn assignments(sandbox: &Sandbox) -> Vec<Value> {
    let tenant = &sandbox.0.tenant;
    let user = |id: &str| {
        tenant
            .users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_owned(), |u| u.display_name.clone())
    };
    let role = |id: &str| {
        tenant
            .role_definitions
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| id.to_owned(), |r| r.display_name.clone())
    };
    let scope = |scope: &str| {
        let object = scope.trim_start_matches('/');
        match tenant.applications.iter().find(|a| a.id == object) {
            Some(app) => format!("{} (application {scope})", app.display_name),
            None if scope == "/" => "the whole directory (/)".to_owned(),
            None => scope.to_owned(),
        }
    };
    let azure = &tenant.azure;
    let azure_role = |id: &str| {
        let guid = id.rsplit('/').next().unwrap_or(id);
        azure
            .role_definitions
            .iter()
            .find(|r| r.id.eq_ignore_ascii_case(guid))
            .map_or_else(|| id.to_owned(), |r| r.role_name.clone())
    };
    let azure_scope = |scope: &str| {
        azure
            .scopes
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(scope))
            .map_or_else(
                || scope.to_owned(),
                |s| format!("{} ({scope})", s.display_name),
            )
    };
    let group = |id: &str| {
        tenant
            .groups
            .iter()
            .find(|g| g.id == id)
            .map_or_else(|| id.to_owned(), |g| g.display_name.clone())
    };
    let emulator = &sandbox.0.emulator;
    let mut shown = Vec::new();
    for (provider, what) in [
        (Provider::Role, "Entra role"),
        (Provider::Group, "PIM for Groups"),
        (Provider::Azure, "Azure role"),
    ] {
        for a in emulator.active_of(provider) {
            // Groups: the access (member/owner) on the group; Azure: the role definition at a scope.
            let (role, scope) = match provider {
                Provider::Role => (role(&a.role_definition_id), scope(&a.directory_scope_id)),
                Provider::Group => (a.role_definition_id.clone(), group(&a.directory_scope_id)),
                Provider::Azure => (
                    azure_role(&a.role_definition_id),
                    azure_scope(&a.directory_scope_id),
                ),
            };
            shown.push(json!({
                "kind": what,
                "principal": user(&a.principal_id),
                "role": role,
                "scope": scope,
                "start": a.start,
                "end": a.end,
            }));
        }
    }
    shown
}
