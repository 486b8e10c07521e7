//! Ending an elevation early: `end ID` asks (the request becomes `ending`, with one `deactivate`
//! job), the job removes the assignment in PIM and the request ends.

use serde_json::json;

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::mode::ActivationMode;
use crate::domain::request::{Event, Request, ShortId};

use super::lifecycle::upstream_detail;
use super::notice::Notice;
use super::transition::Step;
use super::{Service, ServiceError};

impl Service {
    /// The `deactivate` job: `adminRemove`, then `ended`. A request still `active` (a job written
    /// before `ending` existed) is ended the same way.
    pub(crate) async fn deactivate(&self, id: ShortId, by: &str) -> Result<(), ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(());
        };
        if !request.state.holds_assignment() {
            return Ok(());
        }
        self.remove_and_end(&request, by).await
    }

    /// Ends the elevation an approved extension replaces (a no-op when it has ended already).
    pub(crate) async fn end_extended(&self, id: ShortId, by: &str) -> Result<(), ServiceError> {
        self.deactivate(id, by).await
    }

    async fn remove_and_end(&self, request: &Request, by: &str) -> Result<(), ServiceError> {
        let id = request.id;
        let removed = match request.mode {
            ActivationMode::Assign => self.pim.remove(&request.target, &self.grant(request)).await,
            ActivationMode::Activate => match self.deactivate_as_requester(request).await? {
                Some(removed) => removed,
                None => return self.end_needs_sign_in(request).await,
            },
        };
        let receipt = match removed {
            Ok(receipt) => {
                json!({ "pim_request_id": receipt.pim_request_id, "upstream_request_id": receipt.upstream_request_id })
            }
            Err(error) if error.is_retryable() => return Err(error.into()),
            Err(error) => {
                // The elevation stays active; tell the person and keep the trail.
                let detail = upstream_detail(&error);
                let event = AuditEvent::new(
                    "request.end_failed",
                    Some(id),
                    AuditActor::system(),
                    error.code.as_deref().unwrap_or("rejected"),
                )
                .with_detail(detail);
                let line = format!("{id} could not be ended early: {}", error.user_message());
                self.store
                    .append_audit(event, self.audit_line_jobs(request.platform, line))
                    .await?;
                let back = Step::new(Event::EndFailed, AuditActor::system());
                return self.settle(request, back).await;
            }
        };
        let step = Step::new(
            Event::End {
                early: Some(self.now()),
            },
            AuditActor::system(),
        )
        .notice(Notice::Ended {
            early: true,
            by: Some(by.to_owned()),
        })
        .detail(json!({ "early": true, "by": by, "removal": receipt }));
        self.settle(request, step).await
    }

    /// Activate mode: PIM ends an activation only with its holder's own sign-in. Without one,
    /// the elevation stays active and the requester is asked to sign in and end it again.
    async fn end_needs_sign_in(&self, request: &Request) -> Result<(), ServiceError> {
        let id = request.id;
        let event = AuditEvent::new(
            "request.end_failed",
            Some(id),
            AuditActor::system(),
            "not_signed_in",
        );
        let line = format!("{id} could not be ended early: its requester is not signed in");
        self.store
            .append_audit(event, self.audit_line_jobs(request.platform, line))
            .await?;
        self.send_sign_in_link(
            request.platform,
            &request.requester,
            crate::service::ports::SignInPurpose::Login,
        )
        .await?;
        let back = Step::new(Event::EndFailed, AuditActor::system());
        self.settle(request, back).await
    }
}
