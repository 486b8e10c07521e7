//! The store on SQLite: one file, WAL, foreign keys on. Reads share a pool of connections; every
//! write goes through a pool of exactly one connection, so a process's writers queue in that
//! pool (in order, without polling) instead of racing for the file lock, and only writers of
//! other processes on the same file (a second replica, `pimbot audit`) meet the busy timeout.
//! Write transactions begin with `BEGIN IMMEDIATE`, which takes the lock at once.
//!
//! WAL checkpoints run in a task of their own (`checkpoint`), not on the writer's commits.
//!
//! The worker's writes take one more turn first (`background`): at most one of them waits for
//! the writer connection at a time, so an inbound request's write (the ack someone waits for)
//! has at most one worker transaction ahead of it, however busy the worker is.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{Mutex, OwnedMutexGuard};

mod checkpoint;
mod group;

use super::sql::{Dialect, InboundWrite, SqlStore};
use super::{db_error, migrate_error, redact};
use crate::service::jobs::{JobsReady, WritePriority};
use crate::service::ports::StoreError;

/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write waits for this process's writer connection.
const WRITER_WAIT: Duration = Duration::from_secs(10);

/// The store on a SQLite file.
pub type SqliteStore = SqlStore<Sqlite>;

/// What a SQLite store keeps for writing besides its pools.
#[derive(Debug, Clone)]
pub struct SqliteWrites {
    /// The worker's writes queue here before they queue for the writer.
    background: Arc<Mutex<()>>,
    /// Inbound requests' writes, committed together.
    inbound: group::GroupCommit,
}

impl SqlStore<Sqlite> {
    /// Opens (creating if missing) the database file named by a `sqlite:` URL. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL `{}`: {e}", redact(url))))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(WRITER_WAIT)
            .connect_with(options.clone().pragma(
                "wal_autocheckpoint",
                checkpoint::WRITER_THRESHOLD.to_string(),
            ))
            .await
            .map_err(db_error)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await
            .map_err(db_error)?;
        let inbound = group::GroupCommit::start(writer.clone());
        checkpoint::start(options, inbound.alive());
        let writes = SqliteWrites {
            background: Arc::default(),
            inbound,
        };
        Ok(SqlStore::new(pool, writer, writes))
    }

    /// Applies pending migrations (`migrations/sqlite`, embedded).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        super::migrations::sqlite()
            .run(&self.writer)
            .await
            .map_err(migrate_error)
    }
}

impl Dialect for Sqlite {
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const SKIP_LOCKED: &'static str = "";
    const RELAX_COMMIT: Option<&'static str> = None;

    type Writes = SqliteWrites;

    /// None for inbound requests, the one background turn for the worker's writes.
    async fn write_turn(store: &SqliteStore) -> Option<OwnedMutexGuard<()>> {
        match WritePriority::current() {
            WritePriority::Inbound => None,
            WritePriority::Background => Some(store.writes.background.clone().lock_owned().await),
        }
    }

    /// An inbound request's write goes to the group commit; the worker's is handed back, to be
    /// written on its own.
    async fn grouped(
        store: &SqliteStore,
        write: InboundWrite,
    ) -> Result<Result<bool, StoreError>, InboundWrite> {
        match WritePriority::current() {
            WritePriority::Inbound => Ok(store.writes.inbound.write(write).await),
            WritePriority::Background => Err(write),
        }
    }

    /// `AUTOINCREMENT` keeps the last id of `requests` in `sqlite_sequence`, which ordinary
    /// statements may change: taking the next one there leaves a row inserted with it, or
    /// without an id by an older pimbot, beyond every id handed out. The row is made first if no
    /// request was ever inserted.
    async fn next_request_id(store: &SqliteStore) -> Result<i64, StoreError> {
        let mut tx = store.begin_write().await?;
        tx.sql(
            "INSERT INTO sqlite_sequence (name, seq) \
             SELECT 'requests', (SELECT COALESCE(MAX(id), 0) FROM requests) \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'requests')",
        )
        .execute()
        .await?;
        let (id,): (i64,) = tx
            .sql("UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'requests' RETURNING seq")
            .fetch_one()
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Another process on the same file cannot signal: the worker's polling finds its jobs.
    fn watch_jobs(_store: &SqliteStore, _wake: Arc<JobsReady>) -> Option<tokio::task::AbortHandle> {
        None
    }
}
