//! The worker's wake-up: which lanes have jobs written since it last looked. A writer marks
//! the lanes of the jobs it wrote; the worker claims only in those lanes (and only where it has
//! a free slot). So a flood of slash commands, each enqueuing a `command` job, never makes the
//! worker claim in the chat and PIM lanes, which would find nothing, and while the command lane
//! is full it costs the worker nothing at all: each claim is a write transaction, on SQLite in
//! the one writer connection the acks need.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio::sync::Notify;

use super::{Lane, NewJob};

/// A set of lanes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lanes(u8);

impl Lanes {
    pub const ALL: Lanes = Lanes(0b111);

    fn bit(lane: Lane) -> u8 {
        match lane {
            Lane::Chat => 1,
            Lane::Command => 2,
            Lane::Pim => 4,
        }
    }

    /// The lanes of `jobs`.
    pub fn of(jobs: &[NewJob]) -> Self {
        Lanes(
            jobs.iter()
                .fold(0, |set, new| set | Self::bit(new.job.lane())),
        )
    }

    pub fn contains(self, lane: Lane) -> bool {
        self.0 & Self::bit(lane) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Lanes marked since the worker last took them, and the notification that wakes it.
#[derive(Debug, Default)]
pub struct JobsReady {
    marked: AtomicU8,
    notify: Notify,
}

impl JobsReady {
    /// `jobs` were written (committed): wakes the worker for their lanes.
    pub fn wrote(&self, jobs: &[NewJob]) {
        self.mark(Lanes::of(jobs));
    }

    /// Jobs of `lanes` may be runnable.
    pub fn mark(&self, lanes: Lanes) {
        if lanes.is_empty() {
            return;
        }
        self.marked.fetch_or(lanes.0, Ordering::AcqRel);
        self.notify.notify_one();
    }

    /// Jobs of any lane may be runnable (another replica wrote some; the database cannot say
    /// which).
    pub fn all(&self) {
        self.mark(Lanes::ALL);
    }

    /// Waits until some lane is marked, and takes the marks.
    pub async fn marked(&self) -> Lanes {
        loop {
            let taken = Lanes(self.marked.swap(0, Ordering::AcqRel));
            if !taken.is_empty() {
                return taken;
            }
            // A mark made after the swap leaves a permit: this returns at once.
            self.notify.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::ShortId;
    use crate::service::jobs::Job;

    #[tokio::test]
    async fn the_worker_takes_the_lanes_marked_since_it_last_looked() {
        let ready = JobsReady::default();
        let now = chrono::Utc::now();
        let activate = NewJob::at(
            Job::Activate {
                request: ShortId::new(1),
            },
            now,
        );
        let card = NewJob::at(
            Job::UpdateApproval {
                request: ShortId::new(1),
            },
            now,
        );
        ready.wrote(&[activate]);
        ready.wrote(&[card]);
        ready.wrote(&[]);
        let lanes = ready.marked().await;
        assert!(lanes.contains(Lane::Pim) && lanes.contains(Lane::Chat));
        assert!(!lanes.contains(Lane::Command));
        let again = tokio::time::timeout(std::time::Duration::from_millis(20), ready.marked());
        assert!(again.await.is_err(), "nothing marked since");
        ready.all();
        assert_eq!(ready.marked().await, Lanes::ALL);
    }
}
