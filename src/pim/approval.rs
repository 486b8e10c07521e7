//! PIM approvals as both APIs show them (Graph `steps`/`stages`, ARM `steps`): which stage waits
//! for the caller, and what to tell them when none does.

use serde_json::Value;

use crate::service::ports::{Upstream, UpstreamError, UpstreamErrorKind};

/// A person who may not decide: PIM does not list them as an approver of an open stage (the
/// requester never is).
pub(crate) const NOT_AN_APPROVER: &str =
    "PIM does not count you as an approver of this request (or it is your own).";
pub(crate) const NO_SUCH_APPROVAL: &str = "PIM has no such approval.";
pub(crate) const ALREADY_DECIDED: &str = "This request was already decided in PIM.";

/// One approval stage, read from either API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stage {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) assigned_to_me: bool,
    pub(crate) review_result: String,
}

impl Stage {
    fn read(id: &str, fields: &Value) -> Stage {
        let text = |key: &str| fields[key].as_str().unwrap_or_default().to_owned();
        Stage {
            id: id.to_owned(),
            status: text("status"),
            assigned_to_me: fields["assignedToMe"].as_bool().unwrap_or(false),
            review_result: text("reviewResult"),
        }
    }

    /// A Graph stage/step (`{id, status, assignedToMe, reviewResult}`).
    pub(crate) fn graph(value: &Value) -> Option<Stage> {
        Some(Stage::read(value["id"].as_str()?, value))
    }

    /// An ARM step resource: the id's last segment (the `{stepId}` of the PATCH), else its
    /// name; the rest under `properties`.
    pub(crate) fn arm(value: &Value) -> Option<Stage> {
        let id = value["id"]
            .as_str()
            .and_then(|id| id.rsplit('/').next())
            .filter(|id| !id.is_empty())
            .or_else(|| value["name"].as_str())?;
        Some(Stage::read(id, &value["properties"]))
    }

    fn is_open(&self) -> bool {
        !matches!(self.status.as_str(), "Completed" | "Expired" | "Canceled")
    }
}

/// A refusal of the decision, in PIM's terms for the person.
pub(crate) fn refused(service: Upstream, message: &str, user_message: &str) -> UpstreamError {
    let mut error = UpstreamError::new(
        service,
        "decideApproval",
        UpstreamErrorKind::Rejected,
        message,
    );
    error.user_message = Some(user_message.to_owned());
    error
}

/// The id of the open stage assigned to the caller; a refusal when there is none (decided
/// already, or not theirs to decide).
pub(crate) fn my_stage(service: Upstream, stages: &[Stage]) -> Result<String, UpstreamError> {
    if let Some(stage) = stages.iter().find(|s| s.assigned_to_me && s.is_open()) {
        return Ok(stage.id.clone());
    }
    let decided = stages.iter().any(|s| s.assigned_to_me) || stages.iter().all(|s| !s.is_open());
    if decided && !stages.is_empty() {
        return Err(refused(
            service,
            "no open stage of the approval is assigned to the caller; it is decided",
            ALREADY_DECIDED,
        ));
    }
    Err(refused(
        service,
        "no stage of the approval is assigned to the caller",
        NOT_AN_APPROVER,
    ))
}

/// `Approve` or `Deny`, as both APIs spell the review result.
pub(crate) fn review_result(approve: bool) -> &'static str {
    if approve { "Approve" } else { "Deny" }
}

/// After an ambiguous failure: whether the stage now shows the decision that was sent.
pub(crate) fn took_effect(stages: &[Stage], stage_id: &str, approve: bool) -> bool {
    stages
        .iter()
        .any(|s| s.id == stage_id && !s.is_open() && s.review_result == review_result(approve))
}
