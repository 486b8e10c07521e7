//! Graph and ARM failures as [`UpstreamError`]s: the kind from the status, the code from
//! `error.code` (both APIs use `{"error":{"code","message"}}`; Graph adds `innerError`), and a
//! user message from the PIM error codes (`shared/contracts/pim-error-codes.json`).

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::service::ports::{Upstream, UpstreamError, UpstreamErrorKind};

pub(crate) const POLICY_VALIDATION_FAILED: &str = "RoleAssignmentRequestPolicyValidationFailed";
pub(crate) const ASSIGNMENT_EXISTS: &str = "RoleAssignmentExists";
pub(crate) const ASSIGNMENT_DOES_NOT_EXIST: &str = "RoleAssignmentDoesNotExist";
pub(crate) const ACTIVE_DURATION_TOO_SHORT: &str = "ActiveDurationTooShort";
pub(crate) const AUTHORIZATION_FAILED: &str = "AuthorizationFailed";
pub(crate) const INVALID_POLICY: &str = "InvalidPolicy";

/// PIM refuses to end an assignment younger than this.
const MINIMUM_ACTIVE_SECS: u64 = 5 * 60;

/// A non-2xx answer.
pub(crate) fn from_response(
    service: Upstream,
    operation: &str,
    status: StatusCode,
    headers: &HeaderMap,
    request_id: Option<String>,
    body: &str,
) -> UpstreamError {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let text = |key: &str| {
        error
            .and_then(|e| e.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let code = text("code");
    let message = text("message").unwrap_or_else(|| truncate(body, 500));
    let request_id = request_id.or_else(|| {
        error
            .and_then(|e| e.get("innerError"))
            .and_then(|inner| inner.get("request-id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    });

    let mut kind = match status.as_u16() {
        429 => UpstreamErrorKind::Throttled {
            retry_after_secs: retry_after_secs(headers),
        },
        401 | 403 => UpstreamErrorKind::Unauthorized,
        404 => UpstreamErrorKind::NotFound,
        500..=599 => UpstreamErrorKind::Unavailable,
        _ => UpstreamErrorKind::Rejected,
    };
    if code.as_deref() == Some(ASSIGNMENT_EXISTS) {
        // The callers turn this into success when the assignment is their own; what reaches
        // the service is access the principal holds from something else.
        kind = UpstreamErrorKind::AlreadyAssigned;
    }
    if code.as_deref() == Some(ACTIVE_DURATION_TOO_SHORT) {
        // Not a refusal for good: the same removal succeeds once five minutes have passed.
        kind = UpstreamErrorKind::Throttled {
            retry_after_secs: Some(MINIMUM_ACTIVE_SECS),
        };
    }
    let user_message = user_message(service, operation, status, code.as_deref(), &message);
    UpstreamError {
        kind,
        service,
        operation: operation.to_owned(),
        code,
        message: format!("{status}: {message}"),
        user_message,
        upstream_request_id: request_id,
        held_back: false,
    }
}

/// A call that got no HTTP answer: timeout, refused connection, reset.
pub(crate) fn from_transport(
    service: Upstream,
    operation: &str,
    error: &reqwest::Error,
) -> UpstreamError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    UpstreamError::new(
        service,
        operation,
        UpstreamErrorKind::Unavailable,
        format!("{what}: {error}"),
    )
}

/// A 2xx answer whose body is not what the API documents.
pub(crate) fn unreadable(
    service: Upstream,
    operation: &str,
    request_id: Option<String>,
    detail: impl std::fmt::Display,
) -> UpstreamError {
    let mut error = UpstreamError::new(
        service,
        operation,
        UpstreamErrorKind::Rejected,
        format!("unexpected answer: {detail}"),
    );
    error.upstream_request_id = request_id;
    error
}

/// `Retry-After` in seconds (Graph sends seconds; an HTTP date is accepted too).
pub(crate) fn retry_after_secs(headers: &HeaderMap) -> Option<u64> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (when.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    Some(u64::try_from(secs).unwrap_or(0))
}

/// The PIM policy rules named in a `RoleAssignmentRequestPolicyValidationFailed` message.
pub(crate) fn failed_rules(message: &str) -> Vec<&'static str> {
    const RULES: [&str; 5] = [
        "ExpirationRule",
        "JustificationRule",
        "TicketingRule",
        "MfaRule",
        "EligibilityRule",
    ];
    RULES
        .into_iter()
        .filter(|rule| message.contains(rule))
        .collect()
}

fn user_message(
    service: Upstream,
    operation: &str,
    status: StatusCode,
    code: Option<&str>,
    message: &str,
) -> Option<String> {
    match code {
        Some(POLICY_VALIDATION_FAILED) => Some(policy_message(message)),
        Some(ASSIGNMENT_EXISTS) => {
            Some("PIM already shows this access as active, from an assignment pimbot did not make for this request.".to_owned())
        }
        Some(ASSIGNMENT_DOES_NOT_EXIST) => Some(
            "PIM shows no such active assignment (it may have ended already).".to_owned(),
        ),
        Some(ACTIVE_DURATION_TOO_SHORT) => Some(
            "PIM does not allow ending an assignment in its first 5 minutes; pimbot will try again after that."
                .to_owned(),
        ),
        Some(INVALID_POLICY) => Some(
            "Azure refused the PIM policy as invalid; an administrator must fix the role settings in PIM."
                .to_owned(),
        ),
        _ if service == Upstream::Arm && (status == StatusCode::FORBIDDEN || code == Some(AUTHORIZATION_FAILED)) => {
            Some(
                "pimbot's identity lacks an Azure role at this scope that allows Microsoft.Authorization/roleAssignmentScheduleRequests/write (e.g. User Access Administrator); ask an Azure administrator to grant it."
                    .to_owned(),
            )
        }
        _ if status == StatusCode::FORBIDDEN
            || code == Some("Authorization_RequestDenied") =>
        {
            Some(format!(
                "pimbot's app registration lacks the Graph permission {} (application, admin-consented); ask an Entra administrator to grant it.",
                permission_for(operation)
            ))
        }
        _ if status == StatusCode::UNAUTHORIZED => Some(format!(
            "{} did not accept pimbot's token; check the app registration and the tenant in the configuration.",
            service.name()
        )),
        _ => None,
    }
}

fn policy_message(message: &str) -> String {
    let rules = failed_rules(message);
    if rules.is_empty() {
        return format!("PIM refused the request because of its policy: {message}");
    }
    let parts: Vec<&str> = rules
        .into_iter()
        .map(|rule| match rule {
            "ExpirationRule" => {
                "PIM refused the duration: it is longer than the role's maximum (or the role requires an end). Ask for a shorter elevation."
            }
            "JustificationRule" => "PIM requires a justification for this role; add one.",
            "TicketingRule" => "PIM requires a ticket number for this role; add one.",
            "MfaRule" => {
                "PIM requires multi-factor authentication for this assignment, which pimbot's app identity cannot provide; an administrator must change the role setting or you must activate in the Entra portal."
            }
            _ => "PIM found no eligibility for this user, role and scope.",
        })
        .collect();
    parts.join(" ")
}

/// The least Graph application permission each operation needs (DESIGN.md lists them all).
fn permission_for(operation: &str) -> &'static str {
    match operation {
        "adminAssign" | "adminRemove" => "RoleAssignmentSchedule.ReadWrite.Directory",
        "groupAdminAssign" | "groupAdminRemove" | "groupActiveAssignment" => {
            "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"
        }
        "groupEligibilities" => "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "groupPolicy" => "RoleManagementPolicy.Read.AzureADGroup",
        "activeAssignment" => "RoleAssignmentSchedule.Read.Directory (or ReadWrite)",
        "roleEligibilities" => "RoleEligibilitySchedule.Read.Directory",
        "rolePolicy" => "RoleManagementPolicy.Read.Directory",
        "roleDefinition" => "RoleManagement.Read.Directory",
        "application" => "Application.Read.All",
        "userGroups" | "groupOwners" | "groupMembers" | "group" => "GroupMember.Read.All",
        _ => "User.Read.All",
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refuse(status: u16, body: &str) -> UpstreamError {
        let status = StatusCode::from_u16(status).expect("status");
        from_response(
            Upstream::Graph,
            "adminAssign",
            status,
            &HeaderMap::new(),
            None,
            body,
        )
    }

    #[test]
    fn a_policy_validation_failure_names_each_failed_rule_for_the_user() {
        let error = refuse(
            400,
            r#"{"error":{"code":"RoleAssignmentRequestPolicyValidationFailed","message":"The following policy rules failed: [\"JustificationRule\",\"MfaRule\"]","innerError":{"request-id":"2f1e","client-request-id":"9a0b","date":"2026-11-22T10:00:00"}}}"#,
        );
        assert_eq!(error.kind, UpstreamErrorKind::Rejected);
        assert_eq!(error.code.as_deref(), Some(POLICY_VALIDATION_FAILED));
        assert_eq!(error.upstream_request_id.as_deref(), Some("2f1e"));
        assert_eq!(
            error.user_message(),
            "PIM requires a justification for this role; add one. PIM requires multi-factor authentication for this assignment, which pimbot's app identity cannot provide; an administrator must change the role setting or you must activate in the Entra portal."
        );
    }

    #[test]
    fn statuses_map_to_kinds_the_core_can_act_on() {
        let kind = |status| refuse(status, "not json").kind;
        assert_eq!(kind(401), UpstreamErrorKind::Unauthorized);
        assert_eq!(kind(403), UpstreamErrorKind::Unauthorized);
        assert_eq!(kind(404), UpstreamErrorKind::NotFound);
        assert_eq!(kind(409), UpstreamErrorKind::Rejected);
        assert_eq!(kind(502), UpstreamErrorKind::Unavailable);
        assert_eq!(
            kind(429),
            UpstreamErrorKind::Throttled {
                retry_after_secs: None
            }
        );
        assert!(refuse(400, "not json").message.contains("not json"));
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().expect("header"));
        assert_eq!(retry_after_secs(&headers), Some(7));
        headers.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("header"),
        );
        assert_eq!(retry_after_secs(&headers), Some(0));
        assert_eq!(retry_after_secs(&HeaderMap::new()), None);
    }
}

#[cfg(test)]
mod contract_tests {
    use super::*;

    /// Every named code in `pim-error-codes.json`, answered by each API that uses it, gives the
    /// user a specific message (not the generic "refused the call").
    #[test]
    fn every_documented_pim_error_code_has_a_message_for_people() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/contracts/pim-error-codes.json"
        );
        let text = std::fs::read_to_string(path).expect("contracts");
        let document: serde_json::Value = serde_json::from_str(&text).expect("json");
        let entries = document["errors"].as_array().expect("errors");
        let mut checked = 0;
        for entry in entries {
            let Some(code) = entry["code"].as_str().filter(|c| !c.starts_with('(')) else {
                continue;
            };
            let status = entry["httpStatus"].as_u64().unwrap_or(400);
            let status = StatusCode::from_u16(u16::try_from(status).expect("u16")).expect("status");
            let message = entry["message"]
                .as_str()
                .or_else(|| entry["messageTemplate"].as_str())
                .unwrap_or_default();
            for api in entry["apis"].as_array().into_iter().flatten() {
                let service = if api == "arm" {
                    Upstream::Arm
                } else {
                    Upstream::Graph
                };
                let body = serde_json::json!({"error": {"code": code, "message": message}});
                let error = from_response(
                    service,
                    "adminAssign",
                    status,
                    &HeaderMap::new(),
                    None,
                    &body.to_string(),
                );
                assert_eq!(error.code.as_deref(), Some(code));
                let said = error.user_message.clone().unwrap_or_default();
                assert!(
                    !said.is_empty(),
                    "{service} {code} has no message for people"
                );
                assert!(
                    !said.contains("refused the call"),
                    "{service} {code}: {said}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} code/API pairs checked");
    }
}
