//! PIM approvals of `selfActivate` requests: one stage of primary approvers (users or members
//! of groups), decided once by an approver who is not the requester, or expired after
//! `approvalStageTimeOutInDays`. Approving creates the activation; the request's status follows.

mod render;

pub(crate) use render::{arm_json, arm_step, graph_json};

use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::Provider;
use super::identity::Delegated;
use super::odata::GraphError;
use super::policy::ApprovalStage;
use super::state::{Assignment, State};

/// What an approval activates once approved.
#[derive(Debug, Clone)]
pub(crate) struct PendingActivation {
    pub(crate) principal_id: String,
    /// Role id, group access, or full Azure role id.
    pub(crate) resource: String,
    /// Directory scope, group id, or ARM scope.
    pub(crate) scope: String,
    /// The requested length; `None` for no expiry.
    pub(crate) length: Option<TimeDelta>,
    /// The schedule id the activation gets (the request's id or name).
    pub(crate) schedule_id: String,
}

/// One approval stage (`steps` in beta and ARM, `stages` in v1.0).
#[derive(Debug, Clone)]
pub(crate) struct Stage {
    pub(crate) id: String,
    pub(crate) approvers: Vec<Value>,
    pub(crate) justification_required: bool,
    pub(crate) expires_at: DateTime<Utc>,
    /// `InProgress`, `Completed` or `Expired`.
    pub(crate) status: &'static str,
    /// `NotReviewed`, `Approve` or `Deny`.
    pub(crate) review_result: &'static str,
    pub(crate) reviewed_by: Option<String>,
    pub(crate) reviewed_at: Option<DateTime<Utc>>,
    pub(crate) justification: String,
}

/// A PIM approval of one request.
#[derive(Debug, Clone)]
pub(crate) struct Approval {
    pub(crate) id: String,
    pub(crate) provider: Provider,
    /// The request's id (Graph) or name (ARM).
    pub(crate) request_id: String,
    pub(crate) requester: String,
    pub(crate) stage: Stage,
    pub(crate) activation: PendingActivation,
}

/// A public view of an approval, for tests and the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalSummary {
    /// The approval id (`approvalId` of the request).
    pub id: String,
    /// Which provider's request it approves.
    pub provider: Provider,
    /// The request's id (Graph) or name (ARM).
    pub request_id: String,
    /// The requesting user's object id.
    pub requester: String,
    /// The stage's id (the `{stageId}` / `{stepId}` of the decision PATCH).
    pub stage_id: String,
    /// `InProgress`, `Completed` or `Expired`.
    pub status: String,
    /// `NotReviewed`, `Approve` or `Deny`.
    pub review_result: String,
}

impl Approval {
    pub(crate) fn summary(&self) -> ApprovalSummary {
        ApprovalSummary {
            id: self.id.clone(),
            provider: self.provider,
            request_id: self.request_id.clone(),
            requester: self.requester.clone(),
            stage_id: self.stage.id.clone(),
            status: self.stage.status.to_owned(),
            review_result: self.stage.review_result.to_owned(),
        }
    }
}

/// Opens an approval for a request; returns its id. Groups use the request id, as Graph's
/// `assignmentApprovals/{assignmentScheduleRequestId}` does.
pub(crate) fn open(
    state: &mut State,
    provider: Provider,
    request_id: &str,
    requester: &str,
    stage: ApprovalStage,
    activation: PendingActivation,
) -> String {
    let id = match provider {
        Provider::Group => request_id.to_owned(),
        _ => Uuid::new_v4().to_string(),
    };
    let expires_at = state.now() + TimeDelta::days(i64::from(stage.timeout_days));
    state.approvals.push(Approval {
        id: id.clone(),
        provider,
        request_id: request_id.to_owned(),
        requester: requester.to_owned(),
        stage: Stage {
            id: Uuid::new_v4().to_string(),
            approvers: stage.approvers,
            justification_required: stage.justification_required,
            expires_at,
            status: "InProgress",
            review_result: "NotReviewed",
            reviewed_by: None,
            reviewed_at: None,
            justification: String::new(),
        },
        activation,
    });
    id
}

/// Whether `user_id` is one of the stage's primary approvers (directly, or as a member of an
/// approver group).
pub(crate) fn is_approver(state: &State, stage: &Stage, user_id: &str) -> bool {
    let groups = state.tenant.transitive_groups(user_id);
    stage.approvers.iter().any(|subject| {
        let text = |key: &str| subject.get(key).and_then(Value::as_str).unwrap_or_default();
        match text("@odata.type") {
            "#microsoft.graph.singleUser" => text("userId").eq_ignore_ascii_case(user_id),
            "#microsoft.graph.groupMembers" => groups
                .iter()
                .any(|g| g.id.eq_ignore_ascii_case(text("groupId"))),
            _ => false,
        }
    })
}

/// Expires every undecided stage past its timeout: the request becomes `TimedOut`.
pub(crate) fn expire(state: &mut State) {
    let now = state.now();
    let mut timed_out = Vec::new();
    for approval in &mut state.approvals {
        if approval.stage.status == "InProgress" && approval.stage.expires_at <= now {
            approval.stage.status = "Expired";
            timed_out.push((approval.provider, approval.request_id.clone()));
        }
    }
    for (provider, request) in timed_out {
        set_request_status(state, provider, &request, "TimedOut");
    }
}

/// Closes the approval of a request that was canceled.
pub(crate) fn close(state: &mut State, provider: Provider, request_id: &str) {
    let approval = state
        .approvals
        .iter_mut()
        .find(|a| a.provider == provider && a.request_id == request_id);
    if let Some(approval) = approval
        && approval.stage.status == "InProgress"
    {
        approval.stage.status = "Completed";
    }
}

/// The one approval with this id, of this provider, as the caller may see it: delegated
/// approvers and the requester only.
pub(crate) fn visible<'a>(
    state: &'a State,
    provider: Provider,
    id: &str,
    user: &Delegated,
) -> Result<&'a Approval, GraphError> {
    let approval = state
        .approvals
        .iter()
        .find(|a| a.provider == provider && a.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| GraphError::not_found(id))?;
    let involved = approval.requester.eq_ignore_ascii_case(&user.oid)
        || is_approver(state, &approval.stage, &user.oid);
    if !involved {
        return Err(denied(
            "The caller is neither an approver nor the requester of this approval.",
        ));
    }
    Ok(approval)
}

fn denied(message: &str) -> GraphError {
    GraphError::new(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        message,
    )
}

/// Records an approver's decision on a stage: 404 unknown, 403 the requester or not an
/// approver, 409 already decided or expired, 400 a bad result or a missing justification.
pub(crate) fn decide(
    state: &mut State,
    provider: Provider,
    id: &str,
    stage_id: &str,
    user: &Delegated,
    review_result: &str,
    justification: Option<&str>,
) -> Result<(), GraphError> {
    expire(state);
    let at = state
        .approvals
        .iter()
        .position(|a| a.provider == provider && a.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| GraphError::not_found(id))?;
    let approval = state.approvals[at].clone();
    if !approval.stage.id.eq_ignore_ascii_case(stage_id) {
        return Err(GraphError::not_found(stage_id));
    }
    if approval.requester.eq_ignore_ascii_case(&user.oid) {
        return Err(denied("The requestor cannot approve their own request."));
    }
    if !is_approver(state, &approval.stage, &user.oid) {
        return Err(denied(
            "The caller is not an approver of this approval stage.",
        ));
    }
    if approval.stage.status != "InProgress" {
        return Err(GraphError::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "The approval stage is already {} ({}).",
                approval.stage.status.to_ascii_lowercase(),
                approval.stage.review_result
            ),
        ));
    }
    let result = match review_result {
        "Approve" => "Approve",
        "Deny" => "Deny",
        other => {
            return Err(GraphError::bad_request(format!(
                "The reviewResult '{other}' is not valid; use Approve or Deny."
            )));
        }
    };
    let justification = justification.map(str::trim).unwrap_or_default();
    if approval.stage.justification_required && justification.is_empty() {
        return Err(GraphError::bad_request(
            "A justification is required to review this approval stage.",
        ));
    }
    let now = state.now();
    let stage = &mut state.approvals[at].stage;
    stage.status = "Completed";
    stage.review_result = result;
    stage.reviewed_by = Some(user.oid.clone());
    stage.reviewed_at = Some(now);
    justification.clone_into(&mut stage.justification);
    if result == "Deny" {
        set_request_status(state, provider, &approval.request_id, "Denied");
        return Ok(());
    }
    let activation = &approval.activation;
    state.assignments.push(Assignment {
        provider,
        instance_id: Uuid::new_v4().to_string(),
        schedule_id: activation.schedule_id.clone(),
        principal_id: activation.principal_id.clone(),
        role_definition_id: activation.resource.clone(),
        directory_scope_id: Some(activation.scope.clone()),
        app_scope_id: None,
        start: now,
        end: activation.length.and_then(|l| now.checked_add_signed(l)),
        created: now,
        activated: true,
    });
    set_request_status(state, provider, &approval.request_id, "Provisioned");
    Ok(())
}

/// Sets the `status` of a stored request (Graph entity or ARM resource).
pub(crate) fn set_request_status(state: &mut State, provider: Provider, id: &str, status: &str) {
    let now = super::server::iso(state.now());
    let stored = match provider {
        Provider::Role => state.requests.iter_mut().find(|r| r["id"] == id),
        Provider::Group => state.group_requests.iter_mut().find(|r| r["id"] == id),
        Provider::Azure => state
            .arm_requests
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(id))
            .and_then(|(_, v)| v.get_mut("properties")),
    };
    if let Some(request) = stored {
        request["status"] = Value::from(status);
        if provider != Provider::Azure {
            request["completedDateTime"] = Value::from(now);
        }
    }
}
