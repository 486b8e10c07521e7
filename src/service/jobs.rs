//! Side effects as durable jobs (the outbox): written in the transaction that causes them and run
//! at least once by the worker, so every handler that runs them must be safe to repeat.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::request::{Platform, ShortId};

use super::notice::{ApproverNotice, Notice};

mod budget;
mod lane;

pub use budget::{RetryBudget, WritePriority};
pub use lane::Lane;

/// A chat command waiting to be carried out (the handler answered at once; this does the slow work).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundCommand {
    pub platform: Platform,
    /// Slack user id or Teams MRI of the person who typed it.
    pub chat_user: String,
    /// Their Slack team id or Teams tenant id (with `chat_user`, who the limits count).
    #[serde(default)]
    pub workspace: String,
    /// Where it was typed.
    pub conversation: String,
    /// Where to answer (Slack `response_url`).
    pub reply_to: String,
    /// The command text without the platform's prefix.
    pub text: String,
}

impl InboundCommand {
    /// Who sent it, as the per-user limits count.
    pub fn sender(&self) -> super::Sender {
        super::Sender {
            platform: self.platform,
            workspace: self.workspace.clone(),
            user: self.chat_user.clone(),
        }
    }
}

/// One unit of deferred work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Carry out a chat command.
    Command { command: InboundCommand },
    /// Fill an open request form with the user's eligible targets.
    FillForm {
        platform: Platform,
        chat_user: String,
        form_ref: String,
    },
    /// Post the approval message of a new request.
    PostApproval { request: ShortId },
    /// Re-render the approval message after a change.
    UpdateApproval { request: ShortId },
    /// Tell the approvers something (a reminder while pending, or that the request expired).
    NotifyApprovers {
        request: ShortId,
        notice: ApproverNotice,
    },
    /// Tell the requester something.
    Notify { request: ShortId, notice: Notice },
    /// One line in the audit channel.
    AuditLine { platform: Platform, line: String },
    /// Create the PIM assignment of an approved request.
    Activate { request: ShortId },
    /// Remove the assignment early (`end ID`).
    Deactivate { request: ShortId, by: String },
    /// The assignment's end time has come.
    Expire { request: ShortId },
    /// Warn the requester that the elevation ends soon (with an End now button).
    WarnEnding { request: ShortId },
    /// The approval deadline has come.
    ApprovalTimeout { request: ShortId },
}

impl Job {
    /// The job's kind, for metrics and the jobs table.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::Command { .. } => "command",
            Job::FillForm { .. } => "fill_form",
            Job::PostApproval { .. } => "post_approval",
            Job::UpdateApproval { .. } => "update_approval",
            Job::Notify { .. } => "notify",
            Job::NotifyApprovers { .. } => "notify_approvers",
            Job::AuditLine { .. } => "audit_line",
            Job::Activate { .. } => "activate",
            Job::Deactivate { .. } => "deactivate",
            Job::Expire { .. } => "expire",
            Job::WarnEnding { .. } => "warn_ending",
            Job::ApprovalTimeout { .. } => "approval_timeout",
        }
    }

    /// The request the job works on, if any.
    pub fn request(&self) -> Option<ShortId> {
        match self {
            Job::Command { .. } | Job::FillForm { .. } | Job::AuditLine { .. } => None,
            Job::PostApproval { request }
            | Job::UpdateApproval { request }
            | Job::Notify { request, .. }
            | Job::NotifyApprovers { request, .. }
            | Job::Activate { request }
            | Job::Deactivate { request, .. }
            | Job::Expire { request }
            | Job::WarnEnding { request }
            | Job::ApprovalTimeout { request } => Some(*request),
        }
    }
}

/// A job to write, due at `run_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub job: Job,
    pub run_at: DateTime<Utc>,
}

impl NewJob {
    pub fn now(job: Job) -> Self {
        Self {
            job,
            run_at: Utc::now(),
        }
    }

    pub fn at(job: Job, run_at: DateTime<Utc>) -> Self {
        Self { job, run_at }
    }
}

/// A job leased to this worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    /// Attempts including this one: one per run, or, for a run that wrote to PIM, one per PIM
    /// write it sent (see [`RetryBudget`]).
    pub attempts: u32,
    pub job: Job,
    /// When the job was written (the start of any promise about how soon its outcome is told).
    pub created_at: DateTime<Utc>,
}

/// What waits in the queue, for the gauges and for the worker's next wake-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueState {
    /// Jobs due and not leased, by kind.
    pub due_by_kind: Vec<(String, u64)>,
    /// The earliest `run_at` of those.
    pub oldest_due: Option<DateTime<Utc>>,
    /// The earliest `run_at` of any job not leased (due or not).
    pub next_run_at: Option<DateTime<Utc>>,
}
