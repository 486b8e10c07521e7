//! Chat commands: accepted at once by the inbound handler, carried out by a job.

use serde_json::json;

use crate::domain::audit::AuditEvent;
use crate::domain::authorization::{Action, authorize};
use crate::domain::command::{Command, HELP};
use crate::domain::refusal::Refusal;
use crate::domain::request::{Event, Request, ShortId, State};

use super::identity::{Caller, unidentified};
use super::inbound::Inbound;
use super::jobs::{InboundCommand, Job, NewJob};
use super::limits::Limit;
use super::notice::Reply;
use super::transition::{Outcome, Step};
use super::{Service, ServiceError};

impl Service {
    /// Takes a chat command: answers at once (help, usage errors, "working on it") and leaves the
    /// slow part to a job that carries the command and answers through its envelope's `reply_to`.
    ///
    /// `delivery` names a delivery the platform may repeat (Teams activity ids): it is recorded in
    /// the transaction that records what the command causes, and a repeat of a delivery already
    /// handled gets an empty reply and changes nothing.
    pub async fn accept_command(
        &self,
        inbound: Inbound,
        delivery: Option<&str>,
    ) -> Result<Reply, ServiceError> {
        let repeated = || Reply::text("");
        let Inbound {
            envelope,
            text,
            command,
        } = inbound;
        let sender = envelope.sender();
        if let Err(slow) = self.limit(&sender, Limit::Commands) {
            return Ok(Reply::text(slow.to_string()));
        }
        let parsed = match command {
            Ok(parsed) => parsed,
            Err(error) => {
                let actor = unidentified(envelope.platform, &envelope.chat_user);
                let event = AuditEvent::new("command.unparsable", None, actor, "parse_error")
                    .with_detail(json!({ "text": text, "error": error.to_string() }));
                if !self
                    .record_effects(delivery, Some(event), Vec::new())
                    .await?
                {
                    return Ok(repeated());
                }
                return Ok(Reply::text(error.to_string()));
            }
        };
        if parsed.asks_for_elevation()
            && let Err(slow) = self.limit(&sender, Limit::Requests)
        {
            return Ok(Reply::text(slow.to_string()));
        }
        metrics::counter!("pimbot_commands_total", "command" => parsed.name()).increment(1);
        if parsed == Command::Help {
            if !self.record_effects(delivery, None, Vec::new()).await? {
                return Ok(repeated());
            }
            return Ok(Reply::text(HELP));
        }
        let working = match parsed {
            Command::Request(_) => "Checking your eligibility and the PIM policy…",
            _ => "Working on it…",
        };
        let command = InboundCommand::new(envelope, text, parsed);
        let job = NewJob::at(Job::Command { command }, self.now());
        if !self.record_effects(delivery, None, vec![job]).await? {
            return Ok(repeated());
        }
        Ok(Reply::text(working))
    }

    /// The `command` job: identify the caller, carry the command out (as it was read when it
    /// was accepted), answer where it was typed. `origin` identifies this command across retries
    /// of its job, so a request is created once.
    pub(crate) async fn run_command(
        &self,
        inbound: &InboundCommand,
        origin: &str,
    ) -> Result<(), ServiceError> {
        let reply = match self.identify(inbound.platform, &inbound.chat_user).await? {
            Err(refusal) => {
                self.audit_refusal(
                    None,
                    unidentified(inbound.platform, &inbound.chat_user),
                    &refusal,
                    json!({ "text": inbound.text }),
                )
                .await?;
                Reply::text(refusal.to_string())
            }
            Ok(caller) => {
                let command = inbound.command.clone();
                self.execute(&caller, inbound, origin, command).await?
            }
        };
        if let Some(chat) = self.chat(inbound.platform) {
            chat.reply(&inbound.reply_to, &reply).await?;
        }
        Ok(())
    }

    async fn execute(
        &self,
        caller: &Caller,
        inbound: &InboundCommand,
        origin: &str,
        parsed: Command,
    ) -> Result<Reply, ServiceError> {
        match parsed {
            Command::Help => Ok(Reply::text(HELP)),
            Command::List => self.list(caller).await,
            Command::Request(args) => self.submit(caller, inbound, origin, args, None).await,
            Command::Extend { id } => self.extend(caller, inbound, origin, id).await,
            Command::Status { id } => self.status(caller, id).await,
            Command::Cancel { id } => self.cancel(caller, id).await,
            Command::End { id } => self.end(caller, id).await,
            Command::Approvals => self.approvals(caller).await,
            Command::Approve { id, reason } => {
                Ok(self.decide_as(caller, id, true, reason).await?.reply)
            }
            Command::Deny { id, reason } => {
                Ok(self.decide_as(caller, id, false, Some(reason)).await?.reply)
            }
            Command::Login => self.login(caller).await,
            Command::Logout => self.logout(caller).await,
        }
    }

    async fn status(&self, caller: &Caller, id: Option<ShortId>) -> Result<Reply, ServiceError> {
        let requests = match id {
            Some(id) => match self.store.request(id).await? {
                Some(r)
                    if r.requester.entra_id == caller.user.id || r.is_approver(&caller.user.id) =>
                {
                    vec![r]
                }
                _ => {
                    return Ok(Reply::text(
                        Refusal::NoSuchRequest(id.to_string()).to_string(),
                    ));
                }
            },
            None => self.store.requests_of(&caller.user.id, 10).await?,
        };
        if requests.is_empty() {
            return Ok(Reply::text(
                "You have no requests yet. Try `request` or `list`.",
            ));
        }
        let lines: Vec<String> = requests.iter().map(status_line).collect();
        Ok(Reply::text(format!(
            "*Your requests*\n{}",
            lines.join("\n")
        )))
    }

    async fn approvals(&self, caller: &Caller) -> Result<Reply, ServiceError> {
        let waiting: Vec<Request> = self
            .store
            .pending_requests()
            .await?
            .into_iter()
            .filter(|r| {
                r.is_approver(&caller.user.id)
                    && !r.approvals().any(|d| d.approver.entra_id == caller.user.id)
            })
            .collect();
        if waiting.is_empty() {
            return Ok(Reply::text("Nothing is waiting for your decision."));
        }
        let lines: Vec<String> = waiting
            .iter()
            .map(|r| {
                format!(
                    "• {} from {}: {}",
                    status_line(r),
                    r.requester.display_name,
                    r.justification.as_deref().unwrap_or("")
                )
            })
            .collect();
        Ok(Reply::text(format!(
            "*Waiting for your decision*\n{}\nUse `approve ID` or `deny ID REASON`.",
            lines.join("\n")
        )))
    }

    async fn list(&self, caller: &Caller) -> Result<Reply, ServiceError> {
        let targets = self.eligible_targets(caller).await?;
        let mut text = String::from("*You are eligible for*\n");
        if targets.is_empty() {
            text.push_str("nothing in PIM (directly or through your groups).\n");
        }
        for target in &targets {
            text.push_str(&format!(
                "• {} — up to {}{}: `request {}`\n",
                target.label,
                target.max_duration,
                if target.require_ticket {
                    ", ticket required"
                } else {
                    ""
                },
                target.key
            ));
        }
        let active: Vec<String> = self
            .store
            .requests_of(&caller.user.id, 20)
            .await?
            .iter()
            .filter(|r| !r.state.is_final())
            .map(status_line)
            .collect();
        if !active.is_empty() {
            text.push_str(&format!("*In progress or active*\n{}", active.join("\n")));
        }
        Ok(Reply::text(text.trim_end().to_owned()))
    }

    async fn cancel(&self, caller: &Caller, id: ShortId) -> Result<Reply, ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(Reply::text(
                Refusal::NoSuchRequest(id.to_string()).to_string(),
            ));
        };
        if let Err(refusal) = authorize(&request, &caller.user.id, Action::Cancel) {
            self.audit_refusal(
                Some(id),
                caller.actor(),
                &refusal,
                json!({ "command": "cancel" }),
            )
            .await?;
            return Ok(Reply::text(refusal.to_string()));
        }
        let step = Step::new(Event::Cancel, caller.actor());
        Ok(match self.apply(&request, step).await? {
            Outcome::Applied { .. } => Reply::text(format!("{id} is cancelled.")),
            Outcome::LostRace => Reply::text(format!(
                "{id} changed meanwhile; nothing was cancelled. Try `status {id}`."
            )),
            Outcome::NotApplicable(invalid) => {
                Reply::text(format!("{id} is {}; nothing was cancelled.", invalid.from))
            }
        })
    }

    async fn end(&self, caller: &Caller, id: ShortId) -> Result<Reply, ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(Reply::text(
                Refusal::NoSuchRequest(id.to_string()).to_string(),
            ));
        };
        if let Err(refusal) = authorize(&request, &caller.user.id, Action::End) {
            self.audit_refusal(
                Some(id),
                caller.actor(),
                &refusal,
                json!({ "command": "end" }),
            )
            .await?;
            return Ok(Reply::text(refusal.to_string()));
        }
        let by = caller.user.display_name.clone();
        let step = Step::new(Event::RequestEnd { by }, caller.actor());
        Ok(match self.apply_fresh(&request, step).await? {
            Outcome::Applied { .. } => Reply::text(format!(
                "Ending {id} now; you will get a message when PIM has removed it."
            )),
            Outcome::NotApplicable(invalid) if invalid.from == State::Ending => Reply::text(
                format!("{id} is already ending; you will get a message when PIM has removed it."),
            ),
            Outcome::NotApplicable(invalid) => {
                Reply::text(format!("{id} is {}; nothing to end.", invalid.from))
            }
            Outcome::LostRace => Reply::text(format!(
                "{id} keeps changing; nothing was ended. Try `status {id}`."
            )),
        })
    }

    /// Records a refusal in the audit trail and the audit channel.
    pub(crate) async fn audit_refusal(
        &self,
        request: Option<ShortId>,
        actor: crate::domain::audit::AuditActor,
        refusal: &Refusal,
        detail: serde_json::Value,
    ) -> Result<(), ServiceError> {
        metrics::counter!("pimbot_refusals_total", "code" => refusal.code()).increment(1);
        let who = actor
            .display_name
            .clone()
            .or(actor.chat_id.clone())
            .unwrap_or_default();
        let mut detail = detail;
        detail["message"] = json!(refusal.to_string());
        let event = AuditEvent::new("request.refused", request, actor.clone(), refusal.code())
            .with_detail(detail);
        let platform = actor
            .platform
            .unwrap_or(crate::domain::request::Platform::Slack);
        let line = format!(
            "refused ({}): {who}{}",
            refusal.code(),
            request.map(|id| format!(" on {id}")).unwrap_or_default()
        );
        let jobs = self.audit_line_jobs(platform, line);
        self.record_effects(None, Some(event), jobs).await?;
        Ok(())
    }
}

/// `PIM-12 app1-secrets (…) for 2h: active until 14:05 UTC`.
pub(crate) fn status_line(request: &Request) -> String {
    let state = match (request.state, request.active_until) {
        (State::Active, Some(until)) => format!("active until {} UTC", until.format("%H:%M")),
        (State::Ending, _) => "ending (PIM is removing it)".to_owned(),
        (State::Failed, _) => format!(
            "failed: {}",
            request.failure.as_deref().unwrap_or("unknown error")
        ),
        (state, _) => state.to_string(),
    };
    format!(
        "{} {} for {}: {state}",
        request.id,
        request.target.label(),
        request.duration
    )
}
