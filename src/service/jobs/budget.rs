//! One retry budget per operation, shared by the job runner and the HTTP layer below it.
//!
//! The worker gives each run of a job a [`RetryBudget`]: the PIM writes the operation may still
//! send (its `max_attempts` less those its earlier runs sent) and, when someone waits for the
//! outcome, the instant by which they must hear it. The Graph and ARM clients count every write
//! they send against it and retry only while it allows, so the attempts of the HTTP layer and
//! of the job never multiply. It travels as a task-local: the ports between them stay the same.
//!
//! [`WritePriority`] travels the same way: the store lets the writes of inbound requests (the
//! acks people wait for) go ahead of the worker's.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

tokio::task_local! {
    static BUDGET: Arc<RetryBudget>;
    static PRIORITY: WritePriority;
}

/// The writes an operation may still send, and when it must be over.
#[derive(Debug)]
pub struct RetryBudget {
    /// Writes this run may send.
    allowed: u32,
    /// Writes this run has sent.
    sent: AtomicU32,
    deadline: Option<Instant>,
}

impl RetryBudget {
    pub fn new(allowed: u32, deadline: Option<Instant>) -> Arc<Self> {
        Arc::new(Self {
            allowed,
            sent: AtomicU32::new(0),
            deadline,
        })
    }

    /// Runs `work` with this budget as the current one.
    pub async fn scope<F: Future>(self: Arc<Self>, work: F) -> F::Output {
        BUDGET.scope(self, work).await
    }

    /// The budget of the operation this task works for, if it runs inside one.
    pub fn current() -> Option<Arc<Self>> {
        BUDGET.try_with(Arc::clone).ok()
    }

    /// Counts one write about to be sent.
    pub fn spend_write(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Writes sent so far in this run.
    pub fn writes_sent(&self) -> u32 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Whether one more write may be sent.
    pub fn allows_write(&self) -> bool {
        self.writes_sent() < self.allowed
    }

    /// Whether waiting `wait` still ends before the deadline.
    pub fn fits(&self, wait: Duration) -> bool {
        self.deadline
            .is_none_or(|deadline| Instant::now() + wait <= deadline)
    }

    /// Time left before the deadline (`None`: no deadline).
    pub fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }
}

/// Whose write it is: the store serves the acks of inbound requests before the worker's writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WritePriority {
    /// Someone waits for it now (an inbound request's ack): the default.
    Inbound,
    /// The worker's own bookkeeping and the writes of the jobs it runs.
    Background,
}

impl WritePriority {
    /// Runs `work` (and everything it awaits on this task) at this priority.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        PRIORITY.scope(self, work).await
    }

    /// The priority of the current task.
    pub fn current() -> WritePriority {
        PRIORITY.try_with(|p| *p).unwrap_or(WritePriority::Inbound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_budget_is_seen_inside_its_scope_only() {
        assert!(RetryBudget::current().is_none());
        let budget = RetryBudget::new(2, None);
        budget
            .clone()
            .scope(async {
                let current = RetryBudget::current().expect("inside the scope");
                current.spend_write();
                assert!(current.allows_write());
                current.spend_write();
                assert!(!current.allows_write());
            })
            .await;
        assert_eq!(budget.writes_sent(), 2);
        assert_eq!(WritePriority::current(), WritePriority::Inbound);
        let inside = WritePriority::Background
            .scope(async { WritePriority::current() })
            .await;
        assert_eq!(inside, WritePriority::Background);
    }

    #[test]
    fn a_deadline_bounds_the_waits() {
        let budget = RetryBudget::new(6, Some(Instant::now() + Duration::from_secs(10)));
        assert!(budget.fits(Duration::from_secs(1)));
        assert!(!budget.fits(Duration::from_secs(11)));
        assert!(
            budget
                .time_left()
                .is_some_and(|left| left <= Duration::from_secs(10))
        );
        assert!(RetryBudget::new(6, None).fits(Duration::MAX / 2));
    }
}
