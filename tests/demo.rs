//! `pimbot demo` end to end over HTTP: the sandbox API drives the real Slack and Teams endpoints,
//! and the story shows up in the fakes, pimbot's database, the emulated PIM tenant and the audit
//! trail. Also: the sandbox exists only in demo mode, and only on loopback unless asked.

#![expect(
    clippy::disallowed_methods,
    reason = "tests choose their database (DATABASE_URL) from the environment"
)]

use std::time::Duration;

use pimbot::demo::{DemoHandle, DemoOptions};
use serde_json::{Value, json};

const REQUEST: &str = "request app1-secrets for 2h ticket INC-1234 rotating the cert";
const ALICE_ID: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";

struct Demo {
    handle: DemoHandle,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Demo {
    /// The demo on a free loopback port, with a fresh SQLite file (or PostgreSQL database).
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = match std::env::var("DATABASE_URL") {
            Ok(base) if base.starts_with("postgres") => {
                pimbot::store::testing::fresh_test_database(&base)
                    .await
                    .expect("a PostgreSQL test database")
            }
            _ => dir.path().join("demo.db").display().to_string(),
        };
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

    async fn post(&self, path: &str, body: Value) -> Value {
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

    async fn state(&self) -> Value {
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
    async fn wait_for(&self, what: &str, holds: impl Fn(&Value) -> bool) -> Value {
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

fn slack_messages<'a>(state: &'a Value, channel: &'a str) -> impl Iterator<Item = &'a Value> {
    state["slack"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |m| m["channel"] == channel)
}

fn request_state(state: &Value, id: &str) -> String {
    state["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["id"] == id)
        .map(|r| r["state"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

fn audit_kinds(state: &Value) -> Vec<String> {
    state["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| format!("{} {}", l["event"]["kind"], l["event"]["outcome"]))
        .collect()
}

#[tokio::test]
async fn an_engineer_requests_in_slack_an_outsider_is_refused_and_an_owner_approves() {
    let demo = Demo::start().await;

    let typed = demo
        .post("slack/command", json!({"as": "alice", "text": REQUEST}))
        .await;
    assert_eq!(typed["status"], 200, "{typed}");
    let state = demo
        .wait_for("the approval message in #team-foo", |s| {
            slack_messages(s, "CTEAMFOO").any(|m| m["blocks"].to_string().contains("\"approve\""))
        })
        .await;
    let approval = slack_messages(&state, "CTEAMFOO")
        .find(|m| m["blocks"].to_string().contains("\"approve\""))
        .cloned()
        .expect("approval message");
    assert!(approval["visible_to"].is_null(), "everyone sees it");
    let blocks = approval["blocks"].to_string();
    for shown in [
        "PIM-1",
        "<@UBOB>",
        "<@UCAROL>",
        "INC-1234",
        "rotating the cert",
    ] {
        assert!(
            blocks.contains(shown),
            "the approval message shows {shown}: {blocks}"
        );
    }
    assert_eq!(request_state(&state, "PIM-1"), "pending_approval");
    let click = |who: &str| {
        json!({"as": who, "channel": "CTEAMFOO", "ts": approval["ts"], "action_id": "approve",
               "block_id": "decision", "value": "PIM-1"})
    };

    assert_eq!(demo.post("slack/click", click("dave")).await["status"], 200);
    let state = demo
        .wait_for("Dave told he is not an approver", |s| {
            slack_messages(s, "CTEAMFOO").any(|m| {
                m["visible_to"] == "UDAVE" && m["text"].to_string().contains("not an approver")
            })
        })
        .await;
    assert_eq!(request_state(&state, "PIM-1"), "pending_approval");
    assert!(demo.handle.emulator.active_assignments().is_empty());

    assert_eq!(demo.post("slack/click", click("bob")).await["status"], 200);
    let state = demo
        .wait_for("PIM-1 active and Alice's DM", |s| {
            request_state(s, "PIM-1") == "active"
                && slack_messages(s, "DUALICE")
                    .any(|m| m["text"].to_string().contains("active until"))
        })
        .await;
    let active = demo.handle.emulator.active_assignments();
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0].principal_id, ALICE_ID);
    assert_eq!(
        active[0]
            .end
            .map(|end| (end - active[0].start).num_minutes()),
        Some(120)
    );
    assert_eq!(state["assignments"][0]["principal"], "Alice Engineer");
    assert_eq!(
        state["assignments"][0]["role"],
        "Application Secret Manager"
    );
    let updated = slack_messages(&state, "CTEAMFOO")
        .find(|m| m["ts"] == approval["ts"])
        .expect("still there");
    assert_eq!(updated["edited"], true);
    assert!(
        !updated["blocks"].to_string().contains("\"approve\""),
        "no buttons once decided"
    );

    let kinds = audit_kinds(&state);
    for expected in [
        "\"request.submitted\" \"ok\"",
        "\"request.refused\" \"not_an_approver\"",
        "\"request.approved\" \"ok\"",
        "\"request.active\" \"ok\"",
    ] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "{expected} in {kinds:?}"
        );
    }
    assert_eq!(state["chain"]["intact"], true, "{}", state["chain"]);
    assert!(
        slack_messages(&state, "CPIMAUDIT").count() >= 4,
        "audit channel lines"
    );
    demo.handle.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn in_teams_an_owner_denies_on_the_card_with_a_reason() {
    let demo = Demo::start().await;
    let posted = demo
        .post("teams/message", json!({"as": "alice", "text": REQUEST}))
        .await;
    assert_eq!(posted["status"], 200, "{posted}");
    let is_card = |m: &Value| {
        m["attachments"][0]["content"]["body"]
            .to_string()
            .contains("elevation request")
            && m["replaces"].is_null()
    };
    let state = demo
        .wait_for("the approval card in the channel thread", |s| {
            s["teams"]["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .any(is_card)
        })
        .await;
    let card = state["teams"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| is_card(m))
        .cloned()
        .expect("card");
    assert!(
        card["conversation"]
            .as_str()
            .is_some_and(|c| c.starts_with("19:teamfoo@thread.tacv2;messageid="))
    );

    let clicked = demo
        .post(
            "teams/invoke",
            json!({"as": "carol", "activity": card["id"], "verb": "deny",
                   "data": {"request": "PIM-1", "reason": "not during the freeze"}}),
        )
        .await;
    assert_eq!(clicked["status"], 200, "{clicked}");
    assert_eq!(
        clicked["answer"]["type"],
        "application/vnd.microsoft.card.adaptive"
    );
    let state = demo
        .wait_for("PIM-1 denied and Alice told in her 1:1 chat", |s| {
            request_state(s, "PIM-1") == "denied"
                && s["teams"]["messages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| {
                        s["teams"]["personal"][m["conversation"].as_str().unwrap_or_default()]
                            == ALICE_ID
                            && m["text"].to_string().contains("not during the freeze")
                    })
        })
        .await;
    let overlay = state["teams"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["replaces"] == card["id"])
        .expect("the clicker's card");
    assert_eq!(
        overlay["visible_to"],
        "8767515c-c303-466f-9b40-98e9a042f5b1"
    );
    assert!(
        demo.handle.emulator.schedule_requests().is_empty(),
        "nothing asked of PIM"
    );
    assert!(audit_kinds(&state).contains(&"\"request.denied\" \"ok\"".to_owned()));
    demo.handle.stop().await.expect("the demo stops cleanly");
}

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
