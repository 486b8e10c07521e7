//! What differs between SQLite and PostgreSQL, in one place: [`Dialect`], implemented for
//! [`sqlx::Sqlite`] in [`crate::store::sqlite`] and for [`sqlx::Postgres`] in
//! [`crate::store::postgres`]. Everything else is written once, in the sibling modules.

use std::sync::Arc;

use tokio::sync::OwnedMutexGuard;

use crate::service::jobs::JobsReady;
use tokio::task::AbortHandle;

use super::{Driver, InboundWrite, SqlStore};
use crate::service::ports::StoreError;

/// A database the store runs on, and how it differs.
pub trait Dialect: Driver {
    /// The statement that opens a write transaction. SQLite's `BEGIN IMMEDIATE` takes the write
    /// lock at once (a deferred transaction that reads first and writes later can fail with
    /// `SQLITE_BUSY_SNAPSHOT` instead of waiting); PostgreSQL's plain `BEGIN`.
    const BEGIN_WRITE: &'static str;

    /// Appended to the subquery of the job claim: PostgreSQL's `FOR UPDATE SKIP LOCKED` lets the
    /// workers of several replicas claim different jobs without waiting for each other. SQLite
    /// claims in a `BEGIN IMMEDIATE` transaction, one writer at a time, and needs nothing.
    const SKIP_LOCKED: &'static str;

    /// Run first in a transaction whose commit need not wait for the disk (a job's claim or
    /// completion, which losing in a crash only runs again): PostgreSQL's
    /// `SET LOCAL synchronous_commit = off`. SQLite commits in WAL mode with
    /// `synchronous = NORMAL` already.
    const RELAX_COMMIT: Option<&'static str>;

    /// What a store on this database keeps for writing besides its pools.
    type Writes: Clone + std::fmt::Debug + Send + Sync + 'static;

    /// The turn a write waits for before it takes the writer, held until it is done.
    fn write_turn(
        store: &SqlStore<Self>,
    ) -> impl Future<Output = Option<OwnedMutexGuard<()>>> + Send;

    /// Takes an inbound write to commit together with others (`Ok`, its outcome), or hands it
    /// back to be written in a transaction of its own (`Err`).
    fn grouped(
        store: &SqlStore<Self>,
        write: InboundWrite,
    ) -> impl Future<Output = Result<Result<bool, StoreError>, InboundWrite>> + Send;

    /// A new request id from the database's own sequence of `requests.id`.
    fn next_request_id(
        store: &SqlStore<Self>,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Wakes `wake` whenever another process makes a job runnable, where the database can tell;
    /// the listening task, or `None`.
    fn watch_jobs(store: &SqlStore<Self>, wake: Arc<JobsReady>) -> Option<AbortHandle>;
}
