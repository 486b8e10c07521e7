//! `roleAssignmentScheduleRequests` writes and the assignment instances they produce.

use super::*;

const INSTANCES: &str = "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances";

#[tokio::test]
async fn admin_assign_provisions_an_assignment_that_the_instances_list_then_shows() {
    let harness = start().await;
    let reply = harness
        .post_request(&admin_assign(
            "PT2H",
            Some("ticket CHG-42: rotate App1 secret"),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["status"], "Provisioned");
    assert_eq!(body["action"], "adminAssign");
    assert_eq!(body["targetScheduleId"], body["id"]);
    assert_eq!(body["createdBy"]["application"]["id"], CLIENT_ID);
    assert_eq!(body["justification"], "ticket CHG-42: rotate App1 secret");
    assert_eq!(
        body["ticketInfo"],
        json!({"ticketNumber": "CHG-42", "ticketSystem": "ServiceNow"})
    );
    assert_eq!(body["scheduleInfo"]["expiration"]["type"], "afterDuration");
    assert_eq!(body["scheduleInfo"]["expiration"]["duration"], "PT2H");
    let start = chrono::DateTime::parse_from_rfc3339(
        body["scheduleInfo"]["startDateTime"].as_str().unwrap_or(""),
    )
    .expect("startDateTime");
    let end = chrono::DateTime::parse_from_rfc3339(
        body["scheduleInfo"]["expiration"]["endDateTime"]
            .as_str()
            .unwrap_or(""),
    )
    .expect("endDateTime");
    assert_eq!(end - start, chrono::TimeDelta::hours(2));
    assert!(
        start.year_ce().1 >= 2025,
        "a past startDateTime is moved to now, as PIM does"
    );

    let filter = format!("principalId eq '{ALICE}' and roleDefinitionId eq '{SECRET_MANAGER}'");
    let instances = harness.get(INSTANCES, &[("$filter", &filter)]).await;
    let item = &instances.body["value"][0];
    assert_eq!(item["assignmentType"], "Assigned");
    assert_eq!(item["memberType"], "Direct");
    assert_eq!(item["directoryScopeId"], format!("/{APP1}"));
    assert_eq!(item["roleAssignmentScheduleId"], body["id"]);
    assert_eq!(
        item["endDateTime"],
        body["scheduleInfo"]["expiration"]["endDateTime"]
    );

    let active = harness.emulator.active_assignments();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].principal_id, ALICE);
    assert_eq!(
        harness.emulator.schedule_requests(),
        vec![admin_assign(
            "PT2H",
            Some("ticket CHG-42: rotate App1 secret")
        )]
    );
    let requests = harness
        .get(
            "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests",
            &[("$filter", &format!("principalId eq '{ALICE}'"))],
        )
        .await;
    assert_eq!(
        ids(&requests.body),
        vec![body["id"].as_str().unwrap_or_default().to_owned()]
    );
}

use chrono::Datelike;

#[tokio::test]
async fn assigning_the_same_role_twice_is_role_assignment_exists() {
    let harness = start().await;
    let body = admin_assign("PT1H", Some("first"));
    assert_eq!(
        harness.post_request(&body).await.status,
        StatusCode::CREATED
    );
    let repeat = harness.post_request(&body).await;
    assert_eq!(repeat.status, StatusCode::BAD_REQUEST);
    assert_eq!(repeat.error_code(), "RoleAssignmentExists");
    assert_eq!(
        repeat.error_message(),
        "The Role assignment already exists."
    );
    assert_eq!(
        harness.emulator.schedule_requests().len(),
        2,
        "rejected bodies are recorded too"
    );
}

#[tokio::test]
async fn a_duration_over_the_admin_maximum_fails_the_expiration_rule() {
    let harness = start().await;
    let reply = harness
        .post_request(&admin_assign("P100D", Some("long")))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.error_code(),
        "RoleAssignmentRequestPolicyValidationFailed"
    );
    assert_eq!(
        reply.error_message(),
        r#"The following policy rules failed: ["ExpirationRule"]"#
    );
    assert!(harness.emulator.active_assignments().is_empty());
}

#[tokio::test]
async fn a_missing_justification_fails_the_justification_rule_and_failures_are_all_listed() {
    let harness = start().await;
    let reply = harness.post_request(&admin_assign("PT2H", None)).await;
    assert_eq!(
        reply.error_code(),
        "RoleAssignmentRequestPolicyValidationFailed"
    );
    assert_eq!(
        reply.error_message(),
        r#"The following policy rules failed: ["JustificationRule"]"#
    );
    let both = harness
        .post_request(&admin_assign("P91D", Some("  ")))
        .await;
    assert_eq!(
        both.error_message(),
        r#"The following policy rules failed: ["ExpirationRule","JustificationRule"]"#
    );
}

#[tokio::test]
async fn admin_remove_revokes_the_assignment_and_a_second_remove_finds_nothing() {
    let harness = start().await;
    assert_eq!(
        harness
            .post_request(&admin_assign("PT2H", Some("work")))
            .await
            .status,
        StatusCode::CREATED
    );
    let remove = json!({
        "action": "adminRemove",
        "principalId": ALICE,
        "roleDefinitionId": SECRET_MANAGER,
        "directoryScopeId": format!("/{APP1}"),
        "justification": "done",
    });
    let removed = harness.post_request(&remove).await;
    assert_eq!(removed.status, StatusCode::CREATED, "{}", removed.body);
    assert_eq!(removed.body["status"], "Revoked");
    assert!(harness.emulator.active_assignments().is_empty());
    let instances = harness
        .get(
            INSTANCES,
            &[("$filter", &format!("principalId eq '{ALICE}'"))],
        )
        .await;
    assert_eq!(instances.body["value"], json!([]));
    let again = harness.post_request(&remove).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.error_code(), "RoleAssignmentDoesNotExist");
}

#[tokio::test]
async fn an_assignment_disappears_once_its_end_time_passes() {
    let harness = start().await;
    assert_eq!(
        harness
            .post_request(&admin_assign("PT2H", Some("work")))
            .await
            .status,
        StatusCode::CREATED
    );
    harness
        .emulator
        .advance_clock(chrono::TimeDelta::minutes(121));
    assert!(harness.emulator.active_assignments().is_empty());
}

#[tokio::test]
async fn self_activate_with_an_app_token_is_403() {
    let harness = start().await;
    let mut body = admin_assign("PT1H", Some("me"));
    body["action"] = json!("selfActivate");
    let reply = harness.post_request(&body).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "Authorization_RequestDenied");
}

#[tokio::test]
async fn malformed_requests_name_the_missing_field_and_unknown_ids_are_404() {
    let harness = start().await;
    let mut no_principal = admin_assign("PT1H", Some("x"));
    no_principal
        .as_object_mut()
        .map(|m| m.remove("principalId"));
    let reply = harness.post_request(&no_principal).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "BadRequest");
    assert!(
        reply.error_message().contains("'principalId'"),
        "{}",
        reply.error_message()
    );
    let mut no_schedule = admin_assign("PT1H", Some("x"));
    no_schedule
        .as_object_mut()
        .map(|m| m.remove("scheduleInfo"));
    assert!(
        harness
            .post_request(&no_schedule)
            .await
            .error_message()
            .contains("'scheduleInfo'")
    );
    let mut stranger = admin_assign("PT1H", Some("x"));
    stranger["principalId"] = json!("00000000-0000-0000-0000-000000000001");
    let unknown = harness.post_request(&stranger).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error_code(), "Request_ResourceNotFound");
    let mut no_role = admin_assign("PT1H", Some("x"));
    no_role["roleDefinitionId"] = json!("00000000-0000-0000-0000-000000000002");
    assert_eq!(
        harness.post_request(&no_role).await.status,
        StatusCode::NOT_FOUND
    );
    let mut extend = admin_assign("PT1H", Some("x"));
    extend["action"] = json!("adminExtend");
    assert_eq!(
        harness.post_request(&extend).await.error_code(),
        "InvalidRequest"
    );
    let mut bad_duration = admin_assign("P1Y", Some("x"));
    bad_duration["principalId"] = json!(DAVE);
    let bad = harness.post_request(&bad_duration).await;
    assert!(
        bad.error_message().contains("duration"),
        "{}",
        bad.error_message()
    );
}

#[tokio::test]
async fn security_reader_assignments_are_refused_only_by_admin_rules_not_end_user_ones() {
    let harness = start().await;
    // Security Reader's EndUser rules demand MFA, but adminAssign only checks the Admin rules.
    let body = json!({
        "action": "adminAssign", "principalId": FRANK, "roleDefinitionId": SECURITY_READER, "directoryScopeId": "/",
        "justification": "audit", "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": "P10D"}},
    });
    let reply = harness.post_request(&body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let permanent = json!({
        "action": "adminAssign", "principalId": DAVE, "roleDefinitionId": SECURITY_READER, "directoryScopeId": "/",
        "justification": "audit", "scheduleInfo": {"expiration": {"type": "noExpiration"}},
    });
    let reply = harness.post_request(&permanent).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "default admin policy allows permanent: {}",
        reply.body
    );
    assert_eq!(
        reply.body["scheduleInfo"]["expiration"]["endDateTime"],
        Value::Null
    );
}

#[tokio::test]
async fn an_administrative_unit_is_a_scope_only_when_it_exists() {
    let harness = start().await;
    let mut body = admin_assign("PT1H", Some("manage the unit's groups"));
    body["roleDefinitionId"] = json!(GROUPS_ADMIN);
    body["directoryScopeId"] = json!("/administrativeUnits/5b7a1c2e-9d3f-4e8a-b6c1-2f4d8e0a9c31");
    let created = harness.post_request(&body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        harness.emulator.active_assignments()[0].directory_scope_id,
        "/administrativeUnits/5b7a1c2e-9d3f-4e8a-b6c1-2f4d8e0a9c31"
    );
    body["directoryScopeId"] = json!("/administrativeUnits/00000000-0000-4000-8000-000000000000");
    let unknown = harness.post_request(&body).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
}
