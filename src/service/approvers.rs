//! Who approves a request, in DESIGN.md's order; a step that yields nobody falls through. The
//! step that named them is kept with the request, so that their authority can be read again,
//! live, when a decision is about to complete the tally.

use std::collections::HashSet;

use crate::domain::policy::PimPolicy;
use crate::domain::request::{ApproverSource, Person, Platform};

use super::ports::{Directory, DirectoryUser};
use super::resolve::EligibleFor;
use super::settings::ApproverRef;
use super::{Service, ServiceError};

/// The approvers of a new request and the step that named them.
pub(crate) struct Approvers {
    pub(crate) people: Vec<Person>,
    pub(crate) source: Option<ApproverSource>,
}

impl Service {
    /// Target approvers, else the PIM policy's primary approvers, else (for a group target) the
    /// owners of that group, else the owners of the group the requester is eligible through, else the
    /// default approvers. Never the requester, never a disabled account, never a service principal.
    /// Empty means nobody can approve.
    pub(crate) async fn resolve_approvers(
        &self,
        platform: Platform,
        requester: &DirectoryUser,
        eligible: &EligibleFor,
        policy: &PimPolicy,
    ) -> Result<Approvers, ServiceError> {
        let configured = eligible
            .settings
            .as_ref()
            .map(|t| t.approvers.clone())
            .unwrap_or_default();
        let from_policy = policy_approvers(policy);
        let target_group = eligible.target.group().map(|g| g.group_id.clone());
        let steps = [
            listed(&configured),
            listed(&from_policy),
            target_group.map(|group| ApproverSource::GroupOwners { group }),
            eligible
                .via_group
                .clone()
                .map(|group| ApproverSource::GroupOwners { group }),
            listed(&self.settings.defaults.approvers),
        ];
        for source in steps.into_iter().flatten() {
            let users = approvers_from(&*self.directory, &source, &requester.id).await?;
            if users.is_empty() {
                continue;
            }
            let mut people = Vec::with_capacity(users.len());
            for user in &users {
                people.push(self.approver_person(platform, user).await?);
            }
            return Ok(Approvers {
                people,
                source: Some(source),
            });
        }
        Ok(Approvers {
            people: Vec::new(),
            source: None,
        })
    }

    /// The Entra ids that `source` names as approvers now, read past every cache, with
    /// disabled accounts and the requester left out.
    pub(crate) async fn current_approvers(
        &self,
        source: &ApproverSource,
        requester: &str,
    ) -> Result<HashSet<String>, ServiceError> {
        let users = approvers_from(self.directory.uncached(), source, requester).await?;
        Ok(users.into_iter().map(|user| user.id).collect())
    }
}

/// The PIM policy's primary approvers: users, and groups whose members approve.
pub(super) fn policy_approvers(policy: &PimPolicy) -> Vec<ApproverRef> {
    let users = policy.approver_users.iter().cloned().map(ApproverRef::User);
    let groups = policy
        .approver_groups
        .iter()
        .cloned()
        .map(ApproverRef::Group);
    users.chain(groups).collect()
}

/// A step of named users and groups; `None` when it names nobody.
pub(super) fn listed(refs: &[ApproverRef]) -> Option<ApproverSource> {
    let (mut users, mut groups) = (Vec::new(), Vec::new());
    for approver in refs {
        match approver {
            ApproverRef::User(id) => users.push(id.clone()),
            ApproverRef::Group(id) => groups.push(id.clone()),
        }
    }
    (!users.is_empty() || !groups.is_empty()).then_some(ApproverSource::Listed { users, groups })
}

/// The enabled users `source` names, without `requester`, sorted by name, each once.
pub(super) async fn approvers_from(
    directory: &dyn Directory,
    source: &ApproverSource,
    requester: &str,
) -> Result<Vec<DirectoryUser>, ServiceError> {
    let mut users = Vec::new();
    match source {
        ApproverSource::Listed { users: ids, groups } => {
            for id in ids {
                users.extend(directory.user(id).await?);
            }
            for group in groups {
                users.extend(directory.group_members(group).await?);
            }
        }
        ApproverSource::GroupOwners { group } => users = directory.group_owners(group).await?,
    }
    users.retain(|u| u.account_enabled && u.id != requester);
    users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    users.dedup_by(|a, b| a.id == b.id);
    Ok(users)
}
