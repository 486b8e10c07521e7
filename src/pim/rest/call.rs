//! One attempt at one call: admission (the operation's `Retry-After` and retry budget, the API's
//! gate), the request itself, and what its answer becomes (a parsed body, or an
//! [`UpstreamError`] in the API's words), logged and counted once.

use std::time::Instant;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use tracing::{debug, info, warn};

use super::{Answer, Rest, errors, transport_outcome};
use crate::service::jobs::RetryBudget;
use crate::service::ports::UpstreamError;

/// What one call sent, for its log lines.
struct Sent<'a> {
    operation: &'a str,
    method: Method,
    client_request_id: String,
    started: Instant,
}

impl Sent<'_> {
    fn duration_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// An HTTP answer read to the end.
struct Received {
    status: StatusCode,
    headers: HeaderMap,
    request_id: Option<String>,
    text: String,
}

impl Rest {
    /// One attempt, no retry. A write is counted against the operation's retry budget; no call
    /// is sent while its operation waits out a `Retry-After`, or past the budget's deadline.
    pub(crate) async fn attempt(
        &self,
        operation: &str,
        method: Method,
        url: Url,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, UpstreamError> {
        let timeout = self.admit(operation)?;
        let _permit = self.gate.enter().await;
        // Checked again: the wait for a slot may have outlasted a Retry-After given meanwhile.
        let timeout = timeout.min(self.admit(operation)?);
        if method != Method::GET
            && let Some(budget) = RetryBudget::current()
        {
            budget.spend_write();
        }
        let token = self.tokens.token(&self.scope).await?;
        let sent = Sent {
            operation,
            method,
            client_request_id: uuid::Uuid::new_v4().to_string(),
            started: Instant::now(),
        };
        let mut request = self
            .http
            .request(sent.method.clone(), url)
            .bearer_auth(token)
            .header(self.api.client_request_header(), &sent.client_request_id)
            .timeout(timeout);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let received = self.receive(&sent, request.send().await).await?;
        if !received.status.is_success() {
            return Err(self.refused(&sent, received));
        }
        self.answered(&sent, received)
    }

    /// The whole answer, or the transport failure (logged and counted).
    async fn receive(
        &self,
        sent: &Sent<'_>,
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<Received, UpstreamError> {
        let service = self.api.service();
        let response = match response {
            Ok(response) => response,
            Err(e) => {
                let error = errors::from_transport(service, sent.operation, &e);
                self.record(sent.started, transport_outcome(&e), None);
                warn!(
                    api.service = service.as_str(),
                    api.operation = sent.operation,
                    api.client_request_id = %sent.client_request_id,
                    duration_ms = sent.duration_ms(),
                    error = %error,
                    "upstream call failed"
                );
                return Err(error);
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = headers
            .get(self.api.request_id_header())
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match response.text().await {
            Ok(text) => Ok(Received {
                status,
                headers,
                request_id,
                text,
            }),
            Err(e) => {
                self.record(sent.started, transport_outcome(&e), None);
                Err(errors::from_transport(service, sent.operation, &e))
            }
        }
    }

    /// A non-2xx answer: its `Retry-After` closes the operation's gate, and it becomes the
    /// API's error (logged and counted).
    fn refused(&self, sent: &Sent<'_>, received: Received) -> UpstreamError {
        let Received {
            status,
            headers,
            request_id,
            text,
        } = received;
        if let Some(secs) = errors::retry_after_secs(&headers) {
            self.gate
                .close(sent.operation, std::time::Duration::from_secs(secs));
        }
        let error = errors::from_response(
            self.api.service(),
            sent.operation,
            status,
            &headers,
            request_id,
            &text,
        );
        self.record(
            sent.started,
            status.as_str(),
            Some(error.code.as_deref().unwrap_or(status.as_str())),
        );
        warn!(
            api.request_id = error.upstream_request_id.as_deref().unwrap_or("-"),
            api.service = self.api.service().as_str(),
            api.operation = sent.operation,
            api.status = status.as_u16(),
            api.code = error.code.as_deref().unwrap_or("-"),
            duration_ms = sent.duration_ms(),
            "upstream call refused"
        );
        error
    }

    /// A 2xx answer: logged (writes at info, reads at debug) and its JSON body read.
    fn answered(&self, sent: &Sent<'_>, received: Received) -> Result<Answer, UpstreamError> {
        let Received {
            status,
            request_id,
            text,
            ..
        } = received;
        self.record(sent.started, status.as_str(), None);
        let (logged_id, service, duration_ms) = (
            request_id.as_deref().unwrap_or("-"),
            self.api.service(),
            sent.duration_ms(),
        );
        let status = status.as_u16();
        if sent.method == Method::GET {
            debug!(
                api.request_id = logged_id,
                api.service = service.as_str(),
                api.operation = sent.operation,
                api.status = status,
                duration_ms,
                "upstream call"
            );
        } else {
            info!(
                api.request_id = logged_id,
                api.service = service.as_str(),
                api.operation = sent.operation,
                api.status = status,
                duration_ms,
                "upstream call"
            );
        }
        let body = if text.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|e| self.unreadable(sent.operation, request_id.clone(), e))?
        };
        Ok(Answer {
            service,
            request_id,
            body,
        })
    }
}
