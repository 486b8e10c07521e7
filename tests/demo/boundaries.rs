//! What the demo does not do: skip pimbot's checks, serve the sandbox outside demo mode, listen
//! beyond loopback unasked, or hang on Ctrl-C.

use std::time::Duration;

use pimbot::demo::DemoOptions;
use serde_json::json;

use crate::Demo;

#[tokio::test]
async fn the_demo_runs_the_real_signature_and_token_checks() {
    let demo = Demo::start().await;
    let http = reqwest::Client::new();
    let forged = http
        .post(format!("{}/slack/commands", demo.handle.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "x-slack-request-timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header("x-slack-signature", "v0=00")
        .body("user_id=UALICE&text=list")
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status(), 401);
    let unsigned = http
        .post(format!("{}/api/messages", demo.handle.url()))
        .json(&json!({"type": "message", "text": "list"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(unsigned.status(), 401);
    let page = http
        .get(format!("{}/sandbox", demo.handle.url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("pimbot sandbox")
    );
    demo.handle.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn the_sandbox_is_refused_on_a_non_loopback_address_unless_asked() {
    // Refused before anything is bound.
    let options = DemoOptions::new("0.0.0.0:0".parse().expect("address"), "unused.db");
    let refused = pimbot::demo::start(options)
        .await
        .err()
        .map(|e| e.to_string());
    assert!(
        refused
            .as_deref()
            .is_some_and(|e| e.contains("--allow-remote")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn pimbot_serve_has_no_sandbox() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = format!(
        r#"
[database]
url = "sqlite://{db}"
[azure]
tenant_id = "8a3e5c1f-2b4d-4e6f-9a1b-3c5d7e9f1a2b"
client_id = "11111111-2222-3333-4444-555555555555"
client_secret = "secret"
[slack]
signing_secrets = ["secret"]
bot_token = "xoxb-secret"
[teams]
app_id = "6f1c2d3e-4b5a-4c6d-8e7f-00000000b07a"
app_secret = "secret"
"#,
        db = dir.path().join("serve.db").display()
    );
    let config = pimbot::config::Config::parse(&toml, &[]).expect("config");
    let app = pimbot::app::build(&config).await.expect("app");
    for path in ["/sandbox", "/sandbox/api/state", "/sandbox/sandbox.js"] {
        let response = app
            .router
            .clone()
            .oneshot(
                axum::http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer");
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn pimbot_demo_prints_where_to_go_and_stops_cleanly_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pimbot"))
        .args(["demo", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("cli.db"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("pimbot demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let url = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                line.trim()
                    .strip_prefix("open")
                    .map(|rest| rest.trim().to_owned())
            })
    })
    .await
    .expect("reader")
    .expect("the banner names the sandbox URL");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/sandbox"),
        "{url}"
    );
    let page = reqwest::get(&url).await.expect("the sandbox answers");
    assert_eq!(page.status(), 200);
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(interrupted.success());
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("waiter")
        .expect("exit");
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
