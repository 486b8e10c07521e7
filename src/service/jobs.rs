//! Side effects as durable jobs (the outbox): written in the transaction that causes them and run
//! at least once by the worker, so every handler that runs them must be safe to repeat.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::command::{self, Command, ParseError};
use crate::domain::request::{Platform, ShortId};

use super::inbound::Envelope;
use super::notice::{ApproverNotice, Notice};

mod budget;
mod lane;
mod ready;

pub use budget::{RetryBudget, WritePriority};
pub use lane::Lane;
pub use ready::{JobsReady, Lanes};

/// A chat command waiting to be carried out (the handler answered at once; this does the slow
/// work), with the command read once where it arrived: the worker does not read `text` again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredCommand")]
pub struct InboundCommand {
    pub platform: Platform,
    /// Slack user id or Teams MRI of the person who typed it.
    pub chat_user: String,
    /// Their Slack team id or Teams tenant id (with `chat_user`, who the limits count).
    pub workspace: String,
    /// Where it was typed.
    pub conversation: String,
    /// Where to answer (Slack `response_url`).
    pub reply_to: String,
    /// The command as typed, or as a form or button asked it in the grammar's words: for the
    /// audit trail, logs and messages, never read again.
    pub text: String,
    /// What it asks.
    pub command: Command,
}

impl InboundCommand {
    /// `command`, sent as `text` by the sender in `envelope`.
    pub fn new(envelope: Envelope, text: String, command: Command) -> Self {
        let Envelope {
            platform,
            chat_user,
            workspace,
            conversation,
            reply_to,
        } = envelope;
        Self {
            platform,
            chat_user,
            workspace,
            conversation,
            reply_to,
            text,
            command,
        }
    }
}

/// A command job as stored. Jobs queued before the command itself was stored (pimbot before
/// typed inputs) carry `text` alone: that text was read once already when it was accepted, and
/// is read again, the one time, when the job is loaded.
#[derive(Deserialize)]
struct StoredCommand {
    platform: Platform,
    chat_user: String,
    #[serde(default)]
    workspace: String,
    conversation: String,
    reply_to: String,
    text: String,
    #[serde(default)]
    command: Option<Command>,
}

impl TryFrom<StoredCommand> for InboundCommand {
    type Error = ParseError;

    fn try_from(stored: StoredCommand) -> Result<Self, ParseError> {
        let command = match stored.command {
            Some(command) => command,
            None => command::parse(&stored.text)?,
        };
        Ok(Self {
            platform: stored.platform,
            chat_user: stored.chat_user,
            workspace: stored.workspace,
            conversation: stored.conversation,
            reply_to: stored.reply_to,
            text: stored.text,
            command,
        })
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
    /// Activate mode: read PIM's decision on its own approval of the activation.
    FollowPim { request: ShortId },
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
            Job::FollowPim { .. } => "follow_pim",
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
            | Job::FollowPim { request }
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
    /// Jobs due and not leased, per lane, each counted up to a cap (10,000 in the SQL store):
    /// a gauge, not a census.
    pub due_by_lane: Vec<(Lane, u64)>,
    /// The earliest `run_at` of those.
    pub oldest_due: Option<DateTime<Utc>>,
    /// The earliest `run_at` of any job not leased (due or not).
    pub next_run_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::command::RequestArgs;
    use crate::domain::target::TargetRef;

    fn envelope() -> Envelope {
        Envelope {
            platform: Platform::Slack,
            chat_user: "U1".into(),
            workspace: "T1".into(),
            conversation: "C1".into(),
            reply_to: "https://hooks.slack.test/1".into(),
        }
    }

    #[test]
    fn a_command_job_carries_the_command_it_was_accepted_with() {
        let command = Command::Request(RequestArgs {
            target: Some(TargetRef::Named("app1-secrets".into())),
            ticket: Some("INC \"7\"".into()),
            reason: Some("for".into()),
            ..RequestArgs::default()
        });
        let job = Job::Command {
            command: InboundCommand::new(envelope(), command.to_string(), command.clone()),
        };
        let stored = serde_json::to_value(&job).expect("serialises");
        assert_eq!(stored["command"]["command"]["name"], "request");
        assert_eq!(stored["command"]["command"]["ticket"], "INC \"7\"");
        let loaded: Job = serde_json::from_value(stored).expect("reads back");
        assert_eq!(loaded, job);
    }

    #[test]
    fn a_command_job_queued_with_text_alone_is_read_from_its_text() {
        let old = json!({"kind": "command", "command": {
            "platform": "slack", "chat_user": "U1", "conversation": "C1",
            "reply_to": "https://hooks.slack.test/1",
            "text": "request app1-secrets for 2h ticket INC-1 \"for\""}});
        let Ok(Job::Command { command }) = serde_json::from_value::<Job>(old) else {
            panic!("the old shape is still read");
        };
        assert_eq!(command.workspace, "", "older still: no workspace");
        assert_eq!(
            command.text,
            "request app1-secrets for 2h ticket INC-1 \"for\""
        );
        let Command::Request(args) = command.command else {
            panic!("{:?}", command.command);
        };
        assert_eq!(args.ticket.as_deref(), Some("INC-1"));
        assert_eq!(args.reason.as_deref(), Some("for"));
        let unreadable = json!({"kind": "command", "command": {
            "platform": "slack", "chat_user": "U1", "conversation": "C1", "reply_to": "r",
            "text": "request \"open"}});
        let error = serde_json::from_value::<Job>(unreadable).expect_err("not a command");
        assert!(error.to_string().contains("quote"), "{error}");
    }
}
