//! The token endpoint's answers to the code and refresh grants, and its refusals sorted for the
//! core: the sign-in is over (sign in again), Entra refused the request, or Entra is not there.

use reqwest::StatusCode;
use serde_json::Value;
use tracing::{debug, warn};

use super::EntraSignIn;
use crate::pim::rest::errors::retry_after_secs;
use crate::service::ports::{SignInError, Upstream, UpstreamError, UpstreamErrorKind};

/// Which grant was presented: an expired code is refused, an expired refresh token is a
/// sign-in that is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grant {
    Code,
    Refresh,
}

impl Grant {
    fn operation(self) -> &'static str {
        match self {
            Grant::Code => "redeemCode",
            Grant::Refresh => "refreshToken",
        }
    }
}

/// The AADSTS errors that end a sign-in: revoked (50173), disabled (50057), deleted (50034),
/// password expired or changed (50055, 50133, 50132), refresh token expired or unused too long
/// (700082, 70043, 50089), and MFA or another interaction now required (50076, 50079, 50078).
const SIGN_IN_OVER: [u64; 13] = [
    50173, 50057, 50034, 50055, 50133, 50132, 700082, 70043, 50089, 50076, 50079, 50078, 50072,
];
/// "Expired due to inactivity": a stale code is refused, a stale refresh token ends the sign-in.
const INACTIVE: u64 = 70008;

/// A successful v2.0 token response (unknown members ignored; `Debug` hides the tokens).
#[derive(serde::Deserialize)]
pub(super) struct TokenAnswer {
    pub(super) access_token: String,
    pub(super) refresh_token: Option<String>,
    pub(super) id_token: Option<String>,
    pub(super) scope: Option<String>,
}

impl EntraSignIn {
    /// POSTs `form` (plus the client's id and secret) to the token endpoint.
    pub(super) async fn post(
        &self,
        grant: Grant,
        form: &[(&str, &str)],
    ) -> Result<TokenAnswer, SignInError> {
        let operation = grant.operation();
        let mut fields = vec![
            ("client_id", self.settings.client_id.as_str()),
            ("client_secret", self.settings.client_secret.expose()),
        ];
        fields.extend_from_slice(form);
        let unavailable = |kind, message: String| {
            SignInError::Unavailable(UpstreamError::new(
                Upstream::Token,
                operation,
                kind,
                message,
            ))
        };
        let response = self
            .http
            .post(self.token.clone())
            .timeout(self.settings.timeout)
            .form(&fields)
            .send()
            .await
            .map_err(|e| {
                let what = if e.is_timeout() {
                    "timed out"
                } else {
                    "failed"
                };
                warn!(api.operation = operation, "token request {what}");
                unavailable(UpstreamErrorKind::Unavailable, format!("{what}: {e}"))
            })?;
        let status = response.status();
        let retry_after = retry_after_secs(response.headers());
        let text = response.text().await.map_err(|e| {
            unavailable(
                UpstreamErrorKind::Unavailable,
                format!("unreadable answer: {e}"),
            )
        })?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !status.is_success() {
            let error = refusal(grant, status, retry_after, &body);
            warn!(api.operation = operation, api.status = status.as_u16(), error = %error, "token request refused");
            return Err(error);
        }
        debug!(api.operation = operation, "token issued");
        serde_json::from_value(body).map_err(|e| {
            unavailable(
                UpstreamErrorKind::Unavailable,
                format!("unexpected token answer: {e}"),
            )
        })
    }
}

/// Entra's refusal, classified. Its words (`error_description` without the trace lines) are
/// kept; no token is in them.
pub(super) fn refusal(
    grant: Grant,
    status: StatusCode,
    retry_after: Option<u64>,
    body: &Value,
) -> SignInError {
    let error = body["error"].as_str().unwrap_or_default();
    let description = body["error_description"]
        .as_str()
        .and_then(|d| d.lines().next())
        .map_or_else(|| format!("{status}"), str::to_owned);
    let codes: Vec<u64> = body["error_codes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    let code = codes
        .first()
        .map(|c| format!("AADSTS{c}"))
        .or_else(|| (!error.is_empty()).then(|| error.to_owned()));
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        let kind = if status == StatusCode::TOO_MANY_REQUESTS {
            UpstreamErrorKind::Throttled {
                retry_after_secs: retry_after,
            }
        } else {
            UpstreamErrorKind::Unavailable
        };
        let mut upstream =
            UpstreamError::new(Upstream::Token, grant.operation(), kind, description);
        upstream.code = code;
        upstream.upstream_request_id = body["correlation_id"].as_str().map(str::to_owned);
        return SignInError::Unavailable(upstream);
    }
    let over = codes.iter().any(|c| SIGN_IN_OVER.contains(c))
        || (grant == Grant::Refresh && codes.contains(&INACTIVE));
    if matches!(error, "invalid_grant" | "interaction_required") && over
        || error == "interaction_required"
    {
        return SignInError::Expired {
            code,
            message: description,
        };
    }
    SignInError::Refused {
        code,
        message: description,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entra(error: &str, code: u64) -> Value {
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: words.\r\nTrace ID: t\r\nCorrelation ID: c"),
            "error_codes": [code],
        })
    }

    #[test]
    fn refusals_are_sorted_into_over_refused_and_unavailable() {
        let bad = StatusCode::BAD_REQUEST;
        let over = refusal(Grant::Refresh, bad, None, &entra("invalid_grant", 50173));
        assert_eq!(
            over,
            SignInError::Expired {
                code: Some("AADSTS50173".into()),
                message: "AADSTS50173: words.".into()
            }
        );
        let stale = |grant| refusal(grant, bad, None, &entra("invalid_grant", 70008));
        assert!(matches!(stale(Grant::Refresh), SignInError::Expired { .. }));
        assert!(matches!(stale(Grant::Code), SignInError::Refused { .. }));
        let forged = refusal(Grant::Code, bad, None, &entra("invalid_grant", 70000));
        assert!(matches!(forged, SignInError::Refused { .. }));
        let mfa = refusal(
            Grant::Refresh,
            bad,
            None,
            &entra("interaction_required", 50076),
        );
        assert!(matches!(mfa, SignInError::Expired { .. }));
        let down = refusal(Grant::Refresh, StatusCode::BAD_GATEWAY, None, &Value::Null);
        assert!(matches!(down, SignInError::Unavailable(e) if e.is_retryable()));
        let busy = refusal(
            Grant::Refresh,
            StatusCode::TOO_MANY_REQUESTS,
            Some(3),
            &Value::Null,
        );
        let SignInError::Unavailable(busy) = busy else {
            panic!("throttled is unavailable");
        };
        assert_eq!(
            busy.kind,
            UpstreamErrorKind::Throttled {
                retry_after_secs: Some(3)
            }
        );
    }
}
