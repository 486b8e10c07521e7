//! `pimbot demo` end to end over HTTP: the sandbox API drives the real Slack and Teams endpoints,
//! and the story shows up in the fakes, pimbot's database, the emulated PIM tenant and the audit
//! trail (`story`). Also: the real checks run, the sandbox exists only in demo mode and only on
//! loopback unless asked, and the CLI stops cleanly on Ctrl-C (`boundaries`).

#![expect(
    clippy::disallowed_methods,
    reason = "tests choose their database (DATABASE_URL) from the environment"
)]

// The crate root is tests/demo.rs, so its modules are named by path.
#[path = "demo/activate.rs"]
mod activate;
#[path = "demo/boundaries.rs"]
mod boundaries;
#[path = "demo/database.rs"]
mod database;
#[path = "demo/providers.rs"]
mod providers;
#[path = "demo/story.rs"]
mod story;

use std::time::Duration;

use pimbot::demo::{DemoHandle, DemoOptions};
use serde_json::Value;

pub(crate) const REQUEST: &str = "request app1-secrets for 2h ticket INC-1234 rotating the cert";
pub(crate) const ALICE_ID: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";

pub(crate) struct Demo {
    pub(crate) handle: DemoHandle,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Demo {
    /// The demo on a free loopback port, with a fresh SQLite file (or PostgreSQL database).
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = database::test_database(dir.path()).await;
        let listen = "127.0.0.1:0".parse().expect("address");
        let handle = pimbot::demo::start(DemoOptions::new(listen, &db))
            .await
            .expect("the demo starts");
        Demo {
            handle,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/sandbox/api/{path}", self.handle.url()))
            .json(&body)
            .send()
            .await
            .expect("the sandbox answers");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.expect("JSON")
    }

    pub(crate) async fn state(&self) -> Value {
        self.http
            .get(format!("{}/sandbox/api/state", self.handle.url()))
            .send()
            .await
            .expect("the sandbox answers")
            .json()
            .await
            .expect("JSON")
    }

    /// Polls the state until `holds` (or fails after 15 s, showing the last state).
    pub(crate) async fn wait_for(&self, what: &str, holds: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let state = self.state().await;
            if holds(&state) {
                return state;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; the sandbox shows:\n{state:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub(crate) fn slack_messages<'a>(
    state: &'a Value,
    channel: &'a str,
) -> impl Iterator<Item = &'a Value> {
    state["slack"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |m| m["channel"] == channel)
}

pub(crate) fn request_state(state: &Value, id: &str) -> String {
    state["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["id"] == id)
        .map(|r| r["state"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

pub(crate) fn audit_kinds(state: &Value) -> Vec<String> {
    state["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| format!("{} {}", l["event"]["kind"], l["event"]["outcome"]))
        .collect()
}
