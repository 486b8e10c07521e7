//! The HTTP surface: routes, and the middleware every Graph response goes through
//! (request ids, scripted faults, bearer-token checks, Graph-shaped error bodies).

mod applications;
mod directory;
mod requests;
mod roles;
mod token;

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

use super::odata::{GraphError, RequestInfo};
use super::{Emulator, Fault};

/// The app id a Graph call was made with (from the token request's `client_id`).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) client_id: String,
}

const ROLES: &str = "/v1.0/roleManagement/directory";

pub(super) fn router(emulator: Emulator) -> Router {
    let graph = Router::new()
        .route("/v1.0/users", get(directory::list_users))
        .route("/v1.0/users/{id}", get(directory::get_user))
        .route(
            "/v1.0/users/{id}/transitiveMemberOf/microsoft.graph.group",
            get(directory::user_groups),
        )
        .route("/v1.0/applications", get(applications::list_applications))
        .route(
            "/v1.0/applications/{id}",
            get(applications::get_application),
        )
        .route("/v1.0/groups", get(directory::list_groups))
        .route("/v1.0/groups/{id}", get(directory::get_group))
        .route("/v1.0/groups/{id}/owners", get(directory::group_owners))
        .route("/v1.0/groups/{id}/members", get(directory::group_members))
        .route(
            &format!("{ROLES}/roleDefinitions"),
            get(roles::list_definitions),
        )
        .route(
            &format!("{ROLES}/roleDefinitions/{{id}}"),
            get(roles::get_definition),
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
            "/v1.0/policies/roleManagementPolicyAssignments",
            get(roles::policy_assignments),
        )
        .route_layer(middleware::from_fn_with_state(
            emulator.clone(),
            authenticate,
        ));
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token::issue))
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
    let fault = emulator.lock().take_fault(&info.path);
    request.extensions_mut().insert(info);
    let response = match fault {
        Some(Fault::Throttle { retry_after_secs }) => {
            let error = GraphError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. Retry after the time in the Retry-After header.",
            );
            let mut response = error.into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Some(Fault::ServerError) => GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UnknownError",
            "An internal server error occurred.",
        )
        .into_response(),
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
    finish(response, &request_id, client_request_id)
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
        .is_some_and(|v| v.starts_with("application/json"));
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

async fn unknown_route(request: Request) -> GraphError {
    let segment = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_owned();
    GraphError::new(
        StatusCode::NOT_FOUND,
        "BadRequest",
        format!("Resource not found for the segment '{segment}'."),
    )
}

/// 401 `InvalidAuthenticationToken` unless the bearer token was issued by this emulator and is unexpired.
async fn authenticate(
    State(emulator): State<Emulator>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let verdict = match presented {
        None => Err("Access token is empty."),
        Some(token) => emulator.lock().token_client(&token),
    };
    match verdict {
        Ok(client_id) => {
            request.extensions_mut().insert(Caller { client_id });
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
