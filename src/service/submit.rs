//! `request`: resolve, check eligibility and policy, find approvers, then record a pending request.

use serde_json::json;

use crate::domain::audit::AuditEvent;
use crate::domain::command::RequestArgs;
use crate::domain::ids::ConversationId;
use crate::domain::mode::ActivationMode;
use crate::domain::refusal::Refusal;
use crate::domain::request::{Request, ShortId, State};
use crate::domain::target::{GroupAccess, PimResource, ResolvedTarget, TargetRef};

use super::identity::Caller;
use super::jobs::{InboundCommand, Lanes};
use super::notice::Reply;
use super::ports::{EligibleTarget, NewRequest};
use super::transition::{audit_line, line_jobs, summary};
use super::{Service, ServiceError};

impl Service {
    pub(crate) async fn submit(
        &self,
        caller: &Caller,
        inbound: &InboundCommand,
        origin: &str,
        args: RequestArgs,
        extends: Option<ShortId>,
    ) -> Result<Reply, ServiceError> {
        let Some(typed) = args.target.clone() else {
            return Ok(Reply::text(
                "Name a target (`request TARGET for 2h ticket ID REASON`), or use `list` to see yours.",
            ));
        };
        let detail = json!({
            "text": inbound.text,
            "target": typed.to_string(),
            "duration": args.duration.map(|d| d.to_iso8601()),
            "ticket": args.ticket,
            "justification": args.reason,
        });
        match self.prepare(caller, inbound, &typed, args).await? {
            Ok(mut draft) => {
                draft.extends = extends;
                if draft.mode == ActivationMode::Activate && !self.signed_in(caller).await? {
                    return self.refuse_until_signed_in(caller, detail).await;
                }
                let request = self.create(draft, caller, origin).await?;
                if request.state == State::Approved {
                    return Ok(Reply::text(format!(
                        "{} goes to PIM as you: {} for {}. PIM checks its own rules and approvals; I'll tell you what it says.",
                        request.id,
                        request.target.label(),
                        request.duration
                    )));
                }
                let approvers: Vec<&str> = request
                    .approvers
                    .iter()
                    .map(|a| a.display_name.as_str())
                    .collect();
                Ok(Reply::text(format!(
                    "{} is waiting for approval by {}: {} for {}.",
                    request.id,
                    approvers.join(", "),
                    request.target.label(),
                    request.duration
                )))
            }
            Err(refusal) => {
                self.audit_refusal(None, caller.actor(), &refusal, detail)
                    .await?;
                Ok(Reply::text(refusal.to_string()))
            }
        }
    }

    /// Every check, in the order a person would want to hear about problems.
    async fn prepare(
        &self,
        caller: &Caller,
        inbound: &InboundCommand,
        typed: &TargetRef,
        args: RequestArgs,
    ) -> Result<Result<Request, Refusal>, ServiceError> {
        let eligible = match self.resolve_eligible(caller, typed).await? {
            Ok(eligible) => eligible,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let (policy, pim_policy) = self.effective_policy(&eligible).await?;
        let mode = self.settings.mode_of(eligible.settings.as_ref());
        let policy = match mode {
            ActivationMode::Activate => policy.enforced_by_pim(),
            ActivationMode::Assign => policy,
        };
        let duration = args.duration.unwrap_or(policy.default_duration);
        if let Err(refusal) = policy.check(duration, args.ticket.as_deref(), args.reason.as_deref())
        {
            return Ok(Err(refusal));
        }
        let super::approvers::Approvers {
            people: approvers,
            source: approver_source,
        } = self
            .resolve_approvers(inbound.platform, &caller.user, &eligible, &pim_policy)
            .await?;
        let explicit = eligible
            .settings
            .as_ref()
            .and_then(|t| t.approvals_required);
        // Activate mode: PIM runs its own approval; pimbot's only when the target asks for it.
        let required = match (mode, explicit) {
            (ActivationMode::Activate, None) => 0,
            (_, explicit) => explicit.unwrap_or(self.settings.defaults.approvals_required),
        };
        if required > 0 && (approvers.is_empty() || (approvers.len() as u32) < required) {
            return Ok(Err(Refusal::NoApprovers));
        }
        let approval_conversation = eligible
            .settings
            .as_ref()
            .and_then(|t| t.approval_channel.get(&inbound.platform).cloned())
            .unwrap_or_else(|| inbound.conversation.clone());
        let now = self.now();
        Ok(Ok(Request {
            id: ShortId::new(0),
            version: 0,
            state: if required == 0 {
                State::Approved
            } else {
                State::PendingApproval
            },
            mode,
            pim_approval_id: None,
            platform: inbound.platform,
            requester: caller.person(),
            target: eligible.target,
            duration,
            ticket: args.ticket,
            justification: args.reason,
            approvers,
            approvals_required: required,
            decisions: Vec::new(),
            conversation: ConversationId::new(inbound.conversation.clone()),
            approval_conversation: ConversationId::new(approval_conversation),
            approval_deadline: now + self.settings.defaults.approval_timeout,
            pim_request_id: None,
            extends: None,
            approver_source,
            ended_by: None,
            active_until: None,
            failure: None,
            created_at: now,
            updated_at: now,
        }))
    }

    async fn create(
        &self,
        draft: Request,
        caller: &Caller,
        origin: &str,
    ) -> Result<Request, ServiceError> {
        // The id comes first, so that the event and the jobs can name it.
        let request = Request {
            id: self.store.next_request_id().await?,
            version: 1,
            ..draft
        };
        let audit = AuditEvent::new("request.submitted", Some(request.id), caller.actor(), "ok")
            .with_detail(summary(&request));
        let now = self.now();
        let mut jobs = self.work_jobs(request.id, &request.work(now), now);
        let platforms = self.audit_platforms(request.platform);
        jobs.extend(line_jobs(
            &platforms,
            &audit_line(&request, "submitted"),
            now,
        ));
        let lanes = Lanes::of(&jobs);
        let new = NewRequest {
            request,
            origin: Some(origin.to_owned()),
            audit,
            jobs,
        };
        let request = self.store.create_request(new).await?;
        metrics::counter!("pimbot_requests_total").increment(1);
        tracing::Span::current().record("request.id", tracing::field::display(request.id));
        self.jobs_ready.mark(lanes);
        Ok(request)
    }

    /// The targets the caller may request, with the limits a form shows: Entra roles, groups and
    /// Azure roles (at the configured `arm_scopes`) the caller is eligible for.
    pub(crate) async fn eligible_targets(
        &self,
        caller: &Caller,
    ) -> Result<Vec<EligibleTarget>, ServiceError> {
        let principals = self.principals(caller).await?;
        let typed = self.discover_targets(&principals).await?;
        let mut targets = Vec::new();
        for typed in typed {
            let Ok(eligible) = self.resolve_eligible(caller, &typed).await? else {
                continue;
            };
            let (policy, _) = self.effective_policy(&eligible).await?;
            let target = &eligible.target;
            let key = match (&target.name, &target.resource) {
                (Some(name), _) => name.clone(),
                (None, PimResource::Role(role)) => {
                    format!(
                        "role:\"{}\"@{}",
                        target.display_name, role.directory_scope_id
                    )
                }
                (None, PimResource::Group(group)) => match group.access {
                    GroupAccess::Owner => format!("group:\"{}\"/owner", target.display_name),
                    GroupAccess::Member => format!("group:\"{}\"", target.display_name),
                },
                (None, PimResource::Azure(role)) => {
                    format!("azure:\"{}\"@{}", target.display_name, role.scope)
                }
            };
            targets.push(EligibleTarget {
                key,
                label: target.label(),
                max_duration: policy.max_duration,
                default_duration: policy.default_duration,
                require_ticket: policy.require_ticket,
                require_justification: policy.require_justification,
            });
        }
        Ok(targets)
    }

    /// The `fill_form` job.
    pub(crate) async fn fill_form(
        &self,
        platform: crate::domain::request::Platform,
        chat_user: &str,
        form_ref: &str,
    ) -> Result<(), ServiceError> {
        let Some(chat) = self.chat(platform) else {
            return Ok(());
        };
        match self.identify(platform, chat_user).await? {
            Err(refusal) => {
                chat.show_request_form(form_ref, &[], Some(&refusal.to_string()))
                    .await?
            }
            Ok(caller) => {
                let targets = self.eligible_targets(&caller).await?;
                let error = targets.is_empty().then_some(
                    "You are not eligible for anything in PIM (directly or through your groups).",
                );
                chat.show_request_form(form_ref, &targets, error).await?;
            }
        }
        Ok(())
    }
}

impl Service {
    /// `extend ID`: the same target, duration and ticket asked for again by the requester of an
    /// active elevation, through the same policy and approval; activating it ends the old one.
    pub(crate) async fn extend(
        &self,
        caller: &Caller,
        inbound: &InboundCommand,
        origin: &str,
        id: ShortId,
    ) -> Result<Reply, ServiceError> {
        let Some(old) = self.store.request(id).await? else {
            return Ok(Reply::text(
                Refusal::NoSuchRequest(id.to_string()).to_string(),
            ));
        };
        if old.requester.entra_id != caller.user.id {
            let refusal = Refusal::NotYours(id.to_string());
            let detail = json!({ "command": "extend" });
            self.audit_refusal(Some(id), caller.actor(), &refusal, detail)
                .await?;
            return Ok(Reply::text(refusal.to_string()));
        }
        if old.state != State::Active {
            return Ok(Reply::text(format!(
                "Only an active elevation can be extended; {id} is {}. Ask again with `request`.",
                old.state
            )));
        }
        let reason = match &old.justification {
            Some(why) => format!("extends {id}: {why}"),
            None => format!("extends {id}"),
        };
        let args = RequestArgs {
            target: Some(typed_target(&old.target)),
            duration: Some(old.duration),
            ticket: old.ticket.clone(),
            reason: Some(reason),
        };
        // Asked for where the original was (its approvers' channel), not in the DM where the
        // Extend button sits; answers still go where the command came from.
        let inbound = InboundCommand {
            conversation: old.conversation.to_string(),
            ..inbound.clone()
        };
        self.submit(caller, &inbound, origin, args, Some(id)).await
    }
}

/// How to ask for `target` again: its configured name, else its kind, id and scope.
fn typed_target(target: &ResolvedTarget) -> TargetRef {
    if let Some(name) = &target.name {
        return TargetRef::Named(name.clone());
    }
    match &target.resource {
        PimResource::Role(role) => TargetRef::Role {
            role: role.role_definition_id.clone(),
            scope: Some(role.directory_scope_id.clone()),
        },
        PimResource::Group(group) => TargetRef::Group {
            group: group.group_id.clone(),
            access: group.access,
        },
        PimResource::Azure(role) => TargetRef::Azure {
            role: role.role_definition_id.clone(),
            scope: role.scope.clone(),
        },
    }
}
