//! The client against the fake Slack Web API.

mod limits;

use std::sync::Arc;

use serde_json::json;

use super::fake::start;
use super::*;
use crate::domain::duration::ElevationDuration;
use crate::service::notice::{Notice, Reply};
use crate::service::ports::{Chat, ChatAccount, EligibleTarget, UntrustedAccount};
use crate::slack::render::fixtures::request;

#[tokio::test]
async fn post_approval_posts_blocks_with_the_bot_token_and_returns_the_message() {
    let (client, fake, _) = start(None).await;
    let message = client.post_approval(&request()).await.expect("posted");
    assert_eq!(
        message,
        MessageRef {
            conversation: "C0APPROVE".into(),
            message_id: "1700000000.000100".into()
        }
    );
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "/api/chat.postMessage");
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some("Bearer xoxb-test-token")
    );
    assert!(calls[0].content_type.starts_with("application/json"));
    let body = calls[0].json();
    assert_eq!(body["channel"], "C0APPROVE");
    assert!(body["text"].as_str().expect("text").starts_with("PIM-12"));
    assert!(body["blocks"].as_array().is_some_and(|b| !b.is_empty()));
}

#[tokio::test]
async fn update_approval_updates_the_same_message() {
    let (client, fake, _) = start(None).await;
    let message = MessageRef {
        conversation: "C0APPROVE".into(),
        message_id: "1.2".into(),
    };
    client
        .update_approval(&request(), &message)
        .await
        .expect("updated");
    let call = &fake.calls()[0];
    assert_eq!(call.path, "/api/chat.update");
    assert_eq!(call.json()["channel"], "C0APPROVE");
    assert_eq!(call.json()["ts"], "1.2");
}

#[tokio::test]
async fn ok_false_is_a_rejection_with_slacks_error_code() {
    let (client, fake, _) = start(None).await;
    fake.script(
        "/api/chat.postMessage",
        200,
        vec![("x-slack-req-id", "req-1")],
        json!({"ok": false, "error": "channel_not_found"}),
    );
    let error = client.post_approval(&request()).await.expect_err("refused");
    assert_eq!(error.kind, UpstreamErrorKind::Rejected);
    assert_eq!(error.service, Upstream::Slack);
    assert_eq!(error.code.as_deref(), Some("channel_not_found"));
    assert_eq!(error.upstream_request_id.as_deref(), Some("req-1"));
    assert!(!error.is_retryable());
    assert!(error.user_message().contains("/invite"));
}

#[tokio::test]
async fn a_bad_token_is_unauthorized() {
    let (client, fake, _) = start(None).await;
    fake.script(
        "/api/chat.postMessage",
        200,
        vec![],
        json!({"ok": false, "error": "invalid_auth"}),
    );
    let error = client.post_approval(&request()).await.expect_err("refused");
    assert_eq!(error.kind, UpstreamErrorKind::Unauthorized);
}

#[tokio::test]
async fn http_429_is_throttled_with_retry_after() {
    let (client, fake, _) = start(None).await;
    fake.script(
        "/api/chat.postMessage",
        429,
        vec![("retry-after", "30")],
        json!({"ok": false, "error": "ratelimited"}),
    );
    let error = client
        .post_approval(&request())
        .await
        .expect_err("throttled");
    assert_eq!(
        error.kind,
        UpstreamErrorKind::Throttled {
            retry_after_secs: Some(30)
        }
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn server_errors_and_unreachable_hosts_are_unavailable() {
    let (client, fake, _) = start(None).await;
    fake.script("/api/chat.update", 503, vec![], json!({}));
    let message = MessageRef {
        conversation: "C1".into(),
        message_id: "1.2".into(),
    };
    let error = client
        .update_approval(&request(), &message)
        .await
        .expect_err("down");
    assert_eq!(error.kind, UpstreamErrorKind::Unavailable);

    let settings = SlackSettings {
        api_url: "http://127.0.0.1:1/api".into(),
        ..client.settings().clone()
    };
    let offline = SlackClient::new(Arc::new(settings)).expect("client");
    let error = offline
        .update_approval(&request(), &message)
        .await
        .expect_err("down");
    assert_eq!(error.kind, UpstreamErrorKind::Unavailable);
}

#[tokio::test]
async fn lookup_by_email_returns_a_vouched_user_or_none() {
    let (client, fake, _) = start(None).await;
    assert_eq!(
        Chat::user_by_email(&client, "bob@example.com").await,
        Ok(Some("U0BOB".into()))
    );
    let call = &fake.calls()[0];
    assert_eq!(call.path, "/api/users.lookupByEmail");
    assert_eq!(
        call.authorization.as_deref(),
        Some("Bearer xoxb-test-token")
    );
    assert_eq!(call.body, "email=bob%40example.com");
    let mut unconfirmed = super::fake::member("U0BOB", "bob@example.com");
    unconfirmed["is_email_confirmed"] = json!(false);
    fake.script(
        "/api/users.lookupByEmail",
        200,
        vec![],
        json!({"ok": true, "user": unconfirmed}),
    );
    assert_eq!(
        Chat::user_by_email(&client, "bob@example.com").await,
        Ok(None),
        "an unconfirmed address is not trusted for a mention either"
    );
    fake.script(
        "/api/users.lookupByEmail",
        200,
        vec![],
        json!({"ok": false, "error": "users_not_found"}),
    );
    assert_eq!(
        Chat::user_by_email(&client, "nobody@example.com").await,
        Ok(None)
    );
}

#[tokio::test]
async fn an_account_is_vouched_for_within_the_bot_tokens_workspace_read_once() {
    let (client, fake, _) = start(None).await;
    assert_eq!(
        Chat::account(&client, "U0ALICE").await,
        Ok(ChatAccount::Email("alice@example.com".into()))
    );
    let calls = fake.calls();
    assert_eq!(calls[0].body, "user=U0ALICE");
    assert_eq!(calls[1].path, "/api/auth.test");
    fake.script(
        "/api/users.info",
        200,
        vec![],
        json!({"ok": true, "user": {"id": "U0GUEST", "team_id": "T0OTHER", "is_email_confirmed": true, "profile": {"email": "g@example.com"}}}),
    );
    assert_eq!(
        Chat::account(&client, "U0GUEST").await,
        Ok(ChatAccount::Untrusted(UntrustedAccount::OtherWorkspace))
    );
    let auth_tests = fake
        .calls()
        .iter()
        .filter(|c| c.path == "/api/auth.test")
        .count();
    assert_eq!(auth_tests, 1, "the workspace is asked once");
    fake.script(
        "/api/users.info",
        200,
        vec![],
        json!({"ok": false, "error": "user_not_found"}),
    );
    assert_eq!(
        Chat::account(&client, "U0GONE").await,
        Ok(ChatAccount::Unknown)
    );
}

#[tokio::test]
async fn a_failed_auth_test_is_an_error_and_is_asked_again() {
    let (client, fake, _) = start(None).await;
    fake.script(
        "/api/auth.test",
        200,
        vec![],
        json!({"ok": false, "error": "invalid_auth"}),
    );
    let error = client.allowed_teams().await.expect_err("no workspace");
    assert_eq!(error.kind, UpstreamErrorKind::Unauthorized);
    fake.script(
        "/api/auth.test",
        200,
        vec![],
        json!({"ok": true, "team_id": "T0LATER"}),
    );
    assert_eq!(client.allowed_teams().await, Ok(vec!["T0LATER".to_owned()]));
}

#[tokio::test]
async fn notify_requester_opens_the_dm_and_posts_there() {
    let (client, fake, _) = start(None).await;
    client
        .notify_requester(&request(), &Notice::Expired)
        .await
        .expect("sent");
    let calls = fake.calls();
    assert_eq!(calls[0].path, "/api/conversations.open");
    assert_eq!(calls[0].json()["users"], "U0ALICE");
    assert_eq!(calls[1].path, "/api/chat.postMessage");
    assert_eq!(calls[1].json()["channel"], "D0ALICE");
    assert!(
        calls[1].json()["text"]
            .as_str()
            .expect("text")
            .contains("PIM-12")
    );

    // A requester Slack never named (a request made in the portal) is skipped, quietly.
    let mut anonymous = request();
    anonymous.requester.chat_id = None;
    client
        .notify_requester(&anonymous, &Notice::Expired)
        .await
        .expect("skipped");
    assert_eq!(fake.calls().len(), 2, "nothing sent");
}

#[tokio::test]
async fn audit_lines_go_to_the_audit_channel_escaped_or_nowhere() {
    let (client, fake, _) = start(Some("C0AUDIT")).await;
    client
        .post_audit_line("PIM-12 denied: <!channel>")
        .await
        .expect("posted");
    let body = fake.calls()[0].json();
    assert_eq!(body["channel"], "C0AUDIT");
    assert_eq!(body["text"], "PIM-12 denied: &lt;!channel&gt;");

    let (client, fake, _) = start(None).await;
    client
        .post_audit_line("PIM-12 denied")
        .await
        .expect("no-op");
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn replies_go_to_the_response_url_without_the_token_or_to_a_dm() {
    let (client, fake, base) = start(None).await;
    let response_url = format!("{base}/hooks/commands/T1/123/abc");
    client
        .reply(&response_url, &Reply::text("*PIM-12* is pending"))
        .await
        .expect("replied");
    let call = &fake.calls()[0];
    assert_eq!(call.path, "/hooks/commands/T1/123/abc");
    assert_eq!(call.authorization, None);
    assert_eq!(
        call.json(),
        json!({"response_type": "ephemeral", "replace_original": false, "text": "*PIM-12* is pending"})
    );

    client
        .reply("dm:U0ALICE", &Reply::text("done"))
        .await
        .expect("replied");
    let calls = fake.calls();
    assert_eq!(calls[1].path, "/api/conversations.open");
    assert_eq!(calls[2].json()["text"], "done");

    assert!(client.reply("C0CHANNEL", &Reply::text("?")).await.is_err());
}

#[tokio::test]
async fn an_expired_response_url_is_a_rejection_with_its_code() {
    let (client, fake, base) = start(None).await;
    fake.answers
        .lock()
        .expect("lock")
        .insert("/hooks/old".into(), (404, vec![], "expired_url".into()));
    let error = client
        .reply(&format!("{base}/hooks/old"), &Reply::text("late"))
        .await
        .expect_err("expired");
    assert_eq!(error.kind, UpstreamErrorKind::NotFound);
    assert_eq!(error.code.as_deref(), Some("expired_url"));
}

#[tokio::test]
async fn the_form_is_filled_with_views_update_on_the_view_from_the_form_ref() {
    let (client, fake, _) = start(None).await;
    assert_eq!(
        client
            .open_view("trigger-1", crate::slack::render::request_form_loading())
            .await,
        Ok("V0FORM".into())
    );
    let duration = ElevationDuration::from_minutes(60).expect("duration");
    let targets = [EligibleTarget {
        key: "kv-readers".into(),
        label: "kv-readers (KeyVault Readers)".into(),
        max_duration: duration,
        default_duration: duration,
        require_ticket: false,
        require_justification: false,
    }];
    client
        .show_request_form("V0FORM/C0REQ", &targets, None)
        .await
        .expect("filled");
    client
        .show_request_form("V0FORM", &[], Some("Graph is down"))
        .await
        .expect("shown");
    let calls = fake.calls();
    assert_eq!(calls[0].path, "/api/views.open");
    assert_eq!(calls[0].json()["trigger_id"], "trigger-1");
    assert_eq!(calls[1].path, "/api/views.update");
    assert_eq!(calls[1].json()["view_id"], "V0FORM");
    let view = &calls[1].json()["view"];
    assert_eq!(view["callback_id"], "request_form");
    assert!(
        view["private_metadata"]
            .as_str()
            .expect("metadata")
            .contains("C0REQ")
    );
    assert_eq!(calls[2].json()["view_id"], "V0FORM");
    assert!(calls[2].body.contains("Graph is down"));
}
