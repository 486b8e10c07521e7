//! The chat port: talking to people on Slack or Teams, and what a platform vouches for about its
//! users.

use async_trait::async_trait;

use super::UpstreamError;
use crate::domain::duration::ElevationDuration;
use crate::domain::request::{Person, Platform, Request};
use crate::service::notice::{ApproverNotice, Notice, Reply};

/// A message pimbot posted, to update later.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessageRef {
    pub conversation: String,
    /// Slack `ts`, Teams activity id.
    pub message_id: String,
}

/// Talking to people on one platform.
#[async_trait]
pub trait Chat: Send + Sync {
    fn platform(&self) -> Platform;
    /// How this platform's user ids map to Entra accounts. Slack ids need an e-mail lookup;
    /// Teams activities carry the Entra object id itself.
    fn user_mapping(&self) -> UserMapping {
        UserMapping::Email
    }
    /// What the platform vouches for about a chat user, to find their Entra account.
    async fn account(&self, chat_id: &str) -> Result<ChatAccount, UpstreamError>;
    /// The chat user with this e-mail address, to mention an approver: only an account the
    /// platform vouches for (as [`Chat::account`] would: `ChatAccount::Email` of this address).
    async fn user_by_email(&self, email: &str) -> Result<Option<String>, UpstreamError>;
    /// Posts the approval message (with its buttons) for a pending request.
    async fn post_approval(&self, request: &Request) -> Result<MessageRef, UpstreamError>;
    /// Re-renders the approval message from the request's current state.
    async fn update_approval(
        &self,
        request: &Request,
        message: &MessageRef,
    ) -> Result<(), UpstreamError>;
    /// Tells the approvers about their pending request (in the approval message's thread when
    /// there is one, mentioning them).
    async fn notify_approvers(
        &self,
        request: &Request,
        message: Option<&MessageRef>,
        notice: ApproverNotice,
    ) -> Result<(), UpstreamError>;
    /// A direct message to the requester.
    async fn notify_requester(
        &self,
        request: &Request,
        notice: &Notice,
    ) -> Result<(), UpstreamError>;
    /// A direct message to one person (Slack: their DM with pimbot; Teams: the 1:1 chat), for
    /// what only they may see, such as a sign-in link.
    async fn tell(&self, person: &Person, reply: &Reply) -> Result<(), UpstreamError>;
    /// One line in the audit channel.
    async fn post_audit_line(&self, line: &str) -> Result<(), UpstreamError>;
    /// Answers a command where it was typed: `reply_to` is what the inbound handler put in
    /// [`InboundCommand::reply_to`](crate::service::jobs::InboundCommand) (Slack: a `response_url`, or
    /// `dm:<user id>` for a direct message).
    async fn reply(&self, reply_to: &str, reply: &Reply) -> Result<(), UpstreamError>;
    /// Fills an open request form (Slack: the modal `form_ref` = view id) with the targets the
    /// user is eligible for, or shows `error` instead when there is nothing to offer.
    async fn show_request_form(
        &self,
        form_ref: &str,
        targets: &[EligibleTarget],
        error: Option<&str>,
    ) -> Result<(), UpstreamError>;
}

/// What a chat platform says of one of its users, for finding their Entra account. Whoever
/// administers the workspace can edit a profile's e-mail, so the adapter vouches for it only
/// when the platform itself stands behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatAccount {
    /// No such user, or one without an e-mail address.
    Unknown,
    /// A live account of an allowed workspace, with this e-mail address, confirmed.
    Email(String),
    /// An account whose e-mail pimbot must not trust.
    Untrusted(UntrustedAccount),
}

/// Why a chat account's e-mail is not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UntrustedAccount {
    /// The account is deactivated.
    Deleted,
    /// The account belongs to none of the workspaces pimbot trusts (a Slack Connect guest, say).
    OtherWorkspace,
    /// The platform has not confirmed that the address belongs to the account's owner.
    EmailUnconfirmed,
}

/// How a chat user id leads to an Entra account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserMapping {
    /// Ask the platform for the user's e-mail, then find the Entra user with that address.
    Email,
    /// The chat user id is the Entra object id (Teams `from.aadObjectId`).
    EntraObjectId,
}

/// Where and how to reach a conversation or a person on a platform that needs more than an id
/// (Teams: the Connector's service URL and the tenant). Written only from authenticated traffic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConversationRef {
    pub platform: Platform,
    /// A conversation id, or `user:<Entra object id>` for a person.
    pub key: String,
    /// The conversation; for a person, their 1:1 conversation once one exists.
    pub conversation_id: Option<String>,
    /// The Connector base URL the platform told us to use.
    pub service_url: String,
    pub tenant_id: Option<String>,
    /// For a person: their platform id (Teams `29:…`), to open a 1:1 conversation.
    pub member_id: Option<String>,
}

/// A target a user may request, with the limits the form shows and checks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EligibleTarget {
    /// What to put after `request` to ask for it (`app1-secrets`, `role:"Security Reader"@/`).
    pub key: String,
    /// How it is shown (`app1-secrets (Application Secret Manager on App1)`).
    pub label: String,
    pub max_duration: ElevationDuration,
    pub default_duration: ElevationDuration,
    pub require_ticket: bool,
    pub require_justification: bool,
}
