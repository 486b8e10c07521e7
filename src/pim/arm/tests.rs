//! The ARM client against a scripted fake: request names, the GET-by-name recipe after an
//! ambiguous failure, `RoleAssignmentExists` ours only by our request name, error mapping, and
//! the published example payloads.

mod contracts;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::writes::{RequestType, request_name};
use super::{ArmClient, ArmSettings};
use crate::domain::duration::ElevationDuration;
use crate::domain::request::ShortId;
use crate::domain::target::{AzureRole, TargetKind};
use crate::pim::fake::serve;
use crate::pim::token::TokenProvider;
use crate::service::ports::{EligibilityQuery, Grant, UpstreamError, UpstreamErrorKind};

const SCOPE: &str = "/subscriptions/dfa2a084-766f-4003-8ae1-c4aeb893a99f";
const CONTRIBUTOR: &str = "/subscriptions/dfa2a084-766f-4003-8ae1-c4aeb893a99f/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c";

struct StaticToken;

#[async_trait::async_trait]
impl TokenProvider for StaticToken {
    async fn token(&self, _scope: &str) -> Result<String, UpstreamError> {
        Ok("token".to_owned())
    }
}

/// `(method, path)` of every call, and a script answering the n-th call (0-based).
struct FakeArm {
    url: String,
    seen: Arc<Mutex<Vec<(Method, String)>>>,
}

impl FakeArm {
    async fn start(
        script: impl Fn(usize, &Method, &str) -> Response + Send + Sync + 'static,
    ) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let script = Arc::new(script);
        let router = axum::Router::new().fallback(move |method: Method, uri: Uri, _body: Bytes| {
            let record = record.clone();
            let script = script.clone();
            async move {
                let n = {
                    let mut seen = record.lock().expect("lock");
                    seen.push((method.clone(), uri.path().to_owned()));
                    seen.len() - 1
                };
                script(n, &method, uri.path())
            }
        });
        Self {
            url: serve(router).await,
            seen,
        }
    }

    fn client(&self) -> ArmClient {
        let settings = ArmSettings {
            backoff: Duration::from_millis(10),
            ..ArmSettings::for_url(&self.url)
        };
        ArmClient::new(settings, Arc::new(StaticToken), reqwest::Client::new()).expect("valid")
    }

    fn seen(&self) -> Vec<(Method, String)> {
        self.seen.lock().expect("lock").clone()
    }
}

fn target() -> AzureRole {
    AzureRole {
        role_definition_id: CONTRIBUTOR.into(),
        scope: SCOPE.into(),
    }
}

fn grant() -> Grant {
    Grant {
        principal_id: "a3bb8764-cb92-4276-9d2a-ca1e895e55ea".into(),
        duration: ElevationDuration::from_minutes(120).expect("valid"),
        justification: "pimbot PIM-7".into(),
        ticket: None,
        request: ShortId::new(7),
        intent: "PIM-7@1".into(),
    }
}

fn example(name: &str) -> Value {
    let path = format!(
        "{}/../shared/contracts/arm-pim-examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("contracts example");
    serde_json::from_str(&text).expect("json")
}

fn created() -> Response {
    let body = example("PutRoleAssignmentScheduleRequest.json")["responses"]["201"]["body"].clone();
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

fn arm_error(status: StatusCode, code: &str) -> Response {
    let body = json!({"error": {"code": code, "message": format!("{code} from the fake")}});
    (status, axum::Json(body)).into_response()
}

#[test]
fn request_names_are_guids_fixed_per_intent_and_action() {
    let assign = request_name("PIM-7@1", RequestType::AdminAssign);
    assert!(uuid::Uuid::parse_str(&assign).is_ok(), "{assign}");
    assert_eq!(assign, request_name("PIM-7@1", RequestType::AdminAssign));
    assert_ne!(assign, request_name("PIM-7@1", RequestType::AdminRemove));
    assert_ne!(assign, request_name("PIM-7@2", RequestType::AdminAssign));
}

#[tokio::test]
async fn after_a_500_the_request_is_looked_up_by_its_name_and_not_sent_twice() {
    let fake = FakeArm::start(|n, _, _| match n {
        0 => arm_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        _ => created(),
    })
    .await;
    let receipt = fake
        .client()
        .assign(&target(), &grant())
        .await
        .expect("found by name");
    assert_eq!(receipt.status, "Provisioned");
    let name = request_name("PIM-7@1", RequestType::AdminAssign);
    let path =
        format!("{SCOPE}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{name}");
    assert_eq!(
        fake.seen(),
        vec![(Method::PUT, path.clone()), (Method::GET, path)]
    );
}

#[tokio::test]
async fn a_request_that_never_arrived_is_sent_again_under_the_same_name() {
    let fake = FakeArm::start(|n, _, _| match n {
        0 => arm_error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        1 => arm_error(
            StatusCode::NOT_FOUND,
            "RoleAssignmentScheduleRequestNotFound",
        ),
        _ => created(),
    })
    .await;
    fake.client()
        .assign(&target(), &grant())
        .await
        .expect("second PUT");
    let seen = fake.seen();
    let puts: Vec<&String> = seen
        .iter()
        .filter(|(m, _)| m == Method::PUT)
        .map(|(_, p)| p)
        .collect();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[0], puts[1], "the same request name both times");
}

#[tokio::test]
async fn an_existing_assignment_from_another_request_is_not_taken_as_ours() {
    let fake = FakeArm::start(|_, method, path| {
        if method == Method::PUT {
            return arm_error(StatusCode::CONFLICT, "RoleAssignmentExists");
        }
        assert!(path.contains("roleAssignmentScheduleRequests/"), "{path}");
        arm_error(
            StatusCode::NOT_FOUND,
            "RoleAssignmentScheduleRequestNotFound",
        )
    })
    .await;
    let error = fake
        .client()
        .assign(&target(), &grant())
        .await
        .expect_err("not ours");
    assert_eq!(error.kind, UpstreamErrorKind::AlreadyAssigned);
    assert_eq!(error.code.as_deref(), Some("RoleAssignmentExists"));
    let seen = fake.seen();
    assert_eq!(
        seen.len(),
        2,
        "PUT, then GET by our name; whoever else holds it does not matter: {seen:?}"
    );
}

#[tokio::test]
async fn an_existing_assignment_from_our_own_earlier_request_is_ours() {
    let fake = FakeArm::start(|_, method, _| {
        if method == Method::PUT {
            arm_error(StatusCode::CONFLICT, "RoleAssignmentExists")
        } else {
            created()
        }
    })
    .await;
    let receipt = fake
        .client()
        .assign(&target(), &grant())
        .await
        .expect("ours");
    assert_eq!(receipt.status, "Provisioned");
    let seen = fake.seen();
    assert_eq!(
        seen.len(),
        2,
        "PUT, then GET by our name; no instance read: {seen:?}"
    );
    assert_eq!(seen[0].1, seen[1].1);
}

#[tokio::test]
async fn missing_rbac_at_the_scope_is_explained_and_policy_errors_are_not_retried() {
    let fake =
        FakeArm::start(|_, _, _| arm_error(StatusCode::FORBIDDEN, "AuthorizationFailed")).await;
    let error = fake
        .client()
        .assign(&target(), &grant())
        .await
        .expect_err("403");
    assert_eq!(error.kind, UpstreamErrorKind::Unauthorized);
    assert_eq!(error.service, crate::service::ports::Upstream::Arm);
    assert!(
        error.user_message().contains("User Access Administrator"),
        "{}",
        error.user_message()
    );
    assert_eq!(fake.seen().len(), 1);

    let fake = FakeArm::start(|_, _, _| {
        let body = json!({"error": {"code": "RoleAssignmentRequestPolicyValidationFailed",
            "message": "The following policy rules failed: [\"ExpirationRule\"]"}});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    })
    .await;
    let error = fake
        .client()
        .assign(&target(), &grant())
        .await
        .expect_err("400");
    assert_eq!(error.kind, UpstreamErrorKind::Rejected);
    assert!(
        error.user_message().contains("shorter"),
        "{}",
        error.user_message()
    );
    assert_eq!(fake.seen().len(), 1, "no retry on a policy error");
}

fn eligibility_query<'a>(principals: &'a [String], scopes: &'a [String]) -> EligibilityQuery<'a> {
    EligibilityQuery {
        kind: TargetKind::Azure,
        principal_ids: principals,
        resource: Some("b24988ac-6180-42a0-ab88-20f7382dd24c"),
        scopes,
    }
}

#[tokio::test]
async fn the_published_eligibility_example_reads_after_following_next_link() {
    let page =
        example("GetRoleEligibilityScheduleInstancesByScope.json")["responses"]["200"]["body"]
            .clone();
    let own_url: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let url = own_url.clone();
    let fake = FakeArm::start(move |n, _, path| match n {
        0 => {
            let next = format!(
                "{}{path}?api-version=2020-10-01&$skipToken=1",
                url.get().map(String::as_str).unwrap_or_default()
            );
            axum::Json(json!({"value": [], "nextLink": next})).into_response()
        }
        _ => axum::Json(page.clone()).into_response(),
    })
    .await;
    let _ = own_url.set(fake.url.clone());
    let principals = vec!["a3bb8764-cb92-4276-9d2a-ca1e895e55ea".to_owned()];
    let scopes = vec![SCOPE.to_owned()];
    let found = fake
        .client()
        .eligibilities(&eligibility_query(&principals, &scopes))
        .await
        .expect("read");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].scope, SCOPE);
    assert!(
        found[0]
            .role_definition_id
            .ends_with("b24988ac-6180-42a0-ab88-20f7382dd24c")
    );
    let seen = fake.seen();
    assert_eq!(seen.len(), 2, "two pages");
    assert_eq!(
        seen[0].1,
        format!("{SCOPE}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances")
    );
}

#[tokio::test]
async fn a_next_link_that_leaves_arm_is_not_followed() {
    let fake = FakeArm::start(|_, _, _| {
        axum::Json(json!({"value": [], "nextLink": "https://elsewhere.example/steal"}))
            .into_response()
    })
    .await;
    let principals = vec!["p".to_owned()];
    let scopes = vec![SCOPE.to_owned()];
    let error = fake
        .client()
        .eligibilities(&eligibility_query(&principals, &scopes))
        .await
        .expect_err("refused");
    assert!(error.message.contains("nextLink"), "{}", error.message);
    assert_eq!(fake.seen().len(), 1);
}

proptest::proptest! {
    /// Whatever a principal id or role name holds, the filter ARM reads compares with exactly
    /// that text: a quote cannot end the literal and add a term.
    #[test]
    fn any_text_stays_one_arm_literal(text: String) {
        use crate::emulator::arm::filter::{Term, parse};
        let filter = format!("assignedTo({}) and principalId eq {}", super::literal(&text), super::literal(&text));
        proptest::prop_assert_eq!(
            parse(Some(&filter)).ok(),
            Some(vec![Term::AssignedTo(text.clone()), Term::PrincipalId(text)])
        );
    }
}
