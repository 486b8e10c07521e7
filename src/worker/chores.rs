//! The worker's chores beside the jobs: the reconciliation sweep and the audit-head anchor.

use std::sync::Arc;

use tokio::time::Instant;

use super::WorkerSettings;
use crate::service::Service;
use crate::service::jobs::WritePriority;

/// The sweep and the anchor, each in its own task so they never hold up the jobs.
pub(super) struct Chores {
    next_sweep: Instant,
    next_anchor: Instant,
    sweep: Option<tokio::task::JoinHandle<()>>,
    anchor: Option<tokio::task::JoinHandle<()>>,
}

impl Chores {
    pub(super) fn new(settings: &WorkerSettings) -> Self {
        Self {
            next_sweep: Instant::now(),
            // The first anchor waits an interval: the one posted at the last shutdown still stands.
            next_anchor: Instant::now() + settings.anchor_interval,
            sweep: None,
            anchor: None,
        }
    }

    pub(super) fn run_due(&mut self, service: &Arc<Service>, settings: &WorkerSettings) {
        let now = Instant::now();
        if now >= self.next_anchor && self.anchor.as_ref().is_none_or(|t| t.is_finished()) {
            self.next_anchor = now + settings.anchor_interval;
            let service = service.clone();
            self.anchor = Some(tokio::spawn(WritePriority::Background.scope(async move {
                if let Err(error) = service.anchor_audit_head().await {
                    tracing::warn!(error = %error, "could not post the audit head; it is tried again next interval");
                }
            })));
        }
        if now >= self.next_sweep && self.sweep.as_ref().is_none_or(|t| t.is_finished()) {
            self.next_sweep = now + settings.sweep_interval;
            let (service, interval) = (service.clone(), settings.sweep_interval);
            self.sweep = Some(tokio::spawn(WritePriority::Background.scope(async move {
                if let Err(error) = service.sweep(interval).await {
                    tracing::warn!(error = %error, "the reconciliation sweep failed; it runs again next interval");
                }
            })));
        }
    }

    /// When the next chore is due.
    pub(super) fn next_at(&self) -> Instant {
        self.next_sweep.min(self.next_anchor)
    }

    /// Waits for a running sweep or anchor to end.
    pub(super) async fn finish(self) {
        for task in [self.sweep, self.anchor].into_iter().flatten() {
            let _ = task.await;
        }
    }
}
