//! The requester's direct messages: one per `Notice`, always naming the request id and target.

use serde_json::{Value, json};

use super::{clip, escape, hhmm, mrkdwn, plain, who};
use crate::domain::request::{Platform, Request};
use crate::service::notice::{ApproverNotice, Notice};

/// The DM text for `notice` about `request` (mrkdwn, user text escaped).
pub(crate) fn notice_text(request: &Request, notice: &Notice) -> String {
    let what = format!(
        "*{}* ({})",
        request.id,
        clip(&escape(&request.target.label()), 500)
    );
    let names = |names: &[String]| {
        let escaped: Vec<String> = names.iter().map(|n| escape(n)).collect();
        escaped.join(", ")
    };
    let text = match notice {
        Notice::Approved { by } if by.is_empty() => {
            format!(":white_check_mark: {what} was approved. pimbot is activating it now.")
        }
        Notice::Approved { by } => format!(
            ":white_check_mark: {what} was approved by {}. pimbot is activating it now.",
            names(by)
        ),
        Notice::Active { until } => format!(
            ":unlock: {what} is active until {}. The rights may take a few minutes to apply.",
            hhmm(*until)
        ),
        Notice::Denied { by, reason } => format!(
            ":no_entry: {what} was denied by {}: {}",
            escape(by),
            clip(&escape(reason), 2000)
        ),
        Notice::Failed { reason } => {
            format!(":x: {what} failed: {}", clip(&escape(reason), 2000))
        }
        Notice::Expired => format!(":hourglass: {what} expired: nobody decided in time."),
        Notice::EndingSoon { until } => format!(
            ":alarm_clock: {what} ends at {}. Need longer? Extend asks your approvers again \
             (`/pim extend {id}`). Done already? End it now (`/pim end {id}`).",
            hhmm(*until),
            id = request.id
        ),
        Notice::Ended {
            early: true,
            by: Some(by),
        } => format!(
            ":lock: {what} was ended early by {}; the rights are removed.",
            escape(by)
        ),
        Notice::Ended { early: true, .. } => {
            format!(":lock: {what} was ended early; the rights are removed.")
        }
        Notice::Ended { early: false, .. } => {
            format!(":lock: {what} has ended; the rights are removed.")
        }
        Notice::Cancelled => format!(":wastebasket: {what} was cancelled."),
    };
    clip(&text, 3000)
}

/// `action_id` of the End now button on the ending-soon DM; its `value` is the request id.
pub(crate) const END_NOW_ACTION: &str = "end_now";
/// `action_id` of the Extend button on the ending-soon DM; its `value` is the request id.
pub(crate) const EXTEND_ACTION: &str = "extend";

/// The requester's DM as a `chat.postMessage` body: the text, plus an **End now** button when the
/// elevation is about to end.
pub(crate) fn notice_message(request: &Request, notice: &Notice) -> Value {
    let text = notice_text(request, notice);
    match notice {
        Notice::EndingSoon { .. } => json!({
            "text": text,
            "blocks": [
                {"type": "section", "text": mrkdwn(&text)},
                {"type": "actions", "block_id": "ending", "elements": [
                    {"type": "button", "action_id": EXTEND_ACTION, "style": "primary",
                     "text": plain("Extend"), "value": request.id.to_string()},
                    {"type": "button", "action_id": END_NOW_ACTION, "style": "danger",
                     "text": plain("End now"), "value": request.id.to_string()},
                ]},
            ],
        }),
        _ => json!({"text": text}),
    }
}

/// The thread message to approvers: a reminder, or that the request expired undecided.
pub(crate) fn approver_notice_text(request: &Request, notice: ApproverNotice) -> String {
    let approvers: Vec<String> = request
        .approvers
        .iter()
        .map(|a| who(a, Platform::Slack))
        .collect();
    let what = format!(
        "{} from {} ({})",
        request.id,
        who(&request.requester, Platform::Slack),
        escape(&request.target.label())
    );
    match notice {
        ApproverNotice::Reminder => format!(
            ":alarm_clock: {}: {what} is still waiting for your decision; it expires at {}.",
            approvers.join(" "),
            hhmm(request.approval_deadline)
        ),
        ApproverNotice::Expired => format!(
            ":hourglass: {}: {what} expired at {} without a decision; the requester was told.",
            approvers.join(" "),
            hhmm(request.approval_deadline)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::render::fixtures::{at, request};

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
