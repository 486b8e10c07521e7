//! The HTTP surface: routes, and the middleware every Graph response goes through
//! (request ids, scripted faults, bearer-token checks, Graph-shaped error bodies).

mod applications;
mod approvals;
mod authorize;
mod directory;
mod eligibility;
mod groups;
mod policy_rules;
mod requests;
mod roles;
mod sessions;
mod token;
mod writes;

pub(crate) use requests::record;
pub(crate) use roles::iso;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{SecondsFormat, Utc};
use serde_json::json;
use uuid::Uuid;

use super::identity::Resource;
use super::odata::{GraphError, RequestInfo};
use super::{Emulator, Fault, arm};

const ROLES: &str = "/v1.0/roleManagement/directory";

pub(super) fn router(emulator: Emulator) -> Router {
    let graph = Router::new()
        .route("/v1.0/users", get(directory::list_users))
        .route("/v1.0/users/{id}", get(directory::get_user))
        .route(
            "/v1.0/users/{id}/revokeSignInSessions",
            post(sessions::revoke),
        )
        .route(
            "/v1.0/users/{id}/transitiveMemberOf/microsoft.graph.group",
            get(directory::user_groups),
        )
        .route("/v1.0/applications", get(applications::list_applications))
        .route(
            "/v1.0/applications/{id}",
            get(applications::get_application),
        )
        .route(
            "/v1.0/groups",
            get(directory::list_groups).post(writes::create_group),
        )
        .route(
            "/v1.0/groups/{id}",
            get(directory::get_group).patch(writes::update_group),
        )
        .route("/v1.0/groups/{id}/owners", get(directory::group_owners))
        .route("/v1.0/groups/{id}/owners/$ref", post(writes::add_owner))
        .route("/v1.0/groups/{id}/members", get(directory::group_members))
        .route("/v1.0/groups/{id}/members/$ref", post(writes::add_member))
        .route(
            &format!("{ROLES}/roleDefinitions"),
            get(roles::list_definitions).post(writes::create_definition),
        )
        .route(
            &format!("{ROLES}/roleDefinitions/{{id}}"),
            get(roles::get_definition).patch(writes::update_definition),
        )
        .route(
            &format!("{ROLES}/roleEligibilityScheduleRequests"),
            post(eligibility::create_role_request),
        )
        .route(
            &format!("{}/eligibilityScheduleRequests", groups::BASE),
            post(eligibility::create_group_request),
        )
        .route(
            &format!("{ROLES}/roleEligibilityScheduleInstances"),
            get(roles::eligibility_instances),
        )
        .route(
            &format!("{ROLES}/roleAssignmentScheduleInstances"),
            get(roles::assignment_instances),
        )
        .route(
            &format!("{ROLES}/roleAssignmentScheduleRequests"),
            get(requests::list).post(requests::create),
        )
        .route(
            &format!("{ROLES}/roleAssignmentScheduleRequests/"),
            post(requests::create),
        )
        .route(
            &format!("{ROLES}/roleAssignmentScheduleRequests/{{id}}"),
            get(requests::get_one),
        )
        .route(
            &format!("{}/eligibilityScheduleInstances", groups::BASE),
            get(groups::eligibility_instances),
        )
        .route(
            &format!("{}/assignmentScheduleInstances", groups::BASE),
            get(groups::assignment_instances),
        )
        .route(
            &format!("{}/assignmentScheduleRequests", groups::BASE),
            get(groups::list_requests).post(groups::create_request),
        )
        .route(
            &format!("{}/assignmentScheduleRequests/{{id}}", groups::BASE),
            get(groups::get_request),
        )
        .route(
            "/v1.0/policies/roleManagementPolicyAssignments",
            get(roles::policy_assignments),
        )
        .route(
            "/v1.0/policies/roleManagementPolicies/{policy}/rules/{rule}",
            axum::routing::patch(policy_rules::update_rule),
        )
        .merge(approvals::routes())
        .route_layer(middleware::from_fn_with_state(
            emulator.clone(),
            authenticate,
        ));
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token::issue))
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(authorize::show).post(authorize::submit),
        )
        .merge(graph)
        .fallback(unknown_route)
        .layer(middleware::from_fn_with_state(emulator.clone(), envelope))
        .with_state(emulator)
}

/// Request ids, scripted faults and Graph error bodies, around every route.
async fn envelope(State(emulator): State<Emulator>, mut request: Request, next: Next) -> Response {
    let request_id = Uuid::new_v4().to_string();
    let client_request_id = request.headers().get("client-request-id").cloned();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let info = RequestInfo {
        origin: format!("http://{host}"),
        path: request.uri().path().to_owned(),
        raw_query: request.uri().query().map(str::to_owned),
    };
    let is_arm = arm::is_arm_path(&info.path);
    let client_request_id = if is_arm {
        request.headers().get("x-ms-client-request-id").cloned()
    } else {
        client_request_id
    };
    let fault = {
        let mut state = emulator.lock();
        let call = format!("{} {}", request.method(), info.path);
        let fault = state.take_fault(&call);
        if !info.path.contains("/oauth2/") {
            state.calls.push(call);
        }
        fault
    };
    request.extensions_mut().insert(info);
    let fail = |status: StatusCode, code: &'static str, message: &str| {
        if is_arm {
            arm::ArmError::new(status, code, message).into_response()
        } else {
            GraphError::new(status, code, message).into_response()
        }
    };
    let response = match fault {
        Some(Fault::Throttle { retry_after_secs }) => {
            let mut response = fail(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. Retry after the time in the Retry-After header.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Some(Fault::ServerError) => fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            if is_arm {
                "InternalServerError"
            } else {
                "UnknownError"
            },
            "An internal server error occurred.",
        ),
        Some(Fault::Delay(pause)) => {
            tokio::time::sleep(pause).await;
            next.run(request).await
        }
        Some(Fault::LateAnswer(pause)) => {
            let response = next.run(request).await;
            tokio::time::sleep(pause).await;
            response
        }
        None => next.run(request).await,
    };
    if is_arm {
        return finish_arm(response, &request_id, client_request_id);
    }
    finish(response, &request_id, client_request_id)
}

/// ARM's correlation headers: `x-ms-request-id`, and the client's `x-ms-client-request-id` echoed.
fn finish_arm(
    mut response: Response,
    request_id: &str,
    client_request_id: Option<HeaderValue>,
) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-ms-request-id", value);
    }
    if let Some(value) = client_request_id {
        headers.insert("x-ms-client-request-id", value);
    }
    response
}

fn finish(
    mut response: Response,
    request_id: &str,
    client_request_id: Option<HeaderValue>,
) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    let error = match response.extensions().get::<GraphError>() {
        Some(error) => Some(error.clone()),
        None if (response.status().is_client_error() || response.status().is_server_error())
            && !is_json =>
        {
            Some(plain_error(response.status()))
        }
        None => None,
    };
    if let Some(error) = error {
        let body = json!({"error": {
            "code": error.code,
            "message": error.message,
            "innerError": {
                "date": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
                "request-id": request_id,
                "client-request-id": client_request_id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or(request_id),
            },
        }});
        let (mut parts, _) = response.into_parts();
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        parts.headers.remove(header::CONTENT_LENGTH);
        response = Response::from_parts(parts, Body::from(body.to_string()));
    }
    let headers: &mut HeaderMap = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("request-id", value);
    }
    if let Some(value) = client_request_id {
        headers.insert("client-request-id", value);
    }
    response
}

/// Errors axum produced itself (405, extractor rejections) in Graph form.
fn plain_error(status: StatusCode) -> GraphError {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => GraphError::new(
            status,
            "BadRequest",
            "The requested resource does not support this HTTP method.",
        ),
        StatusCode::NOT_FOUND => GraphError::new(status, "BadRequest", "Resource not found."),
        _ => GraphError::new(status, "BadRequest", "The request could not be processed."),
    }
}

/// ARM paths carry the scope (with slashes) before `/providers/Microsoft.Authorization/`, so
/// they are parsed here rather than routed; anything else is an unknown Graph segment.
async fn unknown_route(State(emulator): State<Emulator>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if let Some((scope, resource)) = path.split_once(arm::PROVIDER) {
        let presented = bearer(request.headers());
        let caller = match presented.map(|t| emulator.lock().token_caller(&t, Resource::Arm)) {
            Some(Ok(caller)) => caller,
            _ => {
                return arm::ArmError::new(
                    StatusCode::UNAUTHORIZED,
                    "InvalidAuthenticationToken",
                    "The access token is invalid or expired.",
                )
                .into_response();
            }
        };
        let origin = request
            .extensions()
            .get::<RequestInfo>()
            .map(|i| i.origin.clone())
            .unwrap_or_default();
        let query =
            serde_urlencoded::from_str(request.uri().query().unwrap_or("")).unwrap_or_default();
        let method = request.method().clone();
        let body = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        let call = arm::Call {
            method,
            scope: arm::normalise_scope(scope),
            resource: resource.trim_end_matches('/').to_owned(),
            query,
            url: format!("{origin}{path}"),
            client_id: caller.client_id().to_owned(),
            caller,
            body,
        };
        return arm::handle(&emulator, call);
    }
    graph_unknown(&path).into_response()
}

fn graph_unknown(path: &str) -> GraphError {
    let segment = path.rsplit('/').next().unwrap_or("").to_owned();
    GraphError::new(
        StatusCode::NOT_FOUND,
        "BadRequest",
        format!("Resource not found for the segment '{segment}'."),
    )
}

/// The bearer token of a request, if it presents one.
fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// 401 `InvalidAuthenticationToken` unless the bearer token was issued by this emulator and is unexpired.
async fn authenticate(
    State(emulator): State<Emulator>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = bearer(request.headers());
    let verdict = match presented {
        None => Err("Access token is empty."),
        Some(token) => emulator.lock().token_caller(&token, Resource::Graph),
    };
    match verdict {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(message) => {
            let mut response = GraphError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                message,
            )
            .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\""),
            );
            response
        }
    }
}
