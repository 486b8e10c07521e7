use axum::http::StatusCode;
use serde_json::json;

use super::*;
use crate::service::ports::{Directory, DirectoryUser, UpstreamErrorKind};

#[tokio::test]
async fn a_user_is_found_by_mail_or_upn_with_quotes_doubled_in_the_filter() {
    let graph = FakeGraph::new(|_| async {
        ok(json!({"value": [{
            "id": "u-1", "displayName": "Pat O'Brien", "mail": "o'brien@contoso.com",
            "userPrincipalName": "pat@contoso.com", "accountEnabled": true
        }]}))
    })
    .await;
    let user = graph
        .client()
        .users_by_email("o'brien@contoso.com")
        .await
        .expect("answered");
    assert_eq!(
        user,
        vec![DirectoryUser {
            id: "u-1".into(),
            display_name: "Pat O'Brien".into(),
            mail: Some("o'brien@contoso.com".into()),
            user_principal_name: Some("pat@contoso.com".into()),
            account_enabled: true,
        }]
    );
    let seen = &graph.seen()[0];
    assert_eq!(seen.path, "/v1.0/users");
    assert_eq!(
        seen.query("$filter"),
        Some("mail eq 'o''brien@contoso.com' or userPrincipalName eq 'o''brien@contoso.com'")
    );
    assert_eq!(
        seen.query("$select"),
        Some("id,displayName,mail,userPrincipalName,accountEnabled")
    );
}

#[tokio::test]
async fn an_address_that_is_one_users_mail_and_another_users_upn_finds_both() {
    let graph = FakeGraph::new(|_| async {
        ok(json!({"value": [
            {"id": "u-1", "displayName": "Pat", "mail": "pat@contoso.com",
             "userPrincipalName": "pat.one@contoso.com", "accountEnabled": true},
            {"id": "u-2", "displayName": "Pat Two", "mail": null,
             "userPrincipalName": "pat@contoso.com", "accountEnabled": true}
        ]}))
    })
    .await;
    let users = graph
        .client()
        .users_by_email("pat@contoso.com")
        .await
        .expect("answered");
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["u-1", "u-2"], "neither is picked over the other");
}

#[tokio::test]
async fn an_unknown_user_id_is_none_not_an_error() {
    let graph = FakeGraph::new(|_| async {
        graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            "Resource 'x' does not exist",
        )
    })
    .await;
    assert_eq!(graph.client().user("x/../y").await, Ok(None));
    // The id is one path segment, never a path.
    assert_eq!(graph.seen()[0].path, "/v1.0/users/x%2F..%2Fy");
}

#[tokio::test]
async fn group_owners_keep_users_and_drop_service_principals() {
    let graph = FakeGraph::new(|_| async {
        ok(json!({"value": [
            {"@odata.type": "#microsoft.graph.user", "id": "4562bcc8", "accountEnabled": true,
             "displayName": "MOD Administrator", "userPrincipalName": "admin@contoso.com"},
            {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "sp-1",
             "displayName": "Deploy Pipeline"},
            {"@odata.type": "#microsoft.graph.user", "id": "f0206b06", "accountEnabled": false,
             "displayName": "Megan Bowen", "userPrincipalName": "MeganB@contoso.com"}
        ]}))
    })
    .await;
    let owners = graph.client().group_owners("g-1").await.expect("answered");
    let summary: Vec<(&str, bool)> = owners
        .iter()
        .map(|u| (u.id.as_str(), u.account_enabled))
        .collect();
    assert_eq!(summary, vec![("4562bcc8", true), ("f0206b06", false)]);
    assert_eq!(graph.seen()[0].path, "/v1.0/groups/g-1/owners");
}

#[tokio::test]
async fn transitive_groups_are_collected_across_next_links() {
    let graph = FakeGraph::new(|seen| async move {
        let base = format!("http://{}", seen.header("host").expect("host"));
        match seen.query("$skiptoken") {
            None => ok(json!({
                "value": [{"id": "g-1", "displayName": "One"}],
                "@odata.nextLink": format!("{base}/v1.0/users/u-1/transitiveMemberOf/microsoft.graph.group?$select=id,displayName&$skiptoken=page2")
            })),
            Some("page2") => ok(json!({
                "value": [{"id": "g-2", "displayName": "Two"}, {"id": "g-3", "displayName": "Three"}],
                "@odata.nextLink": format!("{base}/v1.0/users/u-1/transitiveMemberOf/microsoft.graph.group?$skiptoken=page3")
            })),
            Some(_) => ok(json!({"value": [{"id": "g-4", "displayName": "Four"}]})),
        }
    })
    .await;
    let groups = graph.client().user_groups("u-1").await.expect("answered");
    let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, vec!["g-1", "g-2", "g-3", "g-4"]);
    let seen = graph.seen();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|s| s.path == "/v1.0/users/u-1/transitiveMemberOf/microsoft.graph.group")
    );
    assert!(
        seen.iter()
            .all(|s| s.header("authorization") == Some("Bearer static-token"))
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let graph = FakeGraph::new(|_| async {
        ok(json!({"value": [], "@odata.nextLink": "https://evil.example/v1.0/users?$skiptoken=x"}))
    })
    .await;
    let error = graph
        .client()
        .user_groups("u-1")
        .await
        .expect_err("refused");
    assert_eq!(error.kind, UpstreamErrorKind::Rejected);
    assert!(error.message.contains("evil.example"), "{}", error.message);
    assert_eq!(graph.seen().len(), 1);
}

#[tokio::test]
async fn groups_are_read_by_id_when_given_a_guid_and_by_name_otherwise() {
    let graph = FakeGraph::new(|seen| async move {
        if seen.path.starts_with("/v1.0/groups/") {
            ok(json!({"id": "0b9e3b7c-1f2a-4c55-9a7e-2d3c4b5a6f70", "displayName": "KeyVault Readers"}))
        } else {
            ok(json!({"value": [{"id": "g-9", "displayName": "KeyVault Readers"}]}))
        }
    })
    .await;
    let client = graph.client();
    let by_id = client
        .group("0b9e3b7c-1f2a-4c55-9a7e-2d3c4b5a6f70")
        .await
        .expect("answered");
    assert_eq!(
        by_id.map(|g| g.display_name).as_deref(),
        Some("KeyVault Readers")
    );
    let by_name = client.group("KeyVault Readers").await.expect("answered");
    assert_eq!(by_name.map(|g| g.id).as_deref(), Some("g-9"));
    let seen = graph.seen();
    assert_eq!(
        seen[0].path,
        "/v1.0/groups/0b9e3b7c-1f2a-4c55-9a7e-2d3c4b5a6f70"
    );
    assert_eq!(
        seen[1].query("$filter"),
        Some("displayName eq 'KeyVault Readers'")
    );
}

#[tokio::test]
async fn two_groups_with_the_same_name_are_refused_rather_than_guessed() {
    let graph = FakeGraph::new(|_| async {
        ok(json!({"value": [{"id": "a", "displayName": "Ops"}, {"id": "b", "displayName": "Ops"}]}))
    })
    .await;
    let error = graph.client().group("Ops").await.expect_err("ambiguous");
    assert_eq!(error.code.as_deref(), Some("AmbiguousName"));
    assert!(
        error.user_message().contains("object id"),
        "{}",
        error.user_message()
    );
}

#[tokio::test]
async fn an_application_guid_that_is_not_an_object_id_is_tried_as_an_app_id() {
    let graph = FakeGraph::new(|seen| async move {
        if seen.path == "/v1.0/applications" {
            ok(json!({"value": [{"id": "obj-1", "displayName": "App1", "appId": "9f3c2a10-0000-4000-8000-000000000001"}]}))
        } else {
            graph_error(StatusCode::NOT_FOUND, "Request_ResourceNotFound", "no such object")
        }
    })
    .await;
    let app = graph
        .client()
        .application("9f3c2a10-0000-4000-8000-000000000001")
        .await
        .expect("answered");
    assert_eq!(app, Some(("obj-1".to_owned(), "App1".to_owned())));
    let seen = graph.seen();
    assert_eq!(
        seen[0].path,
        "/v1.0/applications/9f3c2a10-0000-4000-8000-000000000001"
    );
    assert_eq!(
        seen[1].query("$filter"),
        Some(
            "displayName eq '9f3c2a10-0000-4000-8000-000000000001' or appId eq '9f3c2a10-0000-4000-8000-000000000001'"
        )
    );
    assert_eq!(seen[1].query("$select"), Some("id,displayName,appId"));
}
