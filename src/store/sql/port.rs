//! [`Store`] for [`SqlStore`]: each call handed to the module of its concern (the inherent
//! methods of the same name win over the trait's, so these never call themselves).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Dialect, InboundWrite, SqlStore};
use crate::domain::audit::{AuditAnchor, AuditEvent, StoredAuditEvent};
use crate::domain::request::{Platform, Request, ShortId, State};
use crate::service::jobs::{ClaimedJob, JobsReady, Lane, NewJob, QueueState};
use crate::service::ports::{
    CachedIdentity, ConversationRef, MessageRef, NewRequest, PendingSignIn, SignIn, Store,
    StoreError, TransitionWrite,
};

#[async_trait::async_trait]
impl<D: Dialect> Store for SqlStore<D> {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read("SELECT 1").execute().await.map(|_| ())
    }

    async fn next_request_id(&self) -> Result<ShortId, StoreError> {
        self.next_request_id().await
    }

    async fn create_request(&self, new: NewRequest) -> Result<Request, StoreError> {
        self.create_request(new).await
    }

    async fn transition(&self, write: TransitionWrite) -> Result<bool, StoreError> {
        self.transition(write).await
    }

    async fn request(&self, id: ShortId) -> Result<Option<Request>, StoreError> {
        self.request(id).await
    }

    async fn requests_of(
        &self,
        requester_entra_id: &str,
        limit: u32,
    ) -> Result<Vec<Request>, StoreError> {
        self.requests_of(requester_entra_id, limit).await
    }

    async fn pending_requests(&self) -> Result<Vec<Request>, StoreError> {
        self.requests_in(State::PendingApproval).await
    }

    async fn activating_requests(&self) -> Result<Vec<Request>, StoreError> {
        self.requests_in(State::Activating).await
    }

    async fn holding_requests(&self) -> Result<Vec<Request>, StoreError> {
        let mut holding = self.requests_in(State::Active).await?;
        holding.extend(self.requests_in(State::Ending).await?);
        holding.sort_by_key(|r| r.id.get());
        Ok(holding)
    }

    async fn append_audit(&self, event: AuditEvent, jobs: Vec<NewJob>) -> Result<(), StoreError> {
        let write = InboundWrite {
            delivery: None,
            audit: Some(event),
            jobs,
        };
        self.write_inbound(write).await.map(|_| ())
    }

    async fn audit_events(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        self.audit_events(after_seq, limit).await
    }

    async fn audit_head(&self) -> Result<AuditAnchor, StoreError> {
        self.audit_head().await
    }

    async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<(), StoreError> {
        if jobs.is_empty() {
            return Ok(());
        }
        let write = InboundWrite {
            delivery: None,
            audit: None,
            jobs,
        };
        self.write_inbound(write).await.map(|_| ())
    }

    async fn claim_jobs(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        self.claim_leased(worker, now, lease, limit, None).await
    }

    async fn claim_lane(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
        lane: Lane,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        self.claim_leased(worker, now, lease, limit, Some(lane))
            .await
    }

    async fn queue_state(&self, now: DateTime<Utc>) -> Result<QueueState, StoreError> {
        self.queue_state(now).await
    }

    fn watch_jobs(&self, wake: Arc<JobsReady>) -> Option<tokio::task::AbortHandle> {
        D::watch_jobs(self, wake)
    }

    async fn complete_job(&self, id: i64) -> Result<(), StoreError> {
        self.complete_job(id).await
    }

    async fn retry_job(
        &self,
        id: i64,
        run_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.release_job(id, run_at, error, None).await
    }

    async fn reschedule_job(
        &self,
        id: i64,
        run_at: DateTime<Utc>,
        error: &str,
        attempts: u32,
    ) -> Result<(), StoreError> {
        self.release_job(id, run_at, error, Some(attempts)).await
    }

    async fn renew_lease(
        &self,
        id: i64,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.renew_lease(id, worker, until).await
    }

    async fn stalled_requests(&self) -> Result<Vec<Request>, StoreError> {
        self.stalled_requests().await
    }

    async fn save_message(
        &self,
        request: ShortId,
        platform: Platform,
        message: &MessageRef,
    ) -> Result<(), StoreError> {
        self.save_message(request, platform, message).await
    }

    async fn message(
        &self,
        request: ShortId,
        platform: Platform,
    ) -> Result<Option<MessageRef>, StoreError> {
        self.message(request, platform).await
    }

    async fn identity(
        &self,
        platform: Platform,
        chat_id: &str,
    ) -> Result<Option<CachedIdentity>, StoreError> {
        self.identity(platform, chat_id).await
    }

    async fn identities_of(
        &self,
        platform: Platform,
        entra_id: &str,
    ) -> Result<Vec<CachedIdentity>, StoreError> {
        self.identities_of(platform, entra_id).await
    }

    async fn save_identity(&self, identity: &CachedIdentity) -> Result<(), StoreError> {
        self.save_identity(identity).await
    }

    async fn first_delivery(&self, key: &str) -> Result<bool, StoreError> {
        self.first_delivery(key).await
    }

    async fn record_delivery(
        &self,
        key: &str,
        audit: Option<AuditEvent>,
        jobs: Vec<NewJob>,
    ) -> Result<bool, StoreError> {
        let write = InboundWrite {
            delivery: Some(key.to_owned()),
            audit,
            jobs,
        };
        self.write_inbound(write).await
    }

    async fn save_conversation_ref(&self, reference: &ConversationRef) -> Result<(), StoreError> {
        self.save_conversation_ref(reference).await
    }

    async fn conversation_ref(
        &self,
        platform: Platform,
        key: &str,
    ) -> Result<Option<ConversationRef>, StoreError> {
        self.conversation_ref(platform, key).await
    }

    async fn save_pending_sign_in(
        &self,
        state_digest: &str,
        pending: &PendingSignIn,
    ) -> Result<(), StoreError> {
        self.save_pending_sign_in(state_digest, pending).await
    }

    async fn pending_sign_in(
        &self,
        state_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        self.pending_sign_in(state_digest, now).await
    }

    async fn take_pending_sign_in(
        &self,
        state_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        self.take_pending_sign_in(state_digest, now).await
    }

    async fn save_sign_in(&self, sign_in: &SignIn) -> Result<(), StoreError> {
        self.save_sign_in(sign_in).await
    }

    async fn sign_in(
        &self,
        platform: Platform,
        chat_user: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignIn>, StoreError> {
        self.sign_in(platform, chat_user, now).await
    }

    async fn forget_sign_in(
        &self,
        platform: Platform,
        chat_user: &str,
    ) -> Result<bool, StoreError> {
        self.forget_sign_in(platform, chat_user).await
    }

    async fn purge_expired_sign_ins(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.purge_expired_sign_ins(now).await
    }
}
