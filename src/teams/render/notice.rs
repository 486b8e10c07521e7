//! The requester's direct messages: one per `Notice`, always naming the request id and target.

use super::{clip, markdown_line};
use crate::domain::request::Request;
use crate::service::notice::{ApproverNotice, Notice};
use crate::service::view;

/// The DM text (markdown, user text escaped).
pub(crate) fn notice_text(request: &Request, notice: &Notice) -> String {
    let message = view::requester_message(request, notice);
    clip(&markdown_line(&message.line, None), 4000)
}

/// The message to approvers beside the approval card: a reminder, or that it expired undecided.
pub(crate) fn approver_notice_text(request: &Request, notice: ApproverNotice) -> String {
    clip(
        &markdown_line(&view::approver_message(request, notice), None),
        4000,
    )
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
