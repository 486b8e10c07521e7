//! Remembering who a chat user is, and noticing when that changes. A chat account that now maps
//! to another Entra user, or an Entra user who gains a second chat account, may be a workspace
//! admin's edited e-mail at work: when an approver is involved it is logged and audited.

use serde_json::json;

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::request::Platform;
use crate::domain::target::TargetKind;
use crate::service::ports::{CachedIdentity, DirectoryUser};
use crate::service::settings::ApproverRef;
use crate::service::{Service, ServiceError};

impl Service {
    /// Caches `chat_id` as `user`; a new link that replaces another, or that gives `user` a
    /// further chat account, is audited when an approver is involved.
    pub(crate) async fn remember_identity(
        &self,
        platform: Platform,
        chat_id: &str,
        user: &DirectoryUser,
    ) -> Result<(), ServiceError> {
        let before = self.store.identity(platform, chat_id).await?;
        let identity = CachedIdentity {
            platform,
            chat_id: chat_id.to_owned(),
            user: user.clone(),
            fetched_at: self.now(),
        };
        self.store.save_identity(&identity).await?;
        if before.as_ref().is_some_and(|b| b.user.id == user.id) {
            return Ok(());
        }
        let previous = before.map(|b| b.user);
        let also: Vec<String> = self
            .store
            .identities_of(platform, &user.id)
            .await?
            .into_iter()
            .map(|i| i.chat_id)
            .filter(|other| other != chat_id)
            .collect();
        if previous.is_none() && also.is_empty() {
            // A first mapping on both sides: nothing changed.
            return Ok(());
        }
        let mut involved = vec![user.id.as_str()];
        involved.extend(previous.as_ref().map(|p| p.id.as_str()));
        let approver = match self.approves_somewhere(&involved).await {
            Ok(approver) => approver,
            Err(error) => {
                // Better one audit event too many than a silent change.
                tracing::warn!(error = %error, "cannot tell whether a remapped account is an approver; auditing the change");
                true
            }
        };
        if !approver {
            tracing::info!(platform = platform.as_str(), chat.id = chat_id, entra.id = %user.id, "a chat identity changed");
            return Ok(());
        }
        self.audit_identity_change(platform, chat_id, user, previous, also)
            .await
    }

    /// An approver's chat account changed hands: logged, audited and posted to the audit channels.
    async fn audit_identity_change(
        &self,
        platform: Platform,
        chat_id: &str,
        user: &DirectoryUser,
        previous: Option<DirectoryUser>,
        also: Vec<String>,
    ) -> Result<(), ServiceError> {
        let previous_id = previous.as_ref().map(|p| p.id.as_str());
        tracing::warn!(
            platform = platform.as_str(),
            chat.id = chat_id,
            entra.id = %user.id,
            entra.previous_id = ?previous_id,
            chat.also = ?also,
            "the chat identity of an approver changed"
        );
        let actor = AuditActor {
            platform: Some(platform),
            chat_id: Some(chat_id.to_owned()),
            entra_id: Some(user.id.clone()),
            display_name: Some(user.display_name.clone()),
        };
        let detail = json!({
            "entra_id": user.id,
            "previous_entra_id": previous_id,
            "previous_display_name": previous.as_ref().map(|p| p.display_name.as_str()),
            "other_chat_ids": also,
            "approver": true,
        });
        let event = AuditEvent::new("identity.changed", None, actor, "changed").with_detail(detail);
        let was = match (&previous, also.is_empty()) {
            (Some(previous), _) => format!(" (was {})", previous.display_name),
            (None, false) => format!(" (also {})", also.join(", ")),
            (None, true) => String::new(),
        };
        let line = format!(
            "identity changed: {chat_id} is now {}{was}",
            user.display_name
        );
        let jobs = self.audit_line_jobs(platform, line);
        self.record_effects(None, Some(event), jobs).await?;
        Ok(())
    }

    /// Whether any of `ids` approves something: a configured approver (directly or as a member
    /// of a configured group), an owner of a configured group target, or an approver of a
    /// pending request. PIM policies' own approvers are not read: too many calls for a check
    /// that only decides whether to audit.
    async fn approves_somewhere(&self, ids: &[&str]) -> Result<bool, ServiceError> {
        let named = |id: &str| ids.contains(&id);
        let pending = self.store.pending_requests().await?;
        if pending
            .iter()
            .any(|r| ids.iter().any(|id| r.is_approver(id)))
        {
            return Ok(true);
        }
        let configured = self
            .settings
            .targets
            .iter()
            .flat_map(|t| t.approvers.iter())
            .chain(self.settings.defaults.approvers.iter());
        for approver in configured {
            match approver {
                ApproverRef::User(id) if named(id) => return Ok(true),
                ApproverRef::User(_) => {}
                ApproverRef::Group(group) => {
                    let members = self.directory.group_members(group).await?;
                    if members.iter().any(|m| named(&m.id)) {
                        return Ok(true);
                    }
                }
            }
        }
        let groups = self
            .settings
            .targets
            .iter()
            .filter(|t| t.kind == TargetKind::Group);
        for target in groups {
            let Some(group) = self.directory.group(&target.resource).await? else {
                continue;
            };
            let owners = self.directory.group_owners(&group.id).await?;
            if owners.iter().any(|o| named(&o.id)) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
