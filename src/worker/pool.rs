//! The worker's slots: `concurrency` in all, of which the command and PIM lanes may each take
//! three eighths, so at least a quarter always stays for chat side effects, and a stalled
//! upstream fills at most its own lane.

use std::collections::{HashMap, VecDeque};

use crate::domain::request::ShortId;
use crate::service::jobs::{ClaimedJob, Lane, Lanes};

/// One job at a time per request, in the order claimed: a request's DMs, card updates and PIM
/// calls never overtake each other (the "approved" DM before the "active" one, one 1:1
/// conversation opened, not two). A job claimed while another of its request runs waits here,
/// holding its slot, and starts when that one ends.
#[derive(Debug, Default)]
pub(super) struct RequestOrder {
    waiting: HashMap<ShortId, VecDeque<(Lane, ClaimedJob)>>,
}

impl RequestOrder {
    /// `job` if it may start now; otherwise it waits for its request's running job.
    pub(super) fn admit(&mut self, lane: Lane, job: ClaimedJob) -> Option<ClaimedJob> {
        let Some(request) = job.job.request() else {
            return Some(job);
        };
        match self.waiting.get_mut(&request) {
            Some(queue) => {
                queue.push_back((lane, job));
                None
            }
            None => {
                self.waiting.insert(request, VecDeque::new());
                Some(job)
            }
        }
    }

    /// A job of `request` ended: the next of that request to start, if one waits.
    pub(super) fn finished(&mut self, request: Option<ShortId>) -> Option<(Lane, ClaimedJob)> {
        let request = request?;
        let queue = self.waiting.get_mut(&request)?;
        let next = queue.pop_front();
        if next.is_none() {
            self.waiting.remove(&request);
        }
        next
    }

    /// The ids of the jobs still waiting (the worker is stopping).
    pub(super) fn abandon(self) -> Vec<i64> {
        self.waiting
            .into_values()
            .flatten()
            .map(|(_, job)| job.id)
            .collect()
    }
}

/// Slots in use per lane, and which lanes may have due jobs waiting.
#[derive(Debug)]
pub(super) struct Pool {
    concurrency: u32,
    /// The most the command and the PIM lane may each hold.
    lane_cap: u32,
    in_use: [u32; 3],
    /// A lane's last claim filled every slot it asked for (or something woke the worker since),
    /// so more may be waiting. Cleared by a claim that found fewer than asked.
    maybe_more: [bool; 3],
}

fn index(lane: Lane) -> usize {
    match lane {
        Lane::Chat => 0,
        Lane::Command => 1,
        Lane::Pim => 2,
    }
}

impl Pool {
    pub(super) fn new(concurrency: usize) -> Self {
        let concurrency = u32::try_from(concurrency).unwrap_or(u32::MAX).max(1);
        Self {
            concurrency,
            lane_cap: (concurrency * 3 / 8).max(1),
            in_use: [0; 3],
            maybe_more: [true; 3],
        }
    }

    fn cap(&self, lane: Lane) -> u32 {
        match lane {
            Lane::Chat => self.concurrency,
            Lane::Command | Lane::Pim => self.lane_cap,
        }
    }

    /// Slots `lane` may take now.
    pub(super) fn free(&self, lane: Lane) -> u32 {
        let total: u32 = self.in_use.iter().sum();
        let of_lane = self.cap(lane).saturating_sub(self.in_use[index(lane)]);
        of_lane.min(self.concurrency.saturating_sub(total))
    }

    pub(super) fn take(&mut self, lane: Lane) {
        self.in_use[index(lane)] += 1;
    }

    /// A job of `lane` finished.
    pub(super) fn give_back(&mut self, lane: Lane) {
        let slot = &mut self.in_use[index(lane)];
        *slot = slot.saturating_sub(1);
    }

    pub(super) fn may_have_work(&self, lane: Lane) -> bool {
        self.maybe_more[index(lane)]
    }

    /// A claim of `lane` found fewer due jobs than it had room for.
    pub(super) fn drained(&mut self, lane: Lane) {
        self.maybe_more[index(lane)] = false;
    }

    /// Something may have made jobs runnable: look in every lane.
    pub(super) fn wake_all(&mut self) {
        self.wake(Lanes::ALL);
    }

    /// Jobs of `lanes` were written: look in those lanes.
    pub(super) fn wake(&mut self, lanes: Lanes) {
        for lane in Lane::ALL {
            if lanes.contains(lane) {
                self.maybe_more[index(lane)] = true;
            }
        }
    }

    /// No lane is known to have due jobs left (time to read when the next one comes due).
    pub(super) fn idle_of_due_work(&self) -> bool {
        self.maybe_more.iter().all(|more| !more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::jobs::{Job, NewJob};

    fn claimed(id: i64, request: i64) -> ClaimedJob {
        ClaimedJob {
            id,
            attempts: 1,
            job: Job::UpdateApproval {
                request: ShortId::new(request),
            },
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_request_runs_one_job_at_a_time_in_claim_order() {
        let mut order = RequestOrder::default();
        assert!(order.admit(Lane::Chat, claimed(1, 7)).is_some());
        assert!(
            order.admit(Lane::Chat, claimed(2, 7)).is_none(),
            "waits for job 1"
        );
        assert!(
            order.admit(Lane::Chat, claimed(3, 8)).is_some(),
            "another request runs"
        );
        assert!(order.admit(Lane::Pim, claimed(4, 7)).is_none());
        let next = order.finished(Some(ShortId::new(7))).map(|(_, job)| job.id);
        assert_eq!(next, Some(2));
        assert_eq!(order.abandon(), vec![4]);
    }

    #[test]
    fn pim_and_commands_leave_a_quarter_of_the_slots_to_chat() {
        let mut pool = Pool::new(32);
        assert_eq!(pool.free(Lane::Pim), 12);
        for _ in 0..12 {
            pool.take(Lane::Pim);
        }
        assert_eq!(pool.free(Lane::Pim), 0, "the PIM lane is full");
        assert_eq!(pool.free(Lane::Command), 12);
        for _ in 0..12 {
            pool.take(Lane::Command);
        }
        assert_eq!(pool.free(Lane::Chat), 8, "chat keeps its quarter");
        for _ in 0..8 {
            pool.take(Lane::Chat);
        }
        assert_eq!(pool.free(Lane::Chat), 0, "32 in all");
        pool.give_back(Lane::Pim);
        assert_eq!(pool.free(Lane::Pim), 1);
        assert_eq!(pool.free(Lane::Chat), 1);
    }

    #[test]
    fn a_lane_is_looked_at_again_only_when_woken() {
        let mut pool = Pool::new(4);
        assert!(pool.may_have_work(Lane::Chat));
        pool.drained(Lane::Chat);
        pool.drained(Lane::Command);
        assert!(!pool.idle_of_due_work());
        pool.drained(Lane::Pim);
        assert!(pool.idle_of_due_work());
        let jobs = [NewJob::at(
            Job::UpdateApproval {
                request: ShortId::new(1),
            },
            chrono::Utc::now(),
        )];
        pool.wake(Lanes::of(&jobs));
        assert!(pool.may_have_work(Lane::Chat), "woken by a chat job");
        assert!(!pool.may_have_work(Lane::Command) && !pool.may_have_work(Lane::Pim));
        pool.wake_all();
        assert!(Lane::ALL.into_iter().all(|lane| pool.may_have_work(lane)));
        assert_eq!(
            Pool::new(1).free(Lane::Pim),
            1,
            "at least one slot per lane"
        );
    }
}
