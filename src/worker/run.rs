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
    // A run that sent no PIM write is one attempt; one that did counts each write it sent.
    let spent = spent_before + budget.writes_sent().max(1);
    let store = service.store();
    let result = match outcome {
        Ok(()) => store.complete_job(job.id).await,
        Err(error) if error.is_retryable() => match retry_at(settings, &budget, &error, spent) {
            Some(delay) => {
                tracing::info!(job.id = job.id, job.kind = kind, attempts = spent, error = %error, delay_ms = delay.as_millis() as u64, "job will be retried");
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
