//! Audit anchors: the head of the chain (`audit head: HASH@SEQ`) in the audit channel, on
//! `audit.anchor_interval` and at shutdown, once per head across replicas, and accepted by
//! `audit verify --anchor`.

use std::collections::HashMap;
use std::time::Duration;

use pimbot::domain::audit::AuditAnchor;

use crate::crash::World;
use crate::fake_slack::Call;
use crate::harness::{AUDIT_CHANNEL, TestApp};
use crate::story::{REQUEST_TEXT, TARGETS_TOML};

/// The anchors posted to the Slack audit channel, in order.
fn anchors(calls: &[Call]) -> Vec<AuditAnchor> {
    calls
        .iter()
        .filter(|c| c.method == "chat.postMessage" && c.body["channel"] == AUDIT_CHANNEL)
        .filter_map(|c| c.body["text"].as_str())
        .filter_map(|text| text.strip_prefix("audit head: "))
        .map(|anchor| AuditAnchor::parse(anchor).expect("a well-formed anchor"))
        .collect()
}

#[tokio::test]
async fn the_audit_head_is_posted_to_the_audit_channel_at_shutdown() {
    // The default interval (1 h) never comes round in this test: only the shutdown posts.
    let mut app = TestApp::start_with(pimbot::emulator::Tenant::demo(), TARGETS_TOML).await;
    let (status, _) = app.slash("UALICE", REQUEST_TEXT).await;
    assert_eq!(status, 200);
    app.slack
        .wait_for("the approval message", |calls| {
            calls
                .iter()
                .any(|c| c.method == "chat.postMessage" && c.body.to_string().contains("PIM-"))
        })
        .await;
    assert!(
        anchors(&app.slack.calls()).is_empty(),
        "nothing before shutdown"
    );
    app.shut_down().await;
    let head = app.store.audit_head().await.expect("head");
    assert!(head.seq >= 1, "the request was audited");
    assert_eq!(
        anchors(&app.slack.calls()),
        vec![head.clone()],
        "the head, once"
    );
    let verified = pimbot::audit::verify_against(app.store.as_ref(), Some(&head))
        .await
        .expect("the posted anchor verifies");
    assert_eq!(verified.head, head);
}

#[tokio::test]
async fn two_replicas_post_each_new_head_once_on_schedule() {
    let mut world = World::new().await;
    world.extra_toml = "[audit]\nanchor_interval = \"1s\"\n".to_owned();
    let first = world.start().await;
    let second = world.start().await;
    let (status, _) = world.slash_answer(&first, "UALICE", REQUEST_TEXT).await;
    assert_eq!(status, 200);
    let store = pimbot::store::connect(&world.database_url)
        .await
        .expect("connect");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let head = loop {
        let head = store.audit_head().await.expect("head");
        let posted = anchors(&world.slack.calls());
        if head.seq >= 1 && posted.contains(&head) {
            break head;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the head {head} was never posted: {posted:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Several intervals on both replicas: each head still appears once, and only heads that
    // were really reached.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let posted = anchors(&world.slack.calls());
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for anchor in &posted {
        *seen.entry(anchor.seq).or_default() += 1;
        pimbot::audit::verify_against(store.as_ref(), Some(anchor))
            .await
            .expect("every posted anchor verifies");
    }
    assert!(seen.values().all(|n| *n == 1), "once per head: {posted:?}");
    assert!(posted.contains(&head));
    drop((first, second));
}
