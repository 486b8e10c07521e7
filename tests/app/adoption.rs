//! pimbot takes an active assignment as a request's only when it made it for that request (its
//! ARM request name, or its adminAssign with the request's justification): a standing
//! assignment of the requester is left alone, the request fails with "you already hold", and
//! `end` removes nothing; a retry of pimbot's own write is still recognised. And the sweep does
//! not close a fresh activation that PIM's lagging reads do not list yet.

use std::time::Duration;

use pimbot::domain::request::State;
use pimbot::emulator::{Fault, Provider, Tenant};
use serde_json::{Value, json};

use crate::azure_story::{RESOURCE_GROUP, azure_toml, targets_toml};
use crate::elevation::{end_early, wait_for_dm_about};
use crate::harness::TestApp;
use crate::story::{REQUEST_TEXT, TARGETS_TOML, approval_message};

const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";
const APPLICATION_SECRET_MANAGER: &str = "b434934d-1a7a-445b-b935-8304f3006998";
const APP1_OBJECT: &str = "924dabc8-72e9-42de-952f-16054679d118";
const KEYVAULT_READERS: &str = "77561494-d5f8-4fa2-9fdc-9ef12506179c";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const ROLE_REQUESTS: &str = "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests";
const GROUP_REQUESTS: &str =
    "/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests";

/// One provider's app, request and approver.
struct Case {
    request: &'static str,
    approver: &'static str,
}

fn case(provider: Provider) -> Case {
    match provider {
        Provider::Role => Case {
            request: REQUEST_TEXT,
            approver: "UBOB",
        },
        Provider::Group => Case {
            request: r#"request group:"KeyVault Readers" for 1h reading secrets"#,
            approver: "UBOB",
        },
        Provider::Azure => Case {
            request: "request pim-rg-contributor for 1h deploying",
            approver: "UCAROL",
        },
    }
}

/// pimbot for `provider`'s target, with `azure_extra` added to its `[azure]` section.
async fn start(provider: Provider, azure_extra: &str) -> TestApp {
    match provider {
        Provider::Role => {
            TestApp::start_with_azure(Tenant::demo(), azure_extra, TARGETS_TOML).await
        }
        Provider::Group => TestApp::start_with_azure(Tenant::demo(), azure_extra, "").await,
        Provider::Azure => {
            let azure = format!("{}\n{azure_extra}", azure_toml());
            TestApp::start_with_azure(Tenant::demo(), &azure, &targets_toml()).await
        }
    }
}

/// The path part of `provider`'s schedule-request writes (a Graph POST, an ARM PUT).
fn write_call(provider: Provider) -> String {
    match provider {
        Provider::Role => format!("POST {ROLE_REQUESTS}"),
        Provider::Group => format!("POST {GROUP_REQUESTS}"),
        Provider::Azure => format!(
            "PUT {RESOURCE_GROUP}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/"
        ),
    }
}

/// Gives Alice a permanent active assignment of the case's target, made directly in PIM by an
/// administrator (another app, another justification), as the portal would.
async fn grant_standing_access(app: &TestApp, provider: Provider) {
    let http = reqwest::Client::new();
    let token = app.admin_tool_token().await;
    let justification = "standing access granted by hand in the portal";
    let schedule = json!({ "expiration": { "type": "noExpiration" } });
    let write = match provider {
        Provider::Role => http
            .post(format!("{}{ROLE_REQUESTS}", app.emulator_url))
            .json(&json!({
                "action": "adminAssign", "principalId": ALICE,
                "roleDefinitionId": APPLICATION_SECRET_MANAGER,
                "directoryScopeId": format!("/{APP1_OBJECT}"),
                "justification": justification, "scheduleInfo": schedule,
            })),
        Provider::Group => http
            .post(format!("{}{GROUP_REQUESTS}", app.emulator_url))
            .json(&json!({
                "action": "adminAssign", "principalId": ALICE, "groupId": KEYVAULT_READERS,
                "accessId": "member", "justification": justification, "scheduleInfo": schedule,
            })),
        Provider::Azure => http
            .put(format!(
                "{}{RESOURCE_GROUP}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{}",
                app.emulator_url,
                uuid::Uuid::new_v4()
            ))
            .query(&[("api-version", "2020-10-01")])
            .json(&json!({ "properties": {
                "principalId": ALICE, "roleDefinitionId": CONTRIBUTOR, "requestType": "AdminAssign",
                "justification": justification, "scheduleInfo": schedule,
            }})),
    };
    let answer = write.bearer_auth(&token).send().await.expect("adminAssign");
    assert!(
        answer.status().is_success(),
        "{}",
        answer.text().await.unwrap_or_default()
    );
    let active = app.emulator.active_of(provider);
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0].end, None, "permanent");
}

/// Whether a schedule-request body asks for a removal.
fn is_removal(body: &Value) -> bool {
    body["action"] == "adminRemove" || body["properties"]["requestType"] == "AdminRemove"
}

/// Alice holds the target already; her approved request must fail with "already hold", and
/// neither she nor the approver can then remove her standing access through pimbot.
async fn standing_access_is_left_alone(provider: Provider, write_faults: usize) {
    let case = case(provider);
    let app = start(provider, "").await;
    grant_standing_access(&app, provider).await;
    // 500s on pimbot's writes use up the client's attempts, so the activate job runs again and
    // resumes a request PIM may or may not have seen.
    app.emulator.inject_faults(
        &write_call(provider),
        vec![Fault::ServerError; write_faults],
    );

    let (status, _) = app.slash("UALICE", case.request).await;
    assert_eq!(status, 200);
    let (id, _) = approval_message(&app).await;
    assert_eq!(app.click(case.approver, "approve", &id).await, 200);
    wait_for_dm_about(&app, "UALICE", &id, "you already hold").await;
    let dm = app
        .wait_for_dm("UALICE", "you already hold")
        .await
        .to_string();
    assert!(dm.contains("nothing to do"), "{dm}");
    let request = app.stored_request(&id).await;
    assert_eq!(request.state, State::Failed);
    assert!(
        request
            .failure
            .as_deref()
            .is_some_and(|f| f.contains(&request.target.label())),
        "the message names the target: {:?}",
        request.failure
    );

    app.slash("UALICE", &format!("end {id}")).await;
    app.slash(case.approver, &format!("end {id}")).await;
    // Long enough for any end job and several sweeps (every 200 ms here) to run.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let writes = app.emulator.requests_of(provider);
    assert!(
        !writes.iter().any(is_removal),
        "pimbot removed nothing: {writes:?}"
    );
    let active = app.emulator.active_of(provider);
    assert_eq!(active.len(), 1, "the standing access is still there");
    assert_eq!(active[0].end, None);
    app.stop().await;
}

#[tokio::test]
async fn a_standing_entra_role_assignment_is_not_taken_over() {
    standing_access_is_left_alone(Provider::Role, 0).await;
}

#[tokio::test]
async fn a_standing_group_membership_is_not_taken_over() {
    standing_access_is_left_alone(Provider::Group, 0).await;
}

#[tokio::test]
async fn a_standing_azure_role_assignment_is_not_taken_over() {
    standing_access_is_left_alone(Provider::Azure, 0).await;
}

/// The client makes 4 attempts per write (`ApiSettings::for_url`).
const ALL_ATTEMPTS_OF_ONE_RUN: usize = 4;

#[tokio::test]
async fn a_retried_entra_role_activation_does_not_take_over_a_standing_assignment() {
    standing_access_is_left_alone(Provider::Role, ALL_ATTEMPTS_OF_ONE_RUN).await;
}

#[tokio::test]
async fn a_retried_group_activation_does_not_take_over_a_standing_membership() {
    standing_access_is_left_alone(Provider::Group, ALL_ATTEMPTS_OF_ONE_RUN).await;
}

#[tokio::test]
async fn a_retried_azure_activation_does_not_take_over_a_standing_assignment() {
    standing_access_is_left_alone(Provider::Azure, ALL_ATTEMPTS_OF_ONE_RUN).await;
}

/// pimbot's write is done but its answer comes after the 1 s timeout, and the look that follows
/// fails too, so the activate job runs again: it must recognise its own assignment (one write),
/// and `end` must remove it.
async fn own_write_is_adopted_after_a_retry(provider: Provider) {
    let case = case(provider);
    let app = start(provider, "timeout = \"1s\"").await;
    app.emulator.inject_faults(
        &write_call(provider),
        vec![Fault::LateAnswer(Duration::from_millis(1500))],
    );
    // The look after the timeout: Graph reads the instances (each read tried 4 times), ARM GETs
    // the request by its name (once).
    let (look, faults) = match provider {
        Provider::Role => (
            "GET /v1.0/roleManagement/directory/roleAssignmentScheduleInstances".to_owned(),
            ALL_ATTEMPTS_OF_ONE_RUN,
        ),
        Provider::Group => (
            "GET /v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleInstances"
                .to_owned(),
            ALL_ATTEMPTS_OF_ONE_RUN,
        ),
        Provider::Azure => (write_call(provider).replacen("PUT", "GET", 1), 1),
    };
    app.emulator
        .inject_faults(&look, vec![Fault::ServerError; faults]);

    let (status, _) = app.slash("UALICE", case.request).await;
    assert_eq!(status, 200);
    let (id, _) = approval_message(&app).await;
    assert_eq!(app.click(case.approver, "approve", &id).await, 200);
    wait_for_dm_about(&app, "UALICE", &id, "until").await;
    let writes = app.emulator.requests_of(provider);
    assert_eq!(writes.len(), 1, "one write, found again: {writes:?}");
    assert_eq!(app.emulator.active_of(provider).len(), 1);
    let calls = app.emulator.calls();
    assert!(
        calls.iter().filter(|c| c.starts_with(&look)).count() > faults,
        "the job looked again after the failed look: {calls:?}"
    );
    end_early(&app, "UALICE", &id, provider).await;
    app.stop().await;
}

#[tokio::test]
async fn a_retried_entra_role_activation_adopts_its_own_assignment() {
    own_write_is_adopted_after_a_retry(Provider::Role).await;
}

#[tokio::test]
async fn a_retried_group_activation_adopts_its_own_membership() {
    own_write_is_adopted_after_a_retry(Provider::Group).await;
}

#[tokio::test]
async fn a_retried_azure_activation_adopts_its_own_assignment() {
    own_write_is_adopted_after_a_retry(Provider::Azure).await;
}

#[tokio::test]
async fn the_sweep_leaves_a_fresh_activation_alone_while_pim_reads_lag() {
    let app = start(Provider::Role, "").await;
    let lag = Duration::from_secs(4);
    app.emulator.lag_assignment_reads(lag);
    let case = case(Provider::Role);
    let (status, _) = app.slash("UALICE", case.request).await;
    assert_eq!(status, 200);
    let (id, _) = approval_message(&app).await;
    assert_eq!(app.click(case.approver, "approve", &id).await, 200);
    wait_for_dm_about(&app, "UALICE", &id, "until").await;

    // Sweeps run every 200 ms (at most one a second across replicas) all through the lag.
    tokio::time::sleep(lag + Duration::from_secs(1)).await;
    let request = app.stored_request(&id).await;
    assert_eq!(request.state, State::Active, "not closed by the sweep");
    let ended = app
        .slack
        .calls()
        .into_iter()
        .filter(|c| c.body.to_string().contains("outside pimbot"))
        .count();
    assert_eq!(ended, 0, "nobody was told it ended");
    assert_eq!(app.emulator.active_of(Provider::Role).len(), 1);
    end_early(&app, "UALICE", &id, Provider::Role).await;
    app.stop().await;
}
