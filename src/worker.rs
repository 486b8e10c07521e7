//! The job runner: claims due jobs with a lease, runs them, retries with backoff and jitter, and
//! gives up (telling the people affected) after the last attempt. Uses `service` only.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::service::Service;
use crate::service::jobs::ClaimedJob;
use crate::service::ports::Store;

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Name written into leases (host and process, to tell replicas apart).
    pub name: String,
    /// How often to look for due jobs when nothing wakes the worker.
    pub poll_interval: Duration,
    /// How long a claimed job is reserved; renewed every third of it while the job runs, so a
    /// worker that dies loses its jobs to the others after at most this long.
    pub lease: Duration,
    /// How often the reconciliation sweep runs (once per interval across all replicas).
    pub sweep_interval: Duration,
    /// How often the audit head is posted to the audit channels (when it moved; once across
    /// replicas). It is also posted when the worker stops.
    pub anchor_interval: Duration,
    pub batch_size: u32,
    /// Attempts before a job is given up.
    pub max_attempts: u32,
    /// The first retry delay; doubled per attempt, capped by `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            name: format!(
                "pimbot-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ),
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(30),
            sweep_interval: Duration::from_secs(60),
            anchor_interval: Duration::from_secs(60 * 60),
            batch_size: 16,
            max_attempts: 6,
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// Runs jobs until `shutdown` turns true; jobs already started are finished first, then the
/// audit head is posted.
pub async fn run(
    service: Arc<Service>,
    settings: WorkerSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let wake = service.jobs_ready();
    let mut next_sweep = tokio::time::Instant::now();
    // The first anchor waits an interval: the one posted at the last shutdown still stands.
    let mut next_anchor = tokio::time::Instant::now() + settings.anchor_interval;
    loop {
        if *shutdown.borrow() {
            break;
        }
        if tokio::time::Instant::now() >= next_anchor {
            next_anchor = tokio::time::Instant::now() + settings.anchor_interval;
            if let Err(error) = service.anchor_audit_head().await {
                tracing::warn!(error = %error, "could not post the audit head; it is tried again next interval");
            }
        }
        if tokio::time::Instant::now() >= next_sweep {
            next_sweep = tokio::time::Instant::now() + settings.sweep_interval;
            if let Err(error) = service.sweep(settings.sweep_interval).await {
                tracing::warn!(error = %error, "the reconciliation sweep failed; it runs again next interval");
            }
        }
        let claimed = service
            .store()
            .claim_jobs(
                &settings.name,
                Utc::now(),
                settings.lease,
                settings.batch_size,
            )
            .await;
        let jobs = match claimed {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::warn!(error = %error, "could not claim jobs");
                Vec::new()
            }
        };
        let full_batch = jobs.len() as u32 == settings.batch_size;
        let mut running = JoinSet::new();
        for job in jobs {
            let service = service.clone();
            let settings = settings.clone();
            running.spawn(async move { run_one(&service, &settings, job).await });
        }
        while running.join_next().await.is_some() {}
        if full_batch {
            continue;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(settings.poll_interval) => {}
            _ = shutdown.changed() => {}
        }
    }
    if let Err(error) = service.anchor_audit_head_now().await {
        tracing::warn!(error = %error, "could not post the audit head at shutdown");
    }
}

async fn run_one(service: &Service, settings: &WorkerSettings, job: ClaimedJob) {
    let started = std::time::Instant::now();
    let kind = job.job.kind();
    // The lease is renewed from its own task. Renewing from a `select!` beside the job would
    // stop polling the job while a renewal waits for a connection, and a job paused inside a
    // transaction holds its locks: with every pooled connection queued behind those locks, the
    // renewal never gets one and the replica crawls (seen with 200 requests on two replicas).
    let (done, finished) = watch::channel(false);
    let renewal = tokio::spawn(keep_lease(
        service.store().clone(),
        job.id,
        settings.clone(),
        finished,
    ));
    let outcome = service.run_job(&job).await;
    let _ = done.send(true);
    // The renewal stops between statements, never inside one.
    let _ = renewal.await;
    metrics::histogram!("pimbot_job_seconds", "kind" => kind)
        .record(started.elapsed().as_secs_f64());
    let store = service.store();
    let result = match outcome {
        Ok(()) => store.complete_job(job.id).await,
        Err(error) if error.is_retryable() && job.attempts < settings.max_attempts => {
            let delay = error
                .retry_after()
                .unwrap_or_else(|| backoff(settings, job.attempts));
            tracing::info!(job.id = job.id, job.kind = kind, attempts = job.attempts, error = %error, delay_ms = delay.as_millis() as u64, "job will be retried");
            let run_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
            store.retry_job(job.id, run_at, &error.to_string()).await
        }
        Err(error) => match service.give_up(&job, &error).await {
            Ok(()) => store.complete_job(job.id).await,
            Err(give_up_error) => {
                // Leave the lease to run out: the job is tried again, nothing is lost.
                tracing::error!(job.id = job.id, error = %give_up_error, "could not record an abandoned job");
                Ok(())
            }
        },
    };
    if let Err(error) = result {
        tracing::warn!(job.id = job.id, error = %error, "could not record a job's outcome; its lease will run out and it will run again");
    }
}

/// Renews `job`'s lease every third of it until `finished` says the job is done.
async fn keep_lease(
    store: Arc<dyn Store>,
    job: i64,
    settings: WorkerSettings,
    mut finished: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(settings.lease / 3) => {}
            _ = finished.wait_for(|done| *done) => return,
        }
        let until = Utc::now() + chrono::Duration::from_std(settings.lease).unwrap_or_default();
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
}
