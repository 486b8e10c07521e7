//! What one elevation costs upstream once caches are warm: the Graph and ARM calls the emulator
//! served from the request until (and including) the PIM write, for each kind of target. The
//! goal is at most 4: the eligibility check at request time, the approvers read live by the
//! click that completes the tally (never from cache: an owner removed since must not approve),
//! the re-check before assigning, and the write itself.

use pimbot::emulator::{Provider, Tenant};

use crate::azure_story::{azure_toml, targets_toml as azure_targets};
use crate::elevation::{end_early, request_and_approve};
use crate::harness::TestApp;
use crate::story::TARGETS_TOML as ROLE_TARGETS;

/// The calls of one elevation: from `from` to the first PIM write after it.
fn calls_until_write(app: &TestApp, from: usize) -> Vec<String> {
    let calls = app.emulator.calls();
    let is_write = |c: &String| {
        (c.starts_with("POST ") || c.starts_with("PUT ")) && c.contains("ScheduleRequests")
    };
    let mut elevation: Vec<String> = Vec::new();
    for call in calls.into_iter().skip(from) {
        let write = is_write(&call);
        elevation.push(call);
        if write {
            break;
        }
    }
    elevation
}

/// Elevates twice (the first warms the caches, and is ended early) and returns the calls of the
/// second.
async fn warm_elevation(
    app: &TestApp,
    text: &str,
    approver: &str,
    provider: Provider,
) -> Vec<String> {
    let first = request_and_approve(app, "UALICE", text, approver, provider).await;
    end_early(app, "UALICE", &first.id, provider).await;
    let from = app.emulator.calls().len();
    let second = request_and_approve(app, "UALICE", text, approver, provider).await;
    let calls = calls_until_write(app, from);
    end_early(app, "UALICE", &second.id, provider).await;
    calls
}

#[tokio::test]
async fn a_warm_elevation_costs_four_upstream_calls_for_each_kind_of_target() {
    let extra = format!("{ROLE_TARGETS}\n{}", azure_targets());
    let app = TestApp::start_with_azure(Tenant::demo(), &azure_toml(), &extra).await;
    let cases = [
        (
            "request app1-secrets for 1h ticket INC-7 rotating the cert",
            "UBOB",
            Provider::Role,
        ),
        (
            r#"request group:"KeyVault Readers" for 1h reading secrets"#,
            "UBOB",
            Provider::Group,
        ),
        (
            "request pim-rg-contributor for 1h deploying",
            "UCAROL",
            Provider::Azure,
        ),
    ];
    for (text, approver, provider) in cases {
        let calls = warm_elevation(&app, text, approver, provider).await;
        assert_eq!(
            calls.len(),
            4,
            "{provider:?}: eligibility, approvers live, re-check, write; got {calls:#?}"
        );
        let write = calls.last().map(String::as_str).unwrap_or_default();
        assert!(
            write.contains("ScheduleRequests"),
            "{provider:?}: {calls:#?}"
        );
    }
    // One token per audience (Graph on 127.0.0.1, ARM on localhost), for all of it.
    assert_eq!(app.emulator.token_requests(), 2);
    app.stop().await;
}

/// The eligibility reads of `list` for Alice in `tenant`.
async fn eligibility_reads_of_list(tenant: Tenant) -> Vec<String> {
    let app = TestApp::start_with(tenant, ROLE_TARGETS).await;
    let from = app.emulator.calls().len();
    app.slash("UALICE", "list").await;
    let listed = app
        .wait_for_response("UALICE", "You are eligible for")
        .await
        .to_string();
    assert!(
        listed.contains("app1-secrets") && listed.contains("Groups Administrator"),
        "eligible through her group and directly: {listed}"
    );
    let reads = app
        .emulator
        .calls()
        .into_iter()
        .skip(from)
        .filter(|c| c.contains("ligibilitySchedule"))
        .collect();
    app.stop().await;
    reads
}

#[tokio::test]
async fn list_reads_eligibility_once_per_target_however_many_groups_the_user_is_in() {
    let in_one_group = eligibility_reads_of_list(Tenant::demo()).await;
    let mut tenant = Tenant::demo();
    let alice = tenant
        .users
        .iter()
        .find(|u| u.user_principal_name.starts_with("alice"))
        .map(|u| u.id.clone())
        .expect("Alice");
    let template = tenant.groups[0].clone();
    for n in 0..12 {
        tenant.groups.push(pimbot::emulator::Group {
            id: format!("00000000-0000-4000-8000-0000000000{n:02}"),
            display_name: format!("Alice's team {n}"),
            owners: Vec::new(),
            members: vec![alice.clone()],
            ..template.clone()
        });
    }
    let in_thirteen_groups = eligibility_reads_of_list(tenant).await;
    assert_eq!(
        in_thirteen_groups.len(),
        in_one_group.len(),
        "one group: {in_one_group:#?}\nthirteen groups: {in_thirteen_groups:#?}"
    );
}
