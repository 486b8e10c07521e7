//! The database: reachable, and every migration this version ships applied. Only reads: a
//! SQLite file is opened without being created, and nothing is migrated.

use std::collections::BTreeSet;
use std::str::FromStr;

use sqlx::Connection;

use super::Line;
use crate::store::Backend;

const CHECK: &str = "database";

pub(super) async fn check(url: &str) -> Line {
    let shown = crate::store::redact(url);
    let backend = match Backend::of_url(url) {
        Ok(backend) => backend,
        Err(error) => {
            return Line::failed(
                CHECK,
                error.to_string(),
                "set database.url to sqlite://FILE or postgres://…",
            );
        }
    };
    let (known, applied) = match backend {
        Backend::Sqlite => (
            versions(&crate::store::migrations::sqlite()),
            sqlite_applied(url).await,
        ),
        Backend::Postgres => (
            versions(&crate::store::migrations::postgres()),
            postgres_applied(url).await,
        ),
    };
    let applied = match applied {
        Ok(applied) => applied,
        Err(error) => {
            return Line::failed(
                CHECK,
                format!("{shown}: {error}"),
                "make the database reachable with database.url's credentials, then run `pimbot migrate`",
            );
        }
    };
    let pending: Vec<String> = known.difference(&applied).map(i64::to_string).collect();
    if pending.is_empty() {
        Line::passed(
            CHECK,
            format!(
                "{shown} is reachable and fully migrated ({} migrations)",
                known.len()
            ),
        )
    } else {
        Line::failed(
            CHECK,
            format!(
                "{shown} is reachable but {} of {} migrations are not applied (versions {})",
                pending.len(),
                known.len(),
                pending.join(", ")
            ),
            "run `pimbot migrate` (or start `pimbot serve`, which migrates first)",
        )
    }
}

fn versions(migrator: &sqlx::migrate::Migrator) -> BTreeSet<i64> {
    migrator.iter().map(|m| m.version).collect()
}

const APPLIED: &str = "SELECT version FROM _sqlx_migrations WHERE success";

async fn sqlite_applied(url: &str) -> Result<BTreeSet<i64>, String> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(|e| format!("not a SQLite URL: {e}"))?
        .create_if_missing(false);
    let mut connection = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| format!("cannot open it ({e}); a missing file is not created by `check`"))?;
    let exists: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&mut connection)
    .await
    .map_err(|e| e.to_string())?;
    let applied = match exists {
        Some(_) => sqlx::query_scalar::<_, i64>(APPLIED)
            .fetch_all(&mut connection)
            .await
            .map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let _ = connection.close().await;
    Ok(applied.into_iter().collect())
}

async fn postgres_applied(url: &str) -> Result<BTreeSet<i64>, String> {
    let mut connection = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(&mut connection)
        .await
        .map_err(|e| e.to_string())?;
    let applied = match exists {
        Some(_) => sqlx::query_scalar::<_, i64>(APPLIED)
            .fetch_all(&mut connection)
            .await
            .map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let _ = connection.close().await;
    Ok(applied.into_iter().collect())
}
