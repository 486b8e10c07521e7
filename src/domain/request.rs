//! An elevation request and its lifecycle: one state machine ([`Request::apply`]), the only place
//! transitions are decided and the fields they change are set.

use std::fmt;

use chrono::{DateTime, Utc};

use super::duration::ElevationDuration;
use super::ids::{ChatUserId, ConversationId, EntraId};
use super::mode::ActivationMode;
use super::target::ResolvedTarget;

mod machine;
#[cfg(test)]
mod tests;

pub use machine::{Applied, Change, Event, InvalidTransition, Work};

/// The id people type: `PIM-1042`. The number is the database id.
/// Serialised as the bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ShortId(i64);

/// A request id that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a request id: use the id shown on the request, like PIM-1042")]
pub struct ShortIdError(String);

impl ShortId {
    /// The request with database id `id`.
    pub const fn new(id: i64) -> Self {
        Self(id)
    }

    /// The database id.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Accepts `PIM-1042`, `pim-1042` and `1042`.
    pub fn parse(text: &str) -> Result<Self, ShortIdError> {
        let digits = text
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("pim-"))
            .map_or(text, |_| &text[4..]);
        digits
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(ShortId::new)
            .ok_or_else(|| ShortIdError(text.chars().take(40).collect()))
    }
}

impl fmt::Display for ShortId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PIM-{}", self.0)
    }
}

/// Where a request lives in its lifecycle (DESIGN.md, "The request lifecycle").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    PendingApproval,
    Approved,
    Activating,
    Active,
    /// The requester (or someone for them) asked to end it early; the removal is under way.
    Ending,
    Ended,
    Expired,
    Cancelled,
    Denied,
    Failed,
}

impl State {
    pub const ALL: [State; 10] = [
        State::PendingApproval,
        State::Approved,
        State::Activating,
        State::Active,
        State::Ending,
        State::Ended,
        State::Expired,
        State::Cancelled,
        State::Denied,
        State::Failed,
    ];

    /// The name stored in the database and shown in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            State::PendingApproval => "pending_approval",
            State::Approved => "approved",
            State::Activating => "activating",
            State::Active => "active",
            State::Ending => "ending",
            State::Ended => "ended",
            State::Expired => "expired",
            State::Cancelled => "cancelled",
            State::Denied => "denied",
            State::Failed => "failed",
        }
    }

    pub fn from_db(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether PIM holds (or, for `ending`, still holds) the request's assignment.
    pub fn holds_assignment(self) -> bool {
        matches!(self, State::Active | State::Ending)
    }

    /// No transition leaves a final state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Ended | State::Expired | State::Cancelled | State::Denied | State::Failed
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().replace('_', " "))
    }
}

/// A person as pimbot knows them: their Entra identity and, where known, their chat id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    pub entra_id: EntraId,
    pub display_name: String,
    /// The platform user id (Slack `U…`, Teams MRI) when known.
    #[serde(default)]
    pub chat_id: Option<ChatUserId>,
}

/// The chat platform a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Slack,
    Teams,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Slack => "slack",
            Platform::Teams => "teams",
        }
    }
}

/// One approver's decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    pub approver: Person,
    pub approve: bool,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// Where a request's approvers came from, kept so that their authority can be read again, live,
/// when a decision is about to complete the tally.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApproverSource {
    /// Named users and the members of named groups (the target's, the PIM policy's, or the
    /// configured defaults).
    Listed {
        users: Vec<String>,
        groups: Vec<String>,
    },
    /// The owners of a group (the target group, or the group the requester is eligible through).
    GroupOwners { group: String },
}

/// Everything about one elevation request.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Request {
    pub id: ShortId,
    /// Bumped by every transition; the compare-and-set key.
    pub version: i64,
    pub state: State,
    pub platform: Platform,
    pub requester: Person,
    pub target: ResolvedTarget,
    pub duration: ElevationDuration,
    pub ticket: Option<String>,
    pub justification: Option<String>,
    /// Who may decide (never the requester).
    pub approvers: Vec<Person>,
    pub approvals_required: u32,
    /// Decisions so far, oldest first.
    pub decisions: Vec<Decision>,
    /// The conversation the request was made in.
    pub conversation: ConversationId,
    /// Where the approval message is posted.
    pub approval_conversation: ConversationId,
    /// Pending requests expire at this time.
    pub approval_deadline: DateTime<Utc>,
    /// The PIM schedule request id of the assignment.
    pub pim_request_id: Option<String>,
    /// When the active assignment ends.
    pub active_until: Option<DateTime<Utc>>,
    /// Why the request failed, in the user's terms.
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The active request this one extends (`extend ID`): activating it ends that one first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<ShortId>,
    /// Where `approvers` came from (absent on requests made before pimbot kept it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_source: Option<ApproverSource>,
    /// How the elevation is carried out: pimbot assigns, or the requester's own sign-in
    /// activates (fixed at submission).
    #[serde(default)]
    pub mode: ActivationMode,
    /// Activate mode: PIM's own approval of the activation, while PIM waits for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pim_approval_id: Option<String>,
    /// Who asked to end the elevation early (set by [`Event::RequestEnd`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
}

impl Request {
    /// Approvals recorded so far.
    pub fn approvals(&self) -> impl Iterator<Item = &Decision> {
        self.decisions.iter().filter(|d| d.approve)
    }

    /// The denial, if any.
    pub fn denial(&self) -> Option<&Decision> {
        self.decisions.iter().find(|d| !d.approve)
    }

    pub fn is_approver(&self, entra_id: &str) -> bool {
        self.approvers.iter().any(|a| a.entra_id == entra_id)
    }
}
