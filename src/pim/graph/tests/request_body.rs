use std::collections::BTreeSet;

use serde_json::json;

use super::roles::role_target;
use super::writes::{REQUESTS, at, created, grant};
use super::*;
use crate::pim::graph::DirectoryTarget;
use crate::service::ports::Receipt;

/// Declared properties of a schema in graph-pim-schemas.json, following `allOf` references.
fn declared(schemas: &Value, name: &str) -> BTreeSet<String> {
    let schema = &schemas[name];
    let mut names: BTreeSet<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        match part["$ref"].as_str() {
            Some(reference) => {
                let referenced = reference.trim_start_matches("#/components/schemas/");
                names.extend(declared(schemas, referenced));
            }
            None => names.extend(
                part["properties"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default(),
            ),
        }
    }
    names
}

fn assert_declared(schemas: &Value, name: &str, object: &Value) {
    let allowed = declared(schemas, &format!("microsoft.graph.{name}"));
    for key in object.as_object().expect("object").keys() {
        assert!(
            allowed.contains(key),
            "`{key}` is not a property of {name}: {allowed:?}"
        );
    }
}

#[tokio::test]
async fn an_assignment_posts_an_admin_assign_that_matches_the_graph_schema() {
    let graph = FakeGraph::new(|_| async {
        created(json!({
            "id": "95c690fb-3eb3-4942-a03f-4524aed6f31e",
            "status": "Provisioned",
            "action": "adminAssign",
            "scheduleInfo": {
                "startDateTime": "2026-11-22T10:00:05.9999343Z",
                "expiration": {"type": "afterDuration", "endDateTime": null, "duration": "PT1H30M"}
            }
        }))
    })
    .await;
    let receipt = graph
        .client()
        .assign(
            DirectoryTarget::Role(&role_target("/9f3c2a10")),
            &grant(Some("INC-1234")),
        )
        .await
        .expect("assigned");
    assert_eq!(
        receipt,
        Receipt {
            pim_request_id: "95c690fb-3eb3-4942-a03f-4524aed6f31e".into(),
            status: "Provisioned".into(),
            end: Some(at("2026-11-22T11:30:05.9999343Z")),
            upstream_request_id: Some("req-0001".into()),
        }
    );

    let seen = &graph.seen()[0];
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.path, REQUESTS);
    let body = &seen.body;
    assert_eq!(body["action"], "adminAssign");
    assert_eq!(body["principalId"], "071cc716-8147-4397-a5ba-b2105951cc0b");
    assert_eq!(
        body["roleDefinitionId"],
        "62e90394-69f5-4237-9190-012177145e10"
    );
    assert_eq!(body["directoryScopeId"], "/9f3c2a10");
    assert_eq!(body["justification"], grant(None).justification);
    assert_eq!(
        body["scheduleInfo"]["expiration"],
        json!({"type": "afterDuration", "duration": "PT1H30M"})
    );
    assert_eq!(
        body["ticketInfo"],
        json!({"ticketNumber": "INC-1234", "ticketSystem": "pimbot"})
    );

    let schemas_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/contracts/graph-pim-schemas.json"
    );
    let contract: Value =
        serde_json::from_str(&std::fs::read_to_string(schemas_path).expect("schemas"))
            .expect("json");
    let schemas = &contract["schemas"];
    assert_declared(schemas, "unifiedRoleAssignmentScheduleRequest", body);
    assert_declared(schemas, "requestSchedule", &body["scheduleInfo"]);
    assert_declared(
        schemas,
        "expirationPattern",
        &body["scheduleInfo"]["expiration"],
    );
    assert_declared(schemas, "ticketInfo", &body["ticketInfo"]);
    let pattern = |schema: &str, property: &str| {
        regex::Regex::new(
            schemas[schema]["properties"][property]["pattern"]
                .as_str()
                .expect("pattern"),
        )
        .expect("regex")
    };
    let start = body["scheduleInfo"]["startDateTime"]
        .as_str()
        .expect("start");
    assert!(
        pattern("microsoft.graph.requestSchedule", "startDateTime").is_match(start),
        "{start}"
    );
    assert!(start.ends_with('Z'), "{start}");
    assert!(pattern("microsoft.graph.expirationPattern", "duration").is_match("PT1H30M"));
    let actions = &schemas["microsoft.graph.unifiedRoleScheduleRequestActions"]["enum"];
    assert!(
        actions
            .as_array()
            .expect("enum")
            .contains(&json!("adminAssign"))
    );
}
