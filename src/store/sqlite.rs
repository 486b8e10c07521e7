//! The store on SQLite: one file, WAL, foreign keys on. Reads share a pool of connections; every
//! write goes through a pool of exactly one connection, so a process's writers queue in that
//! pool (in order, without polling) instead of racing for the file lock, and only writers of
//! other processes on the same file (a second replica, `pimbot audit`) meet the busy timeout.
//! Write transactions begin with `BEGIN IMMEDIATE`, which takes the lock at once.
//!
//! The worker's writes take one more turn first (`background`): at most one of them waits for
//! the writer connection at a time, so an inbound request's write (the ack someone waits for)
//! has at most one worker transaction ahead of it, however busy the worker is.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

mod group;

use super::backend::sql_store;
use super::{db_error, migrate_error, redact, rows};
use crate::domain::audit::{AuditAnchor, AuditEvent, StoredAuditEvent, chain_hash};
use crate::domain::request::{Platform, Request, ShortId, State};
use crate::service::jobs::{ClaimedJob, NewJob, QueueState, WritePriority};
use crate::service::ports::{
    CachedIdentity, CreateEffects, MessageRef, Store, StoreError, TransitionWrite,
};

/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write waits for this process's writer connection.
const WRITER_WAIT: Duration = Duration::from_secs(10);

/// The store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: SqlitePool,
    /// The worker's writes queue here before they queue for `writer`.
    background: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Inbound requests' writes, committed together.
    inbound: group::GroupCommit,
}

impl SqliteStore {
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
            .connect_with(options.clone())
            .await
            .map_err(db_error)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(db_error)?;
        Ok(Self {
            pool,
            inbound: group::GroupCommit::start(writer.clone()),
            writer,
            background: std::sync::Arc::default(),
        })
    }

    /// The turn a write waits for before the writer connection: none for inbound requests,
    /// the one background turn for the worker's.
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match WritePriority::current() {
            WritePriority::Inbound => None,
            WritePriority::Background => Some(self.background.clone().lock_owned().await),
        }
    }

    /// SQLite commits in WAL mode with `synchronous = NORMAL` already: nothing to relax.
    async fn relax_commit(_conn: &mut sqlx::SqliteConnection) -> Result<(), StoreError> {
        Ok(())
    }

    /// An inbound request's write goes to the group commit; the worker's is handed back, to be
    /// written on its own.
    async fn grouped(
        &self,
        write: super::backend::InboundWrite,
    ) -> Result<Result<bool, StoreError>, super::backend::InboundWrite> {
        match WritePriority::current() {
            WritePriority::Inbound => Ok(self.inbound.write(write).await),
            WritePriority::Background => Err(write),
        }
    }

    /// Another process on the same file cannot signal: the worker's polling finds its jobs.
    fn job_listener(
        &self,
        _wake: std::sync::Arc<tokio::sync::Notify>,
    ) -> Option<tokio::task::AbortHandle> {
        None
    }

    /// Applies pending migrations (`migrations/sqlite`, embedded).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        super::migrations::sqlite()
            .run(&self.writer)
            .await
            .map_err(migrate_error)
    }

    /// The connection pool, for tools and tests.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

sql_store! {
    store: SqliteStore,
    db: sqlx::Sqlite,
    conn: sqlx::SqliteConnection,
    begin_write: "BEGIN IMMEDIATE",
    skip_locked: "",
}
