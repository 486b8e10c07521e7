//! PIM for Groups and ARM over HTTP: eligibility reads and their mandatory filters, policies,
//! writes with PIM's rules and error codes, expiry, and ARM's own protocol (api-version, scope
//! semantics, named requests, error bodies, 429).

use super::*;
use crate::emulator::{Fault, Provider};

const GROUP_BASE: &str = "/v1.0/identityGovernance/privilegedAccess/group";
const RG: &str = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57/resourceGroups/pim-rg";
const SUB: &str = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const PIM_VERSION: (&str, &str) = ("api-version", "2020-10-01");

impl Harness {
    pub(super) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: &Value,
    ) -> Reply {
        let request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(&self.token)
            .json(body);
        reply(request.send().await.expect("call")).await
    }
}

fn group_assign(duration: &str) -> Value {
    json!({
        "accessId": "member", "action": "adminAssign", "groupId": KEYVAULT_GROUP,
        "principalId": ALICE, "justification": "reading secrets",
        "scheduleInfo": {"startDateTime": "2024-01-01T00:00:00Z",
            "expiration": {"type": "afterDuration", "duration": duration}},
    })
}

fn arm_assign(duration: &str, justification: Option<&str>) -> Value {
    let mut body = json!({"properties": {
        "principalId": ALICE,
        "roleDefinitionId": format!("{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"),
        "requestType": "AdminAssign",
        "scheduleInfo": {"startDateTime": "2024-01-01T00:00:00Z",
            "expiration": {"type": "AfterDuration", "duration": duration}},
    }});
    if let Some(text) = justification {
        body["properties"]["justification"] = json!(text);
    }
    body
}

#[tokio::test]
async fn group_eligibility_needs_a_group_or_principal_filter_and_lists_alices_membership() {
    let harness = start().await;
    let path = format!("{GROUP_BASE}/eligibilityScheduleInstances");
    let unfiltered = harness.get(&path, &[]).await;
    assert_eq!(unfiltered.status, StatusCode::BAD_REQUEST);
    let filter = format!("groupId eq '{KEYVAULT_GROUP}'");
    let listed = harness.get(&path, &[("$filter", &filter)]).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let item = &listed.body["value"][0];
    assert_eq!(item["principalId"], ALICE);
    assert_eq!(item["accessId"], "member");
    assert_eq!(listed.body["value"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_group_policy_is_read_by_group_scope_and_enforced_on_admin_assign() {
    let harness = start().await;
    let filter = format!(
        "scopeId eq '{KEYVAULT_GROUP}' and scopeType eq 'Group' and roleDefinitionId eq 'member'"
    );
    let policy = harness
        .get(
            "/v1.0/policies/roleManagementPolicyAssignments",
            &[("$filter", &filter), ("$expand", "policy($expand=rules)")],
        )
        .await;
    assert_eq!(
        policy.body["value"].as_array().map(Vec::len),
        Some(1),
        "{}",
        policy.body
    );
    let rules = policy.body["value"][0]["policy"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let max = rules
        .iter()
        .find(|r| r["id"] == "Expiration_EndUser_Assignment")
        .map(|r| r["maximumDuration"].clone());
    assert_eq!(max, Some(json!("PT4H")));

    let path = format!("{GROUP_BASE}/assignmentScheduleRequests");
    let mut unjustified = group_assign("PT2H");
    unjustified["justification"] = Value::Null;
    let refused = harness
        .send(reqwest::Method::POST, &path, &[], &unjustified)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.error_code(),
        "RoleAssignmentRequestPolicyValidationFailed"
    );
    assert!(refused.error_message().contains("JustificationRule"));

    let created = harness
        .send(reqwest::Method::POST, &path, &[], &group_assign("PT2H"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["status"], "Provisioned");
    assert!(
        created.body["targetScheduleId"]
            .as_str()
            .is_some_and(|t| t.starts_with(&format!("{KEYVAULT_GROUP}_member_")))
    );
    let again = harness
        .send(reqwest::Method::POST, &path, &[], &group_assign("PT2H"))
        .await;
    assert_eq!(again.error_code(), "RoleAssignmentExists");

    // Group memberships are not Entra role assignments.
    let roles = harness
        .get(
            "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances",
            &[],
        )
        .await;
    assert!(ids(&roles.body).is_empty(), "{}", roles.body);

    // Active PIM membership shows in the group's members until it expires.
    let members = harness
        .get(&format!("/v1.0/groups/{KEYVAULT_GROUP}/members"), &[])
        .await;
    assert_eq!(ids(&members.body), vec![ALICE]);
    harness.emulator.advance_clock(chrono::TimeDelta::hours(3));
    let members = harness
        .get(&format!("/v1.0/groups/{KEYVAULT_GROUP}/members"), &[])
        .await;
    assert!(ids(&members.body).is_empty());
    assert!(harness.emulator.active_of(Provider::Group).is_empty());
}

#[tokio::test]
async fn arm_requires_an_api_version_and_answers_with_arm_error_bodies() {
    let harness = start().await;
    let path = format!("{RG}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances");
    let missing = harness.get(&path, &[]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.error_code(), "MissingApiVersionParameter");
    assert!(
        missing.body["error"].get("innerError").is_none(),
        "ARM shape: {}",
        missing.body
    );
    assert!(missing.headers.contains_key("x-ms-request-id"));

    harness.emulator.inject_faults(
        "roleEligibilityScheduleInstances",
        vec![Fault::Throttle {
            retry_after_secs: 3,
        }],
    );
    let throttled = harness.get(&path, &[PIM_VERSION]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        throttled
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    assert!(throttled.body["error"].get("innerError").is_none());
}

#[tokio::test]
async fn arm_eligibility_filters_follow_scope_semantics() {
    let harness = start().await;
    let at_sub =
        format!("{SUB}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances");
    let assigned = format!("assignedTo('{ALICE}')");
    let below = harness
        .get(&at_sub, &[PIM_VERSION, ("$filter", &assigned)])
        .await;
    assert_eq!(
        below.body["value"].as_array().map(Vec::len),
        Some(1),
        "{}",
        below.body
    );
    assert_eq!(below.body["value"][0]["properties"]["scope"], RG);
    let at_scope_only = format!("atScope() and assignedTo('{ALICE}')");
    let none = harness
        .get(&at_sub, &[PIM_VERSION, ("$filter", &at_scope_only)])
        .await;
    assert_eq!(
        none.body["value"].as_array().map(Vec::len),
        Some(0),
        "{}",
        none.body
    );
    let dave = format!("principalId eq '{DAVE}'");
    let nobody = harness
        .get(&at_sub, &[PIM_VERSION, ("$filter", &dave)])
        .await;
    assert_eq!(nobody.body["value"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn arm_requests_are_named_by_the_client_checked_against_policy_and_readable_by_name() {
    let harness = start().await;
    let name = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let path =
        format!("{RG}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{name}");
    let unknown = harness.get(&path, &[PIM_VERSION]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let refused = harness
        .send(
            reqwest::Method::PUT,
            &path,
            &[PIM_VERSION],
            &arm_assign("PT2H", None),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.error_message().contains("JustificationRule"),
        "{}",
        refused.body
    );
    let too_long = harness
        .send(
            reqwest::Method::PUT,
            &path,
            &[PIM_VERSION],
            &arm_assign("P100D", Some("x")),
        )
        .await;
    assert!(
        too_long.error_message().contains("ExpirationRule"),
        "{}",
        too_long.body
    );

    let created = harness
        .send(
            reqwest::Method::PUT,
            &path,
            &[PIM_VERSION],
            &arm_assign("PT2H", Some("deploy")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["name"], name);
    assert_eq!(created.body["properties"]["status"], "Provisioned");
    assert_eq!(
        created.body["properties"]["scheduleInfo"]["expiration"]["type"],
        "AfterDuration"
    );
    let read = harness.get(&path, &[PIM_VERSION]).await;
    assert_eq!(read.body["properties"]["status"], "Provisioned");

    let other = format!(
        "{RG}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/9b2c1d3e-0000-4000-8000-000000000001"
    );
    let duplicate = harness
        .send(
            reqwest::Method::PUT,
            &other,
            &[PIM_VERSION],
            &arm_assign("PT2H", Some("deploy")),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.error_code(), "RoleAssignmentExists");

    let active = harness.emulator.active_of(Provider::Azure);
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].directory_scope_id, RG);
    let policies = harness
        .get(
            &format!("{RG}/providers/Microsoft.Authorization/roleManagementPolicyAssignments"),
            &[PIM_VERSION],
        )
        .await;
    let contributor = policies.body["value"]
        .as_array()
        .and_then(|items| {
            items.iter().find(|p| {
                p["properties"]["roleDefinitionId"]
                    .as_str()
                    .is_some_and(|r| r.ends_with(CONTRIBUTOR))
            })
        })
        .cloned()
        .unwrap_or_default();
    let rules = contributor["properties"]["effectiveRules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        rules
            .iter()
            .any(|r| r["ruleType"] == "RoleManagementPolicyExpirationRule"
                && r["maximumDuration"] == "PT8H")
    );
}
