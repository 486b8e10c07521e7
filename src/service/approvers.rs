//! Who approves a request, in DESIGN.md's order; a step that yields nobody falls through.

use crate::domain::policy::PimPolicy;
use crate::domain::request::{Person, Platform};
use crate::domain::target::TargetKind;

use super::identity::Caller;
use super::ports::DirectoryUser;
use super::resolve::EligibleFor;
use super::settings::ApproverRef;
use super::{Service, ServiceError};

impl Service {
    /// Target approvers, else the PIM policy's primary approvers, else (for a group target) the
    /// owners of that group, else the owners of the group the caller is eligible through, else the
    /// default approvers. Never the caller, never a disabled account, never a service principal.
    /// Empty means nobody can approve.
    pub(crate) async fn resolve_approvers(
        &self,
        platform: Platform,
        caller: &Caller,
        eligible: &EligibleFor,
        policy: &PimPolicy,
    ) -> Result<Vec<Person>, ServiceError> {
        let configured = eligible
            .settings
            .as_ref()
            .map(|t| t.approvers.clone())
            .unwrap_or_default();
        let from_policy: Vec<ApproverRef> = policy
            .approver_users
            .iter()
            .cloned()
            .map(ApproverRef::User)
            .chain(
                policy
                    .approver_groups
                    .iter()
                    .cloned()
                    .map(ApproverRef::Group),
            )
            .collect();
        let target_group =
            (eligible.target.kind == TargetKind::Group).then(|| eligible.target.id.clone());
        let steps: [Step; 5] = [
            Step::Refs(configured),
            Step::Refs(from_policy),
            Step::Owners(target_group),
            Step::Owners(eligible.via_group.clone()),
            Step::Refs(self.settings.defaults.approvers.clone()),
        ];
        for step in steps {
            let users = match step {
                Step::Refs(refs) => self.expand(&refs).await?,
                Step::Owners(Some(group)) => self.directory.group_owners(&group).await?,
                Step::Owners(None) => Vec::new(),
            };
            let mut users: Vec<DirectoryUser> = users
                .into_iter()
                .filter(|u| u.account_enabled && u.id != caller.user.id)
                .collect();
            users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
            users.dedup_by(|a, b| a.id == b.id);
            if users.is_empty() {
                continue;
            }
            let mut people = Vec::with_capacity(users.len());
            for user in &users {
                people.push(self.approver_person(platform, user).await?);
            }
            return Ok(people);
        }
        Ok(Vec::new())
    }

    async fn expand(&self, refs: &[ApproverRef]) -> Result<Vec<DirectoryUser>, ServiceError> {
        let mut users = Vec::new();
        for approver in refs {
            match approver {
                ApproverRef::User(id) => users.extend(self.directory.user(id).await?),
                ApproverRef::Group(id) => users.extend(self.directory.group_members(id).await?),
            }
        }
        Ok(users)
    }
}

enum Step {
    Refs(Vec<ApproverRef>),
    Owners(Option<String>),
}
