//! PIM's own approval, decided from chat with the approver's sign-in, and followed in PIM.

use serde_json::json;

use super::{FOLLOW_INTERVAL, GRANTED, api_of, person_actor, refused};
use crate::domain::audit::AuditEvent;
use crate::domain::refusal::Refusal;
use crate::domain::request::{Person, Platform, Request, ShortId, State};
use crate::service::identity::Caller;
use crate::service::jobs::{Job, NewJob};
use crate::service::notice::{Decided, Reply};
use crate::service::ports::{SignInPurpose, Verdict};
use crate::service::sign_in::not_configured;
use crate::service::{Service, ServiceError};

impl Service {
    /// An approver's click on a request PIM holds for approval: decided in PIM with their own
    /// sign-in (a link first, when they have none).
    pub(crate) async fn decide_in_pim(
        &self,
        platform: Platform,
        approver: &Person,
        request: &Request,
        approve: bool,
        reason: Option<String>,
    ) -> Result<Decided, ServiceError> {
        let id = request.id;
        let Some(approval_id) = request.pim_approval_id.as_deref() else {
            return Ok(refused(Refusal::NoSuchRequest(id.to_string()).to_string()));
        };
        let Some(token) = self.user_token(platform, approver, api_of(request)).await? else {
            let decision = if approve {
                Verdict::Approve
            } else {
                Verdict::Deny
            };
            let purpose = SignInPurpose::Approve {
                request: id,
                decision,
                reason,
            };
            self.send_sign_in_link(platform, approver, purpose).await?;
            return Ok(refused(format!(
                "PIM takes decisions on {id} from your own Microsoft account: I sent you a sign-in link in a direct message; your decision goes to PIM once you sign in."
            )));
        };
        let justification = reason.clone().unwrap_or_else(|| {
            format!(
                "{} in chat via pimbot",
                if approve { "Approved" } else { "Denied" }
            )
        });
        let result = self
            .delegation()
            .ok_or_else(not_configured)?
            .pim
            .decide_approval(
                &request.target,
                approval_id,
                approve,
                &justification,
                &token,
            )
            .await;
        let actor = person_actor(platform, approver);
        let detail = json!({ "approve": approve, "reason": reason, "approval_id": approval_id });
        match result {
            Ok(()) => {
                let event = AuditEvent::new("request.pim_decided", Some(id), actor, "ok")
                    .with_detail(detail);
                let follow = NewJob::at(Job::FollowPim { request: id }, self.now());
                self.record_effects(None, Some(event), vec![follow]).await?;
                let verb = if approve { "approval" } else { "denial" };
                Ok(Decided {
                    reply: Reply::text(format!("PIM recorded your {verb} of {id}.")),
                    recorded: true,
                })
            }
            Err(error) if error.is_retryable() => Err(error.into()),
            Err(error) => {
                let mut detail = detail;
                detail["error"] = crate::service::lifecycle::upstream_detail(&error);
                let event =
                    AuditEvent::new("request.pim_decision_refused", Some(id), actor, "refused")
                        .with_detail(detail);
                self.store.append_audit(event, Vec::new()).await?;
                Ok(refused(format!("PIM refused: {}", error.user_message())))
            }
        }
    }

    /// The `follow_pim` job: reads PIM's request and records what PIM decided.
    pub(crate) async fn follow_pim(&self, id: ShortId) -> Result<(), ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(());
        };
        let (State::Activating, Some(pim_request_id)) = (request.state, &request.pim_request_id)
        else {
            return Ok(());
        };
        let status = self
            .delegation()
            .ok_or_else(not_configured)?
            .pim
            .request_status(&request.target, pim_request_id)
            .await?;
        let Some(status) = status else {
            let reason = "PIM no longer has the request".to_owned();
            return self
                .mark_failed(&request, reason, json!({ "stage": "follow" }))
                .await;
        };
        let detail = json!({ "pim_request_id": pim_request_id, "pim_status": status.status });
        if GRANTED
            .iter()
            .any(|s| s.eq_ignore_ascii_case(&status.status))
        {
            let until = status
                .end
                .unwrap_or_else(|| self.now() + request.duration.as_chrono());
            return self
                .mark_active(&request, Some(pim_request_id.clone()), until, detail)
                .await;
        }
        let reason = match status.status.as_str() {
            "Denied" | "AdminDenied" => "PIM's approvers denied it",
            "TimedOut" => "nobody approved it in PIM in time",
            "Canceled" => "it was cancelled in PIM",
            "Failed" | "Invalid" | "Revoked" | "FailedAsResourceIsLocked" => {
                "PIM could not activate it"
            }
            // Still waiting: look again later.
            _ => {
                let again =
                    NewJob::at(Job::FollowPim { request: id }, self.now() + FOLLOW_INTERVAL);
                self.store.enqueue(vec![again]).await?;
                return Ok(());
            }
        };
        let reason = format!("{reason} (PIM status {})", status.status);
        self.mark_failed(&request, reason, detail).await
    }

    /// Routes a click on a request PIM holds for approval; `None` for every other request.
    pub(crate) async fn decide_waiting_in_pim(
        &self,
        caller: &Caller,
        id: ShortId,
        approve: bool,
        reason: Option<String>,
    ) -> Result<Option<Decided>, ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(None);
        };
        if request.state != State::Activating || request.pim_approval_id.is_none() {
            return Ok(None);
        }
        let decided = self
            .decide_in_pim(caller.platform, &caller.person(), &request, approve, reason)
            .await?;
        Ok(Some(decided))
    }
}
