//! The ports the use cases need: storage, the directory, PIM, chat, sealing and the clock. Adapters
//! implement them; only `app` chooses which.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::audit::{AuditAnchor, AuditEvent, StoredAuditEvent};
use crate::domain::request::{Decision, Platform, Request, ShortId};

use std::sync::Arc;

use super::jobs::{ClaimedJob, JobsReady, Lane, NewJob, QueueState};

mod chat;
mod delegated;
mod pim;
mod sealing;
mod sign_in;
mod upstream;

pub use chat::{
    Chat, ChatAccount, ConversationRef, EligibleTarget, MessageRef, UntrustedAccount, UserMapping,
};
pub use delegated::{
    Activation, AuthorizeRequest, DelegatedApi, PendingActivation, RequestStatus, SelfService,
    SignInError, SignInProvider, SignedIn, UserToken,
};
pub use pim::{
    ActiveAssignment, Eligibility, EligibilityQuery, Grant, Pim, Receipt, RoleDefinition,
    RoleLookup,
};
pub use sealing::{SealError, Sealer, seal_context};
pub use sign_in::{PendingSignIn, SignIn, SignInPurpose, Verdict};
pub use upstream::{Upstream, UpstreamError, UpstreamErrorKind};

// ---------------------------------------------------------------------------------------------
// Directory (Graph users and groups)
// ---------------------------------------------------------------------------------------------

/// An Entra user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirectoryUser {
    pub id: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub user_principal_name: Option<String>,
    pub account_enabled: bool,
}

/// An Entra group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirectoryGroup {
    pub id: String,
    pub display_name: String,
}

/// What time it is: every lifecycle decision reads `now` here, so tests can move time on.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock, in production.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Reading users and groups.
#[async_trait]
pub trait Directory: Send + Sync {
    /// Every user whose `mail` or `userPrincipalName` is `email` (case-insensitive), each once:
    /// more than one when one user's `mail` is another's `userPrincipalName`.
    async fn users_by_email(&self, email: &str) -> Result<Vec<DirectoryUser>, UpstreamError>;
    async fn user(&self, id: &str) -> Result<Option<DirectoryUser>, UpstreamError>;
    /// The groups the user is a member of, directly or through nesting.
    async fn user_groups(&self, user_id: &str) -> Result<Vec<DirectoryGroup>, UpstreamError>;
    /// The group's owners that are users (service principals are dropped).
    async fn group_owners(&self, group_id: &str) -> Result<Vec<DirectoryUser>, UpstreamError>;
    /// The group's members that are users.
    async fn group_members(&self, group_id: &str) -> Result<Vec<DirectoryUser>, UpstreamError>;
    /// A group by display name or id.
    async fn group(&self, name_or_id: &str) -> Result<Option<DirectoryGroup>, UpstreamError>;
    /// An application registration by display name, appId or object id: (object id, display name).
    async fn application(
        &self,
        name_or_id: &str,
    ) -> Result<Option<(String, String)>, UpstreamError>;
    /// The same directory with no cache in front: for decisions that must see today's owners,
    /// members and accounts.
    fn uncached(&self) -> &dyn Directory;
}

// ---------------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------------

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// A state change, written as one transaction: compare-and-set on the request's version, the
/// decision (if any), the audit event and the jobs for its side effects.
#[derive(Debug, Clone)]
pub struct TransitionWrite {
    /// The request as it is after the transition; `version` is the new version.
    pub request: Request,
    /// The version the transition was computed from; the write fails if it changed.
    pub expected_version: i64,
    /// An approval or denial to record (unique per request and approver).
    pub decision: Option<Decision>,
    pub audit: AuditEvent,
    pub jobs: Vec<NewJob>,
}

/// A new request, written as one transaction with its audit event and the jobs for its side
/// effects. Its id comes first, from [`Store::next_request_id`], so the event and the jobs can
/// name it.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The request as it is stored: `id` handed out by [`Store::next_request_id`], `version` 1.
    pub request: Request,
    /// What asked for it (the command job, `job:<id>`); `None` never collides.
    pub origin: Option<String>,
    pub audit: AuditEvent,
    pub jobs: Vec<NewJob>,
}

/// A chat user's Entra identity, cached.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CachedIdentity {
    pub platform: Platform,
    pub chat_id: String,
    pub user: DirectoryUser,
    pub fetched_at: DateTime<Utc>,
}

/// Durable state. Implemented for SQLite and PostgreSQL.
#[async_trait]
pub trait Store: Send + Sync {
    /// Answers when the database does.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Hands out the id of a request about to be created: never handed out before, and larger
    /// than any before it. An id that no request is created with is a gap in the numbering.
    async fn next_request_id(&self) -> Result<ShortId, StoreError>;
    /// Inserts a request with its audit event and jobs, and returns it. A second call with the
    /// same `origin`, as when a job runs again after its worker lost the lease, returns the
    /// first request and writes nothing.
    async fn create_request(&self, new: NewRequest) -> Result<Request, StoreError>;
    /// Applies a transition; `Ok(false)` when another writer changed the request first.
    async fn transition(&self, write: TransitionWrite) -> Result<bool, StoreError>;
    async fn request(&self, id: ShortId) -> Result<Option<Request>, StoreError>;
    /// The requester's requests, newest first, at most `limit`.
    async fn requests_of(
        &self,
        requester_entra_id: &str,
        limit: u32,
    ) -> Result<Vec<Request>, StoreError>;
    /// Requests in `pending_approval`, oldest first.
    async fn pending_requests(&self) -> Result<Vec<Request>, StoreError>;
    /// Requests in `activating`, oldest first (activate mode: those PIM holds for approval).
    async fn activating_requests(&self) -> Result<Vec<Request>, StoreError>;
    /// Requests whose assignment PIM holds (`active` and `ending`), oldest first.
    async fn holding_requests(&self) -> Result<Vec<Request>, StoreError>;

    /// Appends an audit event (and jobs, such as the audit-channel line) on its own.
    async fn append_audit(&self, event: AuditEvent, jobs: Vec<NewJob>) -> Result<(), StoreError>;
    /// Stored audit events with `seq > after_seq`, in order, at most `limit`.
    async fn audit_events(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredAuditEvent>, StoreError>;
    /// The end of the chain as `audit_head` records it: the last event's seq and hash
    /// ([`AuditAnchor::genesis`] before the first event).
    async fn audit_head(&self) -> Result<AuditAnchor, StoreError>;

    /// Enqueues jobs outside a transition.
    async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<(), StoreError>;
    /// Leases up to `limit` due jobs to `worker` until `now + lease`.
    async fn claim_jobs(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, StoreError>;
    /// [`Store::claim_jobs`] of the jobs of one lane (the store knows each kind's lane).
    async fn claim_lane(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
        lane: Lane,
    ) -> Result<Vec<ClaimedJob>, StoreError>;
    /// What waits in the queue at `now`.
    async fn queue_state(&self, now: DateTime<Utc>) -> Result<QueueState, StoreError>;
    /// Wakes `wake` whenever another process (a replica) makes a job runnable, where the
    /// database can tell (PostgreSQL's LISTEN/NOTIFY); the worker polls as well. Returns the
    /// listening task, to stop with the worker; `None` where there is nothing to listen to.
    fn watch_jobs(&self, wake: Arc<JobsReady>) -> Option<tokio::task::AbortHandle> {
        let _ = wake;
        None
    }
    /// Removes a finished job.
    async fn complete_job(&self, id: i64) -> Result<(), StoreError>;
    /// [`Store::retry_job`], recording `attempts` as the attempts spent so far.
    async fn reschedule_job(
        &self,
        id: i64,
        run_at: DateTime<Utc>,
        error: &str,
        attempts: u32,
    ) -> Result<(), StoreError>;
    /// Releases a job to run again at `run_at`, keeping the error for operators.
    async fn retry_job(
        &self,
        id: i64,
        run_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Extends `worker`'s lease on a running job; `Ok(false)` when the lease was lost.
    async fn renew_lease(
        &self,
        id: i64,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Requests in a non-final state with no job left to move them on (the reconciliation sweep
    /// repairs them).
    async fn stalled_requests(&self) -> Result<Vec<Request>, StoreError>;

    /// Remembers the approval message of a request on a platform.
    async fn save_message(
        &self,
        request: ShortId,
        platform: Platform,
        message: &MessageRef,
    ) -> Result<(), StoreError>;
    async fn message(
        &self,
        request: ShortId,
        platform: Platform,
    ) -> Result<Option<MessageRef>, StoreError>;

    async fn identity(
        &self,
        platform: Platform,
        chat_id: &str,
    ) -> Result<Option<CachedIdentity>, StoreError>;
    async fn save_identity(&self, identity: &CachedIdentity) -> Result<(), StoreError>;
    /// The chat users remembered as the Entra user `entra_id` on `platform`.
    async fn identities_of(
        &self,
        platform: Platform,
        entra_id: &str,
    ) -> Result<Vec<CachedIdentity>, StoreError>;

    /// Records an inbound delivery key; `Ok(false)` when it was seen before (a retry).
    async fn first_delivery(&self, key: &str) -> Result<bool, StoreError>;
    /// Records an inbound delivery together with what it causes (an audit event, jobs) in one
    /// transaction, so a delivery whose handling failed half-way is not taken for a retry of a
    /// handled one. `Ok(false)`, and nothing written, when the delivery was seen before.
    async fn record_delivery(
        &self,
        key: &str,
        audit: Option<AuditEvent>,
        jobs: Vec<NewJob>,
    ) -> Result<bool, StoreError>;

    /// Saves a conversation reference; a known `conversation_id` or `member_id` is kept when
    /// the new reference has none.
    async fn save_conversation_ref(&self, reference: &ConversationRef) -> Result<(), StoreError>;
    async fn conversation_ref(
        &self,
        platform: Platform,
        key: &str,
    ) -> Result<Option<ConversationRef>, StoreError>;

    /// Keeps a sign-in begun, under `state_digest` (the SHA-256 hex of its `state`; the state
    /// itself is never stored).
    async fn save_pending_sign_in(
        &self,
        state_digest: &str,
        pending: &PendingSignIn,
    ) -> Result<(), StoreError>;
    /// The sign-in kept under `state_digest`, unexpired at `now`, without taking it.
    async fn pending_sign_in(
        &self,
        state_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignIn>, StoreError>;
    /// Takes the sign-in kept under `state_digest`, once: a second take, at the same time or
    /// later, gets `None`. One expired at `now` is removed and `None`.
    async fn take_pending_sign_in(
        &self,
        state_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignIn>, StoreError>;
    /// Keeps a chat user's sign-in, replacing the one they had.
    async fn save_sign_in(&self, sign_in: &SignIn) -> Result<(), StoreError>;
    /// The chat user's sign-in, unless `keep_until` has passed at `now`.
    async fn sign_in(
        &self,
        platform: Platform,
        chat_user: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignIn>, StoreError>;
    /// Forgets the chat user's sign-in; `Ok(false)` when there was none.
    async fn forget_sign_in(&self, platform: Platform, chat_user: &str)
    -> Result<bool, StoreError>;
    /// Removes pending sign-ins expired and sign-ins past `keep_until` at `now`; how many.
    async fn purge_expired_sign_ins(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}
