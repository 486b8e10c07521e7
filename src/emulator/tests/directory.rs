//! Users, groups, owners, members, role definitions, eligibility and policy reads.

use super::*;

#[tokio::test]
async fn a_user_is_found_by_mail_or_upn_ignoring_case_and_select_trims_the_properties() {
    let harness = start().await;
    let filter = "mail eq 'ALICE@contoso.example' or userPrincipalName eq 'ALICE@contoso.example'";
    let reply = harness
        .get(
            "/v1.0/users",
            &[
                ("$filter", filter),
                ("$select", "displayName,accountEnabled"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.body["@odata.context"]
            .as_str()
            .unwrap_or("")
            .ends_with("/v1.0/$metadata#users")
    );
    assert_eq!(
        reply.body["value"],
        json!([{"id": ALICE, "displayName": "Alice Engineer", "accountEnabled": true}])
    );
}

#[tokio::test]
async fn an_address_that_is_one_users_mail_and_another_users_upn_finds_both() {
    let harness = start().await;
    harness.emulator.edit_tenant(|tenant| {
        let dave = tenant.users.iter_mut().find(|u| u.id == DAVE);
        dave.expect("dave").mail = Some("alice@contoso.example".into());
    });
    let filter = "mail eq 'alice@contoso.example' or userPrincipalName eq 'alice@contoso.example'";
    let reply = harness
        .get("/v1.0/users", &[("$filter", filter), ("$select", "id")])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["value"], json!([{"id": ALICE}, {"id": DAVE}]));
}

#[tokio::test]
async fn a_user_by_id_omits_account_enabled_unless_selected_and_unknown_ids_are_404() {
    let harness = start().await;
    let user = harness.get(&format!("/v1.0/users/{DAVE}"), &[]).await;
    assert_eq!(user.body["userPrincipalName"], "dave@contoso.example");
    assert!(
        user.body.get("accountEnabled").is_none(),
        "Graph's default projection has no accountEnabled"
    );
    let missing = harness
        .get("/v1.0/users/00000000-0000-0000-0000-000000000000", &[])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "Request_ResourceNotFound");
    let typo = harness
        .get(
            &format!("/v1.0/users/{DAVE}"),
            &[("$select", "userPrincipleName")],
        )
        .await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_unsupported_filter_is_400_invalid_filter_clause() {
    let harness = start().await;
    for filter in [
        "startswith(mail,'a')",
        "jobTitle eq 'Sales'",
        "mail eq 'x' and",
    ] {
        let reply = harness.get("/v1.0/users", &[("$filter", filter)]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{filter}");
        assert_eq!(reply.error_code(), "BadRequest");
        assert!(
            reply.error_message().starts_with("Invalid filter clause"),
            "{}",
            reply.error_message()
        );
    }
}

#[tokio::test]
async fn transitive_member_of_lists_both_of_alices_groups_as_typed_groups() {
    let harness = start().await;
    let path = format!("/v1.0/users/{ALICE}/transitiveMemberOf/microsoft.graph.group");
    let reply = harness.get(&path, &[("$select", "id,displayName")]).await;
    assert_eq!(ids(&reply.body), vec![TEAM_GROUP]);
    assert_eq!(
        reply.body["value"][0]["@odata.type"],
        "#microsoft.graph.group"
    );
    let dave = harness
        .get(
            &format!("/v1.0/users/{DAVE}/transitiveMemberOf/microsoft.graph.group"),
            &[],
        )
        .await;
    assert_eq!(dave.body["value"], json!([]));
}

#[tokio::test]
async fn group_owners_have_the_list_group_owners_shape_including_the_service_principal() {
    let harness = start().await;
    let found = harness
        .get(
            "/v1.0/groups",
            &[(
                "$filter",
                "displayName eq 'Team Foo Application Secret Managers'",
            )],
        )
        .await;
    assert_eq!(ids(&found.body), vec![TEAM_GROUP]);
    assert_eq!(found.body["value"][0]["isAssignableToRole"], true);
    let select = ("$select", "id,displayName,userPrincipalName,accountEnabled");
    let owners = harness
        .get(&format!("/v1.0/groups/{TEAM_GROUP}/owners"), &[select])
        .await;
    assert!(
        owners.body["@odata.context"]
            .as_str()
            .unwrap_or("")
            .ends_with("#directoryObjects")
    );
    assert_eq!(
        owners.body["value"][0],
        json!({"@odata.type": "#microsoft.graph.user", "id": BOB, "accountEnabled": true,
               "displayName": "Bob Owner", "userPrincipalName": "bob@contoso.example"})
    );
    assert_eq!(owners.body["value"][1]["id"], CAROL);
    assert_eq!(
        owners.body["value"][2]["@odata.type"],
        "#microsoft.graph.servicePrincipal"
    );
    assert_eq!(owners.body["value"][2]["id"], DEPLOY_PIPELINE);
    let members = harness
        .get(&format!("/v1.0/groups/{TEAM_GROUP}/members"), &[select])
        .await;
    let enabled: Vec<&Value> = members.body["value"]
        .as_array()
        .map(|v| v.iter().map(|m| &m["accountEnabled"]).collect())
        .unwrap_or_default();
    assert_eq!(
        enabled,
        vec![&json!(true), &json!(false)],
        "Alice enabled, Erin disabled"
    );
}

#[tokio::test]
async fn role_definitions_are_found_by_display_name() {
    let harness = start().await;
    let path = "/v1.0/roleManagement/directory/roleDefinitions";
    let reply = harness
        .get(
            path,
            &[("$filter", "displayName eq 'Application Secret Manager'")],
        )
        .await;
    assert_eq!(ids(&reply.body), vec![SECRET_MANAGER]);
    let role = &reply.body["value"][0];
    assert_eq!(role["isBuiltIn"], false);
    assert_eq!(
        role["rolePermissions"][0]["allowedResourceActions"],
        json!(["microsoft.directory/applications/credentials/update"])
    );
    let by_id = harness.get(&format!("{path}/{GROUPS_ADMIN}"), &[]).await;
    assert_eq!(by_id.body["displayName"], "Groups Administrator");
}

#[tokio::test]
async fn eligibility_instances_filter_by_principal_by_role_and_by_both() {
    let harness = start().await;
    let path = "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances";
    let frank = harness
        .get(path, &[("$filter", &format!("principalId eq '{FRANK}'"))])
        .await;
    assert_eq!(frank.body["value"].as_array().map(Vec::len), Some(1));
    let item = &frank.body["value"][0];
    assert_eq!(item["roleDefinitionId"], SECURITY_READER);
    assert_eq!(item["directoryScopeId"], "/");
    assert_eq!(item["memberType"], "Direct");
    assert_eq!(item["endDateTime"], Value::Null);
    assert_eq!(item["roleEligibilityScheduleId"], item["id"]);
    let by_role = harness
        .get(
            path,
            &[(
                "$filter",
                &format!("roleDefinitionId eq '{SECRET_MANAGER}'"),
            )],
        )
        .await;
    assert_eq!(by_role.body["value"][0]["principalId"], TEAM_GROUP);
    assert_eq!(
        by_role.body["value"][0]["directoryScopeId"],
        format!("/{APP1}")
    );
    let both = format!("principalId eq '{ALICE}' and roleDefinitionId eq '{SECRET_MANAGER}'");
    let none = harness.get(path, &[("$filter", &both)]).await;
    assert_eq!(
        none.body["value"],
        json!([]),
        "Alice's Secret Manager eligibility is only via the group"
    );
}

#[tokio::test]
async fn a_role_policy_expands_to_graph_shaped_rules_with_the_fixture_values() {
    let harness = start().await;
    let filter = format!(
        "scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '{SECRET_MANAGER}'"
    );
    let path = "/v1.0/policies/roleManagementPolicyAssignments";
    let reply = harness
        .get(
            path,
            &[("$filter", &filter), ("$expand", "policy($expand=rules)")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let assignment = &reply.body["value"][0];
    assert_eq!(assignment["roleDefinitionId"], SECRET_MANAGER);
    let policy_id = assignment["policyId"].as_str().expect("policyId");
    assert!(policy_id.starts_with(&format!("DirectoryRole_{TENANT}_")));
    assert_eq!(assignment["id"], format!("{policy_id}_{SECRET_MANAGER}"));
    let rules = assignment["policy"]["rules"].as_array().expect("rules");
    let rule = |id: &str| {
        rules
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let expiration = rule("Expiration_EndUser_Assignment");
    assert_eq!(
        expiration["@odata.type"],
        "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule"
    );
    assert_eq!(expiration["maximumDuration"], "PT2H");
    assert_eq!(
        expiration["target"],
        json!({"caller": "EndUser", "operations": ["all"], "level": "Assignment", "inheritableSettings": [], "enforcedSettings": []})
    );
    assert_eq!(
        rule("Enablement_EndUser_Assignment")["enabledRules"],
        json!(["Justification", "Ticketing"])
    );
    assert_eq!(
        rule("Approval_EndUser_Assignment")["setting"]["isApprovalRequired"],
        false
    );
    assert_eq!(
        rule("Expiration_Admin_Assignment")["maximumDuration"],
        "P90D"
    );
    assert_eq!(
        rule("Expiration_Admin_Assignment")["isExpirationRequired"],
        false
    );
    assert_eq!(rules.len(), 17, "same rule set as Graph's example");
}

#[tokio::test]
async fn groups_admin_policy_names_carol_as_approver_and_missing_scope_filters_are_refused() {
    let harness = start().await;
    let filter = format!(
        "scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '{GROUPS_ADMIN}'"
    );
    let path = "/v1.0/policies/roleManagementPolicyAssignments";
    let reply = harness
        .get(
            path,
            &[("$filter", &filter), ("$expand", "policy($expand=rules)")],
        )
        .await;
    let rules = reply.body["value"][0]["policy"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let approval = rules
        .iter()
        .find(|r| r["id"] == "Approval_EndUser_Assignment")
        .cloned()
        .unwrap_or_default();
    assert_eq!(approval["setting"]["isApprovalRequired"], true);
    let approver = &approval["setting"]["approvalStages"][0]["primaryApprovers"][0];
    assert_eq!(approver["@odata.type"], "#microsoft.graph.singleUser");
    assert_eq!(approver["userId"], CAROL);
    let unscoped = harness
        .get(
            path,
            &[("$filter", &format!("roleDefinitionId eq '{GROUPS_ADMIN}'"))],
        )
        .await;
    assert_eq!(unscoped.status, StatusCode::BAD_REQUEST);
    let plain = harness
        .get(
            path,
            &[("$filter", "scopeId eq '/' and scopeType eq 'DirectoryRole'")],
        )
        .await;
    assert_eq!(
        plain.body["value"].as_array().map(Vec::len),
        Some(4),
        "one per role, defaults included"
    );
    assert!(
        plain.body["value"][0].get("policy").is_none(),
        "no policy without $expand"
    );
}
