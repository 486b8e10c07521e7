//! Approve and deny: database only, so a click is answered within the platform's deadline.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::authorization::{Action, authorize};
use crate::domain::ids::EntraId;
use crate::domain::refusal::Refusal;
use crate::domain::request::{Change, Decision, Event, Platform, Request, ShortId};

use super::identity::{Caller, unidentified};
use super::notice::{Decided, Reply};
use super::transition::{Outcome, Step};
use super::{Service, ServiceError};

/// Compare-and-set attempts before giving up on a busy request.
const DECIDE_ATTEMPTS: usize = 5;

impl Service {
    /// An approver clicked Approve or Deny. Only reads and writes the database, so it answers
    /// within the platform's deadline; the answer is for the clicker only.
    pub async fn decide(
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
        if let Some(decided) = self
            .decide_waiting_in_pim(caller, id, approve, reason.clone())
            .await?
        {
            return Ok(decided);
        }
        for _ in 0..DECIDE_ATTEMPTS {
            let Some(request) = self.store.request(id).await? else {
                return Ok(refused(Refusal::NoSuchRequest(id.to_string()).to_string()));
            };
            let detail = json!({ "approve": approve, "reason": reason });
            let now = self.now();
            let checked = authorize(&request, &caller.user.id, Action::Decide)
                .and_then(|()| before_deadline(&request, now));
            if let Err(refusal) = checked {
                self.audit_refusal(Some(id), caller.actor(), &refusal, detail)
                    .await?;
                return Ok(refused(refusal.to_string()));
            }
            // Every earlier approval counts, unless this click would complete the tally, when
            // every approver's authority is read again, live.
            let mut lapsed = Vec::new();
            if approve && request.approval_completes_tally() {
                match self.still_approving(&request, caller).await? {
                    Ok(current) => lapsed = lapsed_approvers(&request, &current),
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
            let step = Step::new(Event::Decide { decision, lapsed }, caller.actor());
            match self.apply(&request, step).await? {
                Outcome::Applied {
                    request: updated,
                    change,
                } => {
                    return Ok(decided(&request, &updated, &change, now));
                }
                // Someone else changed the request first: read it again and re-check.
                Outcome::LostRace => {}
                // It left `pending_approval` since it was read: the re-check refuses it.
                Outcome::NotApplicable(_) => {}
            }
        }
        Ok(refused(format!("{id} is busy; try again in a moment.")))
    }
}

/// The earlier approvers of `request` no longer among the `current` ones.
fn lapsed_approvers(request: &Request, current: &HashSet<String>) -> Vec<EntraId> {
    request
        .approvals()
        .map(|d| d.approver.entra_id.clone())
        .filter(|approver| !current.contains(approver.as_str()))
        .collect()
}

/// The answer to a recorded decision (and the time it took, for the histogram).
fn decided(before: &Request, after: &Request, change: &Change, now: DateTime<Utc>) -> Decided {
    let verb = if matches!(change, Change::Denied) {
        "denied"
    } else {
        "approved"
    };
    let tally = match change {
        Change::ApprovalRecorded { approvals } => {
            format!(" ({approvals} of {} approvals)", after.approvals_required)
        }
        _ => {
            let waited = (now - before.created_at).as_seconds_f64();
            metrics::histogram!("pimbot_approval_seconds", "decision" => verb).record(waited);
            String::new()
        }
    };
    Decided {
        reply: Reply::text(format!("You {verb} {}{tally}.", after.id)),
        recorded: true,
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
