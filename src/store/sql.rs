//! The SQL, once, for both databases: [`SqlStore<D>`] implements
//! [`Store`](crate::service::ports::Store) for SQLite and PostgreSQL alike (`SqliteStore` and
//! `PgStore` are its two instances). The same statements run on both (`$N` placeholders,
//! `RETURNING`, `ON CONFLICT`); what differs is the [`Dialect`], in one place, implemented in
//! `store/sqlite.rs` and `store/postgres.rs`.
//!
//! A store holds `pool` for reads and `writer` for writes (the same pool on PostgreSQL; one
//! connection on SQLite), and what its dialect keeps besides ([`Dialect::Writes`]). Every write
//! runs alone on `writer` or in a write transaction (`WriteTx`), both after the dialect's write
//! turn.
//!
//! One module per concern, each adding the methods of its statements to `SqlStore` or `WriteTx`:
//! `requests`, `audit`, `jobs`, `deliveries` (with the inbound writes that go with them), `chat`
//! (approval messages, conversation references), `identities` and `sign_ins` (activate mode's
//! pending and kept sign-ins); `port` is the `Store`
//! implementation, which hands each call to them. Statements are built with `query::Sql`, which
//! keeps sqlx's generic bounds out of all of them (see [`Driver`]).

mod audit;
mod chat;
mod deliveries;
mod dialect;
mod identities;
mod jobs;
mod port;
mod query;
mod requests;
mod sign_ins;

use sqlx::{Pool, SqlSafeStr, Transaction};
use tokio::sync::OwnedMutexGuard;

pub use deliveries::InboundWrite;
pub use dialect::Dialect;
pub(crate) use query::Sql;
pub use query::{Driver, Exec, On, Row, Value};
#[cfg(test)]
pub(crate) use requests::STALLED_REQUESTS;

use super::db_error;
use crate::service::ports::StoreError;

/// The store on a database of dialect `D`.
pub struct SqlStore<D: Dialect> {
    /// For reads: never waits for a writer.
    pub(crate) pool: Pool<D>,
    /// For writes, each after the write turn.
    pub(crate) writer: Pool<D>,
    /// What the dialect keeps for writing besides the pools.
    pub(crate) writes: D::Writes,
}

impl<D: Dialect> SqlStore<D> {
    pub(crate) fn new(pool: Pool<D>, writer: Pool<D>, writes: D::Writes) -> Self {
        Self {
            pool,
            writer,
            writes,
        }
    }

    /// The connection pool, for tools and tests.
    pub fn pool(&self) -> &Pool<D> {
        &self.pool
    }

    /// A statement on the read pool.
    pub(crate) fn read(&self, text: impl SqlSafeStr) -> Sql<'_, D> {
        Sql::new(On::Pool(&self.pool), text)
    }

    /// A statement written alone, outside a transaction: the caller holds the write turn.
    pub(crate) fn write(&self, text: impl SqlSafeStr) -> Sql<'_, D> {
        Sql::new(On::Pool(&self.writer), text)
    }

    /// The turn a write waits for before the writer (see [`Dialect::write_turn`]).
    pub(crate) async fn write_turn(&self) -> Option<OwnedMutexGuard<()>> {
        D::write_turn(self).await
    }

    /// Opens a write transaction, after the write turn.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx<D>, StoreError> {
        let turn = self.write_turn().await;
        WriteTx::begin(&self.writer, turn).await
    }
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self::new(self.pool.clone(), self.writer.clone(), self.writes.clone())
    }
}

impl<D: Dialect> std::fmt::Debug for SqlStore<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("database", &D::NAME)
            .field("pool", &self.pool)
            .field("writes", &self.writes)
            .finish_non_exhaustive()
    }
}

/// A write transaction, holding the store's write turn until it commits or is dropped (which
/// rolls it back).
pub(crate) struct WriteTx<D: Dialect> {
    tx: Transaction<'static, D>,
    /// Dropped after `tx` (fields drop in order), so the turn outlasts the rollback.
    _turn: Option<OwnedMutexGuard<()>>,
}

impl<D: Dialect> WriteTx<D> {
    /// Opens a write transaction on `writer` with [`Dialect::BEGIN_WRITE`], holding `turn`.
    pub(crate) async fn begin(
        writer: &Pool<D>,
        turn: Option<OwnedMutexGuard<()>>,
    ) -> Result<Self, StoreError> {
        let tx = writer.begin_with(D::BEGIN_WRITE).await.map_err(db_error)?;
        Ok(Self { tx, _turn: turn })
    }

    /// A statement in this transaction.
    pub(crate) fn sql(&mut self, text: impl SqlSafeStr) -> Sql<'_, D> {
        Sql::new(self.on(), text)
    }

    /// Where this transaction's statements run.
    pub(crate) fn on(&mut self) -> On<'_, D> {
        On::Conn(&mut *self.tx)
    }

    /// Lets this transaction commit without waiting for the disk (see [`Dialect::RELAX_COMMIT`]).
    pub(crate) async fn relax_commit(&mut self) -> Result<(), StoreError> {
        if let Some(relax) = D::RELAX_COMMIT {
            self.sql(relax).execute().await?;
        }
        Ok(())
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(db_error)
    }

    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await.map_err(db_error)
    }
}
