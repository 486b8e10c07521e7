//! The client's gate against the fake Slack Web API: a `Retry-After` closes its method for every
//! caller (and no other method), and a wait for a call slot is bounded.

use std::time::{Duration, Instant};

use serde_json::json;

use super::super::fake::start;
use crate::gate::{CHAT_SLOT_WAIT, IN_FLIGHT};
use crate::service::ports::{MessageRef, UpstreamErrorKind};

fn posts(fake: &super::super::fake::Fake) -> usize {
    fake.calls()
        .iter()
        .filter(|c| c.path == "/api/chat.postMessage")
        .count()
}

#[tokio::test]
async fn a_429_closes_its_method_for_every_caller_and_no_other_method() {
    let (client, fake, base) = start(None).await;
    fake.script(
        "/api/chat.postMessage",
        429,
        vec![("retry-after", "30")],
        json!({"ok": false, "error": "ratelimited"}),
    );
    let error = client
        .post_message("C1", json!({"text": "one"}))
        .await
        .expect_err("throttled");
    assert!(!error.held_back, "Slack's own answer: {error:?}");

    // Slack would answer at once now; the method stays closed all the same, for a clone too.
    fake.answers.lock().expect("lock").clear();
    let other = client.clone();
    let started = Instant::now();
    let held = other
        .post_message("C1", json!({"text": "two"}))
        .await
        .expect_err("held back");
    assert!(started.elapsed() < Duration::from_millis(500), "at once");
    assert!(held.held_back, "{held:?}");
    assert!(
        matches!(held.kind, UpstreamErrorKind::Throttled { retry_after_secs: Some(s) } if (29..=30).contains(&s)),
        "for the time left: {:?}",
        held.kind
    );
    assert_eq!(posts(&fake), 1, "the held call was never sent");

    let message = MessageRef {
        conversation: "C1".into(),
        message_id: "1.2".into(),
    };
    client
        .update_message(&message, json!({"text": "edited"}))
        .await
        .expect("another method is open");
    client
        .respond(&format!("{base}/response/r1"), &json!({"text": "hi"}))
        .await
        .expect("response_url is open");
}

#[tokio::test]
async fn a_wait_for_a_call_slot_is_bounded_and_answered_as_throttled() {
    let (client, fake, _) = start(None).await;
    *fake.delay.lock().expect("lock") = Some(Duration::from_secs(4));
    for n in 0..IN_FLIGHT {
        let client = client.clone();
        tokio::spawn(async move { client.post_message("C1", json!({"text": n})).await });
    }
    let filled = Instant::now();
    while posts(&fake) < IN_FLIGHT {
        assert!(
            filled.elapsed() < Duration::from_secs(3),
            "{}",
            posts(&fake)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let started = Instant::now();
    let held = client
        .update_message(
            &MessageRef {
                conversation: "C1".into(),
                message_id: "1.2".into(),
            },
            json!({"text": "edited"}),
        )
        .await
        .expect_err("no slot frees in time");
    let waited = started.elapsed();
    assert!(
        waited >= CHAT_SLOT_WAIT && waited < CHAT_SLOT_WAIT + Duration::from_secs(1),
        "waited {waited:?}"
    );
    assert!(held.held_back, "{held:?}");
    assert_eq!(
        held.kind,
        UpstreamErrorKind::Throttled {
            retry_after_secs: Some(1)
        }
    );
    assert!(
        fake.calls()
            .iter()
            .all(|c| c.path == "/api/chat.postMessage"),
        "only the {IN_FLIGHT} held calls were sent"
    );
    assert_eq!(fake.calls().len(), IN_FLIGHT);
}
