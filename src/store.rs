//! The [`Store`] port on SQLite and PostgreSQL (sqlx, runtime-checked queries).
//!
//! One body of SQL serves both databases: `sql` holds it, one module per concern, as generic
//! code over a `Dialect` ([`SqliteStore`] and [`PgStore`] are the same store on `sqlx::Sqlite`
//! and `sqlx::Postgres`), with `$N` placeholders (SQLite accepts them) and the few differences in
//! the dialect (how a write transaction begins, PostgreSQL's `FOR UPDATE SKIP LOCKED` when
//! claiming jobs and its LISTEN/NOTIFY, SQLite's write turn and group commit of inbound writes,
//! where request ids come from). Each database has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`), embedded at compile time.
//!
//! Opening a store never changes the schema: [`connect`] only connects, [`migrate`] (or
//! [`SqliteStore::migrate`] / [`PgStore::migrate`]) applies pending migrations, and
//! [`connect_and_migrate`] does both (what `serve` wants). Migrations are idempotent and, on
//! PostgreSQL, take an advisory lock, so replicas may all run them at start.
//!
//! URLs: `sqlite://pimbot.db` (relative to the working directory), `sqlite:///abs/path.db`,
//! `sqlite:pimbot.db`; a missing SQLite file is created. `postgres://…` or `postgresql://…`.

pub(crate) mod migrations;
mod postgres;
mod rows;
pub mod sql;
mod sqlite;
pub mod testing;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::service::ports::{Store, StoreError};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite:` → SQLite, `postgres://` / `postgresql://` → PostgreSQL.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Unavailable(format!(
                "unsupported database URL `{}`: use sqlite://FILE or postgres://…",
                redact(url)
            )))
        }
    }
}

/// Connects to the database at `url` without touching the schema.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match Backend::of_url(url)? {
        Backend::Sqlite => Arc::new(SqliteStore::connect(url).await?),
        Backend::Postgres => Arc::new(PgStore::connect(url).await?),
    })
}

/// Applies pending migrations to the database at `url` (creating a missing SQLite file), then
/// closes the connection.
pub async fn migrate(url: &str) -> Result<(), StoreError> {
    match Backend::of_url(url)? {
        Backend::Sqlite => {
            let store = SqliteStore::connect(url).await?;
            store.migrate().await?;
            store.pool().close().await;
        }
        Backend::Postgres => {
            let store = PgStore::connect(url).await?;
            store.migrate().await?;
            store.pool().close().await;
        }
    }
    Ok(())
}

/// Connects and applies pending migrations on the same pool.
pub async fn connect_and_migrate(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match Backend::of_url(url)? {
        Backend::Sqlite => {
            let store = SqliteStore::connect(url).await?;
            store.migrate().await?;
            Arc::new(store)
        }
        Backend::Postgres => {
            let store = PgStore::connect(url).await?;
            store.migrate().await?;
            Arc::new(store)
        }
    })
}

/// Maps a sqlx error: what cannot be decoded is corrupt data, everything else means the database
/// is not doing its job (down, refusing, timing out).
pub(crate) fn db_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::RowNotFound
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_) => StoreError::Corrupt(error.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

pub(crate) fn migrate_error(error: sqlx::migrate::MigrateError) -> StoreError {
    StoreError::Unavailable(format!("migration failed: {error}"))
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
