//! The sandbox in a real browser: the demo on a free port, and `tests/browser/sandbox.mjs`
//! driving Debian's headless Chromium through the whole story (playwright-core, installed by
//! `npm ci --prefix tests/browser`). The screenshot is kept under the target directory.
//!
//! Without Chromium, Node.js or playwright-core the test says so and passes, except under CI
//! (`CI` set), where a missing browser is a failure.

#![expect(
    clippy::disallowed_methods,
    reason = "tests read CI, CHROMIUM and DATABASE_URL from the environment"
)]

#[path = "demo/database.rs"]
mod database;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pimbot::demo::DemoOptions;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// What is missing to run the browser, if anything.
fn missing(chromium: &str) -> Option<String> {
    if !Path::new(chromium).exists() {
        return Some(format!(
            "no Chromium at {chromium} (apt-get install chromium)"
        ));
    }
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("no Node.js on the PATH".to_owned());
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        return Some("playwright-core is not installed (npm ci --prefix tests/browser)".to_owned());
    }
    None
}

#[tokio::test]
async fn the_sandbox_story_passes_in_headless_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    if let Some(what) = missing(&chromium) {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(!ci, "the browser test cannot run under CI: {what}");
        eprintln!("skipped the browser test: {what}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database::test_database(dir.path()).await;
    let demo = pimbot::demo::start(DemoOptions::new("127.0.0.1:0".parse().expect("addr"), &db))
        .await
        .expect("the demo starts");
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sandbox-browser");
    std::fs::create_dir_all(&artifacts).expect("artifact directory");
    let backend = if db.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let screenshot = artifacts.join(format!("sandbox-{backend}.png"));
    let _ = std::fs::remove_file(&screenshot);

    let started = Instant::now();
    let run = tokio::process::Command::new("node")
        .arg(browser_dir().join("sandbox.mjs"))
        .arg(demo.url())
        .arg(&screenshot)
        .env("CHROMIUM", &chromium)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the browser story finishes within 3 minutes")
        .expect("node runs");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}{stderr}");
    eprintln!(
        "browser story took {elapsed:?}; screenshot: {}",
        screenshot.display()
    );
    assert!(
        output.status.success(),
        "the browser story failed (screenshot: {}):\n{stdout}\n{stderr}",
        screenshot.display()
    );
    assert!(stdout.contains("sandbox story passed"), "{stdout}");
    let size = std::fs::metadata(&screenshot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "a real screenshot was written: {size} bytes");
    demo.stop().await.expect("the demo stops cleanly");
}
