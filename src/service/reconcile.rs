//! The reconciliation sweep: no request is left in a non-final state without a job to move it on,
//! an assignment that PIM no longer shows is reported and closed (after a grace period for PIM's
//! lagging reads), and an assignment PIM shows on a target pimbot grants, held by someone pimbot
//! did not grant it to, is reported once; a request PIM holds for approval on an activate-mode
//! target, made outside chat, is taken up (posted to its approvers) once. Expired sign-ins are purged on the way.

use serde_json::json;

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::request::{Event, Request, State};
use crate::domain::target::ResolvedTarget;

use super::notice::Notice;
use super::transition::Step;
use super::{Service, ServiceError};

/// PIM's reads trail its writes: an assignment made moments ago may be missing from the lists
/// for a while. The sweep leaves an activation alone this long before it takes an assignment PIM
/// does not list as ended outside pimbot.
const READ_LAG_GRACE: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

impl Service {
    /// Runs once per `interval` across all replicas (the first to record the interval wins).
    pub async fn sweep(&self, interval: std::time::Duration) -> Result<(), ServiceError> {
        let bucket =
            self.now().timestamp() / i64::try_from(interval.as_secs().max(1)).unwrap_or(60);
        if !self
            .store
            .first_delivery(&format!("sweep:{bucket}"))
            .await?
        {
            return Ok(());
        }
        let purged = self.store.purge_expired_sign_ins(self.now()).await?;
        if purged > 0 {
            tracing::debug!(purged, "expired sign-ins removed");
        }
        for request in self.store.stalled_requests().await? {
            self.repair(&request).await?;
        }
        let holding = self.store.holding_requests().await?;
        // An `ending` request's assignment is being removed: its own job settles it.
        for request in holding.iter().filter(|r| r.state == State::Active) {
            self.check_drift(request).await?;
        }
        self.report_unknown_assignments(&holding).await?;
        self.discover_pending().await
    }

    /// Lists PIM's assignments of every target pimbot holds assignments for, and reports
    /// (once per assignment) those held by someone without a live pimbot request for it: granted
    /// outside pimbot, or left behind by something that went wrong.
    async fn report_unknown_assignments(&self, holding: &[Request]) -> Result<(), ServiceError> {
        let mut targets: Vec<&Request> = Vec::new();
        for request in holding {
            if !targets
                .iter()
                .any(|r| same_target(&r.target, &request.target))
            {
                targets.push(request);
            }
        }
        for request in targets {
            let target = &request.target;
            let shown = match self.pim.assignments(target).await {
                Ok(shown) => shown,
                Err(error) => {
                    tracing::warn!(%error, target = %target.label(), "could not list PIM's assignments");
                    continue;
                }
            };
            for assignment in shown {
                if self.grants(target, &assignment.principal_id).await? {
                    continue;
                }
                let end = assignment.end.map(|end| end.to_rfc3339());
                let key = format!(
                    "unknown-assignment:{}:{}:{}:{}",
                    target.resource_id(),
                    target.scope_id(),
                    assignment.principal_id,
                    end.as_deref().unwrap_or("permanent")
                );
                if !self.store.first_delivery(&key).await? {
                    continue;
                }
                let holder = match self.directory.user(&assignment.principal_id).await {
                    Ok(Some(user)) => user.display_name,
                    _ => assignment.principal_id.clone(),
                };
                let until = assignment.end.map_or_else(
                    || "with no end".to_owned(),
                    |end| format!("until {}", end.format("%Y-%m-%d %H:%M UTC")),
                );
                let line = format!(
                    "PIM shows {holder} holding {} {until}, which pimbot did not grant (no pimbot request for it)",
                    target.label()
                );
                tracing::warn!(principal = %assignment.principal_id, target = %target.label(), "an assignment pimbot did not grant");
                let event =
                    AuditEvent::new("assignment.unknown", None, AuditActor::system(), "reported")
                        .with_detail(json!({
                            "principal": assignment.principal_id,
                            "target": target.label(),
                            "role_definition_id": target.resource_id(),
                            "scope": target.scope_id(),
                            "end": end,
                        }));
                self.store
                    .append_audit(event, self.audit_line_jobs(request.platform, line))
                    .await?;
            }
        }
        Ok(())
    }

    /// Whether `principal` holds a pimbot request for `target` that is (about to be) active.
    async fn grants(&self, target: &ResolvedTarget, principal: &str) -> Result<bool, ServiceError> {
        Ok(self
            .store
            .requests_of(principal, 50)
            .await?
            .iter()
            .any(|r| {
                same_target(&r.target, target)
                    && (matches!(r.state, State::Approved | State::Activating)
                        || r.state.holds_assignment())
            }))
    }

    /// Gives a stalled request the jobs its state calls for (the machine's [`Request::work`]).
    async fn repair(&self, request: &Request) -> Result<(), ServiceError> {
        let id = request.id;
        let mut jobs = self.work_jobs(id, &request.work(self.now()), self.now());
        let Some(job) = jobs.first() else {
            return Ok(());
        };
        let kind = job.job.kind();
        tracing::warn!(request.id = %id, state = request.state.as_str(), job = kind, "repairing a request that had no job");
        let event = AuditEvent::new("request.repaired", Some(id), AuditActor::system(), "ok")
            .with_detail(json!({ "state": request.state.as_str(), "job": kind }));
        let line = format!(
            "{id} had no pending work in state {}; the sweep scheduled `{kind}`",
            request.state,
        );
        jobs.extend(self.audit_line_jobs(request.platform, line));
        self.record_effects(None, Some(event), jobs).await?;
        Ok(())
    }

    /// An active request whose assignment PIM no longer shows was ended outside pimbot, unless
    /// it became active too recently for PIM's reads to show it yet.
    async fn check_drift(&self, request: &Request) -> Result<(), ServiceError> {
        let now = self.now();
        let still_running = request.active_until.is_some_and(|until| until > now);
        // An active request's last transition was its activation, so `updated_at` is when it
        // became active.
        let fresh = now - request.updated_at < READ_LAG_GRACE;
        if !still_running || fresh {
            return Ok(());
        }
        let principal = &request.requester.entra_id;
        if self
            .pim
            .active_assignment(&request.target, principal.as_str())
            .await?
            .is_some()
        {
            return Ok(());
        }
        let by = "someone outside pimbot (PIM no longer shows the assignment)".to_owned();
        let step = Step::new(Event::End { early: Some(now) }, AuditActor::system())
            .notice(Notice::Ended {
                early: true,
                by: Some(by),
            })
            .detail(json!({ "early": true, "drift": "assignment missing in PIM" }));
        self.settle(request, step).await
    }
}

fn same_target(a: &ResolvedTarget, b: &ResolvedTarget) -> bool {
    a.resource == b.resource
}
