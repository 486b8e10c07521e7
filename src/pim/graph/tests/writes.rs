use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::roles::role_target;
use super::*;
use crate::domain::duration::ElevationDuration;
use crate::domain::request::ShortId;
use crate::pim::fake::Counter;
use crate::pim::graph::DirectoryTarget;
use crate::service::ports::{Grant, Receipt, UpstreamErrorKind};

pub(super) const REQUESTS: &str = "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests";
const INSTANCES: &str = "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances";

pub(super) fn grant(ticket: Option<&str>) -> Grant {
    Grant {
        principal_id: "071cc716-8147-4397-a5ba-b2105951cc0b".into(),
        duration: ElevationDuration::from_minutes(90).expect("valid"),
        justification: "PIM-1042 by pat@contoso.com, approved by sam@contoso.com: rotate cert"
            .into(),
        ticket: ticket.map(str::to_owned),
        request: ShortId::new(1042),
        intent: "PIM-1042@1700000000000000".into(),
    }
}

pub(super) fn created(body: Value) -> Response {
    json(StatusCode::CREATED, body)
}

pub(super) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("date")
        .with_timezone(&Utc)
}

#[tokio::test]
async fn without_a_ticket_no_ticket_info_is_sent() {
    let graph =
        FakeGraph::new(|_| async { created(json!({"id": "r-1", "status": "Provisioned"})) }).await;
    let receipt = graph
        .client()
        .assign(DirectoryTarget::Role(&role_target("/")), &grant(None))
        .await
        .expect("assigned");
    assert!(graph.seen()[0].body.get("ticketInfo").is_none());
    // No end in the answer: the requested start plus the requested duration.
    let start = at(graph.seen()[0].body["scheduleInfo"]["startDateTime"]
        .as_str()
        .expect("start"));
    assert_eq!(receipt.end, Some(start + chrono::Duration::minutes(90)));
}

#[tokio::test]
async fn a_removal_posts_admin_remove_without_a_schedule() {
    let graph = FakeGraph::new(|_| async {
        created(json!({"id": "r-2", "status": "Revoked", "action": "adminRemove"}))
    })
    .await;
    let receipt = graph
        .client()
        .remove(
            DirectoryTarget::Role(&role_target("/")),
            &grant(Some("INC-1")),
        )
        .await
        .expect("removed");
    assert_eq!(
        (receipt.pim_request_id.as_str(), receipt.status.as_str()),
        ("r-2", "Revoked")
    );
    assert_eq!(receipt.end, None);
    let body = &graph.seen()[0].body;
    assert_eq!(body["action"], "adminRemove");
    assert!(body.get("scheduleInfo").is_none(), "{body}");
}

#[tokio::test]
async fn removing_what_pim_no_longer_shows_counts_as_removed() {
    let graph = FakeGraph::new(|_| async {
        graph_error(
            StatusCode::BAD_REQUEST,
            "RoleAssignmentDoesNotExist",
            "The Role assignment does not exist.",
        )
    })
    .await;
    let receipt = graph
        .client()
        .remove(DirectoryTarget::Role(&role_target("/")), &grant(None))
        .await
        .expect("already gone");
    assert_eq!(receipt.status, "Revoked");
    assert_eq!(receipt.upstream_request_id.as_deref(), Some("req-0001"));
    assert_eq!(graph.seen().len(), 1);
}

#[tokio::test]
async fn a_policy_validation_failure_explains_the_failed_rule() {
    let graph = FakeGraph::new(|_| async {
        graph_error(
            StatusCode::BAD_REQUEST,
            "RoleAssignmentRequestPolicyValidationFailed",
            "The following policy rules failed: [\"ExpirationRule\",\"TicketingRule\"]",
        )
    })
    .await;
    let error = graph
        .client()
        .assign(DirectoryTarget::Role(&role_target("/")), &grant(None))
        .await
        .expect_err("refused");
    assert_eq!(error.kind, UpstreamErrorKind::Rejected);
    assert_eq!(
        error.code.as_deref(),
        Some("RoleAssignmentRequestPolicyValidationFailed")
    );
    assert_eq!(error.operation, "adminAssign");
    assert_eq!(error.upstream_request_id.as_deref(), Some("req-0001"));
    let message = error.user_message();
    assert!(
        message.starts_with("PIM refused the duration: it is longer than the role's maximum"),
        "{message}"
    );
    assert!(message.contains("ticket number"), "{message}");
    assert_eq!(graph.seen().len(), 1);
}

#[tokio::test]
async fn an_assignment_that_timed_out_and_then_exists_is_confirmed_from_the_instances() {
    let posts = Counter::default();
    let instance_reads = Counter::default();
    let graph = FakeGraph::new(move |seen| {
        let posts = posts.clone();
        let instance_reads = instance_reads.clone();
        async move {
            match seen.path.as_str() {
                REQUESTS if seen.method == Method::GET => ours(),
                REQUESTS if posts.bump() == 1 => {
                    // PIM is slow: the client gives up, PIM provisions anyway.
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    created(json!({"id": "late", "status": "Provisioned"}))
                }
                REQUESTS => graph_error(StatusCode::BAD_REQUEST, "RoleAssignmentExists", "The Role assignment already exists."),
                INSTANCES if instance_reads.bump() == 1 => ok(json!({"value": []})),
                INSTANCES => ok(json!({"value": [{
                    "id": "inst-1", "principalId": "071cc716-8147-4397-a5ba-b2105951cc0b",
                    "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/",
                    "memberType": "Direct", "roleAssignmentScheduleId": "sched-1",
                    "endDateTime": "2026-11-22T11:30:00Z"
                }]})),
                _ => graph_error(StatusCode::NOT_FOUND, "Request_ResourceNotFound", "no"),
            }
        }
    })
    .await;
    let settings = GraphSettings {
        timeout: Duration::from_millis(500),
        ..quick_settings(&graph.url)
    };
    let receipt = graph
        .client_with(Arc::new(StaticToken), settings)
        .assign(DirectoryTarget::Role(&role_target("/")), &grant(None))
        .await
        .expect("confirmed");
    assert_eq!(
        receipt,
        Receipt {
            pim_request_id: "sched-1".into(),
            status: "Provisioned".into(),
            end: Some(at("2026-11-22T11:30:00Z")),
            upstream_request_id: Some("req-0001".into()),
        }
    );
    let order: Vec<&str> = graph
        .seen()
        .iter()
        .map(|s| match (s.path.as_str(), &s.method) {
            (REQUESTS, &Method::POST) => "post",
            (REQUESTS, _) => "ours?",
            _ => "instances",
        })
        .collect();
    assert_eq!(
        order,
        vec!["post", "instances", "post", "instances", "ours?"]
    );
}

#[tokio::test]
async fn a_5xx_on_assign_is_not_resent_when_the_assignment_already_shows() {
    let graph = FakeGraph::new(|seen| async move {
        if seen.path == REQUESTS && seen.method == Method::GET {
            ours()
        } else if seen.path == REQUESTS {
            graph_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "try later",
            )
        } else {
            ok(json!({"value": [{
                "id": "inst-9", "principalId": "071cc716-8147-4397-a5ba-b2105951cc0b",
                "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/",
                "endDateTime": "2026-11-22T11:30:00Z"
            }]}))
        }
    })
    .await;
    let receipt = graph
        .client()
        .assign(DirectoryTarget::Role(&role_target("/")), &grant(None))
        .await
        .expect("found active");
    assert_eq!(receipt.pim_request_id, "inst-9");
    assert_eq!(receipt.status, "Provisioned");
    let posts = graph
        .seen()
        .iter()
        .filter(|s| s.path == REQUESTS && s.method == Method::POST)
        .count();
    assert_eq!(posts, 1);
}

/// The schedule-request list showing the `adminAssign` this test's grant created.
fn ours() -> Response {
    ok(json!({"value": [{
        "id": "req-ours", "action": "adminAssign", "status": "Provisioned",
        "justification": grant(None).justification,
    }]}))
}

#[tokio::test]
async fn an_existing_assignment_from_another_request_is_not_taken_as_ours() {
    let graph = FakeGraph::new(|seen| async move {
        match (seen.path.as_str(), &seen.method) {
            (REQUESTS, &Method::POST) => graph_error(
                StatusCode::BAD_REQUEST,
                "RoleAssignmentExists",
                "The Role assignment already exists.",
            ),
            (REQUESTS, _) => ok(json!({"value": [{
                "id": "someone-else", "action": "adminAssign", "status": "Provisioned",
                "justification": "granted by hand in the portal",
            }]})),
            _ => ok(json!({"value": [{
                "id": "inst-3", "principalId": "071cc716-8147-4397-a5ba-b2105951cc0b",
                "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/",
                "endDateTime": "2026-11-22T11:30:00Z"
            }]})),
        }
    })
    .await;
    let error = graph
        .client()
        .assign(DirectoryTarget::Role(&role_target("/")), &grant(None))
        .await
        .expect_err("not ours");
    assert_eq!(error.code.as_deref(), Some("RoleAssignmentExists"));
    assert!(
        error.user_message().contains("already"),
        "{}",
        error.user_message()
    );
}

#[tokio::test]
async fn a_throttled_assign_is_sent_again_after_retry_after() {
    let posts = Counter::default();
    let graph = FakeGraph::new(move |_| {
        let n = posts.bump();
        async move {
            if n == 1 {
                let mut response = graph_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    "slow down",
                );
                response
                    .headers_mut()
                    .insert("retry-after", axum::http::HeaderValue::from_static("0"));
                response
            } else {
                created(json!({"id": "r-3", "status": "Provisioned"}))
            }
        }
    })
    .await;
    let receipt = graph
        .client()
        .assign(DirectoryTarget::Role(&role_target("/")), &grant(None))
        .await
        .expect("second try");
    assert_eq!(receipt.pim_request_id, "r-3");
    // Throttled means not executed, so no instance check in between.
    assert!(graph.seen().iter().all(|s| s.path == REQUESTS));
    assert_eq!(graph.seen().len(), 2);
}

#[tokio::test]
async fn removing_within_five_minutes_asks_the_caller_to_retry_later() {
    let graph = FakeGraph::new(|_| async {
        graph_error(
            StatusCode::BAD_REQUEST,
            "ActiveDurationTooShort",
            "The Active duration is too short. Miniumum Required is 5 minutes.",
        )
    })
    .await;
    let error = graph
        .client()
        .remove(DirectoryTarget::Role(&role_target("/")), &grant(None))
        .await
        .expect_err("too soon");
    assert_eq!(
        error.kind,
        UpstreamErrorKind::Throttled {
            retry_after_secs: Some(300)
        }
    );
    assert!(error.is_retryable());
    assert!(
        error.user_message().contains("first 5 minutes"),
        "{}",
        error.user_message()
    );
    assert_eq!(graph.seen().len(), 1);
}
