//! The words of the requester's direct messages (one per [`Notice`], always naming the request
//! and its target) and of the messages to approvers beside the approval message.

use super::{Action, Emoji, Line, Message};
use crate::domain::request::Request;
use crate::service::notice::{ApproverNotice, Notice};

/// The requester's message about `notice`; an elevation about to end offers Extend and End now.
pub fn requester_message(request: &Request, notice: &Notice) -> Message {
    let what = Line::new()
        .strong(request.id.to_string(), 20)
        .words(" (")
        .text(request.target.label(), 500)
        .words(")");
    // Every message opens with its emoji, then the request and its target.
    let about = |emoji| Line::new().emoji(emoji).words(" ").then(what.clone());
    let names = |names: &[String]| Line::joined(names.iter().map(|n| Line::new().name(n)), ", ");
    let line = match notice {
        Notice::Approved { by } if by.is_empty() => {
            about(Emoji::Approved).words(" was approved. pimbot is activating it now.")
        }
        Notice::Approved { by } => about(Emoji::Approved)
            .words(" was approved by ")
            .then(names(by))
            .words(". pimbot is activating it now."),
        Notice::Active { until } => about(Emoji::Unlocked)
            .words(" is active until ")
            .time(*until)
            .words(". The rights may take a few minutes to apply."),
        Notice::Denied { by, reason } => about(Emoji::Denied)
            .words(" was denied by ")
            .name(by)
            .words(": ")
            .text(reason, 2000),
        Notice::Failed { reason } => about(Emoji::Failed).words(" failed: ").text(reason, 2000),
        Notice::Expired => about(Emoji::Hourglass).words(" expired: nobody decided in time."),
        Notice::EndingSoon { until } => about(Emoji::AlarmClock)
            .words(" ends at ")
            .time(*until)
            .words(". Need longer? Extend asks your approvers again (")
            .command(format!("extend {}", request.id))
            .words("). Done already? End it now (")
            .command(format!("end {}", request.id))
            .words(")."),
        Notice::Ended { early, by } => {
            let line = about(Emoji::Locked);
            match (early, by) {
                (true, Some(by)) => line.words(" was ended early by ").name(by).words(";"),
                (true, None) => line.words(" was ended early;"),
                (false, _) => line.words(" has ended;"),
            }
            .words(" the rights are removed.")
        }
        Notice::Cancelled => about(Emoji::Wastebasket).words(" was cancelled."),
    };
    let actions = match notice {
        Notice::EndingSoon { .. } => vec![Action::Extend, Action::EndNow],
        _ => Vec::new(),
    };
    Message { line, actions }
}

/// The message to the approvers of a pending request: a reminder, or that it expired undecided.
pub fn approver_message(request: &Request, notice: ApproverNotice) -> Line {
    let (emoji, happened) = match notice {
        ApproverNotice::Reminder => (
            Emoji::AlarmClock,
            " is still waiting for your decision; it expires at ",
        ),
        ApproverNotice::Expired => (Emoji::Hourglass, " expired at "),
    };
    let line = Line::new()
        .emoji(emoji)
        .words(" ")
        .then(Line::joined(
            request.approvers.iter().map(|a| Line::new().person(a)),
            ", ",
        ))
        .words(": ")
        .strong(request.id.to_string(), 20)
        .words(" from ")
        .person(&request.requester)
        .words(" (")
        .text(request.target.label(), 500)
        .words(")")
        .words(happened)
        .time(request.approval_deadline);
    match notice {
        ApproverNotice::Reminder => line.words("."),
        ApproverNotice::Expired => line.words(" without a decision; the requester was told."),
    }
}
