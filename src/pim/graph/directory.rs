//! Users, groups and applications from Graph.

use async_trait::async_trait;

use super::GraphClient;
use super::odata::{self, Named, USER_SELECT, User};
use crate::service::ports::{
    Directory, DirectoryGroup, DirectoryUser, Upstream, UpstreamError, UpstreamErrorKind,
};

#[async_trait]
impl Directory for GraphClient {
    async fn users_by_email(&self, email: &str) -> Result<Vec<DirectoryUser>, UpstreamError> {
        let e = odata::literal(email);
        let query = [
            (
                "$filter",
                format!("mail eq {e} or userPrincipalName eq {e}"),
            ),
            ("$select", USER_SELECT.to_owned()),
        ];
        let users: Vec<User> = self
            .rest
            .get_all("userByEmail", self.url(&["users"]), &query)
            .await?;
        // All of them: one user's `mail` may be another's `userPrincipalName`, and which of the
        // two is the person typing is not Graph's to say.
        let mut found: Vec<DirectoryUser> = Vec::with_capacity(users.len());
        for user in users.into_iter().map(DirectoryUser::from) {
            if !found.iter().any(|seen| seen.id == user.id) {
                found.push(user);
            }
        }
        Ok(found)
    }

    async fn user(&self, id: &str) -> Result<Option<DirectoryUser>, UpstreamError> {
        let query = [("$select", USER_SELECT.to_owned())];
        let user: Option<User> = self
            .rest
            .get_optional("user", self.url(&["users", id]), &query)
            .await?;
        Ok(user.map(DirectoryUser::from))
    }

    async fn user_groups(&self, user_id: &str) -> Result<Vec<DirectoryGroup>, UpstreamError> {
        let url = self.url(&[
            "users",
            user_id,
            "transitiveMemberOf",
            "microsoft.graph.group",
        ]);
        let query = [("$select", "id,displayName".to_owned())];
        let groups: Vec<Named> = self.rest.get_all("userGroups", url, &query).await?;
        Ok(groups.into_iter().map(DirectoryGroup::from).collect())
    }

    async fn group_owners(&self, group_id: &str) -> Result<Vec<DirectoryUser>, UpstreamError> {
        self.group_users("groupOwners", group_id, "owners").await
    }

    async fn group_members(&self, group_id: &str) -> Result<Vec<DirectoryUser>, UpstreamError> {
        self.group_users("groupMembers", group_id, "members").await
    }

    async fn group(&self, name_or_id: &str) -> Result<Option<DirectoryGroup>, UpstreamError> {
        let select = ("$select", "id,displayName".to_owned());
        if odata::is_guid(name_or_id) {
            let group: Option<Named> = self
                .rest
                .get_optional("group", self.url(&["groups", name_or_id]), &[select])
                .await?;
            return Ok(group.map(DirectoryGroup::from));
        }
        let filter = (
            "$filter",
            format!("displayName eq {}", odata::literal(name_or_id)),
        );
        let groups: Vec<Named> = self
            .rest
            .get_all("group", self.url(&["groups"]), &[filter, select])
            .await?;
        Ok(only_one("group", name_or_id, groups)?.map(DirectoryGroup::from))
    }

    async fn application(
        &self,
        name_or_id: &str,
    ) -> Result<Option<(String, String)>, UpstreamError> {
        let select = ("$select", "id,displayName,appId".to_owned());
        if odata::is_guid(name_or_id) {
            // An object id first; a GUID may also be an appId, which the filter below finds.
            let app: Option<Named> = self
                .rest
                .get_optional(
                    "application",
                    self.url(&["applications", name_or_id]),
                    std::slice::from_ref(&select),
                )
                .await?;
            if let Some(app) = app {
                return Ok(Some(named_pair(app)));
            }
        }
        let n = odata::literal(name_or_id);
        let filter = ("$filter", format!("displayName eq {n} or appId eq {n}"));
        let apps: Vec<Named> = self
            .rest
            .get_all(
                "application",
                self.url(&["applications"]),
                &[filter, select],
            )
            .await?;
        Ok(only_one("application", name_or_id, apps)?.map(named_pair))
    }

    /// Graph itself: every read goes to Graph.
    fn uncached(&self) -> &dyn Directory {
        self
    }
}

impl GraphClient {
    /// The users among a group's owners or members (service principals and devices dropped).
    async fn group_users(
        &self,
        operation: &str,
        group_id: &str,
        relation: &str,
    ) -> Result<Vec<DirectoryUser>, UpstreamError> {
        let query = [("$select", USER_SELECT.to_owned())];
        let objects: Vec<User> = self
            .rest
            .get_all(operation, self.url(&["groups", group_id, relation]), &query)
            .await?;
        Ok(objects
            .into_iter()
            .filter(User::is_user)
            .map(DirectoryUser::from)
            .collect())
    }
}

fn named_pair(named: Named) -> (String, String) {
    let name = named.display_name.unwrap_or_else(|| named.id.clone());
    (named.id, name)
}

/// The single match of a lookup by name; several matches are refused rather than guessed.
pub(super) fn only_one<T>(
    operation: &str,
    name: &str,
    mut items: Vec<T>,
) -> Result<Option<T>, UpstreamError> {
    if items.len() > 1 {
        let mut error = UpstreamError::new(
            Upstream::Graph,
            operation,
            UpstreamErrorKind::Rejected,
            format!("{} objects match `{name}`", items.len()),
        );
        error.code = Some("AmbiguousName".to_owned());
        error.user_message = Some(format!(
            "Several {operation}s are named `{name}`; use the object id instead."
        ));
        return Err(error);
    }
    Ok(items.pop())
}
