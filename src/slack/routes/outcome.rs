//! How the routes answer: failures logged once and turned into a user message, and the
//! `response_action` bodies of view submissions.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use crate::service::ServiceError;
use crate::slack::form::FieldErrors;
use crate::slack::render::{clip, escape};

/// What the user is told when the service could not run; logged once when it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    pub(super) text: String,
}

/// What the user sees when the database is down: nothing was written, so trying again is safe.
pub(super) const DATABASE_DOWN: &str =
    "pimbot's database is unavailable right now; nothing was recorded, try again shortly";

impl Failure {
    pub(super) fn new(error: &ServiceError, headers: &HeaderMap) -> Failure {
        match error {
            ServiceError::Unavailable(e) => {
                tracing::warn!(error = %e, "the database is unavailable");
                Failure {
                    text: DATABASE_DOWN.into(),
                }
            }
            other => {
                let reference = reference(headers);
                tracing::error!(error = %other, error.reference = %reference, "a Slack request failed");
                Failure {
                    text: format!("Something went wrong (ref {reference})."),
                }
            }
        }
    }

    /// The failure as an ephemeral message body.
    pub(super) fn ephemeral(&self) -> Value {
        json!({"response_type": "ephemeral", "text": self.text})
    }
}

/// The request id the edge assigned (`x-request-id`), else a fresh one, to quote in support.
fn reference(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .map_or_else(
            || uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            str::to_owned,
        )
}

/// `{"response_action": "clear"}`: closes the whole modal stack.
pub(super) fn clear() -> Response {
    Json(json!({"response_action": "clear"})).into_response()
}

/// `{"response_action": "errors", "errors": {block_id: message}}`.
pub(super) fn field_errors(errors: &FieldErrors) -> Response {
    let errors: serde_json::Map<String, Value> = errors
        .iter()
        .map(|(block, message)| ((*block).to_owned(), json!(clip(&escape(message), 300))))
        .collect();
    Json(json!({"response_action": "errors", "errors": errors})).into_response()
}

/// One field's error.
pub(super) fn field_error(block_id: &'static str, message: &str) -> Response {
    field_errors(&FieldErrors::from([(block_id, message.to_owned())]))
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;

    use super::*;
    use crate::service::ports::StoreError;

    async fn body(response: Response) -> Value {
        let bytes = to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[test]
    fn a_database_outage_says_nothing_was_recorded() {
        let error = ServiceError::Unavailable(StoreError::Unavailable("pool timed out".into()));
        let failure = Failure::new(&error, &HeaderMap::new());
        assert_eq!(failure.text, DATABASE_DOWN);
        assert_eq!(failure.ephemeral()["response_type"], "ephemeral");
    }

    #[test]
    fn other_failures_are_generic_with_a_reference() {
        use crate::service::ports::{UpstreamError, UpstreamErrorKind};
        let error = ServiceError::Upstream(UpstreamError::new(
            "graph",
            "user",
            UpstreamErrorKind::Unavailable,
            "secret internals",
        ));
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", "req-42".parse().expect("header"));
        let failure = Failure::new(&error, &headers);
        assert_eq!(failure.text, "Something went wrong (ref req-42).");
        let failure = Failure::new(&error, &HeaderMap::new());
        assert!(failure.text.starts_with("Something went wrong (ref "));
        assert!(!failure.text.contains("secret internals"));
    }

    #[tokio::test]
    async fn view_answers_have_slacks_shape() {
        assert_eq!(body(clear()).await, json!({"response_action": "clear"}));
        assert_eq!(
            body(field_error(
                "reason",
                "You are not an approver of PIM-12 <!here>."
            ))
            .await,
            json!({"response_action": "errors",
                   "errors": {"reason": "You are not an approver of PIM-12 &lt;!here&gt;."}})
        );
    }
}
