//! The requester's direct messages: one per `Notice`, always naming the request id and target.

use serde_json::{Value, json};

use super::{buttons, mrkdwn, mrkdwn_line};
use crate::domain::request::{Platform, Request};
use crate::service::notice::{ApproverNotice, Notice};
use crate::service::view::{self, clip};

/// The DM text for `notice` about `request` (mrkdwn, user text escaped).
pub(crate) fn notice_text(request: &Request, notice: &Notice) -> String {
    let message = view::requester_message(request, notice);
    clip(&mrkdwn_line(&message.line, Platform::Slack), 3000)
}

/// The requester's DM as a `chat.postMessage` body: the text, plus the buttons the notice offers
/// (Extend and End now when the elevation is about to end).
pub(crate) fn notice_message(request: &Request, notice: &Notice) -> Value {
    let actions = view::requester_message(request, notice).actions;
    let text = notice_text(request, notice);
    if actions.is_empty() {
        return json!({"text": text});
    }
    json!({
        "text": text,
        "blocks": [
            {"type": "section", "text": mrkdwn(&text)},
            {"type": "actions", "block_id": "ending",
             "elements": buttons(&actions, &request.id.to_string())},
        ],
    })
}

/// The thread message to approvers: a reminder, or that the request expired undecided.
pub(crate) fn approver_notice_text(request: &Request, notice: ApproverNotice) -> String {
    clip(
        &mrkdwn_line(&view::approver_message(request, notice), Platform::Slack),
        3000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::render::fixtures::{at, request};
    use crate::slack::render::{END_NOW_ACTION, EXTEND_ACTION};

    fn every_notice() -> Vec<Notice> {
        vec![
            Notice::Approved {
                by: vec!["Bob".into(), "Carol".into()],
            },
            Notice::Approved { by: vec![] },
            Notice::Active { until: at(16, 7) },
            Notice::Denied {
                by: "Carol".into(),
                reason: "no change window".into(),
            },
            Notice::Failed {
                reason: "PIM refused: RoleAssignmentExists".into(),
            },
            Notice::Expired,
            Notice::Ended {
                early: true,
                by: Some("Alice".into()),
            },
            Notice::Ended {
                early: true,
                by: None,
            },
            Notice::Ended {
                early: false,
                by: None,
            },
            Notice::Cancelled,
            Notice::EndingSoon { until: at(18, 0) },
        ]
    }

    #[test]
    fn only_the_ending_soon_message_carries_the_end_now_button() {
        let ending = notice_message(&request(), &Notice::EndingSoon { until: at(18, 0) });
        assert!(
            ending["text"]
                .as_str()
                .is_some_and(|t| t.contains("ends at 18:00 UTC"))
        );
        let buttons = &ending["blocks"][1]["elements"];
        assert_eq!(buttons[0]["action_id"], EXTEND_ACTION);
        assert_eq!(buttons[1]["action_id"], END_NOW_ACTION);
        assert_eq!(buttons[1]["value"], "PIM-12");
        for notice in every_notice() {
            if !matches!(notice, Notice::EndingSoon { .. }) {
                let message = notice_message(&request(), &notice);
                assert!(message.get("blocks").is_none(), "{notice:?}: {message}");
            }
        }
    }

    #[test]
    fn every_direct_message_names_the_request_id_and_target() {
        for notice in every_notice() {
            let text = notice_text(&request(), &notice);
            assert!(text.contains("PIM-12"), "{notice:?}: {text}");
            assert!(text.contains("app1-secrets"), "{notice:?}: {text}");
        }
    }

    #[test]
    fn direct_messages_say_what_happened() {
        let text = |n: Notice| notice_text(&request(), &n);
        assert!(text(every_notice()[0].clone()).contains("approved by Bob, Carol"));
        let active = text(Notice::Active { until: at(16, 7) });
        assert!(active.contains("active until 16:07 UTC") && active.contains("few minutes"));
        assert!(text(every_notice()[3].clone()).contains("denied by Carol: no change window"));
        assert!(text(every_notice()[4].clone()).contains("failed: PIM refused"));
        assert!(text(Notice::Expired).contains("nobody decided"));
        assert!(text(every_notice()[6].clone()).contains("ended early by Alice"));
        assert!(text(Notice::Cancelled).contains("cancelled"));
    }

    #[test]
    fn names_and_reasons_in_direct_messages_are_escaped() {
        let text = notice_text(
            &request(),
            &Notice::Denied {
                by: "Eve <!channel>".into(),
                reason: "<@U1> & <!here>".into(),
            },
        );
        assert!(text.contains("Eve &lt;!channel&gt;: &lt;@U1&gt; &amp; &lt;!here&gt;"));
    }
}
