use axum::http::StatusCode;
use serde_json::json;

use super::*;
use crate::domain::duration::ElevationDuration;
use crate::domain::target::{EntraRole, GroupAccess, GroupMembership};
use crate::pim::graph::DirectoryTarget;
use crate::service::ports::{Eligibility, RoleDefinition, UpstreamErrorKind};

pub(super) fn role_target(scope: &str) -> EntraRole {
    EntraRole {
        role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
        directory_scope_id: scope.into(),
    }
}

#[tokio::test]
async fn the_role_policy_is_read_at_the_root_scope_with_its_rules_expanded() {
    let example_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/contracts/graph-pim-examples/listRoleManagementPolicyAssignments.directoryRole.expandPolicyRules.json"
    );
    let example: Value =
        serde_json::from_str(&std::fs::read_to_string(example_path).expect("example"))
            .expect("json");
    let body = example["response"]["body"].clone();
    let graph = FakeGraph::new(move |_| {
        let body = body.clone();
        async move { ok(body) }
    })
    .await;
    let policy = graph
        .client()
        .role_policy("62e90394-69f5-4237-9190-012177145e10")
        .await
        .expect("answered");
    assert_eq!(policy.max_duration, ElevationDuration::from_minutes(480));
    assert!(policy.require_mfa);
    assert!(policy.require_justification);
    assert!(!policy.require_ticket);
    let seen = &graph.seen()[0];
    assert_eq!(seen.path, "/v1.0/policies/roleManagementPolicyAssignments");
    assert_eq!(
        seen.query("$filter"),
        Some(
            "scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'"
        )
    );
    assert_eq!(seen.query("$expand"), Some("policy($expand=rules)"));
}

#[tokio::test]
async fn a_role_without_a_policy_assignment_is_not_found() {
    let graph = FakeGraph::new(|_| async { ok(json!({"value": []})) }).await;
    let error = graph.client().role_policy("r-1").await.expect_err("none");
    assert_eq!(error.kind, UpstreamErrorKind::NotFound);
}

#[tokio::test]
async fn eligibilities_for_one_role_keep_only_the_asked_principals() {
    let graph = FakeGraph::new(|_| async {
        ok(json!({"value": [
            {"principalId": "u-1", "roleDefinitionId": "r-1", "directoryScopeId": "/", "memberType": "Direct"},
            {"principalId": "someone-else", "roleDefinitionId": "r-1", "directoryScopeId": "/"},
            {"principalId": "g-7", "roleDefinitionId": "r-1", "directoryScopeId": "/obj-1"},
            {"principalId": "u-1", "roleDefinitionId": "r-1", "directoryScopeId": null, "appScopeId": "/"}
        ]}))
    })
    .await;
    let principals = vec!["u-1".to_owned(), "g-7".to_owned()];
    let found = graph
        .client()
        .role_eligibilities(&principals, Some("r-1"))
        .await
        .expect("answered");
    let eligibility = |p: &str, scope: &str| Eligibility {
        principal_id: p.into(),
        role_definition_id: "r-1".into(),
        scope: scope.into(),
    };
    assert_eq!(
        found,
        vec![eligibility("u-1", "/"), eligibility("g-7", "/obj-1")]
    );
    let seen = graph.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].path,
        "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances"
    );
    assert_eq!(seen[0].query("$filter"), Some("roleDefinitionId eq 'r-1'"));
}

/// Without a role or group, only the user's own eligibilities are read: one query, however
/// many groups follow them (eligibility through a group is read per target).
#[tokio::test]
async fn eligibilities_without_a_resource_are_the_users_own_in_one_query() {
    let graph = FakeGraph::new(|seen| async move {
        let item = if seen.path.ends_with("/roleEligibilityScheduleInstances") {
            json!({"principalId": "u-1", "roleDefinitionId": "r-1", "directoryScopeId": "/"})
        } else {
            json!({"principalId": "u-1", "groupId": "g-2", "accessId": "member"})
        };
        ok(json!({ "value": [item] }))
    })
    .await;
    let principals = vec!["u-1".to_owned(), "g-7".to_owned(), "g-8".to_owned()];
    let client = graph.client();
    let roles = client
        .role_eligibilities(&principals, None)
        .await
        .expect("answered");
    let groups = client
        .group_eligibilities(&principals, None)
        .await
        .expect("answered");
    let found: Vec<(&str, &str)> = roles
        .iter()
        .chain(&groups)
        .map(|e| (e.principal_id.as_str(), e.role_definition_id.as_str()))
        .collect();
    assert_eq!(found, vec![("u-1", "r-1"), ("u-1", "g-2")]);
    let filters: Vec<Option<String>> = graph
        .seen()
        .iter()
        .map(|s| s.query("$filter").map(str::to_owned))
        .collect();
    assert_eq!(
        filters,
        vec![
            Some("principalId eq 'u-1'".to_owned()),
            Some("principalId eq 'u-1'".to_owned())
        ]
    );
}

#[tokio::test]
async fn role_definitions_are_found_by_name_or_by_id() {
    let graph = FakeGraph::new(|seen| async move {
        if seen.path.ends_with("/roleDefinitions") {
            ok(json!({"value": [{"id": "f2ef992c-3afb-46b9-b7cf-a126ee74c451", "displayName": "Global Reader"}]}))
        } else {
            graph_error(StatusCode::NOT_FOUND, "Request_ResourceNotFound", "no such role")
        }
    })
    .await;
    let client = graph.client();
    assert_eq!(
        client.entra_role("Global Reader").await,
        Ok(Some(RoleDefinition {
            id: "f2ef992c-3afb-46b9-b7cf-a126ee74c451".into(),
            display_name: "Global Reader".into(),
        }))
    );
    assert_eq!(
        client
            .entra_role("00000000-0000-4000-8000-000000000000")
            .await,
        Ok(None)
    );
    let seen = graph.seen();
    assert_eq!(
        seen[0].query("$filter"),
        Some("displayName eq 'Global Reader'")
    );
    assert_eq!(
        seen[1].path,
        "/v1.0/roleManagement/directory/roleDefinitions/00000000-0000-4000-8000-000000000000"
    );
}

#[tokio::test]
async fn the_active_assignment_is_the_direct_one_at_the_target_scope() {
    let graph = FakeGraph::new(|_| async {
        ok(json!({"value": [
            {"id": "i-1", "principalId": "u-1", "roleDefinitionId": "r", "directoryScopeId": "/",
             "memberType": "Direct", "endDateTime": "2026-11-22T12:00:00Z"},
            {"id": "i-2", "principalId": "u-1", "roleDefinitionId": "r", "directoryScopeId": "/obj-1",
             "memberType": "Group", "endDateTime": null},
            {"id": "i-3", "principalId": "u-1", "roleDefinitionId": "r", "directoryScopeId": "/obj-1",
             "memberType": "Direct", "endDateTime": "2026-11-22T14:00:00Z"}
        ]}))
    })
    .await;
    let active = graph
        .client()
        .active_assignment(DirectoryTarget::Role(&role_target("/obj-1")), "u-1")
        .await
        .expect("answered")
        .expect("active");
    assert_eq!(active.scope, "/obj-1");
    assert_eq!(
        active.end.map(|e| e.to_rfc3339()).as_deref(),
        Some("2026-11-22T14:00:00+00:00")
    );
    assert_eq!(
        graph.seen()[0].query("$filter"),
        Some("principalId eq 'u-1' and roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'")
    );
}

#[tokio::test]
async fn group_reads_use_the_group_apis() {
    let graph = FakeGraph::new(|_| async { ok(json!({"value": []})) }).await;
    let group = GroupMembership {
        group_id: "g-1".into(),
        access: GroupAccess::Member,
    };
    let found = graph
        .client()
        .active_assignment(DirectoryTarget::Group(&group), "u-1")
        .await;
    assert_eq!(found, Ok(None));
    let seen = graph.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].path,
        "/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleInstances"
    );
    assert_eq!(
        seen[0].query("$filter"),
        Some("groupId eq 'g-1' and principalId eq 'u-1'")
    );
}
