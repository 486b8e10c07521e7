//! The `pimbot` binary as an operator runs it.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn pimbot(args: &[&str], env: &[(&str, String)], dir: &std::path::Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pimbot"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run pimbot")
}

fn serve_env(dir: &std::path::Path, port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("PIMBOT_SERVER__LISTEN", format!("127.0.0.1:{port}")),
        (
            "PIMBOT_DATABASE__URL",
            format!("sqlite://{}", dir.join("pimbot.db").display()),
        ),
        (
            "PIMBOT_AZURE__TENANT_ID",
            "8a3e5c1f-2b4d-4e6f-9a1b-3c5d7e9f1a2b".to_owned(),
        ),
        (
            "PIMBOT_AZURE__CLIENT_ID",
            "11111111-2222-3333-4444-555555555555".to_owned(),
        ),
        ("PIMBOT_AZURE__CLIENT_SECRET", "s3cret-value".to_owned()),
        (
            "PIMBOT_AZURE__AUTHORITY_HOST",
            "http://127.0.0.1:9".to_owned(),
        ),
        ("PIMBOT_AZURE__GRAPH_URL", "http://127.0.0.1:9".to_owned()),
        (
            "PIMBOT_SLACK__SIGNING_SECRETS",
            "signing-secret-value".to_owned(),
        ),
        ("PIMBOT_SLACK__BOT_TOKEN", "xoxb-bot-token-value".to_owned()),
    ]
}

/// `pimbot serve` in `dir` on `port`, logging at debug level to a pipe.
fn spawn_serve(
    dir: &std::path::Path,
    port: u16,
    extra_env: &[(&str, String)],
) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_pimbot"))
        .arg("serve")
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "debug")
        .envs(serve_env(dir, port))
        .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pimbot serve")
}

/// One raw HTTP/1.1 exchange with 127.0.0.1:`port`; `None` while nothing listens.
fn exchange(port: u16, request: &[u8]) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.write_all(request).ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

/// Waits for `/readyz` to answer; returns its answer.
fn wait_ready(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let request = b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        if let Some(text) = exchange(port, request) {
            return text;
        }
        assert!(Instant::now() < deadline, "pimbot serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Stops `child` with SIGTERM; its exit status and stderr.
fn stop(child: std::process::Child) -> (std::process::ExitStatus, String) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let output = child.wait_with_output().expect("pimbot exits");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// (`pimbot demo` runs now: tests/demo.rs starts it and stops it with Ctrl-C; `pimbot check`
/// and `pimbot admin` are in tests/check.rs and tests/admin.rs.)
#[test]
fn an_unknown_config_key_stops_startup_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("pimbot.toml"),
        "[slack]\nsigning_secret = \"x\"\n",
    )
    .expect("write");
    let output = pimbot(&["serve"], &[], dir.path());
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("slack.signing_secret"), "{stderr}");
}

#[test]
fn migrate_creates_a_missing_sqlite_database_and_audit_export_reads_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [("PIMBOT_DATABASE__URL", "sqlite://fresh.db".to_owned())];
    let output = pimbot(&["migrate"], &env, dir.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("fresh.db").exists());
    let verify = pimbot(&["audit", "verify"], &env, dir.path());
    assert!(verify.status.success());
    assert!(String::from_utf8_lossy(&verify.stdout).contains("0 events"));
    let export = pimbot(&["audit", "export", "--format", "csv"], &env, dir.path());
    assert!(export.status.success());
    assert!(String::from_utf8_lossy(&export.stdout).starts_with("seq,at,kind"));
    let bad = pimbot(
        &["audit", "export", "--since", "last tuesday"],
        &env,
        dir.path(),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a date"));
}

#[test]
fn serve_answers_probes_and_stops_cleanly_on_sigterm_without_logging_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let child = spawn_serve(dir.path(), port, &[]);
    let ready = wait_ready(port);
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    let (status, stderr) = stop(child);
    assert!(status.success(), "clean exit: {stderr}");
    assert!(stderr.contains("stopped cleanly"), "{stderr}");
    for secret in [
        "s3cret-value",
        "signing-secret-value",
        "xoxb-bot-token-value",
    ] {
        assert!(
            !stderr.contains(secret),
            "a secret reached the logs: {stderr}"
        );
    }
}

/// A refused token's claims are the sender's words: logged quoted, with control characters
/// escaped, so an unauthenticated request cannot write a log line of its own.
#[test]
fn a_forged_issuer_cannot_forge_a_log_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let teams = [
        (
            "PIMBOT_TEAMS__APP_ID",
            "6f1c2d3e-4b5a-4c6d-8e7f-00000000b07a".to_owned(),
        ),
        ("PIMBOT_TEAMS__APP_SECRET", "bot-secret-value".to_owned()),
        (
            "PIMBOT_TEAMS__OPENID_METADATA_URL",
            "http://127.0.0.1:9/meta".to_owned(),
        ),
    ];
    let child = spawn_serve(dir.path(), port, &teams);
    wait_ready(port);
    let forged =
        "https://evil.example\n2026-12-02T00:00:00Z  INFO pimbot: FORGED approval of PIM-1001";
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("any".into());
    let key = include_str!("app/fixtures/teams_test_key.pem");
    let token = jsonwebtoken::encode(
        &header,
        &serde_json::json!({"iss": forged, "aud": "x", "exp": 4_000_000_000u64}),
        &jsonwebtoken::EncodingKey::from_rsa_pem(key.as_bytes()).expect("test key"),
    )
    .expect("sign");
    let body = r#"{"type":"message","channelId":"msteams","text":"help"}"#;
    let request = format!(
        "POST /api/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(port, request.as_bytes()).expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let (_, stderr) = stop(child);
    assert!(
        stderr.contains("evil.example"),
        "the refusal is logged: {stderr}"
    );
    let forged_lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.trim_start().starts_with("2026-12-02T00:00:00Z"))
        .collect();
    assert!(
        forged_lines.is_empty(),
        "a forged log line: {forged_lines:?}"
    );
}

/// A migrated SQLite database in `dir` holding `events` audit events; the URL and the stored
/// events.
fn audited_database(
    dir: &std::path::Path,
    events: i64,
) -> (String, Vec<pimbot::domain::audit::StoredAuditEvent>) {
    use pimbot::domain::audit::{AuditActor, AuditEvent};
    let url = format!("sqlite://{}", dir.join("audited.db").display());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stored = runtime.block_on(async {
        pimbot::store::migrate(&url).await.expect("migrate");
        let store = pimbot::store::connect(&url).await.expect("connect");
        for _ in 0..events {
            let event = AuditEvent::new("request.submitted", None, AuditActor::system(), "ok");
            store.append_audit(event, vec![]).await.expect("append");
        }
        store.audit_events(0, 100).await.expect("read")
    });
    (url, stored)
}

/// Runs SQL on the database behind pimbot's back, as someone with database access could.
fn tamper(url: &str, statements: &[&'static str]) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect(url).await.expect("open");
        for sql in statements {
            sqlx::query(*sql).execute(&pool).await.expect(sql);
        }
        pool.close().await;
    });
}

#[test]
fn audit_verify_finds_events_deleted_from_the_end_of_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _) = audited_database(dir.path(), 4);
    let env = [("PIMBOT_DATABASE__URL", url.clone())];
    let intact = pimbot(&["audit", "verify"], &env, dir.path());
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stdout).contains("4 events"));
    // The last two events go; every remaining link still holds.
    tamper(
        &url,
        &[
            "DROP TRIGGER audit_events_no_delete",
            "DELETE FROM audit_events WHERE seq >= 3",
        ],
    );
    let verify = pimbot(&["audit", "verify"], &env, dir.path());
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(
        !verify.status.success(),
        "a shortened chain fails: {stderr}"
    );
    assert!(
        stderr.contains("events 3 to 4 are missing"),
        "says what is missing: {stderr}"
    );
    // A head moved back behind the remaining events (to event 1, with its hash) is caught too.
    tamper(
        &url,
        &["UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_events WHERE seq = 1)"],
    );
    let behind = pimbot(&["audit", "verify"], &env, dir.path());
    let stderr = String::from_utf8_lossy(&behind.stderr);
    assert!(!behind.status.success(), "{stderr}");
    assert!(stderr.contains("past the audit head"), "{stderr}");
}

/// Deleting the end of the chain *and* rewinding the head to match leaves a consistent
/// database: only an anchor published before the deletion shows it.
#[test]
fn an_anchor_catches_a_deletion_the_head_was_rewound_to_hide() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, events) = audited_database(dir.path(), 4);
    let env = [("PIMBOT_DATABASE__URL", url.clone())];
    let published = format!("{}@4", events[3].hash);
    tamper(
        &url,
        &[
            "DROP TRIGGER audit_events_no_delete",
            "DELETE FROM audit_events WHERE seq >= 3",
            "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)",
        ],
    );
    let plain = pimbot(&["audit", "verify"], &env, dir.path());
    assert!(plain.status.success(), "consistent without the anchor");
    let anchored = pimbot(
        &["audit", "verify", "--anchor", &published],
        &env,
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&anchored.stderr);
    assert!(!anchored.status.success(), "{stderr}");
    assert!(stderr.contains("events 3 to 4 are missing"), "{stderr}");
}

#[test]
fn audit_verify_checks_a_published_anchor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, events) = audited_database(dir.path(), 3);
    let env = [("PIMBOT_DATABASE__URL", url.clone())];
    let anchor = format!("{}@2", events[1].hash);
    let right = pimbot(&["audit", "verify", "--anchor", &anchor], &env, dir.path());
    assert!(
        right.status.success(),
        "{}",
        String::from_utf8_lossy(&right.stderr)
    );
    assert!(String::from_utf8_lossy(&right.stdout).contains("matches the chain"));

    let wrong = format!("{}@2", events[0].hash);
    let refused = pimbot(&["audit", "verify", "--anchor", &wrong], &env, dir.path());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a wrong hash fails: {stderr}");
    assert!(stderr.contains("not the anchor's"), "{stderr}");

    let beyond = format!("{}@9", events[2].hash);
    let refused = pimbot(&["audit", "verify", "--anchor", &beyond], &env, dir.path());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "an unreached anchor fails: {stderr}"
    );
    assert!(stderr.contains("events 4 to 9 are missing"), "{stderr}");

    for malformed in ["abc@2", "no-at-sign", &format!("{}@zero", events[0].hash)] {
        let refused = pimbot(
            &["audit", "verify", "--anchor", malformed],
            &env,
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{malformed}: {stderr}");
        assert!(stderr.contains("HASH@SEQ"), "{malformed}: {stderr}");
    }
}
