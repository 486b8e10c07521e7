//! PIM requests waiting for approval wherever they were made (the portal, PowerShell, a CLI that
//! waits): found on the sweep with app-only reads, for every configured activate-mode target
//! with an approval channel, and posted to their approvers like a request made in chat, once per
//! PIM request. The card's buttons then decide PIM's approval as for any other request, and the
//! `follow_pim` job reads what PIM decided (in chat or in the portal).

use serde_json::json;

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::duration::ElevationDuration;
use crate::domain::ids::ConversationId;
use crate::domain::mode::ActivationMode;
use crate::domain::request::{Platform, Request, State};
use crate::domain::target::ResolvedTarget;
use crate::service::approvers::Approvers;
use crate::service::jobs::Lanes;
use crate::service::ports::{DirectoryUser, NewRequest, PendingActivation};
use crate::service::resolve::EligibleFor;
use crate::service::settings::TargetSettings;
use crate::service::targets::ConfiguredTarget;
use crate::service::transition::{audit_line, line_jobs};
use crate::service::{Service, ServiceError};

/// Where a discovered request came from, as its audit event says.
const ORIGIN: &str = "pim-portal";

/// A configured target to look for pending PIM requests on, and where their cards go.
struct Watched<'a> {
    configured: &'a ConfiguredTarget,
    target: ResolvedTarget,
    platform: Platform,
    channel: String,
}

impl Service {
    /// Every configured activate-mode target with an approval channel: the requests PIM holds
    /// for approval that pimbot does not know yet become pimbot requests with an approval card.
    /// One list call per such target; nothing at all without `[auth]`.
    pub(crate) async fn discover_pending(&self) -> Result<(), ServiceError> {
        let Some(delegation) = self.delegation() else {
            return Ok(());
        };
        // Read once, and only when PIM lists something: a request pimbot knows is `activating`
        // for as long as PIM holds it for approval.
        let mut known: Option<Vec<Request>> = None;
        for watched in self.watched_targets() {
            let label = watched.target.label();
            let pending = match delegation.pim.pending_activations(&watched.target).await {
                Ok(pending) => pending,
                Err(error) => {
                    tracing::warn!(%error, target = %label, "could not list PIM's pending requests");
                    continue;
                }
            };
            for found in pending {
                if known.is_none() {
                    known = Some(self.store.activating_requests().await?);
                }
                if is_known(
                    known.as_deref().unwrap_or_default(),
                    &watched.target,
                    &found,
                ) {
                    continue;
                }
                let pim_request_id = found.pim_request_id.clone();
                if let Err(error) = self.adopt_pending(&watched, found).await {
                    tracing::warn!(%error, pim_request_id, target = %label, "could not take up a request PIM holds for approval; the next sweep tries again");
                }
            }
        }
        Ok(())
    }

    /// The configured targets in activate mode that have an approval channel on a platform
    /// pimbot serves (the first such platform: one card per PIM request).
    fn watched_targets(&self) -> Vec<Watched<'_>> {
        self.targets
            .iter()
            .filter(|c| self.settings.mode_of(Some(&c.settings)) == ActivationMode::Activate)
            .filter_map(|configured| {
                let (platform, channel) = self.approval_channel_of(&configured.settings)?;
                Some(Watched {
                    configured,
                    target: configured.resolved(),
                    platform,
                    channel,
                })
            })
            .collect()
    }

    fn approval_channel_of(&self, settings: &TargetSettings) -> Option<(Platform, String)> {
        [Platform::Slack, Platform::Teams]
            .into_iter()
            .find_map(|platform| {
                let channel = settings.approval_channel.get(&platform)?;
                self.chat(platform)?;
                Some((platform, channel.clone()))
            })
    }

    /// Records a request PIM holds for approval as a pimbot request in `activating` (PIM's
    /// request and approval ids set), with its approval card and the job that follows it in PIM.
    /// Created at most once per PIM request (`pim-pending:<id>` is its origin), on one replica.
    async fn adopt_pending(
        &self,
        watched: &Watched<'_>,
        found: PendingActivation,
    ) -> Result<(), ServiceError> {
        let Some(user) = self.directory.user(&found.principal_id).await? else {
            tracing::warn!(principal = %found.principal_id, "PIM holds a request of someone the directory does not show");
            return Ok(());
        };
        let request = self.discovered_request(watched, &user, &found).await?;
        let id = request.id;
        let detail = json!({
            "pim_request_id": found.pim_request_id,
            "approval_id": found.approval_id,
            "principal": found.principal_id,
            "origin": ORIGIN,
        });
        let audit = AuditEvent::new("request.discovered", Some(id), AuditActor::system(), "ok")
            .with_detail(detail);
        let now = self.now();
        let mut jobs = self.work_jobs(id, &request.work(now), now);
        let line = audit_line(&request, "was found waiting for approval in PIM");
        jobs.extend(line_jobs(
            &self.audit_platforms(request.platform),
            &line,
            now,
        ));
        let lanes = Lanes::of(&jobs);
        let new = NewRequest {
            request,
            origin: Some(format!("pim-pending:{}", found.pim_request_id)),
            audit,
            jobs,
        };
        let stored = self.store.create_request(new).await?;
        if stored.id == id {
            tracing::info!(request.id = %id, pim_request_id = %found.pim_request_id, "a request PIM holds for approval was taken up");
            metrics::counter!("pimbot_requests_total").increment(1);
            self.jobs_ready.mark(lanes);
        }
        Ok(())
    }

    /// The pimbot request for `found`: approvers resolved as for a request made in chat, the
    /// duration PIM shows (else the target's default), PIM's ticket and justification.
    async fn discovered_request(
        &self,
        watched: &Watched<'_>,
        user: &DirectoryUser,
        found: &PendingActivation,
    ) -> Result<Request, ServiceError> {
        let eligible = EligibleFor {
            target: watched.target.clone(),
            via_group: None,
            settings: Some(watched.configured.settings.clone()),
        };
        let (policy, pim_policy) = self.effective_policy(&eligible).await?;
        let Approvers {
            people: approvers,
            source: approver_source,
        } = self
            .resolve_approvers(watched.platform, user, &eligible, &pim_policy)
            .await?;
        // The requester's chat id when the platform can name them; else only their name shows.
        let requester = self.approver_person(watched.platform, user).await?;
        let duration = found
            .duration
            .as_deref()
            .and_then(|d| ElevationDuration::parse(d).ok())
            .unwrap_or(policy.default_duration);
        let now = self.now();
        let conversation = ConversationId::new(watched.channel.clone());
        Ok(Request {
            id: self.store.next_request_id().await?,
            version: 1,
            state: State::Activating,
            mode: ActivationMode::Activate,
            pim_approval_id: Some(found.approval_id.clone()),
            platform: watched.platform,
            requester,
            target: watched.target.clone(),
            duration,
            ticket: found.ticket.clone(),
            justification: found.justification.clone(),
            approvers,
            approvals_required: 0,
            decisions: Vec::new(),
            conversation: conversation.clone(),
            approval_conversation: conversation,
            approval_deadline: now + self.settings.defaults.approval_timeout,
            pim_request_id: Some(found.pim_request_id.clone()),
            extends: None,
            approver_source,
            ended_by: None,
            active_until: None,
            failure: None,
            created_at: now,
            updated_at: now,
        })
    }
}

/// Whether pimbot already has `found`: a request with its PIM request id, or one of the same
/// person on the same target whose `selfActivate` is under way (its answer not recorded yet).
fn is_known(known: &[Request], target: &ResolvedTarget, found: &PendingActivation) -> bool {
    known.iter().any(|r| {
        r.pim_request_id.as_deref() == Some(found.pim_request_id.as_str())
            || (r.pim_approval_id.is_none()
                && r.requester.entra_id.as_str() == found.principal_id
                && r.target.resource == target.resource)
    })
}
