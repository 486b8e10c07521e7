//! The requester's direct messages: one per `Notice`, always naming the request id and target.

use super::{clip, escape, hhmm};
use crate::domain::request::Request;
use crate::service::notice::{ApproverNotice, Notice};

/// The DM text (markdown, user text escaped).
pub(crate) fn notice_text(request: &Request, notice: &Notice) -> String {
    let what = format!(
        "**{}** ({})",
        request.id,
        clip(&escape(&request.target.label()), 500)
    );
    let names = |names: &[String]| {
        let escaped: Vec<String> = names.iter().map(|n| escape(n)).collect();
        escaped.join(", ")
    };
    let text = match notice {
        Notice::EndingSoon { until } => format!(
            "⏰ {what} ends at {}. Need longer? Extend asks your approvers again (`extend {id}`). \
             Done already? End it now (`end {id}`).",
            hhmm(*until),
            id = request.id
        ),
        Notice::Approved { by } if by.is_empty() => {
            format!("✅ {what} was approved. pimbot is activating it now.")
        }
        Notice::Approved { by } => format!(
            "✅ {what} was approved by {}. pimbot is activating it now.",
            names(by)
        ),
        Notice::Active { until } => format!(
            "🔓 {what} is active until {}. The rights may take a few minutes to apply.",
            hhmm(*until)
        ),
        Notice::Denied { by, reason } => format!(
            "⛔ {what} was denied by {}: {}",
            escape(by),
            clip(&escape(reason), 2000)
        ),
        Notice::Failed { reason } => format!("❌ {what} failed: {}", clip(&escape(reason), 2000)),
        Notice::Expired => format!("⌛ {what} expired: nobody decided in time."),
        Notice::Ended {
            early: true,
            by: Some(by),
        } => format!(
            "🔒 {what} was ended early by {}; the rights are removed.",
            escape(by)
        ),
        Notice::Ended { early: true, .. } => {
            format!("🔒 {what} was ended early; the rights are removed.")
        }
        Notice::Ended { early: false, .. } => {
            format!("🔒 {what} has ended; the rights are removed.")
        }
        Notice::Cancelled => format!("🗑️ {what} was cancelled."),
    };
    clip(&text, 4000)
}

/// The message to approvers beside the approval card: a reminder, or that it expired undecided.
pub(crate) fn approver_notice_text(request: &Request, notice: ApproverNotice) -> String {
    let approvers: Vec<String> = request
        .approvers
        .iter()
        .map(|a| escape(&clip(&a.display_name, 80)))
        .collect();
    let what = format!(
        "**{}** from {} ({})",
        request.id,
        escape(&request.requester.display_name),
        clip(&escape(&request.target.label()), 500)
    );
    match notice {
        ApproverNotice::Reminder => format!(
            "{}: {what} is still waiting for your decision; it expires at {}.",
            approvers.join(", "),
            hhmm(request.approval_deadline)
        ),
        ApproverNotice::Expired => format!(
            "{}: {what} expired at {} without a decision; the requester was told.",
            approvers.join(", "),
            hhmm(request.approval_deadline)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teams::render::fixtures::{at, request};

    #[test]
    fn direct_messages_name_the_request_and_escape_user_text() {
        let text = notice_text(
            &request(),
            &Notice::Denied {
                by: "Eve <at>x</at>".into(),
                reason: "[phish](https://evil)".into(),
            },
        );
        assert!(
            text.contains("PIM-12") && text.contains("app1-secrets"),
            "{text}"
        );
        assert!(!text.contains('<') && !text.contains('['), "{text}");
        let active = notice_text(&request(), &Notice::Active { until: at(16, 7) });
        assert!(active.contains("active until 16:07 UTC"), "{active}");
    }
}
