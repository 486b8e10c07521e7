//! Lanes: which jobs may hold up which. Each lane has its own share of the worker's slots, so
//! a slow or throttled upstream fills its own lane and no other.

use super::Job;

/// A class of jobs the worker runs side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Chat side effects: approval messages, card updates, DMs, audit lines, reminders. They
    /// only talk to the chat platform, and are what people watch, so they never wait behind
    /// PIM.
    Chat,
    /// Chat commands and request forms: they read Entra and PIM (eligibility) and answer.
    Command,
    /// PIM writes: activation, early end, expiry.
    Pim,
}

impl Lane {
    /// Every lane, in the order the worker fills them (chat first: it is the cheapest).
    pub const ALL: [Lane; 3] = [Lane::Chat, Lane::Command, Lane::Pim];

    /// The label of the `lane` metric.
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Chat => "chat",
            Lane::Command => "command",
            Lane::Pim => "pim",
        }
    }

    /// The job kinds ([`Job::kind`]) this lane runs.
    pub fn kinds(self) -> &'static [&'static str] {
        match self {
            Lane::Chat => &[
                "post_approval",
                "update_approval",
                "notify",
                "notify_approvers",
                "audit_line",
                "warn_ending",
                "approval_timeout",
            ],
            Lane::Command => &["command", "fill_form"],
            Lane::Pim => &["activate", "follow_pim", "deactivate", "expire"],
        }
    }

    /// The lane of a stored kind; an unknown kind (a newer version's) runs in the command lane,
    /// where the claim parks what it cannot read.
    pub fn of_kind(kind: &str) -> Lane {
        Lane::ALL
            .into_iter()
            .find(|lane| lane.kinds().contains(&kind))
            .unwrap_or(Lane::Command)
    }
}

impl Job {
    /// The lane this job runs in.
    pub fn lane(&self) -> Lane {
        Lane::of_kind(self.kind())
    }

    /// Whether someone waits for this job's outcome, so its retries must end (and the failure
    /// be told) within the worker's `retry_deadline` of the job's creation: an activation.
    pub fn has_waiting_requester(&self) -> bool {
        matches!(self, Job::Activate { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::ShortId;

    #[test]
    fn every_kind_has_one_lane() {
        let request = ShortId::new(1);
        let jobs = [
            Job::PostApproval { request },
            Job::UpdateApproval { request },
            Job::Activate { request },
            Job::Expire { request },
            Job::WarnEnding { request },
            Job::ApprovalTimeout { request },
        ];
        for job in jobs {
            let lanes: Vec<Lane> = Lane::ALL
                .into_iter()
                .filter(|lane| lane.kinds().contains(&job.kind()))
                .collect();
            assert_eq!(lanes, vec![job.lane()], "{}", job.kind());
        }
        assert_eq!(Job::Activate { request }.lane(), Lane::Pim);
        let line = Job::AuditLine {
            platform: crate::domain::request::Platform::Slack,
            line: String::new(),
        };
        assert_eq!(line.lane(), Lane::Chat);
        assert_eq!(Lane::of_kind("from_the_future"), Lane::Command);
    }
}
