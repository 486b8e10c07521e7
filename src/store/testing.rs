//! Throwaway PostgreSQL databases for tests: each test gets its own database on a shared server,
//! so tests run in parallel without seeing each other's rows.
//!
//! ```ignore
//! let base = std::env::var("DATABASE_URL")?; // e.g. postgres://postgres@127.0.0.1:5432/test
//! let url = pimbot::store::testing::fresh_test_database(&base).await?;
//! pimbot::store::migrate(&url).await?;
//! let store = pimbot::store::connect(&url).await?;
//! // ...
//! pimbot::store::testing::drop_test_database(&base, &url).await?;
//! ```

use sqlx::{AssertSqlSafe, Connection, PgConnection};

use super::{db_error, redact};
use crate::service::ports::StoreError;

/// Every database made here is named `pimbot_test_<32 hex digits>`.
pub const TEST_DATABASE_PREFIX: &str = "pimbot_test_";

/// Creates an empty, uniquely named database on the server of `base_url` (a `postgres://` URL
/// whose user may `CREATE DATABASE`) and returns the URL of the new database (same server,
/// credentials and query parameters). Not migrated.
pub async fn fresh_test_database(base_url: &str) -> Result<String, StoreError> {
    let name = format!("{TEST_DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(base_url).await.map_err(db_error)?;
    // The name is ours (prefix + hex), so it is safe to splice in.
    let created = sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .map_err(db_error);
    let _ = conn.close().await;
    created?;
    with_database(base_url, &name)
}

/// Drops a database made by [`fresh_test_database`], closing its remaining connections. Refuses
/// any database whose name does not start with [`TEST_DATABASE_PREFIX`].
pub async fn drop_test_database(base_url: &str, database_url: &str) -> Result<(), StoreError> {
    let name = database_name(database_url).unwrap_or_default();
    let safe = name
        .strip_prefix(TEST_DATABASE_PREFIX)
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()));
    if !safe {
        return Err(StoreError::Unavailable(format!(
            "refusing to drop `{}`: not a test database",
            redact(database_url)
        )));
    }
    let mut conn = PgConnection::connect(base_url).await.map_err(db_error)?;
    let dropped = sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .map_err(db_error);
    let _ = conn.close().await;
    dropped.map(|_| ())
}

/// `url` with its database (path) replaced by `name`, keeping the query string.
fn with_database(url: &str, name: &str) -> Result<String, StoreError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        StoreError::Unavailable(format!("`{}` is not a database URL", redact(url)))
    })?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let query = rest[authority_end..]
        .find('?')
        .map_or("", |at| &rest[authority_end + at..]);
    Ok(format!(
        "{scheme}://{}/{name}{query}",
        &rest[..authority_end]
    ))
}

/// The database (path) of a URL.
fn database_name(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let path = &rest[rest.find('/')? + 1..];
    Some(path.split('?').next().unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_database_url_keeps_the_server_credentials_and_parameters() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x").ok(),
            Some("postgres://postgres@127.0.0.1:5432/x".to_owned())
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "x").ok(),
            Some("postgresql://u:p@h/x?sslmode=disable".to_owned())
        );
        assert_eq!(
            with_database("postgres://h:5432?sslmode=disable", "x").ok(),
            Some("postgres://h:5432/x?sslmode=disable".to_owned())
        );
        assert_eq!(database_name("postgres://h/x?a=b"), Some("x"));
    }

    #[tokio::test]
    async fn only_test_databases_may_be_dropped() {
        let refused = drop_test_database("postgres://h/test", "postgres://h/production").await;
        assert!(matches!(refused, Err(StoreError::Unavailable(_))));
    }
}
