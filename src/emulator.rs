//! A faithful, in-memory emulator of the Microsoft Graph subset pimbot uses for Entra PIM:
//! token endpoint, directory reads, role eligibility/assignment, policies, schedule requests.
//! It serves real HTTP (axum) for the black-box tests and `pimbot demo`; nothing else may depend on it
//! at runtime, and it must not use any other pimbot module. Beside it, the chat platforms' fakes:
//! [`slack`] (the Web API and `response_url`s) and [`bot_framework`] (keys, tokens, Connector).
//!
//! Routes: `POST /{tenant}/oauth2/v2.0/token` (client credentials, and for apps registered in the
//! tenant `authorization_code` with PKCE S256 and `refresh_token`); `GET|POST
//! /{tenant}/oauth2/v2.0/authorize` (an HTML sign-in form: user, "completed MFA", the
//! authentication contexts `claims` asks for); under `/v1.0` (bearer token required):
//! `users`, `users/{id|upn}`, `users/{id}/transitiveMemberOf/microsoft.graph.group`,
//! `users/{id}/revokeSignInSessions`, `groups`, `groups/{id}`,
//! `groups/{id}/owners|members`, `roleManagement/directory/roleDefinitions[/{id}]`,
//! `…/roleEligibilityScheduleInstances`, `…/roleAssignmentScheduleInstances`,
//! `…/roleAssignmentScheduleRequests[/{id}|/{id}/cancel|/filterByCurrentUser(on='…')]` (POST
//! `adminAssign`/`adminRemove` app-only, `selfActivate`/`selfDeactivate` delegated), the same for
//! PIM for Groups, `…/group/assignmentApprovals/{id}[/stages/{stageId}]`,
//! `/beta/roleManagement/directory/roleAssignmentApprovals/{id}[/steps/{stepId}]` and
//! `policies/roleManagementPolicyAssignments`; ARM under `{scope}/providers/Microsoft.Authorization/`
//! (see the `arm` module). Lists page at 100 (or `$top`) with `@odata.nextLink`. A delegated token is for one
//! resource: Graph's at ARM, or ARM's at Graph, is 401.

mod activation;
mod approval;
pub(crate) mod arm;
pub mod bot_framework;
mod duration;
mod eligibility;
pub(crate) mod filter;
mod identity;
mod odata;
mod policy;
mod providers;
mod schedule;
mod server;
mod sign_in;
pub mod slack;
mod state;
mod tenant;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

pub use approval::ApprovalSummary;
pub use policy::{
    ApprovalOverride, AuthContextOverride, EnablementOverride, ExpirationOverride, PolicyFixture,
    RuleOverrides,
};
pub use providers::{
    AzureEligibility, AzureFixture, AzurePermission, AzurePolicyFixture, AzureRoleDefinition,
    AzureScope, GroupEligibility, GroupPolicyFixture,
};
pub use sign_in::{DelegatedTokens, SignInError};
pub use tenant::{
    AdministrativeUnit, Application, Eligibility, Group, RoleDefinition, ServicePrincipal, Tenant,
    User,
};

use state::State;

/// Why a tenant fixture could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The JSON does not match the fixture model.
    #[error("tenant fixture is not valid JSON for the model: {0}")]
    Parse(#[source] serde_json::Error),
    /// The JSON parsed but refers to something that does not exist, or repeats an id.
    #[error("tenant fixture is inconsistent: {0}")]
    InvalidFixture(String),
}

/// A scripted answer for the next call whose path contains a given string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 `TooManyRequests` with `Retry-After: {retry_after_secs}`.
    Throttle {
        /// Seconds sent in `Retry-After`.
        retry_after_secs: u64,
    },
    /// 500 `UnknownError`.
    ServerError,
    /// Sleep, then serve the call normally.
    Delay(Duration),
    /// Serve the call (its effects happen), then hold the answer back this long: what a client
    /// sees as a timeout after the work was done, the case that tempts it to submit twice.
    LateAnswer(Duration),
}

/// Faults for a share of the calls to some paths, from a small seeded generator.
#[derive(Debug, Clone)]
pub(crate) struct RandomFaults {
    path_contains: String,
    rate: f64,
    faults: Vec<Fault>,
    /// xorshift64 state: no `rand` dependency for a test knob, and the same seed replays a run.
    state: u64,
}

impl RandomFaults {
    /// The fault for the next call to `path`, if this one should fail.
    pub(crate) fn draw(&mut self, path: &str) -> Option<Fault> {
        if self.faults.is_empty() || !path.contains(self.path_contains.as_str()) {
            return None;
        }
        let roll = self.next() % 10_000;
        let pick = self.next();
        // Rates are given to 0.01 %; the truncation is intended.
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let threshold = (self.rate.clamp(0.0, 1.0) * 10_000.0) as u64;
        (roll < threshold).then(|| {
            let index = usize::try_from(pick % self.faults.len() as u64).unwrap_or(0);
            self.faults[index].clone()
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }
}

/// The three PIM providers the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Graph `roleManagement/directory`.
    Role,
    /// Graph `identityGovernance/privilegedAccess/group`.
    Group,
    /// ARM `Microsoft.Authorization`.
    Azure,
}

/// A started, non-expired active assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAssignment {
    /// Which PIM provider holds it.
    pub provider: Provider,
    /// Assigned principal.
    pub principal_id: String,
    /// Role definition id (Entra: the id; Azure: the full resource id); groups: `member`/`owner`.
    pub role_definition_id: String,
    /// Directory scope (empty if the assignment used `appScopeId`); groups: the group id;
    /// Azure: the ARM scope.
    pub directory_scope_id: String,
    /// When it started.
    pub start: DateTime<Utc>,
    /// When it ends; `None` for permanent.
    pub end: Option<DateTime<Utc>>,
}

/// A running PIM tenant. Cheap to clone; clones share state.
#[derive(Clone, Debug)]
pub struct Emulator {
    state: Arc<Mutex<State>>,
}

impl Emulator {
    /// An emulator serving `tenant`, with no tokens, assignments or requests yet.
    pub fn new(tenant: Tenant) -> Emulator {
        Emulator {
            state: Arc::new(Mutex::new(State::new(tenant))),
        }
    }

    /// All routes (token endpoint and Graph `/v1.0`), with request ids, faults and auth applied.
    pub fn router(&self) -> axum::Router {
        server::router(self.clone())
    }

    /// Serves on `listener` in a background task until the returned handle is aborted
    /// (or the runtime shuts down). Read `listener.local_addr()` before calling.
    pub fn spawn(
        &self,
        listener: tokio::net::TcpListener,
    ) -> tokio::task::JoinHandle<std::io::Result<()>> {
        let emulator = self.clone();
        tokio::spawn(async move { emulator.serve(listener).await })
    }

    /// Serves on `listener` in the current task until the future is dropped or the server fails.
    pub async fn serve(&self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// Every POSTed `roleAssignmentScheduleRequests` body, verbatim and in order (rejected ones included).
    pub fn schedule_requests(&self) -> Vec<Value> {
        self.requests_of(Provider::Role)
    }

    /// Every schedule-request body sent to one provider (Graph POST, ARM PUT), verbatim and in
    /// order, rejected ones included.
    pub fn requests_of(&self, provider: Provider) -> Vec<Value> {
        let state = self.lock();
        let bodies = state.posted.iter().filter(|(p, _)| *p == provider);
        bodies.map(|(_, body)| body.clone()).collect()
    }

    /// Started, non-expired active Entra role assignments (by the emulator clock).
    pub fn active_assignments(&self) -> Vec<ActiveAssignment> {
        self.active_of(Provider::Role)
    }

    /// Started, non-expired active assignments of one provider.
    pub fn active_of(&self, provider: Provider) -> Vec<ActiveAssignment> {
        let state = self.lock();
        let now = state.now();
        state
            .assignments
            .iter()
            .filter(|a| a.provider == provider && a.is_current(now))
            .map(|a| a.public())
            .collect()
    }

    /// Every Graph and ARM call served so far, as `METHOD /path` (token requests excluded).
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// Queues `faults` for the next calls whose `METHOD /path` contains `path_contains` (a bare
    /// path part matches every method; `"POST /v1.0/..."` only the writes), answered in order.
    pub fn inject_faults(&self, path_contains: &str, faults: Vec<Fault>) {
        self.lock()
            .faults
            .push((path_contains.to_owned(), VecDeque::from(faults)));
    }

    /// From now on, answers a `rate` share (0.0–1.0) of the calls whose path contains
    /// `path_contains` with one of `faults`, picked at random from `seed` (repeatable runs);
    /// queued faults from [`Emulator::inject_faults`] still come first.
    pub fn fail_randomly(&self, path_contains: &str, rate: f64, faults: Vec<Fault>, seed: u64) {
        self.lock().random_faults.push(RandomFaults {
            path_contains: path_contains.to_owned(),
            rate,
            faults,
            state: seed | 1,
        });
    }

    /// How many calls reached the token endpoint (successful or not).
    pub fn token_requests(&self) -> usize {
        self.lock().token_requests
    }

    /// A copy of the tenant as it is now, writes included (what `pimbot admin` created).
    pub fn tenant(&self) -> Tenant {
        self.lock().tenant.clone()
    }

    /// Changes the directory as an administrator would between two calls (an owner removed from
    /// a group, an account disabled); later reads see the change.
    pub fn edit_tenant(&self, edit: impl FnOnce(&mut Tenant)) {
        edit(&mut self.lock().tenant);
    }

    /// From now on, a new assignment is missing from the schedule-instance lists (Graph roles and
    /// groups, ARM) for `lag` after its write, as PIM's reads trail its writes; the writes
    /// themselves (`RoleAssignmentExists`) see it at once.
    pub fn lag_assignment_reads(&self, lag: Duration) {
        self.lock().read_lag = TimeDelta::from_std(lag).unwrap_or(TimeDelta::MAX);
    }

    /// Moves the emulator clock forward, so assignments (and tokens) expire without waiting,
    /// and undecided approval stages past their timeout expire (their requests `TimedOut`).
    pub fn advance_clock(&self, by: TimeDelta) {
        let mut state = self.lock();
        state.clock_offset += by;
        approval::expire(&mut state);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in one handler must not wedge every later test call.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
