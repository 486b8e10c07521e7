//! The schema migrations, embedded in the binary with `include_str!`, so cargo rebuilds when one
//! changes and no build script or `sqlx::migrate!` macro (with its own compile of the database
//! drivers) is needed. A migration is added by adding its file under `migrations/<dialect>/` and
//! its line here; the tests below fail if a file is missing from this list, or if what is embedded
//! differs in version, description or checksum from what sqlx reads from the directory (and has
//! recorded in databases migrated by earlier builds).

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// Version, description (the file name after the version, `_` read as a space) and SQL.
type Embedded = (i64, &'static str, &'static str);

const SQLITE: &[Embedded] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "conversation refs",
        include_str!("../../migrations/sqlite/0002_conversation_refs.sql"),
    ),
    (
        3,
        "request origin",
        include_str!("../../migrations/sqlite/0003_request_origin.sql"),
    ),
    (
        4,
        "sign ins",
        include_str!("../../migrations/sqlite/0004_sign_ins.sql"),
    ),
    (
        5,
        "jobs lane",
        include_str!("../../migrations/sqlite/0005_jobs_lane.sql"),
    ),
    (
        6,
        "jobs request",
        include_str!("../../migrations/sqlite/0006_jobs_request.sql"),
    ),
];

const POSTGRES: &[Embedded] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "conversation refs",
        include_str!("../../migrations/postgres/0002_conversation_refs.sql"),
    ),
    (
        3,
        "request origin",
        include_str!("../../migrations/postgres/0003_request_origin.sql"),
    ),
    (
        4,
        "audit no truncate",
        include_str!("../../migrations/postgres/0004_audit_no_truncate.sql"),
    ),
    (
        5,
        "jobs notify",
        include_str!("../../migrations/postgres/0005_jobs_notify.sql"),
    ),
    (
        6,
        "sign ins",
        include_str!("../../migrations/postgres/0006_sign_ins.sql"),
    ),
    (
        7,
        "jobs lane",
        include_str!("../../migrations/postgres/0007_jobs_lane.sql"),
    ),
    (
        8,
        "jobs request",
        include_str!("../../migrations/postgres/0008_jobs_request.sql"),
    ),
];

/// SQLite's migrations, in order.
pub(crate) fn sqlite() -> Migrator {
    migrator(SQLITE)
}

/// PostgreSQL's migrations, in order.
pub(crate) fn postgres() -> Migrator {
    migrator(POSTGRES)
}

fn migrator(embedded: &[Embedded]) -> Migrator {
    Migrator::with_migrations(
        embedded
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    // sqlx's own marker for a migration that must run outside a transaction.
                    sql.starts_with("-- no-transaction"),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// What sqlx reads from the directory: what `sqlx::migrate!` embedded in earlier builds.
    async fn from_directory(dialect: &str) -> Migrator {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dialect);
        Migrator::new(dir).await.expect("migrations directory")
    }

    fn summary(migrator: &Migrator) -> Vec<(i64, String, Vec<u8>, bool)> {
        migrator
            .iter()
            .map(|m| {
                (
                    m.version,
                    m.description.to_string(),
                    m.checksum.to_vec(),
                    m.no_tx,
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn every_migration_file_is_embedded_with_the_checksum_sqlx_records() {
        for (dialect, embedded) in [("sqlite", sqlite()), ("postgres", postgres())] {
            let on_disk = from_directory(dialect).await;
            assert_eq!(
                summary(&embedded),
                summary(&on_disk),
                "migrations/{dialect} and src/store/migrations.rs disagree: add the new file's line"
            );
            assert!(on_disk.iter().next().is_some(), "{dialect} has migrations");
        }
    }
}
