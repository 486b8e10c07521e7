//! Why pimbot says no, in the user's terms. Every refusal is shown to the user and audited.

use super::duration::ElevationDuration;

/// A request or decision that pimbot refuses. `Display` is the message the user sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "Your chat account is not linked to a Microsoft Entra user (no matching e-mail). Ask your admin to add an identity mapping."
    )]
    UnknownUser,
    #[error("Your Microsoft Entra account is disabled, so you cannot use pimbot.")]
    AccountDisabled,
    #[error(
        "Your Slack e-mail address is not confirmed, so pimbot cannot link it to a Microsoft Entra account. Confirm it in Slack, or ask an admin to map you in [[identities]]."
    )]
    EmailUnconfirmed,
    #[error("Your Slack account is deactivated, so you cannot use pimbot.")]
    ChatAccountDeleted,
    #[error(
        "Your Slack account is not in an allowed Slack workspace, so pimbot does not trust its e-mail address. Ask an admin (slack.allowed_teams, or [[identities]])."
    )]
    OutsideAllowedWorkspace,
    #[error(
        "Your e-mail address matches more than one Microsoft Entra account; ask an admin to map you in [[identities]]."
    )]
    AmbiguousEmail,
    #[error(
        "Your e-mail address belongs to a Microsoft Entra account that [[identities]] has mapped to another Slack account, so pimbot does not link it to yours."
    )]
    MappedElsewhere,
    #[error("I can't find {0}. Try `list` to see what you are eligible for.")]
    UnknownTarget(String),
    #[error("You are not eligible for {0} in PIM (directly or through a group). Try `list`.")]
    NotEligible(String),
    #[error(
        "{requested} is over the maximum of {maximum} for this target. Ask for {maximum} or less."
    )]
    OverMaximum {
        requested: ElevationDuration,
        maximum: ElevationDuration,
    },
    #[error("This target requires a ticket: add `ticket ID` (e.g. `ticket INC-1234`).")]
    TicketMissing,
    #[error("This target requires a justification: add a reason at the end of the request.")]
    JustificationMissing,
    #[error(
        "The PIM policy of this target requires multi-factor authentication on activation, which pimbot cannot satisfy in `assign` mode. Activate it in the Entra portal (My roles) instead, or ask an admin to remove the MFA rule for pimbot-managed targets."
    )]
    RequiresMfa,
    #[error(
        "The PIM policy of this target requires the authentication context `{0}` on activation, which pimbot cannot satisfy in `assign` mode. Activate it in the Entra portal instead."
    )]
    RequiresAuthenticationContext(String),
    #[error(
        "Nobody can approve this request: configure `approvers` for the target or `[defaults] approvers`, or give the eligible group an owner."
    )]
    NoApprovers,
    #[error("You cannot approve or deny your own request.")]
    OwnRequest,
    #[error("You are not an approver of {0}.")]
    NotAnApprover(String),
    #[error(
        "You are no longer an approver of {0}: Microsoft Entra no longer lists you among its approvers, or your account is disabled. Ask the other approvers."
    )]
    NoLongerApprover(String),
    #[error(
        "The approval deadline of {id} passed at {at} UTC; it can no longer be decided. The requester can ask again."
    )]
    DeadlinePassed { id: String, at: String },
    #[error(
        "pimbot could not confirm with Microsoft Entra that you may still approve {0}; nothing was recorded. Try again in a moment."
    )]
    AuthorityUnconfirmed(String),
    #[error("You have already approved {0}.")]
    AlreadyApproved(String),
    #[error("{id} is already {state}.")]
    AlreadyDecided { id: String, state: String },
    #[error("{0} is not yours.")]
    NotYours(String),
    #[error("There is no request {0}.")]
    NoSuchRequest(String),
}

impl Refusal {
    /// A stable code for the audit trail and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownUser => "unknown_user",
            Refusal::AccountDisabled => "account_disabled",
            Refusal::EmailUnconfirmed => "email_unconfirmed",
            Refusal::ChatAccountDeleted => "chat_account_deleted",
            Refusal::OutsideAllowedWorkspace => "outside_allowed_workspace",
            Refusal::AmbiguousEmail => "ambiguous_email",
            Refusal::MappedElsewhere => "identity_mapped_elsewhere",
            Refusal::UnknownTarget(_) => "unknown_target",
            Refusal::NotEligible(_) => "not_eligible",
            Refusal::OverMaximum { .. } => "over_maximum",
            Refusal::TicketMissing => "ticket_missing",
            Refusal::JustificationMissing => "justification_missing",
            Refusal::RequiresMfa => "requires_mfa",
            Refusal::RequiresAuthenticationContext(_) => "requires_authentication_context",
            Refusal::NoApprovers => "no_approvers",
            Refusal::OwnRequest => "own_request",
            Refusal::NotAnApprover(_) => "not_an_approver",
            Refusal::NoLongerApprover(_) => "not_an_approver_any_more",
            Refusal::DeadlinePassed { .. } => "deadline_passed",
            Refusal::AuthorityUnconfirmed(_) => "authority_unconfirmed",
            Refusal::AlreadyApproved(_) => "already_approved",
            Refusal::AlreadyDecided { .. } => "already_decided",
            Refusal::NotYours(_) => "not_yours",
            Refusal::NoSuchRequest(_) => "no_such_request",
        }
    }
}
