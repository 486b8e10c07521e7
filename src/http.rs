//! The HTTP edge shared by every route: health, readiness, metrics, body limits, tracing and
//! graceful shutdown. Platform routes (Slack, Teams) are merged in by `app`.

pub mod auth;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::service::ports::Store;

/// Request bodies above this are refused with 413 before any handler runs.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a readiness probe waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
struct OpsState {
    store: Arc<dyn Store>,
    metrics: Option<PrometheusHandle>,
}

/// `/healthz`, `/readyz` and `/metrics`, plus the layers every route gets.
pub fn with_operations(
    routes: Router,
    store: Arc<dyn Store>,
    metrics: Option<PrometheusHandle>,
) -> Router {
    let ops = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(handle_ready))
        .route("/metrics", get(handle_metrics))
        .with_state(OpsState { store, metrics });
    routes
        .merge(ops)
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // A handler that panics answers 500 instead of dropping the connection. Handlers record
        // an inbound delivery only with its effects, so the platform's retry is carried out.
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// One span per inbound request, the root of its trace; the service records the short id in
/// `request.id` once it knows which request the call is about. Probes and scrapes get a debug
/// span, so that they do not fill the logs or the trace backend.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let (method, path) = (request.method(), request.uri().path());
    if matches!(path, "/healthz" | "/readyz" | "/metrics") {
        return tracing::debug_span!("request", http.method = %method, http.path = path);
    }
    tracing::info_span!(
        "request",
        http.method = %method,
        http.path = path,
        request.id = tracing::field::Empty,
    )
}

fn answer_panic(_panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    tracing::error!("a request handler panicked; answered 500");
    metrics::counter!("pimbot_handler_panics_total").increment(1);
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

async fn handle_ready(State(state): State<OpsState>) -> impl IntoResponse {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready".to_owned()),
        Ok(Err(error)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {error}"),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the database did not answer within 2 s".to_owned(),
        ),
    }
}

async fn handle_metrics(State(state): State<OpsState>) -> impl IntoResponse {
    let body = state
        .metrics
        .as_ref()
        .map(crate::metrics::render)
        .unwrap_or_default();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
}

/// The process-wide Prometheus recorder, every family described (installed once; later calls
/// reuse it).
pub fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<PrometheusHandle>> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            crate::metrics::install()
                .map_err(|error| tracing::warn!(error = %error, "metrics recorder not installed"))
                .ok()
        })
        .clone()
}

/// The id the edge gave this request (`x-request-id`), else a fresh one: the reference a person
/// quotes to support, also logged with the error.
pub fn error_reference(headers: &axum::http::HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .map_or_else(
            || uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            str::to_owned,
        )
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("pimbot.db").display());
        let store = crate::store::connect_and_migrate(&url)
            .await
            .expect("store");
        let routes = Router::new().route(
            "/boom",
            get(|| async {
                let text = "R&D 🔥";
                // The kind of bug the guard is for: a byte slice inside a character.
                let cut = text.get(..6).map(str::len).unwrap_or_else(|| panic!("cut"));
                cut.to_string()
            }),
        );
        let app = with_operations(routes, store, None);
        let answer = app
            .clone()
            .oneshot(Request::get("/boom").body(Body::empty()).expect("request"))
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let health = app
            .oneshot(
                Request::get("/healthz")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer");
        assert_eq!(health.status(), StatusCode::OK);
    }
}
