//! The job runner: a continuous pool that claims due jobs with a lease as soon as a slot frees,
//! runs them side by side in [`Lane`]s (chat side effects never wait behind PIM calls), retries
//! with backoff and jitter within one [`RetryBudget`] per operation, and gives up (telling the
//! people affected) when the budget is spent. Uses `service` only.
//!
//! It wakes at once when this replica enqueues a job ([`Service::jobs_ready`], and then looks
//! only in the lanes of the jobs written), when the
//! database says another replica did ([`Store::watch_jobs`]: LISTEN/NOTIFY on PostgreSQL), when
//! the next job comes due, and, as the fallback, every `poll_interval`.
//!
//! [`RetryBudget`]: crate::service::jobs::RetryBudget
//! [`Store::watch_jobs`]: crate::service::ports::Store::watch_jobs

mod chores;
mod pool;
mod run;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::service::Service;
use crate::service::jobs::{Lane, QueueState, WritePriority};

use chores::Chores;
use pool::Pool;

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
    /// Jobs running at once on this replica, over all lanes.
    pub concurrency: usize,
    /// Attempts of an operation before it is given up: runs of its job, and within them every
    /// PIM write sent, all counted together (a run that ended on a call the upstream gates held
    /// back, never sent, is not an attempt).
    pub max_attempts: u32,
    /// Someone waiting for a job's outcome (an activation's requester) hears of its failure
    /// within this long of the job's creation: no retry is scheduled past it.
    pub retry_deadline: Duration,
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
            concurrency: 32,
            max_attempts: 6,
            retry_deadline: Duration::from_secs(120),
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// Gauges are refreshed at most this often while jobs keep the worker busy.
const GAUGE_INTERVAL: Duration = Duration::from_secs(1);

/// Runs jobs until `shutdown` turns true; jobs already started are finished first, then the
/// audit head is posted.
pub async fn run(service: Arc<Service>, settings: WorkerSettings, shutdown: watch::Receiver<bool>) {
    // Every write the worker makes, its own and its jobs', yields to inbound requests' writes.
    WritePriority::Background
        .scope(dispatch(service, settings, shutdown))
        .await;
}

async fn dispatch(
    service: Arc<Service>,
    settings: WorkerSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let wake = service.jobs_ready();
    let listener = service.store().watch_jobs(wake.clone());
    let mut slots = Slots::new(service.clone(), settings.clone());
    let mut chores = Chores::new(&settings);
    let mut next_look = Instant::now();
    let mut gauges_at = Instant::now();
    loop {
        if *shutdown.borrow() {
            break;
        }
        chores.run_due(&service, &settings);
        slots.claim().await;
        if slots.pool.idle_of_due_work() || Instant::now() >= gauges_at {
            gauges_at = Instant::now() + GAUGE_INTERVAL;
            next_look = next_look_at(&service, &settings).await;
        }
        tokio::select! {
            lanes = wake.marked() => slots.pool.wake(lanes),
            Some(done) = slots.running.join_next(), if !slots.running.is_empty() => {
                slots.finished(done);
            }
            () = tokio::time::sleep_until(next_look.min(chores.next_at())) => {
                slots.pool.wake_all();
                next_look = Instant::now() + settings.poll_interval;
            }
            _ = shutdown.changed() => {}
        }
    }
    slots.drain().await;
    chores.finish().await;
    if let Some(listener) = listener {
        listener.abort();
    }
    if let Err(error) = service.anchor_audit_head_now().await {
        tracing::warn!(error = %error, "could not post the audit head at shutdown");
    }
}

/// The running jobs; each ends with its lane and request.
type Running = JoinSet<(Lane, Option<crate::domain::request::ShortId>)>;

/// The pool's slots, the jobs running in them, and the order of each request's jobs.
struct Slots {
    service: Arc<Service>,
    settings: WorkerSettings,
    pool: Pool,
    running: Running,
    order: pool::RequestOrder,
}

impl Slots {
    fn new(service: Arc<Service>, settings: WorkerSettings) -> Self {
        Self {
            pool: Pool::new(settings.concurrency),
            service,
            settings,
            running: JoinSet::new(),
            order: pool::RequestOrder::default(),
        }
    }

    /// Claims as many due jobs as each lane has free slots, and starts them.
    async fn claim(&mut self) {
        // The service's clock: claims follow it, so a test that moves time on sees jobs come due.
        let now = self.service.now();
        for lane in Lane::ALL {
            let free = self.pool.free(lane);
            if free == 0 || !self.pool.may_have_work(lane) {
                continue;
            }
            // The claim goes ahead of the running jobs' own writes: every slot waits on it.
            let claimed = WritePriority::Inbound
                .scope(self.service.store().claim_lane(
                    &self.settings.name,
                    now,
                    self.settings.lease,
                    free,
                    lane,
                ))
                .await;
            let jobs = claimed.unwrap_or_else(|error| {
                tracing::warn!(error = %error, lane = lane.as_str(), "could not claim jobs");
                Vec::new()
            });
            if (jobs.len() as u64) < u64::from(free) {
                self.pool.drained(lane);
            }
            for job in jobs {
                self.pool.take(lane);
                if let Some(job) = self.order.admit(lane, job) {
                    self.spawn(lane, job);
                }
            }
        }
    }

    /// A job ended: every job that finished meanwhile frees its slot before the next claim, so
    /// one claim fills them all.
    fn finished(
        &mut self,
        first: Result<(Lane, Option<crate::domain::request::ShortId>), tokio::task::JoinError>,
    ) {
        let mut done = Some(first);
        while let Some(finished) = done {
            match finished {
                Ok((lane, request)) => {
                    self.pool.give_back(lane);
                    if let Some((lane, next)) = self.order.finished(request) {
                        self.spawn(lane, next);
                    }
                }
                // `run_one` does not panic; if it did, its slot is lost until restart.
                Err(error) => tracing::error!(error = %error, "a job task failed"),
            }
            done = self.running.try_join_next();
        }
    }

    fn spawn(&mut self, lane: Lane, job: crate::service::jobs::ClaimedJob) {
        let (service, settings) = (self.service.clone(), self.settings.clone());
        let request = job.job.request();
        self.running
            .spawn(WritePriority::Background.scope(async move {
                run::run_one(&service, &settings, job).await;
                (lane, request)
            }));
    }

    /// Lets the running jobs finish, and frees those claimed but not started.
    async fn drain(mut self) {
        while self.running.join_next().await.is_some() {}
        for job in self.order.abandon() {
            // Claimed but not started: free for whoever looks next, instead of after the lease.
            let released = self
                .service
                .store()
                .retry_job(job, self.service.now(), "the worker stopped")
                .await;
            if let Err(error) = released {
                tracing::debug!(error = %error, "a claimed job waits for its lease to run out");
            }
        }
    }
}

/// Reads the queue: sets the gauges, and returns when to look again (when the next job comes
/// due, or after `poll_interval`, whichever is sooner).
async fn next_look_at(service: &Service, settings: &WorkerSettings) -> Instant {
    let poll = Instant::now() + settings.poll_interval;
    let now = service.now();
    let state = match service.store().queue_state(now).await {
        Ok(state) => state,
        Err(error) => {
            tracing::debug!(error = %error, "could not read the job queue");
            return poll;
        }
    };
    record_gauges(&state, now);
    match state.next_run_at {
        // Due already but not claimed (its lane is full): a finishing job or the poll looks.
        Some(at) if at > now => {
            let wait = (at - now).to_std().unwrap_or_default();
            poll.min(Instant::now() + wait)
        }
        _ => poll,
    }
}

fn record_gauges(state: &QueueState, now: chrono::DateTime<Utc>) {
    for &(lane, queued) in &state.due_by_lane {
        #[expect(clippy::cast_precision_loss, reason = "a gauge of a queue length")]
        metrics::gauge!("pimbot_jobs_queued", "lane" => lane.as_str()).set(queued as f64);
    }
    let oldest = state.oldest_due.map_or(0.0, |at| {
        (now - at).to_std().unwrap_or_default().as_secs_f64()
    });
    metrics::gauge!("pimbot_job_oldest_due_seconds").set(oldest);
}
