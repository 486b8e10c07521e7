//! The demo's activate-mode target (`groups-admin`) through the sandbox: Alice types `login`, her
//! DM's link goes through pimbot's `/auth/start` to the emulator's sign-in page and back to
//! `/auth/callback`; her request is a `selfActivate` with her own token, which PIM holds for
//! Carol, who signs in from the card and approves with her own token.

use pimbot::emulator::Provider;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::{ALICE_ID, Demo, slack_messages};

const CAROL_ID: &str = "8767515c-c303-466f-9b40-98e9a042f5b1";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The sign-in links (`…/auth/start?state=…`, whole) the sandbox shows in `channel`.
fn links(state: &Value, channel: &str) -> Vec<String> {
    slack_messages(state, channel)
        .filter_map(|m| {
            let text = m["text"].as_str()?;
            let start = text.find("http")?;
            let link: String = text[start..]
                .chars()
                .take_while(|c| !matches!(c, '|' | '>' | ' ' | '\n'))
                .collect();
            link.contains("/auth/start?state=").then_some(link)
        })
        .collect()
}

/// Waits for the `nth` sign-in link in `channel`.
async fn link(demo: &Demo, channel: &str, nth: usize) -> String {
    let state = demo
        .wait_for(&format!("sign-in link {nth} in {channel}"), |s| {
            links(s, channel).len() >= nth
        })
        .await;
    links(&state, channel).pop().expect("a link")
}

/// Follows `link` as a browser: pimbot's `/auth/start`, the emulator's sign-in page (as
/// `account`, "completed MFA" ticked), and pimbot's `/auth/callback`; the page it ends on.
async fn sign_in(demo: &Demo, link: &str, account: &str) -> (StatusCode, String) {
    assert!(
        link.starts_with(&demo.handle.url()),
        "the demo's own URL: {link}"
    );
    let browser = no_redirects();
    let start = browser.get(link).send().await.expect("start");
    assert_eq!(
        start.status(),
        StatusCode::FOUND,
        "pimbot sends the browser to Entra"
    );
    let authorize = reqwest::Url::parse(start.headers()[LOCATION].to_str().expect("location"))
        .expect("authorize URL");
    assert!(
        authorize.path().ends_with("/oauth2/v2.0/authorize"),
        "{authorize}"
    );
    let page = browser
        .get(authorize.clone())
        .send()
        .await
        .expect("sign-in page");
    let html = page.text().await.expect("html");
    assert!(
        html.contains("completed MFA"),
        "the emulator's sign-in page: {html}"
    );
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("user".to_owned(), account.to_owned()));
    form.push(("mfa".to_owned(), "on".to_owned()));
    let mut post = authorize.clone();
    post.set_query(None);
    let signed = browser
        .post(post)
        .form(&form)
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed.status(), StatusCode::FOUND);
    let back = signed.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        back.starts_with(&format!("{}/auth/callback?", demo.handle.url())),
        "back to the demo's callback: {back}"
    );
    let answer = browser.get(back).send().await.expect("callback");
    (answer.status(), answer.text().await.unwrap_or_default())
}

fn self_activations(demo: &Demo) -> Vec<Value> {
    demo.handle
        .emulator
        .requests_of(Provider::Role)
        .into_iter()
        .filter(|r| r["action"] == "selfActivate")
        .collect()
}

/// The Slack message whose blocks have an `approve` button and mention PIM's approval, and that
/// button's block id and value.
fn approval_card(state: &Value) -> Option<(String, String, String, String)> {
    let messages = state["slack"]["messages"].as_array()?;
    messages.iter().find_map(|m| {
        let blocks = m["blocks"].as_array()?;
        if !m["blocks"]
            .to_string()
            .contains("waiting for approval in PIM")
        {
            return None;
        }
        blocks.iter().find_map(|block| {
            let button = block["elements"]
                .as_array()?
                .iter()
                .find(|e| e["action_id"] == "approve")?;
            Some((
                m["channel"].as_str()?.to_owned(),
                m["ts"].as_str()?.to_owned(),
                block["block_id"].as_str().unwrap_or_default().to_owned(),
                button["value"].as_str().unwrap_or_default().to_owned(),
            ))
        })
    })
}

#[tokio::test]
async fn the_activate_mode_target_signs_alice_in_and_pim_activates_it_as_her_once_carol_approves() {
    let demo = Demo::start().await;
    let typed = demo
        .post("slack/command", json!({"as": "alice", "text": "login"}))
        .await;
    assert_eq!(typed["status"], 200, "{typed}");
    let alice_link = link(&demo, "DUALICE", 1).await;
    let (status, page) = sign_in(&demo, &alice_link, ALICE_ID).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("signed in"), "{page}");
    demo.wait_for("Alice told she is signed in", |s| {
        slack_messages(s, "DUALICE").any(|m| m["text"].to_string().contains("You are signed in"))
    })
    .await;

    let request = "request groups-admin for 1h ticket INC-7 cleaning up groups";
    let typed = demo
        .post("slack/command", json!({"as": "alice", "text": request}))
        .await;
    assert_eq!(typed["status"], 200, "{typed}");
    let state = demo
        .wait_for("the card of PIM's approval", |s| approval_card(s).is_some())
        .await;
    let sent = self_activations(&demo);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["principalId"], ALICE_ID);
    assert_eq!(sent[0]["ticketInfo"]["ticketNumber"], "INC-7");
    assert!(
        demo.handle.emulator.active_of(Provider::Role).is_empty(),
        "PIM waits for Carol"
    );

    // Carol is not signed in: her click gets a link, and PIM takes her approval once she is.
    let (channel, ts, block_id, value) = approval_card(&state).expect("the card");
    let click = json!({"as": "carol", "channel": channel, "ts": ts, "action_id": "approve",
                       "block_id": block_id, "value": value});
    assert_eq!(demo.post("slack/click", click).await["status"], 200);
    let carol_link = link(&demo, "DUCAROL", 1).await;
    let (status, page) = sign_in(&demo, &carol_link, CAROL_ID).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    demo.wait_for("Alice told it is active", |s| {
        slack_messages(s, "DUALICE").any(|m| m["text"].to_string().contains("active"))
            && slack_messages(s, "DUCAROL")
                .any(|m| m["text"].to_string().contains("PIM recorded your approval"))
    })
    .await;
    let active = demo.handle.emulator.active_of(Provider::Role);
    assert!(
        active.iter().any(|a| a.principal_id == ALICE_ID),
        "PIM activated it for Alice: {active:?}"
    );
    assert!(
        !demo
            .handle
            .emulator
            .calls()
            .iter()
            .any(|c| c.contains("adminAssign")),
        "pimbot's own identity granted nothing"
    );
    demo.handle.stop().await.expect("the demo stops cleanly");
}
