//! The SQL, once: `sql_store!` implements [`Store`](crate::service::ports::Store) for a store type
//! holding `pool: sqlx::Pool<DB>` for reads and `writer: sqlx::Pool<DB>` for writes (the same pool
//! on PostgreSQL; one connection on SQLite, see [`crate::store::sqlite`]). The same statements run on both databases (`$N` placeholders,
//! `RETURNING`, `ON CONFLICT`); what differs is passed in:
//!
//! - `begin_write`: the statement that opens a write transaction. SQLite uses `BEGIN IMMEDIATE`,
//!   which takes the write lock at once (a deferred transaction that reads first and writes later
//!   can fail with `SQLITE_BUSY_SNAPSHOT` instead of waiting). PostgreSQL uses plain `BEGIN`.
//! - `skip_locked`: appended to the job-claim subquery (see [`jobs`]); PostgreSQL's
//!   `FOR UPDATE SKIP LOCKED` lets workers on several replicas claim different jobs without
//!   waiting for each other.

pub(crate) mod jobs;

use std::ops::{Deref, DerefMut};

/// What an inbound request writes before it is acknowledged: with `delivery`, only if the key
/// is new. Each store's `grouped` may take it (SQLite commits such writes together) or hand it
/// back to be written on its own.
#[derive(Debug)]
pub(crate) struct InboundWrite {
    pub(crate) delivery: Option<String>,
    pub(crate) audit: Option<crate::domain::audit::AuditEvent>,
    pub(crate) jobs: Vec<crate::service::jobs::NewJob>,
}

/// A write transaction, holding the store's write turn (see `write_turn` in each store) until
/// it commits or is dropped.
pub(crate) struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    /// Dropped after `tx` (fields drop in order), so the turn outlasts the rollback.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub(crate) fn new(
        tx: sqlx::Transaction<'static, DB>,
        turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    ) -> Self {
        Self { tx, _turn: turn }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl<DB: sqlx::Database> Deref for WriteTx<DB> {
    type Target = sqlx::Transaction<'static, DB>;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl<DB: sqlx::Database> DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

macro_rules! sql_store {
    (
        store: $store:ident,
        db: $db:ty,
        conn: $conn:ty,
        begin_write: $begin:literal,
        skip_locked: $skip:literal $(,)?
    ) => {
        $crate::store::backend::jobs::sql_jobs! {
            store: $store,
            conn: $conn,
            skip_locked: $skip,
        }

        impl $store {
            async fn begin_write(&self) -> Result<$crate::store::backend::WriteTx<$db>, StoreError> {
                let turn = self.write_turn().await;
                let tx = self.writer.begin_with($begin).await.map_err(db_error)?;
                Ok($crate::store::backend::WriteTx::new(tx, turn))
            }

            /// Appends one event to the chain inside the caller's transaction. The first
            /// statement takes the `audit_head` row lock, which serialises appends.
            async fn append_audit_in(
                conn: &mut $conn,
                event: &AuditEvent,
            ) -> Result<i64, StoreError> {
                let (seq, prev_hash): (i64, String) = sqlx::query_as(
                    "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
                )
                .fetch_one(&mut *conn)
                .await
                .map_err(db_error)?;
                let canonical = event.canonical(seq);
                let hash = chain_hash(&prev_hash, &canonical);
                sqlx::query(
                    "INSERT INTO audit_events (seq, at, kind, request_id, canonical, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(seq)
                .bind(event.at)
                .bind(&event.kind)
                .bind(event.request_id.map(|id| id.0))
                .bind(&canonical)
                .bind(&prev_hash)
                .bind(&hash)
                .execute(&mut *conn)
                .await
                .map_err(db_error)?;
                sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                    .bind(&hash)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error)?;
                Ok(seq)
            }

            async fn requests_in(&self, state: State) -> Result<Vec<Request>, StoreError> {
                let found = sqlx::query_as(
                    "SELECT id, version, state, data FROM requests WHERE state = $1 ORDER BY id",
                )
                .bind(state.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                Self::requests_from(found)
            }

            fn requests_from(
                found: Vec<(i64, i64, String, String)>,
            ) -> Result<Vec<Request>, StoreError> {
                found
                    .iter()
                    .map(|(id, version, state, data)| {
                        rows::request_from_row(*id, *version, state, data)
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(())
            }

            async fn create_request(
                &self,
                request: Request,
                origin: Option<&str>,
                effects: CreateEffects,
            ) -> Result<Request, StoreError> {
                let mut request = request;
                request.version = 1;
                let mut tx = self.begin_write().await?;
                let inserted: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO requests \
                     (version, state, platform, requester_entra_id, created_at, updated_at, data, origin) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (origin) DO NOTHING RETURNING id",
                )
                .bind(request.version)
                .bind(request.state.as_str())
                .bind(request.platform.as_str())
                .bind(&request.requester.entra_id)
                .bind(request.created_at)
                .bind(request.updated_at)
                .bind(rows::request_json(&request)?)
                .bind(origin)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_error)?;
                let Some((id,)) = inserted else {
                    // Created before by the same origin: hand back that request, write nothing.
                    let (id, version, state, data): (i64, i64, String, String) = sqlx::query_as(
                        "SELECT id, version, state, data FROM requests WHERE origin = $1",
                    )
                    .bind(origin)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db_error)?;
                    tx.rollback().await.map_err(db_error)?;
                    return rows::request_from_row(id, version, &state, &data);
                };
                request.id = ShortId(id);
                // Keep `data` self-consistent for anyone reading the table directly.
                sqlx::query("UPDATE requests SET data = $1 WHERE id = $2")
                    .bind(rows::request_json(&request)?)
                    .bind(id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_error)?;
                let (event, jobs) = effects(&request);
                Self::append_audit_in(&mut tx, &event).await?;
                Self::insert_jobs_in(&mut tx, &jobs).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(request)
            }

            async fn transition(&self, write: TransitionWrite) -> Result<bool, StoreError> {
                let request = &write.request;
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE requests SET version = $1, state = $2, data = $3, updated_at = $4 \
                     WHERE id = $5 AND version = $6",
                )
                .bind(request.version)
                .bind(request.state.as_str())
                .bind(rows::request_json(request)?)
                .bind(request.updated_at)
                .bind(request.id.0)
                .bind(write.expected_version)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?
                .rows_affected();
                if updated == 0 {
                    tx.rollback().await.map_err(db_error)?;
                    return Ok(false);
                }
                if let Some(decision) = &write.decision {
                    let inserted = sqlx::query(
                        "INSERT INTO approvals \
                         (request_id, approver_entra_id, approve, reason, decided_at) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (request_id, approver_entra_id) DO NOTHING",
                    )
                    .bind(request.id.0)
                    .bind(&decision.approver.entra_id)
                    .bind(decision.approve)
                    .bind(decision.reason.as_deref())
                    .bind(decision.at)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_error)?
                    .rows_affected();
                    if inserted == 0 {
                        tx.rollback().await.map_err(db_error)?;
                        return Ok(false);
                    }
                }
                Self::append_audit_in(&mut tx, &write.audit).await?;
                Self::insert_jobs_in(&mut tx, &write.jobs).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(true)
            }

            async fn request(&self, id: ShortId) -> Result<Option<Request>, StoreError> {
                let row: Option<(i64, i64, String, String)> =
                    sqlx::query_as("SELECT id, version, state, data FROM requests WHERE id = $1")
                        .bind(id.0)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_error)?;
                row.map(|(id, version, state, data)| {
                    rows::request_from_row(id, version, &state, &data)
                })
                .transpose()
            }

            async fn requests_of(
                &self,
                requester_entra_id: &str,
                limit: u32,
            ) -> Result<Vec<Request>, StoreError> {
                let found = sqlx::query_as(
                    "SELECT id, version, state, data FROM requests \
                     WHERE requester_entra_id = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(requester_entra_id)
                .bind(rows::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                Self::requests_from(found)
            }

            async fn pending_requests(&self) -> Result<Vec<Request>, StoreError> {
                self.requests_in(State::PendingApproval).await
            }

            async fn active_requests(&self) -> Result<Vec<Request>, StoreError> {
                self.requests_in(State::Active).await
            }

            async fn append_audit(
                &self,
                event: AuditEvent,
                jobs: Vec<NewJob>,
            ) -> Result<(), StoreError> {
                let write = $crate::store::backend::InboundWrite { delivery: None, audit: Some(event), jobs };
                let $crate::store::backend::InboundWrite { audit: Some(event), jobs, .. } =
                    (match self.grouped(write).await {
                        Ok(done) => return done.map(|_| ()),
                        Err(write) => write,
                    })
                else {
                    return Ok(());
                };
                let mut tx = self.begin_write().await?;
                Self::append_audit_in(&mut tx, &event).await?;
                Self::insert_jobs_in(&mut tx, &jobs).await?;
                tx.commit().await.map_err(db_error)
            }

            async fn audit_events(
                &self,
                after_seq: i64,
                limit: u32,
            ) -> Result<Vec<StoredAuditEvent>, StoreError> {
                let found: Vec<(i64, String, String, String)> = sqlx::query_as(
                    "SELECT seq, canonical, prev_hash, hash FROM audit_events \
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after_seq)
                .bind(rows::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(found
                    .into_iter()
                    .map(|(seq, canonical, prev_hash, hash)| StoredAuditEvent {
                        seq,
                        canonical,
                        prev_hash,
                        hash,
                    })
                    .collect())
            }

            async fn audit_head(&self) -> Result<AuditAnchor, StoreError> {
                let (seq, hash): (i64, String) =
                    sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_error)?;
                Ok(AuditAnchor { seq, hash })
            }

            async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<(), StoreError> {
                if jobs.is_empty() {
                    return Ok(());
                }
                let write = $crate::store::backend::InboundWrite { delivery: None, audit: None, jobs };
                match self.grouped(write).await {
                    Ok(done) => done.map(|_| ()),
                    Err(write) => self.enqueue_jobs(write.jobs).await,
                }
            }

            async fn claim_jobs(
                &self,
                worker: &str,
                now: DateTime<Utc>,
                lease: std::time::Duration,
                limit: u32,
            ) -> Result<Vec<ClaimedJob>, StoreError> {
                self.claim_leased(worker, now, lease, limit, &[]).await
            }

            async fn claim_lane(
                &self,
                worker: &str,
                now: DateTime<Utc>,
                lease: std::time::Duration,
                limit: u32,
                kinds: &[&str],
            ) -> Result<Vec<ClaimedJob>, StoreError> {
                self.claim_leased(worker, now, lease, limit, kinds).await
            }

            async fn queue_state(&self, now: DateTime<Utc>) -> Result<QueueState, StoreError> {
                self.queued(now).await
            }

            fn watch_jobs(
                &self,
                wake: std::sync::Arc<tokio::sync::Notify>,
            ) -> Option<tokio::task::AbortHandle> {
                self.job_listener(wake)
            }

            async fn complete_job(&self, id: i64) -> Result<(), StoreError> {
                self.delete_job(id).await
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
                let _turn = self.write_turn().await;
                let renewed = sqlx::query(
                    "UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3",
                )
                .bind(until)
                .bind(id)
                .bind(worker)
                .execute(&self.writer)
                .await
                .map_err(db_error)?
                .rows_affected();
                Ok(renewed == 1)
            }

            async fn stalled_requests(&self) -> Result<Vec<Request>, StoreError> {
                let found = sqlx::query_as(
                    "SELECT r.id, r.version, r.state, r.data FROM requests r \
                     WHERE r.state IN ($1, $2, $3, $4, $5) \
                     AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id) \
                     ORDER BY r.id",
                )
                .bind(State::PendingApproval.as_str())
                .bind(State::Approved.as_str())
                .bind(State::Activating.as_str())
                .bind(State::Active.as_str())
                .bind(State::Ending.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                Self::requests_from(found)
            }

            async fn save_message(
                &self,
                request: ShortId,
                platform: Platform,
                message: &MessageRef,
            ) -> Result<(), StoreError> {
                let _turn = self.write_turn().await;
                sqlx::query(
                    "INSERT INTO chat_messages (request_id, platform, conversation, message_id) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (request_id, platform) DO UPDATE \
                     SET conversation = excluded.conversation, message_id = excluded.message_id",
                )
                .bind(request.0)
                .bind(platform.as_str())
                .bind(&message.conversation)
                .bind(&message.message_id)
                .execute(&self.writer)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            async fn message(
                &self,
                request: ShortId,
                platform: Platform,
            ) -> Result<Option<MessageRef>, StoreError> {
                let row: Option<(String, String)> = sqlx::query_as(
                    "SELECT conversation, message_id FROM chat_messages \
                     WHERE request_id = $1 AND platform = $2",
                )
                .bind(request.0)
                .bind(platform.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(row.map(|(conversation, message_id)| MessageRef {
                    conversation,
                    message_id,
                }))
            }

            async fn identity(
                &self,
                platform: Platform,
                chat_id: &str,
            ) -> Result<Option<CachedIdentity>, StoreError> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT data FROM identities WHERE platform = $1 AND chat_id = $2",
                )
                .bind(platform.as_str())
                .bind(chat_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                row.map(|(data,)| rows::identity_from_row(&data)).transpose()
            }

            async fn identities_of(
                &self,
                platform: Platform,
                entra_id: &str,
            ) -> Result<Vec<CachedIdentity>, StoreError> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT data FROM identities WHERE platform = $1 AND entra_id = $2 \
                     ORDER BY chat_id",
                )
                .bind(platform.as_str())
                .bind(entra_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                rows.iter()
                    .map(|(data,)| rows::identity_from_row(data))
                    .collect()
            }

            async fn save_identity(&self, identity: &CachedIdentity) -> Result<(), StoreError> {
                let _turn = self.write_turn().await;
                sqlx::query(
                    "INSERT INTO identities (platform, chat_id, entra_id, data, fetched_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform, chat_id) DO UPDATE \
                     SET entra_id = excluded.entra_id, data = excluded.data, \
                     fetched_at = excluded.fetched_at",
                )
                .bind(identity.platform.as_str())
                .bind(&identity.chat_id)
                .bind(&identity.user.id)
                .bind(rows::identity_json(identity)?)
                .bind(identity.fetched_at)
                .execute(&self.writer)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            async fn first_delivery(&self, key: &str) -> Result<bool, StoreError> {
                let _turn = self.write_turn().await;
                let inserted = sqlx::query(
                    "INSERT INTO deliveries (key, seen_at) VALUES ($1, $2) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(Utc::now())
                .execute(&self.writer)
                .await
                .map_err(db_error)?
                .rows_affected();
                Ok(inserted == 1)
            }

            async fn record_delivery(
                &self,
                key: &str,
                audit: Option<AuditEvent>,
                jobs: Vec<NewJob>,
            ) -> Result<bool, StoreError> {
                let write = $crate::store::backend::InboundWrite {
                    delivery: Some(key.to_owned()),
                    audit,
                    jobs,
                };
                let $crate::store::backend::InboundWrite { audit, jobs, .. } =
                    match self.grouped(write).await {
                        Ok(done) => return done,
                        Err(write) => write,
                    };
                let mut tx = self.begin_write().await?;
                let inserted = sqlx::query(
                    "INSERT INTO deliveries (key, seen_at) VALUES ($1, $2) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(Utc::now())
                .execute(&mut **tx)
                .await
                .map_err(db_error)?
                .rows_affected();
                if inserted == 0 {
                    return Ok(false);
                }
                if let Some(event) = &audit {
                    Self::append_audit_in(&mut tx, event).await?;
                }
                Self::insert_jobs_in(&mut tx, &jobs).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(true)
            }

            async fn save_conversation_ref(
                &self,
                reference: &$crate::service::ports::ConversationRef,
            ) -> Result<(), StoreError> {
                let _turn = self.write_turn().await;
                sqlx::query(
                    "INSERT INTO conversation_refs \
                     (platform, key, conversation_id, service_url, tenant_id, member_id, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (platform, key) DO UPDATE \
                     SET conversation_id = COALESCE(excluded.conversation_id, conversation_refs.conversation_id), \
                     service_url = excluded.service_url, \
                     tenant_id = COALESCE(excluded.tenant_id, conversation_refs.tenant_id), \
                     member_id = COALESCE(excluded.member_id, conversation_refs.member_id), \
                     updated_at = excluded.updated_at",
                )
                .bind(reference.platform.as_str())
                .bind(&reference.key)
                .bind(&reference.conversation_id)
                .bind(&reference.service_url)
                .bind(&reference.tenant_id)
                .bind(&reference.member_id)
                .bind(Utc::now())
                .execute(&self.writer)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            async fn conversation_ref(
                &self,
                platform: Platform,
                key: &str,
            ) -> Result<Option<$crate::service::ports::ConversationRef>, StoreError> {
                type Row = (Option<String>, String, Option<String>, Option<String>);
                let row: Option<Row> = sqlx::query_as(
                    "SELECT conversation_id, service_url, tenant_id, member_id \
                     FROM conversation_refs WHERE platform = $1 AND key = $2",
                )
                .bind(platform.as_str())
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(row.map(|(conversation_id, service_url, tenant_id, member_id)| {
                    $crate::service::ports::ConversationRef {
                        platform,
                        key: key.to_owned(),
                        conversation_id,
                        service_url,
                        tenant_id,
                        member_id,
                    }
                }))
            }
        }
    };
}

pub(crate) use sql_store;
