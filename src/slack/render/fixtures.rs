//! Sample requests for rendering and client tests.

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::duration::ElevationDuration;
use crate::domain::request::{Decision, Person, Platform, Request, ShortId, State};
use crate::domain::target::{EntraRole, PimResource, ResolvedTarget};

pub(crate) fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, hour, minute, 0)
        .single()
        .expect("valid time")
}

pub(crate) fn person(name: &str, chat_id: Option<&str>) -> Person {
    Person {
        entra_id: format!("entra-{}", name.to_lowercase()).into(),
        display_name: name.into(),
        chat_id: chat_id.map(Into::into),
    }
}

pub(crate) fn decision(
    approver: Person,
    approve: bool,
    reason: Option<&str>,
    when: DateTime<Utc>,
) -> Decision {
    Decision {
        approver,
        approve,
        reason: reason.map(Into::into),
        at: when,
    }
}

/// PIM-12: Alice asks for app1-secrets for 2h, approvers Bob (Slack) and Carol (no Slack id).
pub(crate) fn request() -> Request {
    Request {
        id: ShortId::new(12),
        version: 1,
        state: State::PendingApproval,
        platform: Platform::Slack,
        requester: person("Alice", Some("U0ALICE")),
        target: ResolvedTarget {
            name: Some("app1-secrets".into()),
            display_name: "Application Secret Manager".into(),
            scope_display: "App1".into(),
            resource: PimResource::Role(EntraRole {
                role_definition_id: "role-def-1".into(),
                directory_scope_id: "/00000000-0000-0000-0000-0000000000a1".into(),
            }),
        },
        duration: ElevationDuration::from_minutes(120).expect("duration"),
        ticket: Some("INC-1234".into()),
        justification: Some("rotating the cert".into()),
        approvers: vec![person("Bob", Some("U0BOB")), person("Carol", None)],
        approvals_required: 1,
        decisions: Vec::new(),
        conversation: "C0REQ".into(),
        approval_conversation: "C0APPROVE".into(),
        mode: Default::default(),
        pim_approval_id: None,
        approval_deadline: at(15, 0),
        pim_request_id: None,
        extends: None,
        approver_source: None,
        ended_by: None,
        active_until: None,
        failure: None,
        created_at: at(14, 0),
        updated_at: at(14, 0),
    }
}
