//! The tenant fixture: directory objects, role definitions, eligibilities and role policies.
//! Pure data plus reference checks; it knows nothing about HTTP.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::EmulatorError;
use super::policy::PolicyFixture;
use super::providers::{AzureFixture, GroupEligibility, GroupPolicyFixture};

/// A tenant fixture, deserialised from camelCase JSON (see `emulator/demo_tenant.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tenant {
    /// Directory (tenant) id; the token endpoint only answers for this id or `domain`.
    pub tenant_id: String,
    /// Verified domain also accepted by the token endpoint.
    #[serde(default)]
    pub domain: Option<String>,
    /// Users.
    #[serde(default)]
    pub users: Vec<User>,
    /// Service principals (they can own or be members of groups).
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipal>,
    /// Application registrations (their object ids are valid `directoryScopeId`s).
    #[serde(default)]
    pub applications: Vec<Application>,
    /// Groups with their owners and members (object ids of users, groups or service principals).
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Directory role definitions.
    #[serde(default)]
    pub role_definitions: Vec<RoleDefinition>,
    /// Role eligibility schedule instances.
    #[serde(default)]
    pub eligibilities: Vec<Eligibility>,
    /// Per-role policy overrides; roles without one get the default policy.
    #[serde(default)]
    pub policies: Vec<PolicyFixture>,
    /// PIM for Groups: eligibilities for membership or ownership.
    #[serde(default)]
    pub group_eligibilities: Vec<GroupEligibility>,
    /// PIM for Groups: policy overrides per group and access.
    #[serde(default)]
    pub group_policies: Vec<GroupPolicyFixture>,
    /// Azure resources (ARM): scopes, roles, eligibilities, policies.
    #[serde(default)]
    pub azure: AzureFixture,
    /// Administrative units: valid `directoryScopeId`s as `/administrativeUnits/{id}`.
    #[serde(default)]
    pub administrative_units: Vec<AdministrativeUnit>,
}

/// An administrative unit (a directory scope for Entra roles).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdministrativeUnit {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: String,
}

/// A user account.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct User {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Given name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// Surname.
    #[serde(default)]
    pub surname: Option<String>,
    /// Primary SMTP address.
    #[serde(default)]
    pub mail: Option<String>,
    /// Sign-in name.
    pub user_principal_name: String,
    /// Job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Whether the account can sign in.
    #[serde(default = "yes")]
    pub account_enabled: bool,
}

/// A service principal.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePrincipal {
    /// Object id.
    pub id: String,
    /// Application (client) id.
    pub app_id: String,
    /// Display name.
    pub display_name: String,
    /// Graph application permissions granted to the app (`User.Read.All`, ...): the `roles`
    /// claim of the tokens the emulator issues to its `app_id`.
    #[serde(default)]
    pub app_roles: Vec<String>,
}

/// An application registration.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Application {
    /// Object id.
    pub id: String,
    /// Application (client) id.
    pub app_id: String,
    /// Display name.
    pub display_name: String,
}

/// A security group.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Group {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Mail nickname.
    #[serde(default)]
    pub mail_nickname: Option<String>,
    /// Whether Entra roles can be assigned to the group.
    #[serde(default)]
    pub is_assignable_to_role: bool,
    /// Owner object ids (users or service principals).
    #[serde(default)]
    pub owners: Vec<String>,
    /// Member object ids (users, groups or service principals).
    #[serde(default)]
    pub members: Vec<String>,
}

/// A directory role definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleDefinition {
    /// Role id (equals the template id for built-ins).
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Built-in or custom.
    #[serde(default)]
    pub is_built_in: bool,
    /// `rolePermissions[0].allowedResourceActions`.
    #[serde(default)]
    pub allowed_resource_actions: Vec<String>,
}

/// A role eligibility (served as a `unifiedRoleEligibilityScheduleInstance`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Eligibility {
    /// Instance id (also used as `roleEligibilityScheduleId`).
    pub id: String,
    /// Eligible principal (user or role-assignable group).
    pub principal_id: String,
    /// Role definition id.
    pub role_definition_id: String,
    /// Directory scope, `/` or `/{objectId}`.
    pub directory_scope_id: String,
    /// Start of the eligibility.
    pub start_date_time: DateTime<Utc>,
    /// End of the eligibility; `None` means permanent.
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
}

fn yes() -> bool {
    true
}

impl Tenant {
    /// The demo tenant shipped with the emulator (`emulator/demo_tenant.json`).
    pub fn demo() -> Tenant {
        Tenant::from_json(include_str!("demo_tenant.json"))
            .expect("the bundled demo tenant is valid")
    }

    /// Parses and checks a fixture: ids unique, every reference resolves, every duration parses.
    pub fn from_json(text: &str) -> Result<Tenant, EmulatorError> {
        let tenant: Tenant = serde_json::from_str(text).map_err(EmulatorError::Parse)?;
        tenant.check()?;
        Ok(tenant)
    }

    fn check(&self) -> Result<(), EmulatorError> {
        let mut seen = HashSet::new();
        let ids = self
            .users
            .iter()
            .map(|u| &u.id)
            .chain(self.service_principals.iter().map(|s| &s.id))
            .chain(self.applications.iter().map(|a| &a.id))
            .chain(self.groups.iter().map(|g| &g.id))
            .chain(self.role_definitions.iter().map(|r| &r.id));
        for id in ids {
            if !seen.insert(id.to_ascii_lowercase()) {
                return Err(invalid(format!("duplicate object id {id}")));
            }
        }
        for group in &self.groups {
            for id in group.owners.iter().chain(&group.members) {
                if self.principal_kind(id).is_none() {
                    return Err(invalid(format!(
                        "group {} refers to unknown object {id}",
                        group.id
                    )));
                }
            }
        }
        for e in &self.eligibilities {
            if self.principal_kind(&e.principal_id).is_none() {
                return Err(invalid(format!(
                    "eligibility {} has unknown principal",
                    e.id
                )));
            }
            if self.role(&e.role_definition_id).is_none() {
                return Err(invalid(format!("eligibility {} has unknown role", e.id)));
            }
            if !self.scope_exists(&e.directory_scope_id) {
                return Err(invalid(format!("eligibility {} has unknown scope", e.id)));
            }
        }
        for policy in &self.policies {
            if self.role(&policy.role_definition_id).is_none() {
                return Err(invalid(format!(
                    "policy for unknown role {}",
                    policy.role_definition_id
                )));
            }
            policy.rules.check().map_err(invalid)?;
        }
        self.check_groups()?;
        self.azure
            .check(|id| self.principal_kind(id).is_some())
            .map_err(invalid)
    }

    fn check_groups(&self) -> Result<(), EmulatorError> {
        let access_ok = |a: &str| a == "member" || a == "owner";
        for e in &self.group_eligibilities {
            if self.group(&e.group_id).is_none() || self.principal_kind(&e.principal_id).is_none() {
                return Err(invalid(format!(
                    "group eligibility {} names an unknown group or principal",
                    e.id
                )));
            }
            if !access_ok(&e.access_id) {
                return Err(invalid(format!(
                    "group eligibility {} has accessId {}",
                    e.id, e.access_id
                )));
            }
        }
        for p in &self.group_policies {
            if self.group(&p.group_id).is_none() || !access_ok(&p.access_id) {
                return Err(invalid(format!(
                    "group policy for {} / {} names an unknown group or access",
                    p.group_id, p.access_id
                )));
            }
            p.rules.check().map_err(invalid)?;
        }
        Ok(())
    }

    /// The user with this object id or user principal name.
    pub(crate) fn user(&self, id_or_upn: &str) -> Option<&User> {
        self.users.iter().find(|u| {
            u.id.eq_ignore_ascii_case(id_or_upn)
                || u.user_principal_name.eq_ignore_ascii_case(id_or_upn)
        })
    }

    pub(crate) fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id))
    }

    pub(crate) fn service_principal(&self, id: &str) -> Option<&ServicePrincipal> {
        self.service_principals
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id))
    }

    pub(crate) fn role(&self, id: &str) -> Option<&RoleDefinition> {
        self.role_definitions
            .iter()
            .find(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// What kind of principal an object id names, if it can hold a role or group membership.
    pub(crate) fn principal_kind(&self, id: &str) -> Option<PrincipalKind> {
        if self.users.iter().any(|u| u.id.eq_ignore_ascii_case(id)) {
            Some(PrincipalKind::User)
        } else if self.group(id).is_some() {
            Some(PrincipalKind::Group)
        } else if self.service_principal(id).is_some() {
            Some(PrincipalKind::ServicePrincipal)
        } else {
            None
        }
    }

    /// `/`, `/administrativeUnits/{id}` of a known unit, or `/{objectId}` of a known object.
    pub(crate) fn scope_exists(&self, scope: &str) -> bool {
        if let Some(unit) = scope.strip_prefix("/administrativeUnits/") {
            return self
                .administrative_units
                .iter()
                .any(|u| u.id.eq_ignore_ascii_case(unit));
        }
        match scope.strip_prefix('/') {
            Some("") => true,
            Some(id) => {
                self.principal_kind(id).is_some()
                    || self
                        .applications
                        .iter()
                        .any(|a| a.id.eq_ignore_ascii_case(id))
                    || self.role(id).is_some()
            }
            None => false,
        }
    }

    /// Groups that contain `member_id` directly or through nested groups.
    pub(crate) fn transitive_groups(&self, member_id: &str) -> Vec<&Group> {
        let mut found: Vec<&Group> = Vec::new();
        let mut frontier = vec![member_id.to_ascii_lowercase()];
        while let Some(id) = frontier.pop() {
            for group in &self.groups {
                let contains = group.members.iter().any(|m| m.eq_ignore_ascii_case(&id));
                if contains && !found.iter().any(|g| g.id == group.id) {
                    found.push(group);
                    frontier.push(group.id.to_ascii_lowercase());
                }
            }
        }
        found
    }
}

/// The kinds of directory object that can be principals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrincipalKind {
    User,
    Group,
    ServicePrincipal,
}

fn invalid(reason: String) -> EmulatorError {
    EmulatorError::InvalidFixture(reason)
}
