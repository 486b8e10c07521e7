//! The rest of the seed story: a PIM-enabled group (Key Vault readers, approved by its owner Bob)
//! and an Azure role (Contributor on the resource group pim-rg, approved by Carol), each asked,
//! approved and granted through the sandbox, and shown among PIM's assignments.

use pimbot::emulator::Provider;
use serde_json::{Value, json};

use crate::{ALICE_ID, Demo, request_state, slack_messages};

/// Alice asks for `text`; `approver` approves the resulting `id` in #team-foo.
async fn request_and_approve(demo: &Demo, text: &str, id: &str, approver: &str) -> Value {
    let typed = demo
        .post("slack/command", json!({"as": "alice", "text": text}))
        .await;
    assert_eq!(typed["status"], 200, "{typed}");
    let is_approval = |m: &Value| {
        m["blocks"].to_string().contains("\"approve\"") && m["blocks"].to_string().contains(id)
    };
    let state = demo
        .wait_for(&format!("the approval message of {id}"), |s| {
            slack_messages(s, "CTEAMFOO").any(is_approval)
        })
        .await;
    let approval = slack_messages(&state, "CTEAMFOO")
        .find(|m| is_approval(m))
        .cloned()
        .expect("approval message");
    let click = json!({"as": approver, "channel": "CTEAMFOO", "ts": approval["ts"],
                       "action_id": "approve", "block_id": "decision", "value": id});
    assert_eq!(demo.post("slack/click", click).await["status"], 200);
    demo.wait_for(&format!("{id} active"), |s| {
        request_state(s, id) == "active"
    })
    .await
}

#[tokio::test]
async fn the_key_vault_group_and_the_azure_role_are_granted_through_the_sandbox() {
    let demo = Demo::start().await;

    request_and_approve(
        &demo,
        "request kv-readers for 1h reading the runbook secrets",
        "PIM-1",
        "bob",
    )
    .await;
    let members = demo.handle.emulator.active_of(Provider::Group);
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0].principal_id, ALICE_ID);

    let state = request_and_approve(
        &demo,
        "request pim-rg-contributor for 2h restarting the stuck deployment",
        "PIM-2",
        "carol",
    )
    .await;
    let contributors = demo.handle.emulator.active_of(Provider::Azure);
    assert_eq!(contributors.len(), 1, "{contributors:?}");
    assert_eq!(contributors[0].principal_id, ALICE_ID);

    let shown: Vec<String> = state["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .map(|a| format!("{} | {} | {}", a["kind"], a["role"], a["scope"]))
        .collect();
    assert!(
        shown
            .iter()
            .any(|a| a.contains("PIM for Groups") && a.contains("KeyVault Readers")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|a| a.contains("Azure role") && a.contains("Contributor") && a.contains("pim-rg")),
        "{shown:?}"
    );
}
