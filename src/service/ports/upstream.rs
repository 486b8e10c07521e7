//! Upstream errors (Graph, ARM, Slack, Bot Connector, the token endpoint): which upstream, how
//! the call failed, and what to tell people.

/// Which upstream a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Upstream {
    /// Microsoft Graph.
    Graph,
    /// Azure Resource Manager.
    Arm,
    /// The Slack Web API.
    Slack,
    /// The Bot Framework connector (Microsoft Teams).
    Teams,
    /// The Microsoft Entra token endpoint.
    Token,
}

impl Upstream {
    /// The short name in logs, audit details and metrics labels: `graph`, `arm`, `slack`,
    /// `teams`, `token`.
    pub fn as_str(self) -> &'static str {
        match self {
            Upstream::Graph => "graph",
            Upstream::Arm => "arm",
            Upstream::Slack => "slack",
            Upstream::Teams => "teams",
            Upstream::Token => "token",
        }
    }

    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            Upstream::Graph => "Microsoft Graph",
            Upstream::Arm => "Azure Resource Manager",
            Upstream::Slack => "Slack",
            Upstream::Teams => "Microsoft Teams",
            Upstream::Token => "Microsoft Entra sign-in",
        }
    }
}

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Upstream {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How an upstream call failed, classified so the core can react.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamErrorKind {
    /// 429: try again after the given seconds.
    Throttled {
        retry_after_secs: Option<u64>,
    },
    /// 5xx, timeout or connection failure: worth retrying.
    Unavailable,
    /// 401/403: credentials or permissions are wrong; retrying will not help.
    Unauthorized,
    NotFound,
    /// The upstream refused the request (4xx, a PIM policy error, a Slack `ok: false`).
    Rejected,
    /// PIM refused an assignment the principal already holds, from something other than this
    /// request (a standing assignment, another request): nothing to grant, and nothing of
    /// pimbot's to remove later.
    AlreadyAssigned,
    /// PIM needs a stronger sign-in than the delegated token carries: MFA (`claims` is `None`)
    /// or an authentication context, with the claims challenge to sign in with.
    StepUpRequired {
        claims: Option<String>,
    },
}

/// A failed call to an upstream API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service} {operation} failed: {message}")]
pub struct UpstreamError {
    pub kind: UpstreamErrorKind,
    /// Which upstream failed.
    pub service: Upstream,
    /// What was attempted, e.g. `adminAssign`.
    pub operation: String,
    /// The upstream's error code (`RoleAssignmentExists`, `channel_not_found`), when it sent one.
    pub code: Option<String>,
    /// The technical message, for logs.
    pub message: String,
    /// What to tell a user, when the adapter knows better than "try again later".
    pub user_message: Option<String>,
    /// The upstream's request id (Graph `request-id`), for support.
    pub upstream_request_id: Option<String>,
    /// The call was never sent: pimbot's own limits answered it as throttled (its operation
    /// waits out a `Retry-After`, or no call slot freed in time). The worker reschedules a job
    /// that ended so without counting the run as an attempt: nothing failed upstream.
    pub held_back: bool,
}

impl UpstreamError {
    pub fn new(
        service: Upstream,
        operation: impl Into<String>,
        kind: UpstreamErrorKind,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            service,
            operation: operation.into(),
            code: None,
            message: message.into(),
            user_message: None,
            upstream_request_id: None,
            held_back: false,
        }
    }

    /// A call of `operation` that pimbot's own limits held back, to be tried again after
    /// `retry_after_secs` ([`UpstreamError::held_back`]).
    pub fn held(
        service: Upstream,
        operation: impl Into<String>,
        retry_after_secs: u64,
        message: impl Into<String>,
    ) -> Self {
        Self {
            held_back: true,
            ..Self::new(
                service,
                operation,
                UpstreamErrorKind::Throttled {
                    retry_after_secs: Some(retry_after_secs),
                },
                message,
            )
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            UpstreamErrorKind::Throttled { .. } | UpstreamErrorKind::Unavailable
        )
    }

    /// The message for the person affected.
    pub fn user_message(&self) -> String {
        self.user_message
            .clone()
            .unwrap_or_else(|| match self.kind {
                UpstreamErrorKind::Throttled { .. } | UpstreamErrorKind::Unavailable => {
                    format!(
                        "{} is not answering right now; pimbot kept retrying and gave up.",
                        self.service.name()
                    )
                }
                _ => format!(
                    "{} refused the call ({}).",
                    self.service.name(),
                    self.code.as_deref().unwrap_or("no error code")
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstream_reads_and_serialises_as_its_short_name() {
        for (upstream, text) in [
            (Upstream::Graph, "graph"),
            (Upstream::Arm, "arm"),
            (Upstream::Slack, "slack"),
            (Upstream::Teams, "teams"),
            (Upstream::Token, "token"),
        ] {
            assert_eq!(upstream.as_str(), text);
            assert_eq!(upstream.to_string(), text);
            assert_eq!(serde_json::json!(upstream), serde_json::json!(text));
        }
    }
}
