//! The store on PostgreSQL. Transactions run at READ COMMITTED; the request version
//! compare-and-set, the `audit_head` row lock and `FOR UPDATE SKIP LOCKED` on jobs make
//! several replicas safe.

use std::str::FromStr;
use std::sync::Arc;

use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::sync::OwnedMutexGuard;

use super::sql::{Dialect, InboundWrite, SqlStore};
use super::{db_error, migrate_error, redact};
use crate::service::jobs::JobsReady;
use crate::service::ports::StoreError;

/// The store on a PostgreSQL database. Its writer is its pool: PostgreSQL takes concurrent
/// writers.
pub type PgStore = SqlStore<Postgres>;

/// How long a query waits for a pooled connection before the store reports the database away.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl SqlStore<Postgres> {
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
        Ok(SqlStore::new(pool.clone(), pool, ()))
    }

    /// Applies pending migrations (`migrations/postgres`, embedded; under an advisory lock, so replicas
    /// starting together do not race).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        super::migrations::postgres()
            .run(&self.pool)
            .await
            .map_err(migrate_error)
    }
}

impl Dialect for Postgres {
    const BEGIN_WRITE: &'static str = "BEGIN";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const RELAX_COMMIT: Option<&'static str> = Some("SET LOCAL synchronous_commit = off");

    /// Nothing: the writer is the pool.
    type Writes = ();

    /// PostgreSQL takes concurrent writers: no one waits for a turn.
    async fn write_turn(_store: &PgStore) -> Option<OwnedMutexGuard<()>> {
        None
    }

    /// PostgreSQL takes concurrent writers: each is written on its own.
    async fn grouped(
        _store: &PgStore,
        write: InboundWrite,
    ) -> Result<Result<bool, StoreError>, InboundWrite> {
        Err(write)
    }

    /// The `BIGSERIAL` sequence of `requests.id`, which a row inserted without an id (by an
    /// older pimbot) takes its id from as well.
    async fn next_request_id(store: &PgStore) -> Result<i64, StoreError> {
        let (id,): (i64,) = store
            .read("SELECT nextval(pg_get_serial_sequence('requests', 'id'))")
            .fetch_one()
            .await?;
        Ok(id)
    }

    /// Listens on `pimbot_jobs` (the `jobs_notify` trigger of migration 0005 notifies it when
    /// a job is inserted or rescheduled) and wakes `wake` for each notification, and also after
    /// a lost connection, when notifications may have been missed.
    fn watch_jobs(store: &PgStore, wake: Arc<JobsReady>) -> Option<tokio::task::AbortHandle> {
        let pool = store.pool.clone();
        let task = tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(error) = listener.listen(JOBS_CHANNEL).await {
                            tracing::warn!(%error, "could not LISTEN for jobs; polling meanwhile");
                        } else {
                            // Jobs may have come while nobody listened.
                            wake.all();
                            loop {
                                match listener.try_recv().await {
                                    Ok(Some(_)) => wake.all(),
                                    // The connection dropped and was re-established.
                                    Ok(None) => wake.all(),
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
