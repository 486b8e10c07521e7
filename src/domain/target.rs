//! What a request is for: the reference a user types, and the target it resolves to in PIM.

use std::fmt;

/// A target as typed in chat, before it is looked up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetRef {
    /// A name from the `[[targets]]` configuration.
    Named(String),
    /// `role:NAME[@SCOPE]`: an Entra directory role.
    Role { role: String, scope: Option<String> },
    /// `group:NAME[/owner]`: membership (or ownership) of a PIM-enabled group.
    Group { group: String, access: GroupAccess },
    /// `azure:ROLE@SCOPE`: an Azure RBAC role.
    Azure { role: String, scope: String },
}

/// Membership or ownership of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupAccess {
    Member,
    Owner,
}

impl GroupAccess {
    /// PIM's `accessId`: `member` or `owner`.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupAccess::Member => "member",
            GroupAccess::Owner => "owner",
        }
    }

    /// What it is called in messages: `membership` or `ownership`.
    pub fn noun(self) -> &'static str {
        match self {
            GroupAccess::Member => "membership",
            GroupAccess::Owner => "ownership",
        }
    }
}

/// The three PIM providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Role,
    Group,
    Azure,
}

/// A target reference that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a target: use a configured name, role:NAME[@SCOPE], group:NAME[/owner] or azure:ROLE@SCOPE"
)]
pub struct TargetRefError(pub(super) String);

impl TargetRef {
    /// Parses one (already unquoted) word.
    pub fn parse(word: &str) -> Result<Self, TargetRefError> {
        let error = || TargetRefError(word.to_owned());
        let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        if let Some(rest) = strip_prefix_ci(word, "role:") {
            return match rest.rsplit_once('@') {
                Some((role, scope)) => Ok(TargetRef::Role {
                    role: non_empty(role).ok_or_else(error)?,
                    scope: Some(non_empty(scope).ok_or_else(error)?),
                }),
                None => Ok(TargetRef::Role {
                    role: non_empty(rest).ok_or_else(error)?,
                    scope: None,
                }),
            };
        }
        if let Some(rest) = strip_prefix_ci(word, "group:") {
            let (group, access) = match rest.rsplit_once('/') {
                Some((group, access)) if access.eq_ignore_ascii_case("owner") => {
                    (group, GroupAccess::Owner)
                }
                Some((group, access)) if access.eq_ignore_ascii_case("member") => {
                    (group, GroupAccess::Member)
                }
                _ => (rest, GroupAccess::Member),
            };
            return Ok(TargetRef::Group {
                group: non_empty(group).ok_or_else(error)?,
                access,
            });
        }
        if let Some(rest) = strip_prefix_ci(word, "azure:") {
            let (role, scope) = rest.split_once('@').ok_or_else(error)?;
            return Ok(TargetRef::Azure {
                role: non_empty(role).ok_or_else(error)?,
                scope: non_empty(scope).ok_or_else(error)?,
            });
        }
        let valid_name = !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
        valid_name
            .then(|| TargetRef::Named(word.to_owned()))
            .ok_or_else(error)
    }
}

fn strip_prefix_ci<'a>(word: &'a str, prefix: &str) -> Option<&'a str> {
    let head = word.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &word[prefix.len()..])
}

impl fmt::Display for TargetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetRef::Named(name) => write!(f, "{name}"),
            TargetRef::Role { role, scope: None } => write!(f, "role:{role}"),
            TargetRef::Role {
                role,
                scope: Some(scope),
            } => write!(f, "role:{role}@{scope}"),
            TargetRef::Group {
                group,
                access: GroupAccess::Member,
            } => write!(f, "group:{group}"),
            TargetRef::Group {
                group,
                access: GroupAccess::Owner,
            } => write!(f, "group:{group}/owner"),
            TargetRef::Azure { role, scope } => write!(f, "azure:{role}@{scope}"),
        }
    }
}

/// An Entra directory role at a directory scope (`/`, `/administrativeUnits/..`, `/{objectId}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraRole {
    pub role_definition_id: String,
    pub directory_scope_id: String,
}

/// Membership or ownership of a PIM-enabled group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembership {
    pub group_id: String,
    pub access: GroupAccess,
}

/// An Azure RBAC role at an ARM scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureRole {
    /// The full role definition id (`/subscriptions/../roleDefinitions/{guid}`).
    pub role_definition_id: String,
    pub scope: String,
}

/// What a target grants in PIM, in the terms of the provider that grants it: each variant holds
/// exactly the ids that provider's API takes, so a call cannot reach the wrong provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PimResource {
    Role(EntraRole),
    Group(GroupMembership),
    Azure(AzureRole),
}

impl PimResource {
    pub fn kind(&self) -> TargetKind {
        match self {
            PimResource::Role(_) => TargetKind::Role,
            PimResource::Group(_) => TargetKind::Group,
            PimResource::Azure(_) => TargetKind::Azure,
        }
    }

    /// The role definition id (roles, Azure) or the group id.
    pub fn resource_id(&self) -> &str {
        match self {
            PimResource::Role(role) => &role.role_definition_id,
            PimResource::Group(group) => &group.group_id,
            PimResource::Azure(role) => &role.role_definition_id,
        }
    }

    /// Where it applies, as eligibilities and assignments report it: the directory scope, the
    /// group access (`member` / `owner`), or the ARM scope.
    pub fn scope_id(&self) -> &str {
        match self {
            PimResource::Role(role) => &role.directory_scope_id,
            PimResource::Group(group) => group.access.as_str(),
            PimResource::Azure(role) => &role.scope,
        }
    }
}

/// A target looked up in PIM: ids for the API calls, names for people.
/// Stored in the flat shape it always had (kind, id, scope and access as strings), so older rows still read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "StoredTarget", into = "StoredTarget")]
pub struct ResolvedTarget {
    /// The configured name, when the target came from `[[targets]]`.
    pub name: Option<String>,
    /// Role or group display name.
    pub display_name: String,
    /// The scope as people know it (`App1`, `tenant`, `membership`).
    pub scope_display: String,
    pub resource: PimResource,
}

impl ResolvedTarget {
    pub fn kind(&self) -> TargetKind {
        self.resource.kind()
    }

    /// See [`PimResource::resource_id`].
    pub fn resource_id(&self) -> &str {
        self.resource.resource_id()
    }

    /// See [`PimResource::scope_id`].
    pub fn scope_id(&self) -> &str {
        self.resource.scope_id()
    }

    /// The group, for a group target.
    pub fn group(&self) -> Option<&GroupMembership> {
        match &self.resource {
            PimResource::Group(group) => Some(group),
            _ => None,
        }
    }

    /// How the target is shown in messages: `app1-secrets (Application Secret Manager on App1)`.
    pub fn label(&self) -> String {
        let what = match self.kind() {
            TargetKind::Group => format!("{} of {}", self.scope_display, self.display_name),
            _ => format!("{} on {}", self.display_name, self.scope_display),
        };
        match &self.name {
            Some(name) => format!("{name} ({what})"),
            None => what,
        }
    }
}

/// The stored form of a [`ResolvedTarget`]: kind, resource id and scope as strings (for a group,
/// the scope is its access).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredTarget {
    kind: TargetKind,
    name: Option<String>,
    id: String,
    display_name: String,
    scope: String,
    scope_display: String,
    #[serde(default)]
    access: Option<GroupAccess>,
}

impl TryFrom<StoredTarget> for ResolvedTarget {
    type Error = String;

    fn try_from(stored: StoredTarget) -> Result<Self, Self::Error> {
        let resource = match stored.kind {
            TargetKind::Role => PimResource::Role(EntraRole {
                role_definition_id: stored.id,
                directory_scope_id: stored.scope,
            }),
            TargetKind::Group => {
                let access = match (stored.access, stored.scope.as_str()) {
                    (Some(access), _) => access,
                    (None, "owner") => GroupAccess::Owner,
                    (None, "member") => GroupAccess::Member,
                    (None, other) => return Err(format!("`{other}` is not a group access")),
                };
                PimResource::Group(GroupMembership {
                    group_id: stored.id,
                    access,
                })
            }
            TargetKind::Azure => PimResource::Azure(AzureRole {
                role_definition_id: stored.id,
                scope: stored.scope,
            }),
        };
        Ok(ResolvedTarget {
            name: stored.name,
            display_name: stored.display_name,
            scope_display: stored.scope_display,
            resource,
        })
    }
}

impl From<ResolvedTarget> for StoredTarget {
    fn from(target: ResolvedTarget) -> Self {
        let access = match &target.resource {
            PimResource::Group(group) => Some(group.access),
            _ => None,
        };
        StoredTarget {
            kind: target.kind(),
            id: target.resource.resource_id().to_owned(),
            scope: target.resource.scope_id().to_owned(),
            access,
            name: target.name,
            display_name: target.display_name,
            scope_display: target.scope_display,
        }
    }
}

/// What a target grants, written one way: its kind, resource id (role definition id, full ARM id
/// for Azure, group object id) and scope (directory scope id, ARM scope, or the group access).
/// Entra ids and ARM paths compare without case and ARM ignores a trailing slash, so every way
/// of writing one target that resolves to the same ids has the same key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TargetKey {
    kind: TargetKind,
    resource: String,
    scope: String,
}

impl TargetKey {
    /// The key of what `resource` grants.
    pub fn of(resource: &PimResource) -> Self {
        Self::new(resource.kind(), resource.resource_id(), resource.scope_id())
    }

    pub fn new(kind: TargetKind, resource: &str, scope: &str) -> Self {
        let scope = match scope.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        Self {
            kind,
            resource: resource.to_ascii_lowercase(),
            scope: scope.to_ascii_lowercase(),
        }
    }
}

impl ResolvedTarget {
    /// What this target grants, as [`TargetKey`] compares it.
    pub fn key(&self) -> TargetKey {
        TargetKey::of(&self.resource)
    }
}

#[cfg(test)]
mod tests;
