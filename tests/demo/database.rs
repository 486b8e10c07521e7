//! The database a demo test runs on: a SQLite file in `dir`, or a fresh PostgreSQL database
//! when `DATABASE_URL` names one (the suite runs on both). Shared by tests/demo.rs and
//! tests/sandbox_browser.rs.

/// A `--db` value for `DemoOptions::new`.
pub(crate) async fn test_database(dir: &std::path::Path) -> String {
    match std::env::var("DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            pimbot::store::testing::fresh_test_database(&base)
                .await
                .expect("a PostgreSQL test database")
        }
        _ => dir.join("demo.db").display().to_string(),
    }
}
