//! Limits per chat user, counted after the platform proved who is typing: 20 commands a minute
//! and 5 new elevation requests an hour (the production defaults, set here explicitly because the
//! harness gives every other test generous limits). A refusal says how long to wait, stores
//! nothing and is counted in `/metrics`.

use std::time::Duration;

use serde_json::Value;

use crate::fake_teams::{ALICE, BOB};
use crate::harness::{TestApp, slash_body};
use crate::story::{TARGETS_TOML, alice_requests};
use crate::teams_app::TeamsApp;

/// The production defaults, spelled out.
const LIMITS_TOML: &str = r#"
[limits]
commands_per_minute = 20
requests_per_hour = 5
"#;

async fn start() -> TestApp {
    TestApp::start_with(
        pimbot::emulator::Tenant::demo(),
        &format!("{TARGETS_TOML}\n{LIMITS_TOML}"),
    )
    .await
}

/// `pimbot_rate_limited_total{platform, limit}` as `/metrics` shows it now (0 before the first).
async fn rate_limited(app: &TestApp, platform: &str, limit: &str) -> f64 {
    let text = app.get("/metrics").await.text().await.unwrap_or_default();
    text.lines()
        .filter(|line| line.starts_with("pimbot_rate_limited_total{"))
        .filter(|line| {
            line.contains(&format!("platform=\"{platform}\""))
                && line.contains(&format!("limit=\"{limit}\""))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The seconds in "Slow down: you can send another command in N s".
fn command_wait(text: &str) -> Option<u64> {
    let pattern =
        regex::Regex::new(r"Slow down: you can send another command in (\d+) s").expect("regex");
    pattern.captures(text)?.get(1)?.as_str().parse().ok()
}

/// `count` slash commands `text` from `user` in a row (`help` is answered inline, without the
/// database, so the burst is over in well under the 3 s in which a 20-a-minute budget earns its
/// next command).
async fn burst(app: &TestApp, user: &str, text: &str, count: usize) -> Vec<(u16, Value)> {
    let mut answers = Vec::new();
    for _ in 0..count {
        answers.push(app.slash(user, text).await);
    }
    answers
}

#[tokio::test]
async fn the_21st_slack_command_in_a_minute_is_refused_with_the_wait_and_counted() {
    let app = start().await;
    let before = rate_limited(&app, "slack", "commands").await;
    let answers = burst(&app, "UALICE", "help", 20).await;
    for (status, answer) in &answers {
        assert_eq!(*status, 200);
        assert!(
            !answer.to_string().contains("Slow down"),
            "20 commands a minute are allowed: {answer}"
        );
    }
    let (status, refused) = app.slash("UALICE", "help").await;
    assert_eq!(status, 200);
    assert_eq!(refused["response_type"], "ephemeral", "{refused}");
    let text = refused["text"].as_str().unwrap_or_default();
    let wait = command_wait(text).unwrap_or_else(|| panic!("says how long to wait: {refused}"));
    assert!((1..=3).contains(&wait), "one command every 3 s: {text}");
    assert_eq!(rate_limited(&app, "slack", "commands").await - before, 1.0);

    let (_, other) = app.slash("UBOB", "help").await;
    assert!(
        !other.to_string().contains("Slow down"),
        "another user has a budget of their own: {other}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_flood_with_bad_signatures_does_not_use_up_the_users_commands() {
    let app = start().await;
    let http = reqwest::Client::new();
    let now = chrono::Utc::now().timestamp().to_string();
    for _ in 0..30 {
        let response = http
            .post(format!("{}/slack/commands", app.base_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", &now)
            .header("x-slack-signature", format!("v0={}", "0".repeat(64)))
            .body(slash_body("UALICE", "help", "http://127.0.0.1:9/r"))
            .send()
            .await
            .expect("reaches pimbot");
        assert_eq!(response.status(), 401);
    }
    let answers = burst(&app, "UALICE", "help", 20).await;
    assert!(
        answers
            .iter()
            .all(|(_, answer)| !answer.to_string().contains("Slow down")),
        "the forged requests counted for nobody: {answers:?}"
    );
    let (_, refused) = app.slash("UALICE", "help").await;
    assert!(command_wait(&refused.to_string()).is_some(), "{refused}");
    app.stop().await;
}

#[tokio::test]
async fn the_6th_request_in_an_hour_is_refused_and_nothing_is_stored() {
    let app = start().await;
    let text = "request app1-secrets for 1h ticket INC-7 rotating the cert";
    for n in 0..5 {
        let (_, answer) = app.slash("UALICE", text).await;
        assert!(
            answer.to_string().contains("Checking your eligibility"),
            "request {n} is taken: {answer}"
        );
    }
    // Every accepted request has been carried out and answered before the sixth.
    app.slack
        .wait_for("the five requests answered", |calls| {
            calls.iter().filter(|c| c.method == "response_url").count() >= 5
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let audit_before = app.store.audit_events(0, 1000).await.expect("audit").len();
    let calls_before = app.slack.calls().len();
    let before = rate_limited(&app, "slack", "requests").await;

    let (status, refused) = app.slash("UALICE", text).await;
    assert_eq!(status, 200);
    let said = refused["text"].as_str().unwrap_or_default();
    assert!(
        said.starts_with("Slow down: you can ask for another elevation in ")
            && said.contains("min"),
        "{refused}"
    );
    assert_eq!(rate_limited(&app, "slack", "requests").await - before, 1.0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.store.audit_events(0, 1000).await.expect("audit").len(),
        audit_before,
        "no audit event"
    );
    assert_eq!(
        app.slack.calls().len(),
        calls_before,
        "no job ran: no answer, no audit line, no approval message"
    );
    let (_, status) = app.slash("UALICE", "status").await;
    assert!(
        status.to_string().contains("Working on it"),
        "other commands are still allowed: {status}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_approver_out_of_commands_can_still_click_approve() {
    let app = start().await;
    let (id, _) = alice_requests(&app).await;
    burst(&app, "UBOB", "help", 20).await;
    let (_, refused) = app.slash("UBOB", "help").await;
    assert!(command_wait(&refused.to_string()).is_some(), "{refused}");
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_dm("UALICE", "approved").await;
    app.stop().await;
}

#[tokio::test]
async fn the_21st_teams_message_in_a_minute_is_refused_with_the_wait() {
    let app = TeamsApp::start(&format!("{TARGETS_TOML}\n{LIMITS_TOML}")).await;
    let before = rate_limited(&app.app, "teams", "commands").await;
    let mut sent = Vec::new();
    for _ in 0..20 {
        sent.push(app.send(&app.channel_message(ALICE, "help")).await.status);
    }
    assert!(sent.iter().all(|status| *status == 200), "{sent:?}");
    assert_eq!(
        app.send(&app.channel_message(ALICE, "help")).await.status,
        200
    );
    let reply = app
        .teams
        .wait_for("the slow-down reply", |c| {
            c.body.to_string().contains("Slow down")
        })
        .await;
    let wait = command_wait(&reply.body.to_string())
        .unwrap_or_else(|| panic!("says how long to wait: {}", reply.body));
    assert!((1..=3).contains(&wait), "{}", reply.body);
    assert_eq!(
        rate_limited(&app.app, "teams", "commands").await - before,
        1.0
    );

    app.send(&app.channel_message(BOB, "help")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let slowed = app
        .teams
        .calls()
        .iter()
        .filter(|c| c.body.to_string().contains("Slow down"))
        .count();
    assert_eq!(slowed, 1, "only Alice's 21st was refused");
}
