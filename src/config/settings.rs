//! The service's view of the configuration: [`Settings`] in domain types.

use std::collections::HashMap;

use super::{Config, TargetConfig};
use crate::domain::request::Platform;
use crate::domain::target::TargetKind;
use crate::service::{Defaults, IdentityMapping, LimitSettings, Settings, TargetSettings};

/// How long a sign-in is kept when `[auth]` does not say (there is none without `[auth]`).
const SIGN_IN_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(30);

impl Config {
    /// The service's view: defaults and targets in domain types.
    pub fn service_settings(&self) -> Settings {
        let d = &self.defaults;
        let mut audit_conversation = HashMap::new();
        if let Some(channel) = self.slack.as_ref().and_then(|s| s.audit_channel.clone()) {
            audit_conversation.insert(Platform::Slack, channel);
        }
        if let Some(conversation) = self
            .teams
            .as_ref()
            .and_then(|t| t.audit_conversation.clone())
        {
            audit_conversation.insert(Platform::Teams, conversation);
        }
        Settings {
            defaults: Defaults {
                duration: d.duration,
                max_duration: d.max_duration,
                approval_timeout: d.approval_timeout.as_chrono(),
                end_warning: d.end_warning.as_chrono(),
                approvals_required: d.approvals_required,
                require_justification: d.require_justification,
                require_ticket: d.require_ticket,
                approvers: d.approvers.clone(),
                mode: d.mode,
            },
            targets: self.targets.iter().map(TargetConfig::settings).collect(),
            identity_ttl: chrono::Duration::hours(1),
            audit_conversation,
            arm_scopes: self.azure.arm_scopes.clone(),
            limits: LimitSettings {
                commands_per_minute: self.limits.commands_per_minute,
                requests_per_hour: self.limits.requests_per_hour,
            },
            identities: self
                .identities
                .iter()
                .map(|entry| IdentityMapping {
                    platform: Platform::Slack,
                    chat_id: entry.slack.clone(),
                    entra: entry.entra.clone(),
                })
                .collect(),
            sign_in_lifetime: self
                .auth
                .as_ref()
                .map_or(SIGN_IN_LIFETIME, |auth| auth.sign_in_lifetime.as_chrono()),
        }
    }
}

impl TargetConfig {
    fn settings(&self) -> TargetSettings {
        let resource = match self.kind {
            TargetKind::Group => self.group.clone(),
            TargetKind::Role | TargetKind::Azure => self.role.clone(),
        };
        let mut approval_channel = HashMap::new();
        if let Some(channel) = &self.approval_channel.slack {
            approval_channel.insert(Platform::Slack, channel.clone());
        }
        if let Some(channel) = &self.approval_channel.teams {
            approval_channel.insert(Platform::Teams, channel.clone());
        }
        TargetSettings {
            name: self.name.clone(),
            kind: self.kind,
            // Validation guarantees the field the kind needs.
            resource: resource.unwrap_or_default(),
            scope: self.scope.clone(),
            access: self.access,
            max_duration: self.max_duration,
            require_ticket: self.require_ticket,
            require_justification: self.require_justification,
            approvals_required: self.approvals_required,
            approvers: self.approvers.clone(),
            approval_channel,
            mode: self.mode,
        }
    }
}
