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

/// A target looked up in PIM: ids for the API calls, names for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedTarget {
    pub kind: TargetKind,
    /// The configured name, when the target came from `[[targets]]`.
    pub name: Option<String>,
    /// Role definition id (role, azure) or group id (group).
    pub id: String,
    /// Role or group display name.
    pub display_name: String,
    /// Directory scope (`/`, `/administrativeUnits/..`, `/{objectId}`), ARM scope, or for a
    /// group the access (`member` / `owner`).
    pub scope: String,
    /// The scope as people know it (`App1`, `tenant`).
    pub scope_display: String,
    /// Group targets: member or owner.
    pub access: Option<GroupAccess>,
}

impl ResolvedTarget {
    /// How the target is shown in messages: `app1-secrets (Application Secret Manager on App1)`.
    pub fn label(&self) -> String {
        let what = match self.kind {
            TargetKind::Group => format!("{} of {}", self.scope_display, self.display_name),
            _ => format!("{} on {}", self.display_name, self.scope_display),
        };
        match &self.name {
            Some(name) => format!("{name} ({what})"),
            None => what,
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
        TargetKey::new(self.kind, &self.id, &self.scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_form_parses_and_prints_back() {
        for text in [
            "app1-secrets",
            "role:Global Reader",
            "role:Application Secret Manager@App1",
            "group:KeyVault Readers",
            "group:KeyVault Readers/owner",
            "azure:Contributor@/subscriptions/1/resourceGroups/pim-rg",
        ] {
            let parsed = TargetRef::parse(text).map(|t| t.to_string());
            assert_eq!(parsed.as_deref(), Ok(text));
        }
    }

    #[test]
    fn malformed_targets_are_refused() {
        for text in [
            "role:",
            "role:@x",
            "azure:Contributor",
            "group:/owner",
            "<!channel>",
            "",
        ] {
            assert!(TargetRef::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn keys_ignore_case_and_a_trailing_slash_but_not_the_kind_or_scope() {
        let rg = "/subscriptions/1/resourceGroups/pim-rg";
        let id = "/subscriptions/1/providers/Microsoft.Authorization/roleDefinitions/B24988AC";
        assert_eq!(
            TargetKey::new(TargetKind::Azure, id, rg),
            TargetKey::new(
                TargetKind::Azure,
                &id.to_lowercase(),
                &format!("{}/", rg.to_uppercase())
            )
        );
        assert_eq!(
            TargetKey::new(TargetKind::Role, "r", "/"),
            TargetKey::new(TargetKind::Role, "R", "/")
        );
        assert_ne!(
            TargetKey::new(TargetKind::Group, "g", "member"),
            TargetKey::new(TargetKind::Group, "g", "owner")
        );
        assert_ne!(
            TargetKey::new(TargetKind::Role, "r", "/a"),
            TargetKey::new(TargetKind::Azure, "r", "/a")
        );
    }
}
