//! The service's view of configuration: defaults and configured targets, in domain types.

use std::collections::HashMap;

use crate::domain::duration::ElevationDuration;
use crate::domain::mode::ActivationMode;
use crate::domain::request::Platform;
use crate::domain::target::{GroupAccess, TargetKind};

use super::ports::DirectoryUser;

/// Someone configured to approve: a user, or the members of a group (Entra object ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApproverRef {
    User(String),
    Group(String),
}

/// `[defaults]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    pub duration: ElevationDuration,
    pub max_duration: ElevationDuration,
    pub approval_timeout: chrono::Duration,
    /// How long before an elevation ends its requester is warned (zero: never).
    pub end_warning: chrono::Duration,
    pub approvals_required: u32,
    pub require_justification: bool,
    pub require_ticket: bool,
    pub approvers: Vec<ApproverRef>,
    /// How targets are elevated unless a target says otherwise.
    pub mode: ActivationMode,
}

/// One `[[targets]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSettings {
    pub name: String,
    pub kind: TargetKind,
    /// Role display name or id (role, azure); group display name or id (group).
    pub resource: String,
    /// Directory scope, application name, or ARM scope; `None` means `/`.
    pub scope: Option<String>,
    pub access: GroupAccess,
    pub max_duration: Option<ElevationDuration>,
    pub require_ticket: Option<bool>,
    pub require_justification: Option<bool>,
    pub approvals_required: Option<u32>,
    pub approvers: Vec<ApproverRef>,
    pub approval_channel: HashMap<Platform, String>,
    /// Overrides `defaults.mode` for this target.
    pub mode: Option<ActivationMode>,
}

/// One `[[identities]]` entry: a chat user who is this Entra account, whatever their chat
/// profile's e-mail says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityMapping {
    pub platform: Platform,
    pub chat_id: String,
    /// The Entra user's object id or user principal name.
    pub entra: String,
}

impl IdentityMapping {
    /// Whether `user` is the account this entry names (by object id or UPN, in any case).
    pub fn names(&self, user: &DirectoryUser) -> bool {
        self.entra.eq_ignore_ascii_case(&user.id)
            || user
                .user_principal_name
                .as_deref()
                .is_some_and(|upn| self.entra.eq_ignore_ascii_case(upn))
    }
}

/// Everything the use cases need from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub defaults: Defaults,
    pub targets: Vec<TargetSettings>,
    /// How long a chat user's Entra identity is cached.
    pub identity_ttl: chrono::Duration,
    /// Where audit lines go, per platform; none means no audit channel on that platform.
    pub audit_conversation: HashMap<Platform, String>,
    /// `azure.arm_scopes`: where Azure eligibilities are looked for (`list`, the form).
    pub arm_scopes: Vec<String>,
    /// `[limits]`: what one chat user may send.
    pub limits: super::LimitSettings,
    /// `[[identities]]`: chat users mapped by configuration, which wins over e-mail.
    pub identities: Vec<IdentityMapping>,
    /// `auth.sign_in_lifetime`: how long a chat user's sign-in is kept (activate mode).
    pub sign_in_lifetime: chrono::Duration,
}

impl Settings {
    /// How a target is elevated: its own `mode`, else `defaults.mode` (also for a target that
    /// is not configured, `None`).
    pub fn mode_of(&self, target: Option<&TargetSettings>) -> ActivationMode {
        target.and_then(|t| t.mode).unwrap_or(self.defaults.mode)
    }

    /// The `[[identities]]` entry of a chat user.
    pub(crate) fn mapping_of_chat(
        &self,
        platform: Platform,
        chat_id: &str,
    ) -> Option<&IdentityMapping> {
        self.identities
            .iter()
            .find(|m| m.platform == platform && m.chat_id == chat_id)
    }

    /// The chat user that `[[identities]]` maps to `user`, if any.
    pub(crate) fn mapped_chat_of(&self, platform: Platform, user: &DirectoryUser) -> Option<&str> {
        self.identities
            .iter()
            .find(|m| m.platform == platform && m.names(user))
            .map(|m| m.chat_id.as_str())
    }
}
