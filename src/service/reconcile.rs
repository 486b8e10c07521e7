//! The reconciliation sweep: no request is left in a non-final state without a job to move it on,
//! and an assignment that PIM no longer shows is reported and closed.

use chrono::Utc;
use serde_json::json;

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::request::{Event, Request, State};

use super::jobs::{Job, NewJob};
use super::notice::Notice;
use super::transition::Step;
use super::{Service, ServiceError};

impl Service {
    /// Runs once per `interval` across all replicas (the first to record the interval wins).
    pub async fn sweep(&self, interval: std::time::Duration) -> Result<(), ServiceError> {
        let bucket =
            Utc::now().timestamp() / i64::try_from(interval.as_secs().max(1)).unwrap_or(60);
        if !self
            .store
            .first_delivery(&format!("sweep:{bucket}"))
            .await?
        {
            return Ok(());
        }
        for request in self.store.stalled_requests().await? {
            self.repair(&request).await?;
        }
        for request in self.store.active_requests().await? {
            self.check_drift(&request).await?;
        }
        Ok(())
    }

    /// Gives a stalled request the job its state calls for.
    async fn repair(&self, request: &Request) -> Result<(), ServiceError> {
        let id = request.id;
        let job = match request.state {
            State::PendingApproval => NewJob::at(
                Job::ApprovalTimeout { request: id },
                request.approval_deadline,
            ),
            State::Approved | State::Activating => NewJob::now(Job::Activate { request: id }),
            State::Active => NewJob::at(
                Job::Expire { request: id },
                request.active_until.unwrap_or_else(Utc::now),
            ),
            _ => return Ok(()),
        };
        tracing::warn!(request.id = %id, state = request.state.as_str(), job = job.job.kind(), "repairing a request that had no job");
        let event = AuditEvent::new("request.repaired", Some(id), AuditActor::system(), "ok")
            .with_detail(json!({ "state": request.state.as_str(), "job": job.job.kind() }));
        let line = format!(
            "{id} had no pending work in state {}; the sweep scheduled `{}`",
            request.state,
            job.job.kind()
        );
        let mut jobs = vec![job];
        jobs.extend(self.audit_line_jobs(request.platform, line));
        self.store.append_audit(event, jobs).await?;
        self.jobs_ready.notify_one();
        Ok(())
    }

    /// An active request whose assignment PIM no longer shows was ended outside pimbot.
    async fn check_drift(&self, request: &Request) -> Result<(), ServiceError> {
        let still_running = request.active_until.is_some_and(|until| until > Utc::now());
        if !still_running {
            return Ok(());
        }
        let principal = &request.requester.entra_id;
        if self
            .pim
            .active_assignment(&request.target, principal)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let by = "someone outside pimbot (PIM no longer shows the assignment)".to_owned();
        let step = Step::new(Event::End, AuditActor::system())
            .notice(Notice::Ended {
                early: true,
                by: Some(by),
            })
            .detail(json!({ "early": true, "drift": "assignment missing in PIM" }));
        self.apply(request, step, |r| r.active_until = Some(Utc::now()))
            .await?;
        Ok(())
    }
}
