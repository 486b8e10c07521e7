//! How the routes answer: failures logged once and turned into a user message, and the
//! `response_action` bodies of view submissions.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use crate::http::error_reference;
use crate::service::ServiceError;
use crate::slack::form::FieldErrors;
use crate::slack::render::{clip, escape};

/// What the user is told when the service could not run; logged once when it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    pub(super) text: String,
}

impl Failure {
    pub(super) fn new(error: &ServiceError, headers: &HeaderMap) -> Failure {
        Failure {
            text: error.user_message(&error_reference(headers)),
        }
    }

    /// The failure as an ephemeral message body.
    pub(super) fn ephemeral(&self) -> Value {
        json!({"response_type": "ephemeral", "text": self.text})
    }
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
        assert_eq!(failure.text, crate::service::DATABASE_DOWN);
        assert_eq!(failure.ephemeral()["response_type"], "ephemeral");
    }

    #[test]
    fn unreadable_stored_data_is_not_called_an_outage_and_is_not_retried() {
        let error = ServiceError::from(StoreError::Corrupt("request 7: unknown state".into()));
        assert!(!error.is_retryable());
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", "req-7".parse().expect("header"));
        let failure = Failure::new(&error, &headers);
        assert_eq!(failure.text, "Something went wrong (ref req-7).");
        let outage = ServiceError::from(StoreError::Unavailable("pool timed out".into()));
        assert!(outage.is_retryable());
    }

    #[test]
    fn other_failures_are_generic_with_a_reference() {
        use crate::service::ports::{UpstreamError, UpstreamErrorKind};
        let error = ServiceError::Upstream(UpstreamError::new(
            crate::service::ports::Upstream::Graph,
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
