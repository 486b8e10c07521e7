//! The emulator's mutable state behind one mutex: issued tokens, assignments, recorded requests,
//! queued faults and the clock offset. Never held across an `.await`.

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::approval::Approval;
use super::identity::{AuthCode, Caller, RefreshGrant, Resource, audience_matches};
use super::policy::RolePolicy;
use super::providers::is_at_or_below;
use super::tenant::Tenant;
use super::{ActiveAssignment, Fault, Provider, RandomFaults};

/// An access token handed out by the token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub(crate) token: String,
    /// The app, or the signed-in user, the token stands for.
    pub(crate) caller: Caller,
    /// The resource a delegated token is for; `None` for app-only tokens, which keep working at
    /// Graph and ARM alike (their tests and pimbot's share one emulator URL for both).
    pub(crate) resource: Option<Resource>,
    pub(crate) expires_at: DateTime<Utc>,
}

/// An active assignment created by `adminAssign` on one of the three PIM providers. For groups,
/// `role_definition_id` is the access (`member`/`owner`) and `directory_scope_id` the group id;
/// for Azure, they are the full role definition id and the ARM scope.
#[derive(Debug, Clone)]
pub(crate) struct Assignment {
    pub(crate) provider: Provider,
    pub(crate) instance_id: String,
    pub(crate) schedule_id: String,
    pub(crate) principal_id: String,
    pub(crate) role_definition_id: String,
    pub(crate) directory_scope_id: Option<String>,
    pub(crate) app_scope_id: Option<String>,
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: Option<DateTime<Utc>>,
    /// When the write made it (the emulator clock), for the read lag.
    pub(crate) created: DateTime<Utc>,
    /// Made by a principal's own `selfActivate` (`assignmentType` Activated), not by an admin.
    pub(crate) activated: bool,
}

impl Assignment {
    /// Not yet expired (it may still start in the future).
    pub(crate) fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.end.is_none_or(|end| end > now)
    }

    /// Started and not expired: what `roleAssignmentScheduleInstances` shows.
    pub(crate) fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && self.is_live(now)
    }

    pub(crate) fn same_target(
        &self,
        principal: &str,
        role: &str,
        dir: Option<&str>,
        app: Option<&str>,
    ) -> bool {
        let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        };
        let role = role.rsplit('/').next().unwrap_or(role);
        let own_role = self
            .role_definition_id
            .rsplit('/')
            .next()
            .unwrap_or_default();
        self.principal_id.eq_ignore_ascii_case(principal)
            && own_role.eq_ignore_ascii_case(role)
            && same(self.directory_scope_id.as_deref(), dir)
            && same(self.app_scope_id.as_deref(), app)
    }

    pub(crate) fn public(&self) -> ActiveAssignment {
        ActiveAssignment {
            provider: self.provider,
            principal_id: self.principal_id.clone(),
            role_definition_id: self.role_definition_id.clone(),
            directory_scope_id: self.directory_scope_id.clone().unwrap_or_default(),
            start: self.start,
            end: self.end,
        }
    }
}

/// Everything the handlers read and write.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) tenant: Tenant,
    pub(crate) tokens: Vec<IssuedToken>,
    pub(crate) token_requests: usize,
    /// Authorization codes issued by the sign-in page, redeemed or not.
    pub(crate) codes: Vec<AuthCode>,
    /// Refresh tokens, revoked ones included.
    pub(crate) refresh_tokens: Vec<RefreshGrant>,
    /// PIM approvals of `selfActivate` requests, decided or not.
    pub(crate) approvals: Vec<Approval>,
    /// Every POSTed (or, for ARM, PUT) schedule-request body, verbatim and in order.
    pub(crate) posted: Vec<(Provider, Value)>,
    /// Every Graph and ARM call (`METHOD /path`), token requests excluded.
    pub(crate) calls: Vec<String>,
    /// Stored `unifiedRoleAssignmentScheduleRequest` responses.
    pub(crate) requests: Vec<Value>,
    /// Stored `privilegedAccessGroupAssignmentScheduleRequest` responses.
    pub(crate) group_requests: Vec<Value>,
    /// Stored ARM `roleAssignmentScheduleRequests`, with their names.
    pub(crate) arm_requests: Vec<(String, Value)>,
    pub(crate) assignments: Vec<Assignment>,
    pub(crate) faults: Vec<(String, VecDeque<Fault>)>,
    pub(crate) random_faults: Vec<RandomFaults>,
    pub(crate) clock_offset: TimeDelta,
    /// How long a new assignment stays missing from the schedule-instance lists.
    pub(crate) read_lag: TimeDelta,
}

impl State {
    pub(crate) fn new(tenant: Tenant) -> State {
        State {
            tenant,
            tokens: Vec::new(),
            token_requests: 0,
            codes: Vec::new(),
            refresh_tokens: Vec::new(),
            approvals: Vec::new(),
            posted: Vec::new(),
            calls: Vec::new(),
            requests: Vec::new(),
            group_requests: Vec::new(),
            arm_requests: Vec::new(),
            assignments: Vec::new(),
            faults: Vec::new(),
            random_faults: Vec::new(),
            clock_offset: TimeDelta::zero(),
            read_lag: TimeDelta::zero(),
        }
    }

    /// The emulator's clock: the wall clock plus whatever tests advanced it by.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    /// The effective policy for a role: fixture overrides on top of PIM defaults.
    pub(crate) fn policy(&self, role_id: &str) -> RolePolicy {
        let overrides = self
            .tenant
            .policies
            .iter()
            .find(|p| p.role_definition_id.eq_ignore_ascii_case(role_id))
            .map(|p| &p.rules);
        RolePolicy::resolve(overrides)
    }

    /// Started, unexpired assignments of one provider, by the emulator clock.
    pub(crate) fn current(&self, provider: Provider) -> impl Iterator<Item = &Assignment> {
        let now = self.now();
        self.assignments
            .iter()
            .filter(move |a| a.provider == provider && a.is_current(now))
    }

    /// What the schedule-instance lists show: the current assignments, except those younger
    /// than the read lag (PIM's reads trail its writes; the writes themselves see everything).
    pub(crate) fn listed(&self, provider: Provider) -> impl Iterator<Item = &Assignment> {
        let visible_from = self.now() - self.read_lag;
        self.current(provider)
            .filter(move |a| a.created <= visible_from)
    }

    /// The policy of a PIM-enabled group for `member` or `owner`.
    pub(crate) fn group_policy(&self, group_id: &str, access: &str) -> RolePolicy {
        let overrides = self
            .tenant
            .group_policies
            .iter()
            .find(|p| p.group_id.eq_ignore_ascii_case(group_id) && p.access_id == access)
            .map(|p| &p.rules);
        RolePolicy::resolve(overrides)
    }

    /// The Azure policy for a role at a scope: the one assigned closest above (or at) the scope.
    pub(crate) fn azure_policy(&self, scope: &str, role_id: &str) -> RolePolicy {
        let guid = role_id.rsplit('/').next().unwrap_or(role_id);
        let overrides = self
            .tenant
            .azure
            .policies
            .iter()
            .filter(|p| {
                p.role_definition_id.eq_ignore_ascii_case(guid) && is_at_or_below(scope, &p.scope)
            })
            .max_by_key(|p| p.scope.len())
            .map(|p| &p.rules);
        RolePolicy::resolve(overrides)
    }

    /// The next queued fault for a call (`METHOD /path`), consuming it; else maybe a random one.
    pub(crate) fn take_fault(&mut self, call: &str) -> Option<Fault> {
        let queued = self
            .faults
            .iter_mut()
            .find(|(pattern, queue)| !queue.is_empty() && call.contains(pattern.as_str()))
            .and_then(|(_, queue)| queue.pop_front());
        if queued.is_some() {
            self.faults.retain(|(_, queue)| !queue.is_empty());
            return queued;
        }
        self.random_faults
            .iter_mut()
            .find_map(|random| random.draw(call))
    }

    /// The caller behind a valid, unexpired token presented at `resource`: a delegated token
    /// for the other resource is refused as Entra's audience check would.
    pub(crate) fn token_caller(
        &self,
        token: &str,
        resource: Resource,
    ) -> Result<Caller, &'static str> {
        let issued = self
            .tokens
            .iter()
            .find(|t| t.token == token)
            .ok_or("Access token validation failure.")?;
        if issued.expires_at <= self.now() {
            return Err("Lifetime validation failed, the token is expired.");
        }
        if !audience_matches(issued, resource) {
            return Err("Access token validation failure. Invalid audience.");
        }
        Ok(issued.caller.clone())
    }
}
