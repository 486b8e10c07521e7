//! The directory and PIM writes `pimbot admin` uses, with Graph's and ARM's validation: custom
//! role definitions, groups and their `$ref`s, eligibility requests, policy rule updates, and
//! the tokens' `roles` claim.

use super::*;
use reqwest::Method;

const GRAPH_ROLE: &str = "/v1.0/roleManagement/directory/roleDefinitions";

fn asm_body(name: &str) -> Value {
    json!({
        "displayName": name,
        "isEnabled": true,
        "rolePermissions": [{"allowedResourceActions": ["microsoft.directory/applications/credentials/update"]}],
    })
}

#[tokio::test]
async fn a_custom_role_is_created_once_validated_and_built_in_roles_cannot_change() {
    let h = start().await;
    let created = h
        .send(Method::POST, GRAPH_ROLE, &[], &asm_body("Rotator"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["isBuiltIn"], false);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let again = h
        .send(Method::POST, GRAPH_ROLE, &[], &asm_body("rotator"))
        .await;
    assert_eq!(
        (again.status, again.error_code()),
        (StatusCode::BAD_REQUEST, "Request_BadRequest")
    );
    assert!(again.error_message().contains("already exists"));
    let mut bad = asm_body("Bad");
    bad["rolePermissions"][0]["allowedResourceActions"] =
        json!(["Microsoft.Compute/virtualMachines/start"]);
    let refused = h.send(Method::POST, GRAPH_ROLE, &[], &bad).await;
    assert!(
        refused
            .error_message()
            .contains("not a valid resource action"),
        "{}",
        refused.body
    );
    let no_enabled = h
        .send(
            Method::POST,
            GRAPH_ROLE,
            &[],
            &json!({"displayName": "X", "rolePermissions": []}),
        )
        .await;
    assert_eq!(no_enabled.error_message(), "isEnabled is required.");
    let patched = h
        .send(
            Method::PATCH,
            &format!("{GRAPH_ROLE}/{id}"),
            &[],
            &json!({"description": "rotates"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    let read = h.get(&format!("{GRAPH_ROLE}/{id}"), &[]).await;
    assert_eq!(read.body["description"], "rotates");
    let global = h
        .send(
            Method::PATCH,
            &format!("{GRAPH_ROLE}/62e90394-69f5-4237-9190-012177145e10"),
            &[],
            &json!({"description": "x"}),
        )
        .await;
    assert_eq!(
        (global.status, global.error_code()),
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied")
    );
}

#[tokio::test]
async fn groups_are_validated_and_a_reference_is_added_once() {
    let h = start().await;
    let missing = h
        .send(
            Method::POST,
            "/v1.0/groups",
            &[],
            &json!({"displayName": "Team", "mailEnabled": false, "securityEnabled": true}),
        )
        .await;
    assert!(
        missing.error_message().contains("mailNickname"),
        "{}",
        missing.body
    );
    let mail_enabled = h
        .send(
            Method::POST,
            "/v1.0/groups",
            &[],
            &json!({"displayName": "T", "mailNickname": "t", "mailEnabled": true, "securityEnabled": true, "isAssignableToRole": true}),
        )
        .await;
    assert!(
        mail_enabled
            .error_message()
            .contains("Role-assignable groups"),
        "{}",
        mail_enabled.body
    );
    let created = h
        .send(
            Method::POST,
            "/v1.0/groups",
            &[],
            &json!({"displayName": "Team", "mailNickname": "team", "mailEnabled": false, "securityEnabled": true}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{BOB}")});
    let path = format!("/v1.0/groups/{id}/owners/$ref");
    assert_eq!(
        h.send(Method::POST, &path, &[], &reference).await.status,
        StatusCode::NO_CONTENT
    );
    let twice = h.send(Method::POST, &path, &[], &reference).await;
    assert!(
        twice
            .error_message()
            .contains("already exist for the following modified properties: 'owners'")
    );
    let group_owner = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{TEAM_GROUP}")});
    assert_eq!(
        h.send(Method::POST, &path, &[], &group_owner).await.status,
        StatusCode::BAD_REQUEST
    );
    let nobody = json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-0000-0000-000000000001"});
    let unknown = h
        .send(
            Method::POST,
            &format!("/v1.0/groups/{id}/members/$ref"),
            &[],
            &nobody,
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.error_code()),
        (StatusCode::NOT_FOUND, "Request_ResourceNotFound")
    );
    let owners = h.get(&format!("/v1.0/groups/{id}/owners"), &[]).await;
    assert_eq!(ids(&owners.body), [BOB]);
}

#[tokio::test]
async fn an_eligibility_is_granted_once_within_the_admin_rules_and_removed_once() {
    let h = start().await;
    let path = "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests";
    let grant = |duration: &str| {
        json!({
            "action": "adminAssign", "principalId": DAVE, "roleDefinitionId": SECRET_MANAGER,
            "directoryScopeId": format!("/{APP1}"), "justification": "setup",
            "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": duration}},
        })
    };
    let too_long = h.send(Method::POST, path, &[], &grant("P400D")).await;
    assert_eq!(
        too_long.error_code(),
        "RoleAssignmentRequestPolicyValidationFailed"
    );
    assert!(too_long.error_message().contains("ExpirationRule"));
    let made = h.send(Method::POST, path, &[], &grant("P60D")).await;
    assert_eq!(
        (made.status, made.body["status"].as_str()),
        (StatusCode::CREATED, Some("Provisioned"))
    );
    let twice = h.send(Method::POST, path, &[], &grant("P60D")).await;
    assert_eq!(twice.error_code(), "RoleAssignmentExists");
    let instances = h
        .get(
            "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
            &[("$filter", &format!("principalId eq '{DAVE}'"))],
        )
        .await;
    assert_eq!(instances.body["value"].as_array().map(Vec::len), Some(1));
    let remove = json!({"action": "adminRemove", "principalId": DAVE, "roleDefinitionId": SECRET_MANAGER, "directoryScopeId": format!("/{APP1}")});
    assert_eq!(
        h.send(Method::POST, path, &[], &remove).await.status,
        StatusCode::CREATED
    );
    let again = h.send(Method::POST, path, &[], &remove).await;
    assert_eq!(again.error_code(), "RoleAssignmentDoesNotExist");
    let bad_scope = json!({"action": "adminAssign", "principalId": DAVE, "roleDefinitionId": SECRET_MANAGER, "directoryScopeId": "/nowhere"});
    assert_eq!(
        h.send(Method::POST, path, &[], &bad_scope).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_policy_rule_update_must_keep_the_rules_type_and_then_shows() {
    let h = start().await;
    let listed = h
        .get(
            "/v1.0/policies/roleManagementPolicyAssignments",
            &[
                ("$filter", &format!("scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '{GROUPS_ADMIN}'")),
                ("$expand", "policy($expand=rules)"),
            ],
        )
        .await;
    let policy_id = listed.body["value"][0]["policyId"]
        .as_str()
        .expect("policy id")
        .to_owned();
    let path = format!(
        "/v1.0/policies/roleManagementPolicies/{policy_id}/rules/Expiration_EndUser_Assignment"
    );
    let wrong = h
        .send(Method::PATCH, &path, &[], &json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule", "enabledRules": []}))
        .await;
    assert!(
        wrong
            .error_message()
            .contains("must be '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule'"),
        "{}",
        wrong.body
    );
    let ok = h
        .send(
            Method::PATCH,
            &path,
            &[],
            &json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule", "maximumDuration": "PT3H", "isExpirationRequired": true}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.body);
    let unknown = h
        .send(
            Method::PATCH,
            &path.replace("Expiration_EndUser_Assignment", "Nope"),
            &[],
            &json!({}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let policy = h
        .emulator
        .tenant()
        .policies
        .into_iter()
        .find(|p| p.role_definition_id == GROUPS_ADMIN)
        .expect("policy");
    let maximum = policy
        .rules
        .Expiration_EndUser_Assignment
        .and_then(|e| e.maximum_duration);
    assert_eq!(maximum.as_deref(), Some("PT3H"));
}

#[tokio::test]
async fn tokens_carry_the_apps_permissions_in_their_roles_claim() {
    let mut tenant = Tenant::demo();
    tenant
        .service_principals
        .push(crate::emulator::ServicePrincipal {
            id: "4c7a9d0e-1b2c-4d3e-8f4a-5b6c7d8e9f00".into(),
            app_id: CLIENT_ID.into(),
            display_name: "pimbot".into(),
            app_roles: vec!["User.Read.All".into()],
        });
    let emulator = Emulator::new(tenant);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    emulator.spawn(listener);
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}/{TENANT}/oauth2/v2.0/token"))
        .form(&token_form())
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = answer["access_token"].as_str().expect("token");
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token).expect("a JWT");
    assert_eq!(claims["roles"], json!(["User.Read.All"]));
    assert_eq!(claims["tid"], TENANT);
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
}
