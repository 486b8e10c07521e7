//! `[[targets]]`: each target's kind, what it names and its rules.

use std::collections::HashSet;

use super::super::raw::{self, RawApprovalChannel, RawTarget, section};
use super::super::{ApprovalChannel, ConfigError, TargetConfig};
use super::Check;
use crate::domain::target::{GroupAccess, TargetKind};

impl Check<'_> {
    pub(super) fn targets(
        &self,
        value: Option<toml::Value>,
    ) -> Result<Vec<TargetConfig>, ConfigError> {
        let entries = match value {
            None => return Ok(Vec::new()),
            Some(toml::Value::Array(entries)) => entries,
            Some(_) => {
                return Err(self.error("targets", "must be a list of [[targets]] tables"));
            }
        };
        let mut names = HashSet::new();
        let mut targets = Vec::with_capacity(entries.len());
        for (index, entry) in entries.into_iter().enumerate() {
            let path = format!("targets[{index}]");
            let raw: RawTarget = section(entry, &path, self.origins)?;
            let target = self.target(raw, &path)?;
            if !names.insert(target.name.clone()) {
                return Err(self.error(
                    &format!("{path}.name"),
                    format!("target `{}` is configured twice", target.name),
                ));
            }
            targets.push(target);
        }
        Ok(targets)
    }

    fn target(&self, raw: RawTarget, path: &str) -> Result<TargetConfig, ConfigError> {
        let key = |name: &str| raw::join(path, name);
        let name = self.target_name(raw.name.as_deref(), path)?;
        let kind = raw.kind.ok_or_else(|| {
            self.error(
                &key("kind"),
                format!("missing: target `{name}` needs a kind: role, group or azure"),
            )
        })?;
        match kind {
            TargetKind::Role | TargetKind::Azure => self.role_fields(&raw, kind, &name, path)?,
            TargetKind::Group => self.group_fields(&raw, &name, path)?,
        }
        let approvals_required = raw
            .approvals_required
            .map(|n| self.approvals_required(n, &key("approvals_required")))
            .transpose()?;
        let approval_channel = match raw.approval_channel {
            None => ApprovalChannel::default(),
            Some(value) => {
                let channel: RawApprovalChannel =
                    section(value, &key("approval_channel"), self.origins)?;
                ApprovalChannel {
                    slack: channel.slack,
                    teams: channel.teams,
                }
            }
        };
        Ok(TargetConfig {
            kind,
            role: raw.role,
            group: raw.group,
            scope: raw.scope,
            access: raw.access.unwrap_or(GroupAccess::Member),
            max_duration: raw.max_duration,
            require_ticket: raw.require_ticket,
            require_justification: raw.require_justification,
            approvals_required,
            approvers: self.approvers(raw.approvers.unwrap_or_default(), &key("approvers"))?,
            approval_channel,
            mode: raw.mode,
            name,
        })
    }

    /// A target's name: present, and only characters a command can name.
    fn target_name(&self, name: Option<&str>, path: &str) -> Result<String, ConfigError> {
        let key = raw::join(path, "name");
        let name = name.ok_or_else(|| self.error(&key, "missing: every target needs a name"))?;
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid_name {
            return Err(self.error(
                &key,
                format!("`{name}` is not a target name: use letters, digits, `.`, `_` and `-`"),
            ));
        }
        Ok(name.to_owned())
    }

    /// An Entra or Azure role target names a role (and, for Azure, a scope), never a group.
    fn role_fields(
        &self,
        raw: &RawTarget,
        kind: TargetKind,
        name: &str,
        path: &str,
    ) -> Result<(), ConfigError> {
        let key = |field: &str| raw::join(path, field);
        if !present(raw.role.as_ref()) {
            return Err(self.error(
                &key("role"),
                format!("missing: target `{name}` needs the role's display name or id"),
            ));
        }
        if raw.group.is_some() {
            return Err(self.error(
                &key("group"),
                format!("target `{name}` is not of kind group: use `role`"),
            ));
        }
        if raw.access.is_some() {
            return Err(self.error(
                &key("access"),
                format!("target `{name}` is not of kind group: access is for groups"),
            ));
        }
        if kind == TargetKind::Azure && !present(raw.scope.as_ref()) {
            return Err(self.error(
                &key("scope"),
                format!(
                    "missing: azure target `{name}` needs an ARM scope like /subscriptions/<id>/resourceGroups/<name>"
                ),
            ));
        }
        Ok(())
    }

    /// A group target names a group, never a role or a scope.
    fn group_fields(&self, raw: &RawTarget, name: &str, path: &str) -> Result<(), ConfigError> {
        let key = |field: &str| raw::join(path, field);
        if !present(raw.group.as_ref()) {
            return Err(self.error(
                &key("group"),
                format!("missing: target `{name}` needs the group's display name or id"),
            ));
        }
        if raw.role.is_some() {
            return Err(self.error(
                &key("role"),
                format!("target `{name}` is of kind group: use `group`"),
            ));
        }
        if raw.scope.is_some() {
            return Err(self.error(
                &key("scope"),
                format!("target `{name}` is of kind group, which has no scope"),
            ));
        }
        Ok(())
    }
}

/// A value that says something (not missing, not blank).
fn present(value: Option<&String>) -> bool {
    value.is_some_and(|v| !v.trim().is_empty())
}
