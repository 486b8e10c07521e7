//! Approve and deny: database only, so a click is answered within the platform's deadline.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::authorization::{Action, authorize};
use crate::domain::refusal::Refusal;
use crate::domain::request::{Decision, Event, Platform, Request, ShortId};

use super::identity::{Caller, unidentified};
use super::notice::{Decided, Notice, Reply};
use super::transition::Step;
use super::{Service, ServiceError};

/// Compare-and-set attempts before giving up on a busy request.
const DECIDE_ATTEMPTS: usize = 5;

impl Service {
    /// See [`Service::decide`](super::Service::decide).
    pub(crate) async fn decide_clicked(
        &self,
        platform: Platform,
        chat_user: &str,
        id: ShortId,
        approve: bool,
        reason: Option<String>,
    ) -> Result<Decided, ServiceError> {
        match self.identify(platform, chat_user).await? {
            Ok(caller) => self.decide_as(&caller, id, approve, reason).await,
            Err(refusal) => {
                let actor = unidentified(platform, chat_user);
                self.audit_refusal(Some(id), actor, &refusal, json!({ "approve": approve }))
                    .await?;
                Ok(refused(refusal.to_string()))
            }
        }
    }

    pub(crate) async fn decide_as(
        &self,
        caller: &Caller,
        id: ShortId,
        approve: bool,
        reason: Option<String>,
    ) -> Result<Decided, ServiceError> {
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        for _ in 0..DECIDE_ATTEMPTS {
            let Some(request) = self.store.request(id).await? else {
                return Ok(refused(Refusal::NoSuchRequest(id.to_string()).to_string()));
            };
            let detail = json!({ "approve": approve, "reason": reason });
            let now = Utc::now();
            let checked = authorize(&request, &caller.user.id, Action::Decide)
                .and_then(|()| before_deadline(&request, now));
            if let Err(refusal) = checked {
                self.audit_refusal(Some(id), caller.actor(), &refusal, detail)
                    .await?;
                return Ok(refused(refusal.to_string()));
            }
            // Approvals that still count: all of them, unless this click would complete the
            // tally, when every approver's authority is read again, live.
            let mut counted: Vec<&Decision> = request.approvals().collect();
            if approve && counted.len() as u32 + 1 >= request.approvals_required {
                match self.still_approving(&request, caller).await? {
                    Ok(current) => counted.retain(|d| current.contains(&d.approver.entra_id)),
                    Err(refusal) => {
                        self.audit_refusal(Some(id), caller.actor(), &refusal, detail)
                            .await?;
                        return Ok(refused(refusal.to_string()));
                    }
                }
            }
            let decision = Decision {
                approver: caller.person(),
                approve,
                reason: reason.clone(),
                at: now,
            };
            let approvals = counted.len() as u32 + u32::from(approve);
            let (event, notice) = match (approve, approvals >= request.approvals_required) {
                (false, _) => (
                    Event::Deny,
                    Some(Notice::Denied {
                        by: caller.user.display_name.clone(),
                        reason: reason
                            .clone()
                            .unwrap_or_else(|| "no reason given".to_owned()),
                    }),
                ),
                (true, false) => (Event::PartialApprove, None),
                (true, true) => {
                    let mut by: Vec<String> = counted
                        .iter()
                        .map(|d| d.approver.display_name.clone())
                        .collect();
                    by.push(caller.user.display_name.clone());
                    (Event::Approve, Some(Notice::Approved { by }))
                }
            };
            let mut step = Step::new(event, caller.actor()).decision(decision);
            if let Some(notice) = notice {
                step = step.notice(notice);
            }
            if let Some(updated) = self.apply(&request, step, |_| {}).await? {
                let verb = if approve { "approved" } else { "denied" };
                if event != Event::PartialApprove {
                    let waited = (now - request.created_at).as_seconds_f64();
                    metrics::histogram!("pimbot_approval_seconds", "decision" => verb)
                        .record(waited);
                }
                let tally = if event == Event::PartialApprove {
                    format!(
                        " ({} of {} approvals)",
                        approvals, updated.approvals_required
                    )
                } else {
                    String::new()
                };
                return Ok(Decided {
                    reply: Reply::text(format!("You {verb} {id}{tally}.")),
                    recorded: true,
                });
            }
            // Someone else changed the request first: read it again and re-check.
        }
        Ok(refused(format!("{id} is busy; try again in a moment.")))
    }
}

/// No decision counts once the approval deadline has passed, even if the timeout job that
/// expires the request has not run yet.
fn before_deadline(request: &Request, now: DateTime<Utc>) -> Result<(), Refusal> {
    if now < request.approval_deadline {
        return Ok(());
    }
    Err(Refusal::DeadlinePassed {
        id: request.id.to_string(),
        at: request
            .approval_deadline
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    })
}

fn refused(text: String) -> Decided {
    Decided {
        reply: Reply::text(text),
        recorded: false,
    }
}
