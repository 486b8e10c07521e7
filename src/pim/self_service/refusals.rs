//! PIM's refusals of a person's own request, for that person: a step-up sign-in when PIM wants
//! MFA or an authentication context, and PIM's own words (with a hint) for the rest. pimbot's
//! app identity is not involved, so the app-permission advice of `rest::errors` does not apply.

use crate::pim::approval::{ALREADY_DECIDED, NO_SUCH_APPROVAL, NOT_AN_APPROVER};
use crate::pim::rest::errors::{
    ACTIVE_DURATION_TOO_SHORT, ASSIGNMENT_EXISTS, POLICY_VALIDATION_FAILED, failed_rules,
};
use crate::service::ports::{UpstreamError, UpstreamErrorKind};

/// PIM's answer when the token lacks the role's authentication context: the message is the
/// claims challenge, `&claims=<URL-encoded JSON>`.
pub(crate) const ACRS_VALIDATION_FAILED: &str = "RoleAssignmentRequestAcrsValidationFailed";
const PENDING_REQUEST: &str = "PendingRoleAssignmentRequest";

/// PIM's message without the status `from_response` puts first.
fn pim_words(error: &UpstreamError) -> &str {
    error
        .message
        .split_once(": ")
        .map_or(error.message.as_str(), |(_, words)| words)
}

/// The JSON of a `claims=` challenge in `message`, URL-decoded; `None` when it is not there or
/// not JSON.
pub(crate) fn claims_challenge(message: &str) -> Option<String> {
    let (_, encoded) = message.split_once("claims=")?;
    let encoded = encoded.split('&').next().unwrap_or_default().trim();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&format!("claims={encoded}")).ok()?;
    let (_, claims) = pairs.into_iter().next()?;
    serde_json::from_str::<serde_json::Value>(&claims).ok()?;
    Some(claims)
}

fn rule_hint(rule: &str) -> &'static str {
    match rule {
        "ExpirationRule" => {
            "PIM refused the duration: it is longer than this role allows for an activation. Ask for less time."
        }
        "JustificationRule" => "PIM requires a justification to activate this; add one.",
        "TicketingRule" => "PIM requires a ticket number to activate this; add one.",
        "EligibilityRule" => "PIM finds no eligibility of yours for this role at this scope.",
        _ => "PIM refused the activation because of the role's settings.",
    }
}

/// A `self*` request's failure, for the person who sent it.
pub(crate) fn activation(mut error: UpstreamError) -> UpstreamError {
    let words = pim_words(&error).to_owned();
    match error.code.as_deref() {
        Some(POLICY_VALIDATION_FAILED) => {
            let rules = failed_rules(&words);
            if rules.contains(&"MfaRule") {
                error.kind = UpstreamErrorKind::StepUpRequired { claims: None };
                error.user_message = Some(
                    "PIM requires multi-factor authentication for this activation: sign in again with MFA.".to_owned(),
                );
            } else {
                error.kind = UpstreamErrorKind::Rejected;
                let hints: Vec<&str> = if rules.is_empty() {
                    vec![rule_hint("")]
                } else {
                    rules.into_iter().map(rule_hint).collect()
                };
                error.user_message = Some(format!("{} (PIM: {words})", hints.join(" ")));
            }
        }
        Some(ACRS_VALIDATION_FAILED) => match claims_challenge(&words) {
            Some(claims) => {
                error.kind = UpstreamErrorKind::StepUpRequired {
                    claims: Some(claims),
                };
                error.user_message = Some(
                    "PIM requires a stronger sign-in (an authentication context) for this role: sign in again to meet it.".to_owned(),
                );
            }
            None => {
                error.kind = UpstreamErrorKind::Rejected;
                error.user_message = Some(format!(
                    "PIM requires an authentication context for this role, but its challenge could not be read (PIM: {words})."
                ));
            }
        },
        Some(ASSIGNMENT_EXISTS) => {
            error.kind = UpstreamErrorKind::AlreadyAssigned;
            error.user_message =
                Some("PIM already shows this access as active for you.".to_owned());
        }
        Some(ACTIVE_DURATION_TOO_SHORT) => {
            error.kind = UpstreamErrorKind::Rejected;
            error.user_message = Some(
                "PIM does not allow deactivating in the first 5 minutes: wait until 5 minutes after the activation started and try again.".to_owned(),
            );
        }
        Some(PENDING_REQUEST) => {
            error.kind = UpstreamErrorKind::Rejected;
            error.user_message = Some(
                "PIM already holds a request of yours for this that waits for approval.".to_owned(),
            );
        }
        _ if error.kind == UpstreamErrorKind::Unauthorized => {
            error.user_message = Some(format!(
                "{} refused the request made with your sign-in (PIM: {words}).",
                error.service.name()
            ));
        }
        _ => {}
    }
    error
}

/// An approval decision's failure, for the approver: 403 not theirs to decide, 404 unknown,
/// 409 decided already.
pub(crate) fn approval(mut error: UpstreamError) -> UpstreamError {
    let status = error.message.split(' ').next().unwrap_or_default();
    let said = match (status, &error.kind) {
        ("403", _) => NOT_AN_APPROVER,
        ("404", _) | (_, UpstreamErrorKind::NotFound) => NO_SUCH_APPROVAL,
        ("409", _) => ALREADY_DECIDED,
        _ => return error,
    };
    error.kind = UpstreamErrorKind::Rejected;
    error.user_message = Some(said.to_owned());
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claims_challenge_is_read_from_pims_message() {
        let message = "&claims=%7B%22access_token%22%3A%7B%22acrs%22%3A%7B%22essential%22%3Atrue%2C%22value%22%3A%22c1%22%7D%7D%7D";
        assert_eq!(
            claims_challenge(message).as_deref(),
            Some(r#"{"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#)
        );
        assert_eq!(claims_challenge("no challenge"), None);
        assert_eq!(claims_challenge("&claims=not%20json"), None);
    }
}
