//! Names to ids, as an admin writes them: users by display name, UPN or id; groups and roles by
//! display name or id; directory scopes as `/`, `/administrativeUnits/ID` or an application by
//! name, appId or object id; Azure roles by name or id at an ARM scope. A name that matches
//! nothing, or several things, is an error that says which.
//!
//! `apply` plans objects before it creates them: a name declared earlier in the same file may
//! be [`Names::expect`]ed, and stands for the object's id (a placeholder in a dry run).

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::{Result, invalid};
use crate::pim::TenantApi;
use crate::pim::tenant::{Call, Service, Verb};

/// What kind of directory object a name is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Group,
    Role,
}

/// Looks names up through Graph and ARM.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub(crate) api: Arc<TenantApi>,
    /// Objects the plan will create before they are needed: (kind, display name).
    expected: Arc<Mutex<Vec<(Kind, String)>>>,
}

pub(crate) fn is_guid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok() && text.len() == 36
}

/// `'value'` with quotes doubled, for `$filter`.
pub(crate) fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// What stands for the id of an object that does not exist yet.
pub(crate) fn placeholder(kind: Kind, name: &str) -> String {
    let kind = match kind {
        Kind::Group => "GROUP",
        Kind::Role => "ROLE",
    };
    format!("ID_OF_{kind}({name})")
}

/// Whether an id is a [`placeholder`].
pub(crate) fn is_placeholder(id: &str) -> bool {
    id.starts_with("ID_OF_")
}

impl Names {
    pub(crate) fn new(api: Arc<TenantApi>) -> Self {
        Self {
            api,
            expected: Arc::default(),
        }
    }

    /// Says that `name` will exist once the earlier steps of the plan ran.
    pub(crate) fn expect(&self, kind: Kind, name: &str) {
        self.expected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((kind, name.to_owned()));
    }

    fn is_expected(&self, kind: Kind, name: &str) -> bool {
        self.expected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|(k, n)| *k == kind && n.eq_ignore_ascii_case(name))
    }

    fn graph(path: &str) -> Call {
        Call::new(Service::Graph, Verb::Get, path)
    }

    /// The one object of `path` whose `displayName` is `name`, if any.
    async fn by_display_name(&self, path: &str, what: &str, name: &str) -> Result<Option<Value>> {
        let call = Self::graph(path).query("$filter", format!("displayName eq {}", literal(name)));
        let mut found = self.api.list(&call).await?;
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            n => Err(invalid(format!(
                "{n} {what}s are named `{name}`; give its id instead"
            ))),
        }
    }

    /// A group's object: by id, else by display name.
    pub(crate) async fn find_group(&self, name: &str) -> Result<Option<Value>> {
        if is_guid(name)
            && let Some(group) = self
                .api
                .get(&Self::graph(&format!("groups/{name}")))
                .await?
        {
            return Ok(Some(group));
        }
        self.by_display_name("groups", "group", name).await
    }

    /// A group's id, or the placeholder of a group the plan creates first.
    pub(crate) async fn group_id(&self, name: &str) -> Result<String> {
        match self.find_group(name).await? {
            Some(group) => Ok(id_of(&group)),
            None if self.is_expected(Kind::Group, name) => Ok(placeholder(Kind::Group, name)),
            None => Err(invalid(format!("there is no group `{name}`"))),
        }
    }

    /// An Entra role definition: by id, else by display name.
    pub(crate) async fn find_role(&self, name: &str) -> Result<Option<Value>> {
        let path = "roleManagement/directory/roleDefinitions";
        if is_guid(name)
            && let Some(role) = self
                .api
                .get(&Self::graph(&format!("{path}/{name}")))
                .await?
        {
            return Ok(Some(role));
        }
        self.by_display_name(path, "role", name).await
    }

    pub(crate) async fn role_id(&self, name: &str) -> Result<String> {
        match self.find_role(name).await? {
            Some(role) => Ok(id_of(&role)),
            None if self.is_expected(Kind::Role, name) => Ok(placeholder(Kind::Role, name)),
            None => Err(invalid(format!("there is no directory role `{name}`"))),
        }
    }

    /// A user by id, UPN or display name.
    pub(crate) async fn user_id(&self, name: &str) -> Result<String> {
        if is_guid(name) || name.contains('@') {
            if let Some(user) = self.api.get(&Self::graph(&format!("users/{name}"))).await? {
                return Ok(id_of(&user));
            }
            return Err(invalid(format!("there is no user `{name}`")));
        }
        match self.by_display_name("users", "user", name).await? {
            Some(user) => Ok(id_of(&user)),
            None => Err(invalid(format!("there is no user `{name}`"))),
        }
    }

    /// A user or a group (for eligibilities and group members): a user first, then a group.
    pub(crate) async fn principal_id(&self, name: &str) -> Result<String> {
        if name.contains('@') {
            return self.user_id(name).await;
        }
        if is_guid(name) {
            if let Some(user) = self.api.get(&Self::graph(&format!("users/{name}"))).await? {
                return Ok(id_of(&user));
            }
            return self.group_id(name).await;
        }
        let user = self.by_display_name("users", "user", name).await?;
        let group = self.find_group(name).await?;
        match (user, group) {
            (Some(_), Some(_)) => Err(invalid(format!(
                "both a user and a group are named `{name}`; give the id instead"
            ))),
            (Some(user), None) => Ok(id_of(&user)),
            (None, Some(group)) => Ok(id_of(&group)),
            (None, None) if self.is_expected(Kind::Group, name) => {
                Ok(placeholder(Kind::Group, name))
            }
            (None, None) => Err(invalid(format!("there is no user or group `{name}`"))),
        }
    }

    /// A directory scope id, and how to show it.
    pub(crate) async fn directory_scope(&self, scope: Option<&str>) -> Result<(String, String)> {
        let scope = scope.unwrap_or("/");
        if scope == "/" {
            return Ok(("/".to_owned(), "the whole tenant".to_owned()));
        }
        if scope.starts_with("/administrativeUnits/") {
            return Ok((scope.to_owned(), scope.to_owned()));
        }
        let lookup = scope.strip_prefix('/').unwrap_or(scope);
        if is_guid(lookup)
            && let Some(app) = self
                .api
                .get(&Self::graph(&format!("applications/{lookup}")))
                .await?
        {
            return Ok((format!("/{}", id_of(&app)), display(&app)));
        }
        let n = literal(lookup);
        let call = Self::graph("applications")
            .query("$filter", format!("displayName eq {n} or appId eq {n}"));
        let mut apps = self.api.list(&call).await?;
        match apps.len() {
            1 => {
                let app = apps.remove(0);
                Ok((format!("/{}", id_of(&app)), display(&app)))
            }
            0 => Err(invalid(format!(
                "there is no application `{lookup}` to scope to (use /, /administrativeUnits/ID, or an application's name, appId or object id)"
            ))),
            n => Err(invalid(format!(
                "{n} applications match `{lookup}`; give its object id"
            ))),
        }
    }

    /// An Azure role at an ARM scope: its full definition id and name.
    pub(crate) async fn azure_role(&self, name: &str, scope: &str) -> Result<(String, String)> {
        let path = format!(
            "{}/providers/Microsoft.Authorization/roleDefinitions",
            scope.trim_end_matches('/')
        );
        let call = Call::new(Service::Arm, Verb::Get, path).query("api-version", "2022-04-01");
        let roles = self.api.list(&call).await?;
        let guid = name.rsplit('/').next().unwrap_or(name);
        let found = roles.iter().find(|r| {
            r["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(guid))
                || r["properties"]["roleName"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        match found {
            Some(role) => Ok((
                role["id"].as_str().unwrap_or_default().to_owned(),
                role["properties"]["roleName"]
                    .as_str()
                    .unwrap_or(name)
                    .to_owned(),
            )),
            None => Err(invalid(format!(
                "there is no Azure role `{name}` at `{scope}`"
            ))),
        }
    }
}

pub(crate) fn id_of(object: &Value) -> String {
    object["id"].as_str().unwrap_or_default().to_owned()
}

fn display(object: &Value) -> String {
    object["displayName"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
