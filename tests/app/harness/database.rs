//! The test database, and what tests do to it behind pimbot's back.

/// The test database: a SQLite file in `dir`, or a fresh PostgreSQL database.
pub(crate) async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            pimbot::store::testing::fresh_test_database(&base)
                .await
                .expect("create a PostgreSQL test database")
        }
        _ => format!("sqlite://{}", dir.join("pimbot.db").display()),
    }
}

/// Edits one stored audit event behind pimbot's back, bypassing the append-only triggers the way
/// an attacker with database access could.
pub(crate) async fn tamper_with_audit_event(database_url: &str, seq: i64) {
    let edit = "UPDATE audit_events SET canonical = replace(canonical, 'rotating', 'ROTATING') WHERE seq = $1";
    let rows = if database_url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(database_url)
            .await
            .expect("open sqlite");
        sqlx::query("DROP TRIGGER audit_events_no_update")
            .execute(&pool)
            .await
            .expect("drop trigger");
        sqlx::query(edit)
            .bind(seq)
            .execute(&pool)
            .await
            .expect("edit")
            .rows_affected()
    } else {
        let pool = sqlx::PgPool::connect(database_url)
            .await
            .expect("open postgres");
        sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER ALL")
            .execute(&pool)
            .await
            .expect("disable");
        sqlx::query(edit)
            .bind(seq)
            .execute(&pool)
            .await
            .expect("edit")
            .rows_affected()
    };
    assert_eq!(rows, 1, "the event exists and was edited");
}

/// Runs `$query` (a `sqlx::query` with its binds, written once for both databases) against the
/// test database at `$database_url`, behind pimbot's back; the rows it affected.
macro_rules! execute {
    ($database_url:expr, $query:expr) => {
        if $database_url.starts_with("sqlite") {
            let pool = sqlx::SqlitePool::connect($database_url)
                .await
                .expect("open sqlite");
            $query.execute(&pool).await.expect("sql").rows_affected()
        } else {
            let pool = sqlx::PgPool::connect($database_url)
                .await
                .expect("open postgres");
            $query.execute(&pool).await.expect("sql").rows_affected()
        }
    };
}

/// Runs one statement with one integer parameter against the test database, behind pimbot's back.
pub(crate) async fn run_sql(database_url: &str, sql: &'static str, parameter: i64) -> u64 {
    execute!(database_url, sqlx::query(sql).bind(parameter))
}

/// Queues a job with `payload` written exactly as given, the way an older pimbot wrote its jobs.
pub(crate) async fn queue_raw_job(database_url: &str, kind: &str, payload: &str) {
    let insert = "INSERT INTO jobs (kind, payload, run_at, attempts, created_at) \
                  VALUES ($1, $2, $3, 0, $3)";
    let now = chrono::Utc::now();
    let rows = execute!(
        database_url,
        sqlx::query(insert).bind(kind).bind(payload).bind(now)
    );
    assert_eq!(rows, 1, "the job is queued");
}
