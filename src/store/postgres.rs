//! The store on PostgreSQL. Transactions run at READ COMMITTED; the request version
//! compare-and-set, the `audit_head` row lock and `FOR UPDATE SKIP LOCKED` on jobs make
//! several replicas safe.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::backend::sql_store;
use super::{db_error, migrate_error, redact, rows};
use crate::domain::audit::{AuditAnchor, AuditEvent, StoredAuditEvent, chain_hash};
use crate::domain::request::{Platform, Request, ShortId, State};
use crate::service::jobs::{ClaimedJob, NewJob, QueueState};
use crate::service::ports::{
    CachedIdentity, CreateEffects, MessageRef, Store, StoreError, TransitionWrite,
};

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The same pool: PostgreSQL takes concurrent writers.
    writer: PgPool,
}

/// How long a query waits for a pooled connection before the store reports the database away.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl PgStore {
    /// Connects to a `postgres://` or `postgresql://` URL. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Unavailable(format!("bad PostgreSQL URL `{}`: {e}", redact(url)))
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            // While the database is away, a chat request must hear "try again shortly" within
            // the platform's 3 s deadline rather than wait the default 30 s for a connection.
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(db_error)?;
        Ok(Self {
            writer: pool.clone(),
            pool,
        })
    }

    /// Applies pending migrations (`migrations/postgres`, embedded; under an advisory lock, so replicas
    /// starting together do not race).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        super::migrations::postgres()
            .run(&self.pool)
            .await
            .map_err(migrate_error)
    }

    /// The connection pool, for tools and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// PostgreSQL takes concurrent writers: each is written on its own.
    async fn grouped(
        &self,
        write: super::backend::InboundWrite,
    ) -> Result<Result<bool, StoreError>, super::backend::InboundWrite> {
        Err(write)
    }

    /// This transaction's commit does not wait for the WAL to reach the disk (see
    /// [`super::backend::jobs`]).
    async fn relax_commit(conn: &mut sqlx::PgConnection) -> Result<(), StoreError> {
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// PostgreSQL takes concurrent writers: no one waits for a turn.
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        None
    }

    /// Listens on [`JOBS_CHANNEL`] (the `jobs_notify` trigger of migration 0005 notifies it when
    /// a job is inserted or rescheduled) and wakes `wake` for each notification, and also after
    /// a lost connection, when notifications may have been missed.
    fn job_listener(
        &self,
        wake: std::sync::Arc<tokio::sync::Notify>,
    ) -> Option<tokio::task::AbortHandle> {
        let pool = self.pool.clone();
        let task = tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(error) = listener.listen(JOBS_CHANNEL).await {
                            tracing::warn!(%error, "could not LISTEN for jobs; polling meanwhile");
                        } else {
                            // Jobs may have come while nobody listened.
                            wake.notify_one();
                            loop {
                                match listener.try_recv().await {
                                    Ok(Some(_)) => wake.notify_one(),
                                    // The connection dropped and was re-established.
                                    Ok(None) => wake.notify_one(),
                                    Err(error) => {
                                        tracing::warn!(%error, "lost the LISTEN connection for jobs; polling meanwhile");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%error, "cannot LISTEN for jobs yet; polling meanwhile");
                    }
                }
                tokio::time::sleep(LISTEN_RETRY).await;
            }
        });
        Some(task.abort_handle())
    }
}

/// The channel the `jobs_notify` trigger notifies.
const JOBS_CHANNEL: &str = "pimbot_jobs";
/// How long to wait before listening again after the connection was lost.
const LISTEN_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

sql_store! {
    store: PgStore,
    db: sqlx::Postgres,
    conn: sqlx::PgConnection,
    begin_write: "BEGIN",
    skip_locked: " FOR UPDATE SKIP LOCKED",
}
