//! The PIM port: role definitions, eligibilities, policies and the schedule-request writes of the
//! three providers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::UpstreamError;
use crate::domain::duration::ElevationDuration;
use crate::domain::policy::PimPolicy;
use crate::domain::request::ShortId;
use crate::domain::target::{ResolvedTarget, TargetKind};

/// A role definition (Entra or Azure).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoleDefinition {
    pub id: String,
    pub display_name: String,
}

/// One eligibility: `principal_id` (a user or a group) may hold `role_definition_id` at `scope`.
/// For PIM for Groups, `role_definition_id` is the group id and `scope` the access (`member` or
/// `owner`); for Azure, the full role definition id and the ARM scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Eligibility {
    pub principal_id: String,
    pub role_definition_id: String,
    pub scope: String,
}

/// Which role definition to look up: an Entra role, or an Azure role as seen at an ARM scope.
#[derive(Debug, Clone, Copy)]
pub enum RoleLookup<'a> {
    Entra { name_or_id: &'a str },
    Azure { name_or_id: &'a str, scope: &'a str },
}

/// Which eligibilities to read.
#[derive(Debug, Clone, Copy)]
pub struct EligibilityQuery<'a> {
    pub kind: TargetKind,
    /// The user first, then the groups they belong to; eligibilities of others are dropped.
    pub principal_ids: &'a [String],
    /// One role definition (role, azure) or group (group): one read of everyone eligible for it,
    /// matched against `principal_ids`. `None` (discovery): Graph reads the user's own
    /// eligibilities only (one query, however many groups they are in); ARM's `assignedTo` also
    /// returns their groups', one query per scope.
    pub resource: Option<&'a str>,
    /// Azure: the scopes to look at (eligibilities at, above and below them count).
    pub scopes: &'a [String],
}

/// What pimbot asks PIM to grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub principal_id: String,
    pub duration: ElevationDuration,
    /// Names the requester, approvers, ticket and pimbot's request id.
    pub justification: String,
    pub ticket: Option<String>,
    pub request: ShortId,
    /// Unique per pimbot request (its id and creation time): ARM request names are derived from
    /// it, so a retried write finds its earlier attempt instead of creating another.
    pub intent: String,
}

/// What PIM answered to an assignment or removal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// The schedule request id.
    pub pim_request_id: String,
    /// `Provisioned`, `Revoked`, ...
    pub status: String,
    pub end: Option<DateTime<Utc>>,
    /// Graph `request-id` / ARM `x-ms-request-id`.
    pub upstream_request_id: Option<String>,
}

/// An active assignment PIM shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAssignment {
    pub principal_id: String,
    pub role_definition_id: String,
    pub scope: String,
    pub end: Option<DateTime<Utc>>,
}

/// The PIM schedule-request APIs of the three providers; the target's `kind` decides which
/// (Graph Entra roles, Graph PIM for Groups, ARM). `assign` mode: pimbot brokers, PIM records.
/// A later `activate` mode (the requester's own token, `selfActivate`) fits beside `assign`.
#[async_trait]
pub trait Pim: Send + Sync {
    /// A role definition by display name or id.
    async fn role_definition(
        &self,
        lookup: RoleLookup<'_>,
    ) -> Result<Option<RoleDefinition>, UpstreamError>;
    /// Eligibilities of one kind held by any of the query's principals.
    async fn eligibilities(
        &self,
        query: &EligibilityQuery<'_>,
    ) -> Result<Vec<Eligibility>, UpstreamError>;
    /// The end-user activation rules of a target (role at a scope, group access, Azure role at
    /// a scope).
    async fn policy(&self, target: &ResolvedTarget) -> Result<PimPolicy, UpstreamError>;
    /// `adminAssign` with `afterDuration`. When PIM already shows the principal holding the
    /// target from something other than this grant, fails with
    /// [`UpstreamErrorKind::AlreadyAssigned`](super::UpstreamErrorKind::AlreadyAssigned).
    async fn assign(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError>;
    /// `adminRemove`.
    async fn remove(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError>;
    /// The assignment this grant made, if PIM shows it: found by what marks it as this
    /// request's (the ARM request name pimbot chose, the `adminAssign` carrying the grant's
    /// justification), never by the principal merely holding the access. A standing
    /// assignment, or another request's, is `None`: it is not pimbot's to take over or remove.
    async fn own_assignment(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Option<Receipt>, UpstreamError>;
    /// The principal's current assignment of the target, if PIM shows one.
    async fn active_assignment(
        &self,
        target: &ResolvedTarget,
        principal_id: &str,
    ) -> Result<Option<ActiveAssignment>, UpstreamError>;
    /// Every current direct assignment of the target, whoever holds it (reconciliation).
    async fn assignments(
        &self,
        target: &ResolvedTarget,
    ) -> Result<Vec<ActiveAssignment>, UpstreamError>;
}
