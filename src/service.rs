//! Use cases over ports: submit, decide, activate, end, list, status. Uses `domain`; knows nothing of
//! Slack, Teams, HTTP, SQL or Graph wire formats (those live in the adapters behind the ports).

mod activation;
mod anchor;
mod approvers;
mod authority;
mod commands;
mod decide;
mod effects;
mod ending;
mod identity;
pub mod inbound;
pub mod jobs;
mod lifecycle;
pub mod limits;
pub mod notice;
pub mod ports;
mod preflight;
mod reconcile;
mod resolve;
mod settings;
pub mod sign_in;
mod submit;
mod targets;
mod transition;
pub mod view;

use std::sync::Arc;

use crate::domain::request::Platform;
use jobs::{ClaimedJob, Job, NewJob};
use limits::{Limit, Limiter};
pub use limits::{LimitSettings, Sender, SlowDown};
use notice::Reply;
use ports::{Chat, Clock, Directory, Pim, Sealer, Store, StoreError, SystemClock, UpstreamError};
pub use preflight::TargetReport;
pub use settings::{ApproverRef, Defaults, IdentityMapping, Settings, TargetSettings};
pub use targets::TargetsError;

/// A use case that could not run. Refusals are not errors: they are answered as a [`Reply`].
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database is down: the caller should answer "try again shortly"; nothing was written.
    #[error("pimbot's database is unavailable; try again shortly")]
    Unavailable(StoreError),
    /// What the database holds cannot be read back: a bug or a hand edit, never fixed by retrying.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// Something this job needs has not happened yet (e.g. the message to update is not posted).
    #[error("not ready: {0}")]
    NotReady(String),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Corrupt(what) => ServiceError::Corrupt(what),
            unavailable @ StoreError::Unavailable(_) => ServiceError::Unavailable(unavailable),
        }
    }
}

/// What a person is told when the database is down: nothing was written, so trying again is safe.
pub const DATABASE_DOWN: &str =
    "pimbot's database is unavailable right now; nothing was recorded, try again shortly";

impl ServiceError {
    /// Whether running the same job again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ServiceError::Unavailable(_) | ServiceError::NotReady(_) => true,
            ServiceError::Corrupt(_) => false,
            ServiceError::Upstream(error) => error.is_retryable(),
        }
    }

    /// What the person who asked is told, for either chat; the cause is logged here, once, under
    /// `reference` (which the message quotes, for support).
    pub fn user_message(&self, reference: &str) -> String {
        match self {
            ServiceError::Unavailable(error) => {
                tracing::warn!(error = %error, "the database is unavailable");
                DATABASE_DOWN.into()
            }
            ServiceError::Corrupt(what) => {
                tracing::error!(error = %what, error.reference = %reference, "stored data cannot be read; this needs a fix, not a retry");
                format!("Something went wrong (ref {reference}).")
            }
            other => {
                tracing::error!(error = %other, error.reference = %reference, "a chat request failed");
                format!("Something went wrong (ref {reference}).")
            }
        }
    }

    /// Whether the job ended on a call pimbot's own limits held back, never sent
    /// ([`UpstreamError::held_back`]).
    pub fn held_back(&self) -> bool {
        matches!(self, ServiceError::Upstream(error) if error.held_back)
    }

    /// How long the upstream asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            ServiceError::Upstream(UpstreamError {
                kind:
                    ports::UpstreamErrorKind::Throttled {
                        retry_after_secs: Some(secs),
                    },
                ..
            }) => Some(std::time::Duration::from_secs(*secs)),
            _ => None,
        }
    }
}

/// The use cases, wired to their ports.
pub struct Service {
    store: Arc<dyn Store>,
    directory: Arc<dyn Directory>,
    pim: Arc<dyn Pim>,
    chats: Vec<Arc<dyn Chat>>,
    settings: Settings,
    /// `settings.targets`, resolved to what each grants.
    targets: targets::ConfiguredTargets,
    /// Wakes the worker when a job is enqueued, so replies do not wait for the next poll.
    jobs_ready: Arc<jobs::JobsReady>,
    /// What each chat user has sent lately.
    limiter: Limiter,
    /// Where `now` comes from (the system clock, unless a test moves time).
    clock: Arc<dyn Clock>,
    /// Seals what activate mode keeps at rest; `None` without `[auth]`.
    sealer: Option<Arc<dyn Sealer>>,
    /// Activate mode's sign-in and PIM calls as people; `None` without `[auth]`.
    delegation: Option<Delegation>,
}

/// What activate mode needs beside the sealer: Entra's sign-in, PIM's own self-service and
/// approval calls, and where the sign-in links point.
pub struct Delegation {
    pub sign_in: Arc<dyn ports::SignInProvider>,
    pub pim: Arc<dyn ports::SelfService>,
    /// `server.public_url`: links are `<public_url>/auth/start?state=…`.
    pub public_url: String,
    /// The tenant every sign-in must be of (`azure.tenant_id`).
    pub tenant_id: String,
}

impl Service {
    /// The use cases, once every configured target is resolved through `directory` and `pim`;
    /// fails (and nothing serves) when one cannot be.
    pub async fn new(
        store: Arc<dyn Store>,
        directory: Arc<dyn Directory>,
        pim: Arc<dyn Pim>,
        chats: Vec<Arc<dyn Chat>>,
        settings: Settings,
    ) -> Result<Self, TargetsError> {
        let mut service = Self {
            store,
            directory,
            pim,
            chats,
            limiter: Limiter::new(settings.limits),
            settings,
            targets: targets::ConfiguredTargets::default(),
            jobs_ready: Arc::default(),
            clock: Arc::new(SystemClock),
            sealer: None,
            delegation: None,
        };
        let targets = service
            .resolve_configured(&service.settings.targets)
            .await?;
        service.targets = targets;
        Ok(service)
    }

    /// The service reading time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The service sealing secrets kept at rest (sign-ins) with `sealer`.
    pub fn with_sealer(mut self, sealer: Arc<dyn Sealer>) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// The service signing people in and activating as them (activate mode).
    pub fn with_delegation(mut self, delegation: Delegation) -> Self {
        self.delegation = Some(delegation);
        self
    }

    /// What seals sign-in secrets, when `[auth]` is configured.
    pub fn sealer(&self) -> Option<&Arc<dyn Sealer>> {
        self.sealer.as_ref()
    }

    /// The time now, by the service's clock (the worker's claims follow it too).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The service's clock, for the worker's leases.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn jobs_ready(&self) -> Arc<jobs::JobsReady> {
        self.jobs_ready.clone()
    }

    /// Counts one command of an authenticated `sender` for a route that does not hand the command
    /// to [`Service::accept_command`] (opening the request form); over the limit, the route
    /// answers with the [`SlowDown`] and does nothing else. Approve and Deny clicks are not
    /// counted: they only decide requests already made, once per approver.
    pub fn limit_command(&self, sender: &Sender) -> Result<(), SlowDown> {
        self.limit(sender, Limit::Commands)
    }

    /// Takes one unit of `sender`'s `limit`; a refusal is counted in the metrics, and nothing else
    /// is written (a flood must not fill the database or the audit channel either).
    fn limit(&self, sender: &Sender, limit: Limit) -> Result<(), SlowDown> {
        self.limiter.check(sender, limit).inspect_err(|slow| {
            metrics::counter!(
                "pimbot_rate_limited_total",
                "platform" => sender.platform.as_str(),
                "limit" => limit.as_str()
            )
            .increment(1);
            tracing::debug!(
                actor.id = %sender.user,
                limit = limit.as_str(),
                wait_secs = slow.wait.as_secs(),
                "over the per-user limit"
            );
        })
    }

    /// A request form was opened (`form_ref`); fills it with the user's eligible targets later.
    /// With `delivery`, a repeat of that delivery changes nothing and returns `false`.
    pub async fn open_request_form(
        &self,
        platform: Platform,
        chat_user: &str,
        form_ref: &str,
        delivery: Option<&str>,
    ) -> Result<bool, ServiceError> {
        let job = Job::FillForm {
            platform,
            chat_user: chat_user.to_owned(),
            form_ref: form_ref.to_owned(),
        };
        let first = self
            .record_effects(delivery, None, vec![NewJob::at(job, self.now())])
            .await?;
        Ok(first)
    }

    /// Writes what an inbound delivery causes; with a `delivery` key, in the same transaction
    /// as the key, and only if the key is new (`false` otherwise).
    async fn record_effects(
        &self,
        delivery: Option<&str>,
        audit: Option<crate::domain::audit::AuditEvent>,
        jobs: Vec<NewJob>,
    ) -> Result<bool, StoreError> {
        let lanes = jobs::Lanes::of(&jobs);
        let written = match (delivery, audit) {
            (Some(key), audit) => self.store.record_delivery(key, audit, jobs).await?,
            (None, Some(event)) => {
                self.store.append_audit(event, jobs).await?;
                true
            }
            (None, None) if jobs.is_empty() => true,
            (None, None) => {
                self.store.enqueue(jobs).await?;
                true
            }
        };
        if written {
            self.jobs_ready.mark(lanes);
        }
        Ok(written)
    }

    /// Records an inbound delivery id; `false` when it is a retry already handled.
    pub async fn first_delivery(&self, key: &str) -> Result<bool, ServiceError> {
        Ok(self.store.first_delivery(key).await?)
    }

    /// Remembers how to reach a conversation or person (Teams: service URL, tenant), as an
    /// authenticated inbound activity told it.
    pub async fn remember_conversation(
        &self,
        reference: &ports::ConversationRef,
    ) -> Result<(), ServiceError> {
        Ok(self.store.save_conversation_ref(reference).await?)
    }

    /// Runs one job (the worker calls this), in a span of its own: one trace per job.
    #[tracing::instrument(
        name = "job",
        skip_all,
        fields(job.id = job.id, job.kind = job.job.kind(), request.id = tracing::field::Empty)
    )]
    pub async fn run_job(&self, job: &ClaimedJob) -> Result<(), ServiceError> {
        if let Some(id) = job.job.request() {
            tracing::Span::current().record("request.id", tracing::field::display(id));
        }
        match &job.job {
            Job::Command { command } => {
                let origin = format!("job:{}", job.id);
                self.run_command(command, &origin).await
            }
            Job::FillForm {
                platform,
                chat_user,
                form_ref,
            } => self.fill_form(*platform, chat_user, form_ref).await,
            Job::PostApproval { request } => self.post_approval(*request).await,
            Job::UpdateApproval { request } => self.update_approval(*request).await,
            Job::Notify { request, notice } => self.notify(*request, notice).await,
            Job::NotifyApprovers { request, notice } => {
                self.notify_approvers(*request, *notice).await
            }
            Job::AuditLine { platform, line } => self.post_audit_line(*platform, line).await,
            Job::Activate { request } => self.activate(*request).await,
            Job::FollowPim { request } => self.follow_pim(*request).await,
            Job::Deactivate { request, by } => self.deactivate(*request, by).await,
            Job::Expire { request } => self.expire(*request).await,
            Job::WarnEnding { request } => self.warn_ending(*request).await,
            Job::ApprovalTimeout { request } => self.time_out(*request).await,
        }
    }

    /// A job failed for good (not retryable, or out of attempts): keep every promise that can
    /// still be kept. An activation that cannot happen fails the request and tells the requester.
    pub async fn give_up(
        &self,
        job: &ClaimedJob,
        error: &ServiceError,
    ) -> Result<(), ServiceError> {
        tracing::error!(job.id = job.id, job.kind = job.job.kind(), error = %error, "job abandoned");
        metrics::counter!("pimbot_jobs_abandoned_total", "kind" => job.job.kind()).increment(1);
        let reason = match error {
            ServiceError::Upstream(upstream) => upstream.user_message(),
            other => other.to_string(),
        };
        match &job.job {
            Job::Activate { request } => {
                if let Some(current) = self.store.request(*request).await? {
                    let detail = match error {
                        ServiceError::Upstream(upstream) => lifecycle::upstream_detail(upstream),
                        other => serde_json::json!({ "error": other.to_string() }),
                    };
                    self.mark_failed(&current, reason, detail).await?;
                }
            }
            Job::Command { command } => {
                if let Some(chat) = self.chat(command.platform) {
                    let reply = Reply::text(format!(
                        "Sorry, I could not finish `{}`: {reason}",
                        command.text
                    ));
                    // Best effort: the reply channel itself may be what failed.
                    if let Err(error) = chat.reply(&command.reply_to, &reply).await {
                        tracing::warn!(error = %error, "could not tell the user about an abandoned command");
                    }
                }
            }
            _ => {}
        }
        let event = crate::domain::audit::AuditEvent::new(
            "job.abandoned",
            job.job.request(),
            crate::domain::audit::AuditActor::system(),
            "abandoned",
        )
        .with_detail(serde_json::json!({ "job": job.job.kind(), "attempts": job.attempts, "error": error.to_string() }));
        self.store.append_audit(event, Vec::new()).await?;
        Ok(())
    }

    /// The chat adapter of a platform, if that platform is configured.
    pub(crate) fn chat(&self, platform: Platform) -> Option<&Arc<dyn Chat>> {
        self.chats.iter().find(|c| c.platform() == platform)
    }
}
