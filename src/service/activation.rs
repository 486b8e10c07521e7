//! Activate mode: the requester's own sign-in calls `selfActivate`, so PIM itself checks
//! eligibility, duration, justification, ticket, MFA, authentication context and approval. When
//! PIM wants its own approval, the approval message goes to the approvers and a click decides
//! PIM's approval with the approver's own sign-in; pimbot follows the request in PIM, so a
//! decision made in the portal counts the same.

use serde_json::json;

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::request::{Event, Person, Platform, Request};
use crate::domain::target::TargetKind;

use super::jobs::{Job, NewJob};
use super::notice::{Decided, Reply};
use super::ports::{
    DelegatedApi, Grant, SignIn, SignInError, SignInPurpose, UpstreamErrorKind, Verdict,
};
use super::sign_in::not_configured;
use super::transition::Step;
use super::{Delegation, Service, ServiceError};

mod approvals;
mod discovery;

/// How often a request PIM holds for approval is read again (a click in chat reads it at once).
pub(crate) const FOLLOW_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// A request waiting for a sign-in is looked at again this often (a sign-in resumes it at once).
const SIGN_IN_WAIT: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// PIM statuses that mean the activation is in place (or starts by itself later).
pub(super) const GRANTED: [&str; 4] =
    ["Provisioned", "Granted", "ScheduleCreated", "AdminApproved"];

pub(super) fn api_of(request: &Request) -> DelegatedApi {
    match request.target.kind() {
        TargetKind::Role | TargetKind::Group => DelegatedApi::Graph,
        TargetKind::Azure => DelegatedApi::Arm,
    }
}

impl Service {
    pub(super) fn delegation(&self) -> Option<&Delegation> {
        self.delegation.as_ref()
    }

    /// The activate job's activate-mode half, once the request is `activating`.
    pub(super) async fn activate_as_requester(
        &self,
        request: &Request,
        grant: &Grant,
    ) -> Result<(), ServiceError> {
        if request.pim_approval_id.is_some() {
            // PIM already holds the request for approval: follow it there.
            return self.follow_pim(request.id).await;
        }
        let api = api_of(request);
        let Some(token) = self
            .user_token(request.platform, &request.requester, api)
            .await?
        else {
            let purpose = SignInPurpose::Resume {
                request: request.id,
            };
            return self.wait_for_sign_in(request, purpose).await;
        };
        let delegation = self.delegation().ok_or_else(not_configured)?;
        match delegation
            .pim
            .self_activate(&request.target, grant, &token)
            .await
        {
            Ok(activation) if activation.is_pending_approval() => {
                let Some(approval_id) = activation.approval_id else {
                    let reason =
                        "PIM holds the request for approval but named no approval".to_owned();
                    return self
                        .mark_failed(
                            request,
                            reason,
                            json!({ "pim_status": activation.receipt.status }),
                        )
                        .await;
                };
                let event = Event::AwaitPimApproval {
                    pim_request_id: activation.receipt.pim_request_id.clone(),
                    approval_id: approval_id.clone(),
                };
                let detail = json!({ "pim_request_id": activation.receipt.pim_request_id, "approval_id": approval_id, "activated_by": "requester" });
                let step = Step::new(event, AuditActor::system()).detail(detail);
                self.settle(request, step).await
            }
            Ok(activation) => {
                let receipt = activation.receipt;
                let until = receipt
                    .end
                    .unwrap_or_else(|| self.now() + request.duration.as_chrono());
                let detail = json!({ "pim_request_id": receipt.pim_request_id, "pim_status": receipt.status, "activated_by": "requester" });
                self.mark_active(request, Some(receipt.pim_request_id), until, detail)
                    .await
            }
            Err(error) => match &error.kind {
                UpstreamErrorKind::StepUpRequired { claims } => {
                    let purpose = SignInPurpose::StepUp {
                        request: request.id,
                        claims: claims.clone().unwrap_or_default(),
                    };
                    self.wait_for_sign_in(request, purpose).await
                }
                _ if error.is_retryable() => Err(error.into()),
                _ => {
                    let detail = super::lifecycle::upstream_detail(&error);
                    self.mark_failed(request, error.user_message(), detail)
                        .await
                }
            },
        }
    }

    /// `selfDeactivate` with the requester's own token; `None` when they must sign in first.
    pub(super) async fn deactivate_as_requester(
        &self,
        request: &Request,
    ) -> Result<Option<Result<super::ports::Receipt, super::ports::UpstreamError>>, ServiceError>
    {
        let api = api_of(request);
        let Some(token) = self
            .user_token(request.platform, &request.requester, api)
            .await?
        else {
            return Ok(None);
        };
        let delegation = self.delegation().ok_or_else(not_configured)?;
        let grant = self.grant(request);
        Ok(Some(
            delegation
                .pim
                .self_deactivate(&request.target, &grant, &token)
                .await,
        ))
    }

    /// A delegated access token for `person` (their kept sign-in), or `None` when they must
    /// sign in (again): never signed in, sign-in forgotten, revoked, or no longer readable.
    pub(super) async fn user_token(
        &self,
        platform: Platform,
        person: &Person,
        api: DelegatedApi,
    ) -> Result<Option<String>, ServiceError> {
        let (Some(chat_user), Some(sealer)) = (person.chat_id.as_ref(), self.sealer.as_deref())
        else {
            return Ok(None);
        };
        let chat_user = chat_user.as_str();
        let Some(kept) = self.store.sign_in(platform, chat_user, self.now()).await? else {
            return Ok(None);
        };
        let context = SignIn::token_context(platform, chat_user, &kept.entra_id);
        let refresh = match sealer.open(&kept.sealed_refresh_token, &context) {
            Ok(refresh) if kept.entra_id == person.entra_id.as_str() => refresh,
            // Sealed with a key no longer configured, or for another account: sign in again.
            _ => return self.drop_sign_in(platform, chat_user, "unreadable").await,
        };
        match self
            .delegation()
            .ok_or_else(not_configured)?
            .sign_in
            .access_token(&refresh, api)
            .await
        {
            Ok(token) => {
                if let Some(rotated) = token.refresh_token.filter(|r| *r != refresh) {
                    let sealed = sealer
                        .seal(&rotated, &context)
                        .map_err(|e| ServiceError::NotReady(e.to_string()))?;
                    let renewed = SignIn {
                        sealed_refresh_token: sealed,
                        refreshed_at: self.now(),
                        ..kept
                    };
                    self.store.save_sign_in(&renewed).await?;
                }
                Ok(Some(token.access_token))
            }
            Err(SignInError::Unavailable(error)) => Err(error.into()),
            Err(expired) => {
                tracing::info!(error = %expired, "a kept sign-in no longer gives tokens");
                self.drop_sign_in(platform, chat_user, "expired").await
            }
        }
    }

    async fn drop_sign_in(
        &self,
        platform: Platform,
        chat_user: &str,
        why: &str,
    ) -> Result<Option<String>, ServiceError> {
        self.store.forget_sign_in(platform, chat_user).await?;
        let actor = AuditActor {
            platform: Some(platform),
            chat_id: Some(chat_user.to_owned()),
            entra_id: None,
            display_name: None,
        };
        let event = AuditEvent::new("auth.sign_in_dropped", None, actor, why);
        self.store.append_audit(event, Vec::new()).await?;
        Ok(None)
    }

    /// The request needs the requester to sign in (again): they get a link, and the request
    /// waits, looked at again every [`SIGN_IN_WAIT`] until its deadline, when it fails saying why.
    async fn wait_for_sign_in(
        &self,
        request: &Request,
        purpose: SignInPurpose,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        if now >= request.approval_deadline {
            let reason = "it waited for your Microsoft sign-in until its deadline; ask again and sign in when pimbot sends the link".to_owned();
            return self
                .mark_failed(request, reason, json!({ "stage": "sign_in" }))
                .await;
        }
        self.send_sign_in_link(request.platform, &request.requester, purpose.clone())
            .await?;
        let event = AuditEvent::new(
            "request.sign_in_needed",
            Some(request.id),
            AuditActor::system(),
            "waiting",
        )
        .with_detail(json!({ "purpose": purpose }));
        let again = (now + SIGN_IN_WAIT).min(request.approval_deadline);
        let job = NewJob::at(
            Job::Activate {
                request: request.id,
            },
            again,
        );
        self.store.append_audit(event, vec![job]).await?;
        Ok(())
    }

    /// What a finished sign-in was for: a request goes on, an approval is sent to PIM.
    pub(super) async fn after_sign_in(
        &self,
        platform: Platform,
        person: &Person,
        purpose: &SignInPurpose,
    ) -> Result<(), ServiceError> {
        match purpose {
            SignInPurpose::Login => {
                if let Some(chat) = self.chat(platform) {
                    let reply = Reply::text(
                        "You are signed in: requests for targets in activate mode now go to PIM as you.",
                    );
                    chat.tell(person, &reply).await?;
                }
                Ok(())
            }
            SignInPurpose::Resume { request } | SignInPurpose::StepUp { request, .. } => {
                let job = NewJob::at(Job::Activate { request: *request }, self.now());
                self.record_effects(None, None, vec![job]).await?;
                Ok(())
            }
            SignInPurpose::Approve {
                request,
                decision,
                reason,
            } => {
                let approve = *decision == Verdict::Approve;
                let Some(current) = self.store.request(*request).await? else {
                    return Ok(());
                };
                let decided = self
                    .decide_in_pim(platform, person, &current, approve, reason.clone())
                    .await?;
                if let Some(chat) = self.chat(platform) {
                    chat.tell(person, &decided.reply).await?;
                }
                Ok(())
            }
        }
    }
}

pub(super) fn person_actor(platform: Platform, person: &Person) -> AuditActor {
    AuditActor {
        platform: Some(platform),
        chat_id: person.chat_id.as_ref().map(|id| id.to_string()),
        entra_id: Some(person.entra_id.to_string()),
        display_name: Some(person.display_name.clone()),
    }
}

pub(super) fn refused(text: String) -> Decided {
    Decided {
        reply: Reply::text(text),
        recorded: false,
    }
}
