//! Requests: creation (one transaction with its audit event and jobs, idempotent by origin),
//! transitions (a compare-and-set on the version) and reads.

use super::{Dialect, SqlStore};
use crate::domain::request::{Request, ShortId, State};
use crate::service::ports::{NewRequest, StoreError, TransitionWrite};
use crate::store::rows;

/// The requests in a live state (`$1`…`$5`) of which no job is queued. The subquery finds a
/// request's jobs by `jobs_request_idx`; without it, each request read the whole queue.
pub(crate) const STALLED_REQUESTS: &str = "SELECT r.id, r.version, r.state, r.data FROM requests r \
     WHERE r.state IN ($1, $2, $3, $4, $5) \
     AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id) \
     ORDER BY r.id";

/// `id, version, state, data`: the columns a request is read from.
type RequestRow = (i64, i64, String, String);

fn request_of((id, version, state, data): RequestRow) -> Result<Request, StoreError> {
    rows::request_from_row(id, version, &state, &data)
}

fn requests_of(found: Vec<RequestRow>) -> Result<Vec<Request>, StoreError> {
    found.into_iter().map(request_of).collect()
}

impl<D: Dialect> SqlStore<D> {
    pub(crate) async fn next_request_id(&self) -> Result<ShortId, StoreError> {
        D::next_request_id(self).await.map(ShortId::new)
    }

    pub(crate) async fn create_request(&self, new: NewRequest) -> Result<Request, StoreError> {
        let NewRequest {
            request,
            origin,
            audit,
            jobs,
        } = new;
        let mut tx = self.begin_write().await?;
        let inserted = tx
            .sql(
                "INSERT INTO requests (id, version, state, platform, requester_entra_id, \
                 created_at, updated_at, data, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (origin) DO NOTHING",
            )
            .bind(request.id.get())
            .bind(request.version)
            .bind(request.state.as_str())
            .bind(request.platform.as_str())
            .bind(request.requester.entra_id.as_str())
            .bind(request.created_at)
            .bind(request.updated_at)
            .bind(rows::request_json(&request)?)
            .bind(origin.as_deref())
            .execute()
            .await?;
        if inserted == 0 {
            // Created before by the same origin: hand back that request, write nothing.
            let earlier = tx
                .sql("SELECT id, version, state, data FROM requests WHERE origin = $1")
                .bind(origin.as_deref())
                .fetch_one()
                .await?;
            tx.rollback().await?;
            return request_of(earlier);
        }
        tx.append_audit(&audit).await?;
        tx.insert_jobs(&jobs).await?;
        tx.commit().await?;
        Ok(request)
    }

    pub(crate) async fn transition(&self, write: TransitionWrite) -> Result<bool, StoreError> {
        let request = &write.request;
        let mut tx = self.begin_write().await?;
        let updated = tx
            .sql(
                "UPDATE requests SET version = $1, state = $2, data = $3, updated_at = $4 \
                 WHERE id = $5 AND version = $6",
            )
            .bind(request.version)
            .bind(request.state.as_str())
            .bind(rows::request_json(request)?)
            .bind(request.updated_at)
            .bind(request.id.get())
            .bind(write.expected_version)
            .execute()
            .await?;
        if updated == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(decision) = &write.decision {
            let inserted = tx
                .sql(
                    "INSERT INTO approvals \
                     (request_id, approver_entra_id, approve, reason, decided_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (request_id, approver_entra_id) DO NOTHING",
                )
                .bind(request.id.get())
                .bind(decision.approver.entra_id.as_str())
                .bind(decision.approve)
                .bind(decision.reason.as_deref())
                .bind(decision.at)
                .execute()
                .await?;
            if inserted == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        tx.append_audit(&write.audit).await?;
        tx.insert_jobs(&write.jobs).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn request(&self, id: ShortId) -> Result<Option<Request>, StoreError> {
        let row = self
            .read("SELECT id, version, state, data FROM requests WHERE id = $1")
            .bind(id.get())
            .fetch_optional()
            .await?;
        row.map(request_of).transpose()
    }

    pub(crate) async fn requests_of(
        &self,
        requester_entra_id: &str,
        limit: u32,
    ) -> Result<Vec<Request>, StoreError> {
        let found = self
            .read(
                "SELECT id, version, state, data FROM requests \
                 WHERE requester_entra_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(requester_entra_id)
            .bind(rows::limit(limit))
            .fetch_all()
            .await?;
        requests_of(found)
    }

    /// Requests in `state`, oldest first.
    pub(crate) async fn requests_in(&self, state: State) -> Result<Vec<Request>, StoreError> {
        let found = self
            .read("SELECT id, version, state, data FROM requests WHERE state = $1 ORDER BY id")
            .bind(state.as_str())
            .fetch_all()
            .await?;
        requests_of(found)
    }

    /// Requests in a live state without a queued job (the sweep's question).
    pub(crate) async fn stalled_requests(&self) -> Result<Vec<Request>, StoreError> {
        let found = self
            .read(STALLED_REQUESTS)
            .bind(State::PendingApproval.as_str())
            .bind(State::Approved.as_str())
            .bind(State::Activating.as_str())
            .bind(State::Active.as_str())
            .bind(State::Ending.as_str())
            .fetch_all()
            .await?;
        requests_of(found)
    }
}
