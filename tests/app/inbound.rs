//! The edge: forged or stale signatures, bad bodies, operations endpoints, and a tampered trail.

use crate::harness::{TestApp, slack_signature, slash_body};
use crate::story::{TARGETS_TOML, alice_requests};

async fn nothing_stored(app: &TestApp) {
    let events = app.store.audit_events(0, 10).await.expect("store answers");
    assert!(events.is_empty(), "nothing stored: {events:?}");
    // `auth.test` is pimbot's own startup read of its workspace, not an answer to the request.
    let sent: Vec<String> = app
        .slack
        .calls()
        .into_iter()
        .map(|c| c.method)
        .filter(|m| m != "auth.test")
        .collect();
    assert!(sent.is_empty(), "nothing sent to Slack: {sent:?}");
}

#[tokio::test]
async fn a_request_with_a_forged_signature_is_rejected_and_nothing_is_stored() {
    let app = TestApp::start().await;
    let body = slash_body(
        "UALICE",
        "request app1-secrets for 1h",
        "http://127.0.0.1:9/r",
    );
    let ts = chrono::Utc::now().timestamp();
    let response = reqwest::Client::new()
        .post(format!("{}/slack/commands", app.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header(
            "x-slack-signature",
            slack_signature("not-the-secret", ts, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .expect("reaches pimbot");
    assert_eq!(response.status(), 401);
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_slack_request_signed_301_seconds_ago_is_rejected() {
    let app = TestApp::start().await;
    let body = slash_body("UALICE", "list", "http://127.0.0.1:9/r");
    let response = app
        .post_signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            body,
            301,
        )
        .await;
    assert_eq!(response.status(), 401);
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_request_without_signature_headers_is_rejected() {
    let app = TestApp::start().await;
    let response = reqwest::Client::new()
        .post(format!("{}/slack/interactions", app.base_url))
        .body("payload=%7B%7D")
        .send()
        .await
        .expect("reaches pimbot");
    assert_eq!(response.status(), 401);
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_signed_but_malformed_interaction_payload_is_a_clear_400() {
    let app = TestApp::start().await;
    let response = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            "payload=%7Bnot-json".to_owned(),
            0,
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(!response.text().await.unwrap_or_default().is_empty());
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused() {
    let app = TestApp::start().await;
    let body = slash_body("UALICE", &"x".repeat(70 * 1024), "http://127.0.0.1:9/r");
    let response = app
        .post_signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            body,
            0,
        )
        .await;
    assert_eq!(response.status(), 413);
    nothing_stored(&app).await;
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::start().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    app.slash("UALICE", "help").await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap_or_default();
    assert!(text.contains("pimbot_commands_total"), "{text}");
}

/// A PostgreSQL outage (SQLite is a local file and has no equivalent): readiness says so with the
/// reason, and recovers by itself when the database is back.
#[tokio::test]
async fn readiness_fails_with_the_reason_while_postgres_is_unreachable() {
    let Ok(admin_url) = std::env::var("DATABASE_URL") else {
        return;
    };
    let app = TestApp::start().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    let admin = sqlx::PgPool::connect(&admin_url)
        .await
        .expect("admin connection");
    let name = app
        .database_url
        .rsplit('/')
        .next()
        .expect("db name")
        .to_owned();
    let run = |sql: String| {
        let admin = admin.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&admin)
                .await
                .expect("admin sql")
        }
    };
    let kick = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    );
    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    run(kick).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let reason = ready.text().await.unwrap_or_default();
    assert!(reason.contains("not ready"), "{reason}");
    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.get("/readyz").await.status() != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "recovers when the database is back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_audit_row_edited_in_the_database_makes_audit_verify_fail_naming_it() {
    let app = TestApp::start_with(pimbot::emulator::Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    app.click("UBOB", "approve", &id).await;
    app.wait_for_dm("UALICE", "until").await;
    let database_url = app.database_url.clone();
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_pimbot"))
            .args(["audit", "verify"])
            .env("PIMBOT_DATABASE__URL", &database_url)
            .env_remove("DATABASE_URL")
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run pimbot")
    };
    let intact = verify();
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stdout).contains("intact"));

    crate::harness::tamper_with_audit_event(&database_url, 2).await;

    let broken = verify();
    assert!(!broken.status.success());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(stderr.contains("audit event 2"), "names the row: {stderr}");
}
