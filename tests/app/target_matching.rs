//! A target's configured rules (approvers, `approvals_required`, `max_duration`, ticket) apply
//! however the target is named: typed as a role and scope, a group and access, or an Azure role
//! and scope, on Slack and on Teams, and through the request form. Configuration that names one
//! thing twice, or something the tenant does not have, stops startup.

mod forms;
mod startup;

use std::time::{Duration, Instant};

use pimbot::emulator::{Application, Eligibility, GroupEligibility, Tenant};

use crate::azure_story::{RESOURCE_GROUP, azure_toml};
use crate::fake_slack::Call;
use crate::fake_teams::{ALICE, THREAD};
use crate::harness::{TestApp, fastrand, slash_body};
use crate::teams_app::TeamsApp;

pub(crate) const APP1: &str = "924dabc8-72e9-42de-952f-16054679d118";
pub(crate) const APP1_APP_ID: &str = "30fb49ca-83fd-4527-a1c2-a5186fc5105f";
/// A second application, on which Alice's group is eligible for the same custom role.
pub(crate) const APP2: &str = "c6f2a9e4-1b3d-4f5a-8c7e-2d9b0a4e6f13";
const APP2_APP_ID: &str = "e1d4b7a2-5c8f-4a3e-9b6d-7f0c2e5a8d94";
const SECRET_MANAGER: &str = "b434934d-1a7a-445b-b935-8304f3006998";
const SECRET_MANAGERS_GROUP: &str = "00c3b016-8650-4918-b328-0643b54fbd50";
pub(crate) const KEYVAULT_READERS: &str = "77561494-d5f8-4fa2-9fdc-9ef12506179c";
pub(crate) const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";

/// The security team's rules for a target: an hour at most, a ticket, and both Dave and Frank.
pub(crate) const STRICT: &str = r#"max_duration = "PT1H"
require_ticket = true
approvals_required = 2
approvers = ["user:854eb95f-7e10-4e10-afd0-3853b84a2683", "user:20c857e8-5b84-4089-a34c-8729ea394230"]"#;

/// The demo tenant, plus: App2, on which Alice's group is eligible for Application Secret Manager
/// as on App1; Alice eligible to own KeyVault Readers; and that role's PIM policy reduced to PIM's
/// defaults (8 hours, a justification), so that what the requests meet is pimbot's configuration.
pub(crate) fn tenant() -> Tenant {
    let mut tenant = Tenant::demo();
    tenant.applications.push(Application {
        id: APP2.into(),
        app_id: APP2_APP_ID.into(),
        display_name: "App2".into(),
    });
    let since = "2025-01-06T09:00:00Z".parse().expect("a date");
    tenant.eligibilities.push(Eligibility {
        id: "3d7e1f0a-6b2c-4d8e-a9f1-5c0b7e2d4a86".into(),
        principal_id: SECRET_MANAGERS_GROUP.into(),
        role_definition_id: SECRET_MANAGER.into(),
        directory_scope_id: format!("/{APP2}"),
        start_date_time: since,
        end_date_time: None,
    });
    tenant
        .policies
        .retain(|p| p.role_definition_id != SECRET_MANAGER);
    tenant.group_eligibilities.push(GroupEligibility {
        id: "kv-readers-alice-owner".into(),
        group_id: KEYVAULT_READERS.into(),
        principal_id: ALICE.2.into(),
        access_id: "owner".into(),
        start_date_time: since,
        end_date_time: None,
    });
    tenant
}

/// A configuration and a way of typing its strict target that differs from how it is written.
struct Case {
    config: String,
    typed: String,
    name: &'static str,
}

/// The same role on App1 (no rules) and App2 (strict): the App2 request is not App1's.
fn shared_role() -> Case {
    Case {
        config: format!(
            "[[targets]]\nname = \"app1-secrets\"\nkind = \"role\"\nrole = \"Application Secret Manager\"\nscope = \"App1\"\n\n\
             [[targets]]\nname = \"app2-secrets\"\nkind = \"role\"\nrole = \"Application Secret Manager\"\nscope = \"App2\"\n{STRICT}\n"
        ),
        typed: r#"role:"Application Secret Manager"@App2"#.into(),
        name: "app2-secrets",
    }
}

/// Membership (no rules) and ownership (strict) of one group.
fn member_and_owner() -> Case {
    Case {
        config: format!(
            "[[targets]]\nname = \"kv-members\"\nkind = \"group\"\ngroup = \"KeyVault Readers\"\naccess = \"member\"\n\n\
             [[targets]]\nname = \"kv-owners\"\nkind = \"group\"\ngroup = \"KeyVault Readers\"\naccess = \"owner\"\n{STRICT}\n"
        ),
        typed: r#"group:"KeyVault Readers"/owner"#.into(),
        name: "kv-owners",
    }
}

/// An Azure role configured by its bare GUID, requested by its name.
fn azure_by_guid() -> Case {
    Case {
        config: format!(
            "[[targets]]\nname = \"pim-rg-contributor\"\nkind = \"azure\"\nrole = \"{CONTRIBUTOR}\"\nscope = \"{RESOURCE_GROUP}\"\n{STRICT}\n"
        ),
        typed: format!("azure:Contributor@{RESOURCE_GROUP}"),
        name: "pim-rg-contributor",
    }
}

/// A role scope configured as the application's appId (or object id without `/`), requested
/// by the application's name.
fn scope_written_as(scope: &str) -> Case {
    Case {
        config: format!(
            "[[targets]]\nname = \"app1-secrets\"\nkind = \"role\"\nrole = \"Application Secret Manager\"\nscope = \"{scope}\"\n{STRICT}\n"
        ),
        typed: r#"role:"Application Secret Manager"@App1"#.into(),
        name: "app1-secrets",
    }
}

/// Where Alice types, and reads pimbot's answers.
pub(crate) enum Chat {
    Slack(TestApp),
    Teams(TeamsApp),
}

#[derive(Clone, Copy)]
pub(crate) enum On {
    Slack,
    Teams,
}

impl Chat {
    /// pimbot against [`tenant`] with `config`, Azure eligibilities looked for in the subscription.
    pub(crate) async fn start(on: On, config: &str) -> Chat {
        match on {
            On::Slack => {
                Chat::Slack(TestApp::start_with_azure(tenant(), &azure_toml(), config).await)
            }
            On::Teams => Chat::Teams(TeamsApp::start_in(tenant(), &azure_toml(), config).await),
        }
    }

    pub(crate) fn app(&self) -> &TestApp {
        match self {
            Chat::Slack(app) => app,
            Chat::Teams(teams) => &teams.app,
        }
    }

    /// Alice's `text`, and pimbot's answer once the command ran (not the "checking" receipt).
    async fn ask(&self, text: &str) -> String {
        match self {
            Chat::Slack(app) => {
                let id = format!("target-matching-{}", fastrand());
                let body = slash_body("UALICE", text, &app.slack.response_url(&id));
                let response = app
                    .post_signed(
                        "/slack/commands",
                        "application/x-www-form-urlencoded",
                        body,
                        0,
                    )
                    .await;
                assert_eq!(response.status(), 200);
                let is_answer = |c: &Call| {
                    c.method == "response_url" && c.body["response_url_id"] == id.as_str()
                };
                let calls = app
                    .slack
                    .wait_for(&format!("the answer to `{text}`"), |calls| {
                        calls.iter().any(is_answer)
                    })
                    .await;
                calls
                    .iter()
                    .find(|c| is_answer(c))
                    .map(|c| c.body.to_string())
                    .unwrap_or_default()
            }
            Chat::Teams(teams) => {
                let before = teams.teams.calls().len();
                let answer = teams.send(&teams.channel_message(ALICE, text)).await;
                assert_eq!(answer.status, 200, "{}", answer.body);
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let found = teams.teams.calls().into_iter().skip(before).find(|c| {
                        c.method == "POST"
                            && c.path == format!("v3/conversations/{THREAD}/activities")
                            && c.body["text"]
                                .as_str()
                                .is_some_and(|t| !t.contains("Checking your eligibility"))
                    });
                    if let Some(call) = found {
                        return call.body["text"].as_str().unwrap_or_default().to_owned();
                    }
                    assert!(Instant::now() < deadline, "no answer to `{text}` in Teams");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    pub(crate) async fn stop(self) {
        match self {
            Chat::Slack(app) => app.stop().await,
            Chat::Teams(teams) => teams.app.stop().await,
        }
    }
}

/// The one request Alice made: asked of the strict target `name`, by Dave and Frank, both.
pub(crate) async fn assert_strict_request(app: &TestApp, name: &str) {
    let requests = app.store.requests_of(ALICE.2, 10).await.expect("store");
    assert_eq!(
        requests.len(),
        1,
        "only the request within the rules: {requests:?}"
    );
    let request = &requests[0];
    assert_eq!(
        request.target.name.as_deref(),
        Some(name),
        "{:?}",
        request.target
    );
    let approvers: Vec<&str> = request
        .approvers
        .iter()
        .map(|a| a.display_name.as_str())
        .collect();
    assert_eq!(
        approvers,
        ["Dave Outsider", "Frank Direct"],
        "the target's approvers"
    );
    assert_eq!(
        request.approvals_required, 2,
        "the target's approvals_required"
    );
}

/// The strict target's maximum, ticket and approvers hold for a request typed `case.typed`.
async fn typed_request_meets_the_rules(on: On, case: Case) {
    let chat = Chat::start(on, &case.config).await;
    let target = &case.typed;
    let over = chat
        .ask(&format!(
            "request {target} for 2h ticket SEC-1 rotating the secret"
        ))
        .await;
    assert!(
        over.contains("over the maximum of 1h"),
        "max_duration applies: {over}"
    );
    let bare = chat
        .ask(&format!("request {target} for 1h rotating the secret"))
        .await;
    assert!(
        bare.contains("requires a ticket"),
        "require_ticket applies: {bare}"
    );
    let accepted = chat
        .ask(&format!(
            "request {target} for 1h ticket SEC-1 rotating the secret"
        ))
        .await;
    assert!(accepted.contains("waiting for approval"), "{accepted}");
    assert_strict_request(chat.app(), case.name).await;
    chat.stop().await;
}

#[tokio::test]
async fn slack_a_role_typed_at_the_second_of_two_applications_gets_that_targets_rules() {
    typed_request_meets_the_rules(On::Slack, shared_role()).await;
}

#[tokio::test]
async fn teams_a_role_typed_at_the_second_of_two_applications_gets_that_targets_rules() {
    typed_request_meets_the_rules(On::Teams, shared_role()).await;
}

#[tokio::test]
async fn slack_group_ownership_typed_gets_the_owner_targets_rules_not_the_members() {
    typed_request_meets_the_rules(On::Slack, member_and_owner()).await;
}

#[tokio::test]
async fn teams_group_ownership_typed_gets_the_owner_targets_rules_not_the_members() {
    typed_request_meets_the_rules(On::Teams, member_and_owner()).await;
}

#[tokio::test]
async fn slack_an_azure_role_configured_by_bare_guid_keeps_its_rules_when_typed_by_name() {
    typed_request_meets_the_rules(On::Slack, azure_by_guid()).await;
}

#[tokio::test]
async fn teams_an_azure_role_configured_by_bare_guid_keeps_its_rules_when_typed_by_name() {
    typed_request_meets_the_rules(On::Teams, azure_by_guid()).await;
}

#[tokio::test]
async fn slack_a_role_scope_configured_as_an_app_id_keeps_its_rules_when_typed_by_app_name() {
    typed_request_meets_the_rules(On::Slack, scope_written_as(APP1_APP_ID)).await;
}

#[tokio::test]
async fn teams_a_role_scope_configured_as_an_app_id_keeps_its_rules_when_typed_by_app_name() {
    typed_request_meets_the_rules(On::Teams, scope_written_as(APP1_APP_ID)).await;
}

#[tokio::test]
async fn slack_a_role_scope_configured_as_a_bare_object_id_keeps_its_rules_when_typed_by_name() {
    typed_request_meets_the_rules(On::Slack, scope_written_as(APP1)).await;
}

#[tokio::test]
async fn teams_a_role_scope_configured_as_a_bare_object_id_keeps_its_rules_when_typed_by_name() {
    typed_request_meets_the_rules(On::Teams, scope_written_as(APP1)).await;
}
