//! One job's run: its lease kept alive beside it, its retry budget, and what its outcome
//! leaves in the queue.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::WorkerSettings;
use crate::service::jobs::{ClaimedJob, RetryBudget};
use crate::service::ports::{Clock, Store};
use crate::service::{Service, ServiceError};

pub(super) async fn run_one(service: &Service, settings: &WorkerSettings, job: ClaimedJob) {
    let started = std::time::Instant::now();
    let kind = job.job.kind();
    // The lease is renewed from its own task. Renewing from a `select!` beside the job would
    // stop polling the job while a renewal waits for a connection, and a job paused inside a
    // transaction holds its locks: with every pooled connection queued behind those locks, the
    // renewal never gets one and the replica crawls (seen with 200 requests on two replicas).
    let (done, finished) = watch::channel(false);
    let renewal = tokio::spawn(
        crate::service::jobs::WritePriority::Background.scope(keep_lease(
            service.store().clone(),
            service.clock(),
            job.id,
            settings.clone(),
            finished,
        )),
    );
    let spent_before = job.attempts.saturating_sub(1);
    let budget = RetryBudget::new(
        settings.max_attempts.saturating_sub(spent_before),
        deadline(settings, &job),
    );
    let outcome = if spent_before >= settings.max_attempts {
        // Its earlier runs spent the budget (a worker died before recording the outcome).
        Err(ServiceError::NotReady(format!(
            "its {spent_before} attempts were spent by earlier runs"
        )))
    } else {
        budget.clone().scope(service.run_job(&job)).await
    };
    let _ = done.send(true);
    // The renewal stops between statements, never inside one.
    let _ = renewal.await;
    metrics::histogram!("pimbot_job_seconds", "kind" => kind)
        .record(started.elapsed().as_secs_f64());
    let spent = spent_before + attempts_spent(&budget, &outcome);
    let store = service.store();
    let result = match outcome {
        Ok(()) => store.complete_job(job.id).await,
        Err(error) if error.is_retryable() => match retry_at(settings, &budget, &error, spent) {
            Some(delay) => {
                let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                if error.held_back() {
                    tracing::debug!(job.id = job.id, job.kind = kind, attempts = spent, error = %error, delay_ms, "job held back by an upstream's limits; rescheduled");
                } else {
                    tracing::info!(job.id = job.id, job.kind = kind, attempts = spent, error = %error, delay_ms, "job will be retried");
                }
                let run_at = service.now() + chrono::Duration::from_std(delay).unwrap_or_default();
                store
                    .reschedule_job(job.id, run_at, &error.to_string(), spent)
                    .await
            }
            None => give_up(service, &job, &error).await,
        },
        Err(error) => give_up(service, &job, &error).await,
    };
    if let Err(error) = result {
        tracing::warn!(job.id = job.id, error = %error, "could not record a job's outcome; its lease will run out and it will run again");
    }
}

/// The attempts one run used: a run that sent no PIM write is one attempt, one that did counts
/// each write it sent. A run that ended on a call pimbot's own limits held back (never sent: its
/// operation waits out a `Retry-After`, or no call slot freed in time) counts only the writes it
/// sent: nothing failed upstream, and a throttled or stalled upstream must not use up the
/// attempts of every job queued behind it. The deadline still bounds a waiting requester's wait.
fn attempts_spent(budget: &RetryBudget, outcome: &Result<(), ServiceError>) -> u32 {
    let held = outcome.as_ref().err().is_some_and(ServiceError::held_back);
    budget.writes_sent().max(u32::from(!held))
}

/// When the job's requester must have heard of its outcome, if someone waits for it.
fn deadline(settings: &WorkerSettings, job: &ClaimedJob) -> Option<std::time::Instant> {
    if !job.job.has_waiting_requester() {
        return None;
    }
    let due = job.created_at + chrono::Duration::from_std(settings.retry_deadline).ok()?;
    let left = (due - Utc::now()).to_std().unwrap_or_default();
    Some(std::time::Instant::now() + left)
}

/// How long to wait before the next attempt, or `None` when the budget is spent: the attempts
/// are used up, or the wait (always at least what `Retry-After` asked) would end past the
/// deadline, so the requester is better told now.
fn retry_at(
    settings: &WorkerSettings,
    budget: &RetryBudget,
    error: &ServiceError,
    spent: u32,
) -> Option<Duration> {
    if spent >= settings.max_attempts {
        return None;
    }
    let delay = error
        .retry_after()
        .unwrap_or_else(|| backoff(settings, spent));
    budget.fits(delay).then_some(delay)
}

async fn give_up(
    service: &Service,
    job: &ClaimedJob,
    error: &ServiceError,
) -> Result<(), crate::service::ports::StoreError> {
    match service.give_up(job, error).await {
        Ok(()) => service.store().complete_job(job.id).await,
        Err(give_up_error) => {
            // Leave the lease to run out: the job is tried again, nothing is lost.
            tracing::error!(job.id = job.id, error = %give_up_error, "could not record an abandoned job");
            Ok(())
        }
    }
}

/// Renews `job`'s lease every third of it until `finished` says the job is done.
async fn keep_lease(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    job: i64,
    settings: WorkerSettings,
    mut finished: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(settings.lease / 3) => {}
            _ = finished.wait_for(|done| *done) => return,
        }
        let until = clock.now() + chrono::Duration::from_std(settings.lease).unwrap_or_default();
        match store.renew_lease(job, &settings.name, until).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                job.id = job,
                "lost the lease on a running job; another worker may run it too"
            ),
            Err(error) => {
                tracing::warn!(job.id = job, error = %error, "could not renew a job lease")
            }
        }
    }
}

/// Exponential backoff with ±25 % jitter, so replicas retrying together spread out.
fn backoff(settings: &WorkerSettings, attempts: u32) -> Duration {
    let exponent = attempts.saturating_sub(1).min(16);
    let base = settings
        .base_backoff
        .saturating_mul(1 << exponent)
        .min(settings.max_backoff);
    base.mul_f64(rand::random_range(0.75..1.25))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let settings = WorkerSettings::default();
        let first = backoff(&settings, 1);
        assert!(
            first >= Duration::from_millis(1500) && first <= Duration::from_millis(2500),
            "{first:?}"
        );
        let fifth = backoff(&settings, 5);
        assert!(
            fifth >= Duration::from_secs(24) && fifth <= Duration::from_secs(40),
            "{fifth:?}"
        );
        let late = backoff(&settings, 30);
        assert!(late <= Duration::from_secs(375), "{late:?}");
    }

    #[test]
    fn a_run_held_back_by_pimbots_own_limits_is_not_an_attempt() {
        use crate::service::ports::{Upstream, UpstreamError, UpstreamErrorKind};
        let budget = RetryBudget::new(6, None);
        let held = Err(ServiceError::Upstream(UpstreamError::held(
            Upstream::Slack,
            "chat.postMessage",
            1,
            "held",
        )));
        assert_eq!(attempts_spent(&budget, &held), 0);
        let throttled = Err(ServiceError::Upstream(UpstreamError::new(
            Upstream::Slack,
            "chat.postMessage",
            UpstreamErrorKind::Throttled {
                retry_after_secs: Some(1),
            },
            "Slack answered 429",
        )));
        assert_eq!(attempts_spent(&budget, &throttled), 1, "a real 429 counts");
        assert_eq!(attempts_spent(&budget, &Ok(())), 1);
        budget.spend_write();
        budget.spend_write();
        assert_eq!(
            attempts_spent(&budget, &held),
            2,
            "the writes it sent still count"
        );
    }

    #[test]
    fn no_retry_past_the_attempts_or_the_deadline() {
        let settings = WorkerSettings::default();
        let error = ServiceError::NotReady("the message is not posted yet".to_owned());
        let open = RetryBudget::new(6, None);
        assert!(retry_at(&settings, &open, &error, 2).is_some());
        assert!(
            retry_at(&settings, &open, &error, 6).is_none(),
            "six in all"
        );
        let closing = RetryBudget::new(6, Some(std::time::Instant::now() + Duration::from_secs(1)));
        assert!(
            retry_at(&settings, &closing, &error, 2).is_none(),
            "a retry after the deadline is not scheduled"
        );
    }
}
