//! Statements, written once for both databases. [`Sql`] is a statement with its arguments, built
//! like sqlx's own queries (`.bind(…)`, then `.execute()` or `.fetch_all()`), that runs on any
//! [`Driver`] and needs no other bound: generic sqlx code would otherwise repeat a wall of them
//! (`for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>`, `i64: Encode<'q, DB> +
//! Type<DB>`, one for every type bound or read) in every function.
//!
//! They are gathered here, once each:
//!
//! - running a statement, generic over the database, needs only the executor bounds: [`Exec`]
//!   states them once, on its blanket implementation;
//! - a bound value is a [`Value`] and a read row a [`Row`]: anything that encodes (decodes) on
//!   both SQLite and PostgreSQL, which generic code can name without naming the database;
//! - [`Driver`] turns those into the database's own bounds, with one line per method for each
//!   of the two databases.

use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgQueryResult, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteQueryResult, SqliteRow};
use sqlx::{
    Arguments, Database, Encode, Executor, FromRow, IntoArguments, Pool, Postgres, SqlSafeStr,
    SqlStr, Sqlite, Type,
};

use crate::service::ports::StoreError;
use crate::store::db_error;

/// A value a statement binds: one that both databases encode.
pub trait Value<'q>:
    Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres> + Send
{
}

impl<'q, T> Value<'q> for T where
    T: Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres> + Send
{
}

/// A row a statement reads (a tuple of columns): one that both databases decode.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// Where a statement runs: on a pool (a connection of its own), or on the connection of a
/// transaction.
pub enum On<'c, DB: Database> {
    Pool(&'c Pool<DB>),
    Conn(&'c mut DB::Connection),
}

/// Running a statement, for any database sqlx can run statements on.
pub trait Exec: Database {
    /// Every row the statement returns.
    fn fetch_rows<'c>(
        on: On<'c, Self>,
        sql: SqlStr,
        args: Self::Arguments,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'c;

    /// What the statement did.
    fn execute<'c>(
        on: On<'c, Self>,
        sql: SqlStr,
        args: Self::Arguments,
    ) -> impl Future<Output = Result<Self::QueryResult, sqlx::Error>> + Send + 'c;
}

impl<DB> Exec for DB
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
{
    async fn fetch_rows<'c>(
        on: On<'c, Self>,
        sql: SqlStr,
        args: Self::Arguments,
    ) -> Result<Vec<Self::Row>, sqlx::Error> {
        let query = sqlx::query_with(sql, args);
        match on {
            On::Pool(pool) => query.fetch_all(pool).await,
            On::Conn(conn) => query.fetch_all(conn).await,
        }
    }

    async fn execute<'c>(
        on: On<'c, Self>,
        sql: SqlStr,
        args: Self::Arguments,
    ) -> Result<Self::QueryResult, sqlx::Error> {
        let query = sqlx::query_with(sql, args);
        match on {
            On::Pool(pool) => query.execute(pool).await,
            On::Conn(conn) => query.execute(conn).await,
        }
    }
}

/// What generic code cannot say about a database without naming it: how a [`Value`] is bound,
/// how a [`Row`] is read, how many rows a statement changed.
pub trait Driver: Exec {
    fn bind<'q, T: Value<'q>>(args: &mut Self::Arguments, value: T) -> Result<(), BoxDynError>;
    fn decode<O: Row>(row: &Self::Row) -> Result<O, sqlx::Error>;
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

impl Driver for Sqlite {
    fn bind<'q, T: Value<'q>>(args: &mut SqliteArguments, value: T) -> Result<(), BoxDynError> {
        args.add(value)
    }
    fn decode<O: Row>(row: &SqliteRow) -> Result<O, sqlx::Error> {
        O::from_row(row)
    }
    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl Driver for Postgres {
    fn bind<'q, T: Value<'q>>(args: &mut PgArguments, value: T) -> Result<(), BoxDynError> {
        args.add(value)
    }
    fn decode<O: Row>(row: &PgRow) -> Result<O, sqlx::Error> {
        O::from_row(row)
    }
    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}

/// A statement and its arguments, ready to run [`On`] a pool or a transaction.
#[must_use = "a statement does nothing until it is executed or fetched"]
pub(crate) struct Sql<'c, D: Driver> {
    on: On<'c, D>,
    text: SqlStr,
    args: D::Arguments,
    /// The first value that could not be bound, like sqlx's own queries: reported when the
    /// statement runs.
    unbound: Option<BoxDynError>,
}

impl<'c, D: Driver> Sql<'c, D> {
    pub(crate) fn new(on: On<'c, D>, text: impl SqlSafeStr) -> Self {
        Self {
            on,
            text: text.into_sql_str(),
            args: D::Arguments::default(),
            unbound: None,
        }
    }

    /// Binds the next placeholder (`$1`, `$2`, … in order).
    pub(crate) fn bind<'q>(mut self, value: impl Value<'q>) -> Self {
        if self.unbound.is_none()
            && let Err(error) = D::bind(&mut self.args, value)
        {
            self.unbound = Some(error);
        }
        self
    }

    /// The statement and its arguments, if every value was bound.
    fn ready(self) -> Result<(On<'c, D>, SqlStr, D::Arguments), StoreError> {
        match self.unbound {
            Some(error) => Err(db_error(sqlx::Error::Encode(error))),
            None => Ok((self.on, self.text, self.args)),
        }
    }

    /// Runs the statement; the number of rows it changed.
    pub(crate) async fn execute(self) -> Result<u64, StoreError> {
        let (on, text, args) = self.ready()?;
        let done = D::execute(on, text, args).await.map_err(db_error)?;
        Ok(D::rows_affected(&done))
    }

    /// Every row the statement returns.
    pub(crate) async fn fetch_all<O: Row>(self) -> Result<Vec<O>, StoreError> {
        let (on, text, args) = self.ready()?;
        let rows = D::fetch_rows(on, text, args).await.map_err(db_error)?;
        rows.iter()
            .map(|row| D::decode(row).map_err(db_error))
            .collect()
    }

    /// The first row, if any, for a statement that returns at most one. Every row is read, so
    /// an `UPDATE … RETURNING` always runs to its end.
    pub(crate) async fn fetch_optional<O: Row>(self) -> Result<Option<O>, StoreError> {
        Ok(self.fetch_all().await?.into_iter().next())
    }

    /// The first row; a statement that returns none reads corrupt data.
    pub(crate) async fn fetch_one<O: Row>(self) -> Result<O, StoreError> {
        self.fetch_optional()
            .await?
            .ok_or_else(|| db_error(sqlx::Error::RowNotFound))
    }
}
