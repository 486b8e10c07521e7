//! The `Chat` port on Slack: approval messages, DMs, the audit channel, replies and the form.

use async_trait::async_trait;
use serde_json::json;

use super::{SERVICE, SlackClient};
use crate::domain::ids::ChatUserId;
use crate::domain::request::{Person, Platform, Request};
use crate::service::notice::{ApproverNotice, Notice, Reply};
use crate::service::ports::{
    Chat, ChatAccount, EligibleTarget, MessageRef, UpstreamError, UpstreamErrorKind,
};
use crate::slack::form::FormRef;
use crate::slack::render;

/// `reply_to` prefix for a direct message instead of a `response_url`.
pub(crate) const DM_PREFIX: &str = "dm:";

#[async_trait]
impl Chat for SlackClient {
    fn platform(&self) -> Platform {
        Platform::Slack
    }

    async fn account(&self, chat_id: &str) -> Result<ChatAccount, UpstreamError> {
        SlackClient::account(self, chat_id).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<String>, UpstreamError> {
        SlackClient::user_by_email(self, email).await
    }

    async fn post_approval(&self, request: &Request) -> Result<MessageRef, UpstreamError> {
        self.post_message(
            request.approval_conversation.as_str(),
            render::approval_message(request),
        )
        .await
    }

    async fn update_approval(
        &self,
        request: &Request,
        message: &MessageRef,
    ) -> Result<(), UpstreamError> {
        self.update_message(message, render::approval_message(request))
            .await
    }

    async fn notify_approvers(
        &self,
        request: &Request,
        message: Option<&MessageRef>,
        notice: ApproverNotice,
    ) -> Result<(), UpstreamError> {
        let mut body = json!({ "text": render::approver_notice_text(request, notice) });
        let channel = match message {
            Some(message) => {
                body["thread_ts"] = json!(message.message_id);
                message.conversation.as_str()
            }
            None => request.approval_conversation.as_str(),
        };
        self.post_message(channel, body).await.map(drop)
    }

    async fn notify_requester(
        &self,
        request: &Request,
        notice: &Notice,
    ) -> Result<(), UpstreamError> {
        let Some(user) = request.requester.chat_id.as_ref().map(ChatUserId::as_str) else {
            // A request made outside chat (the portal), by someone Slack did not name: their
            // news is on the approval card only.
            tracing::debug!(request.id = %request.id, "no Slack user id for the requester; not told");
            return Ok(());
        };
        self.send_dm_message(user, render::notice_message(request, notice))
            .await
            .map(drop)
    }

    async fn tell(&self, person: &Person, reply: &Reply) -> Result<(), UpstreamError> {
        let user = slack_user(person, "tell")?;
        self.send_dm(user, &render::reply_text(reply))
            .await
            .map(drop)
    }

    async fn post_audit_line(&self, line: &str) -> Result<(), UpstreamError> {
        let Some(channel) = self.settings().audit_channel.as_deref() else {
            return Ok(());
        };
        let message = json!({"text": render::audit_line(line), "unfurl_links": false});
        self.post_message(channel, message).await.map(drop)
    }

    async fn reply(&self, reply_to: &str, reply: &Reply) -> Result<(), UpstreamError> {
        if let Some(user) = reply_to.strip_prefix(DM_PREFIX) {
            return self
                .send_dm(user, &render::reply_text(reply))
                .await
                .map(drop);
        }
        if reply_to.starts_with("https://") || reply_to.starts_with("http://") {
            let mut body = render::ephemeral(reply);
            body["replace_original"] = json!(false);
            return self.respond(reply_to, &body).await;
        }
        Err(UpstreamError::new(
            SERVICE,
            "reply",
            UpstreamErrorKind::Rejected,
            "reply_to is neither a response_url nor dm:<user id>",
        ))
    }

    async fn show_request_form(
        &self,
        form_ref: &str,
        targets: &[EligibleTarget],
        error: Option<&str>,
    ) -> Result<(), UpstreamError> {
        let form = FormRef::parse(form_ref);
        let view = match error {
            Some(error) => render::request_form_error(error),
            None => render::request_form(form.channel.as_deref(), targets),
        };
        self.update_view(&form.view_id, view).await
    }
}

/// The person's Slack user id, which a direct message needs.
#[expect(
    clippy::result_large_err,
    reason = "UpstreamError is the port's error type"
)]
fn slack_user<'a>(person: &'a Person, operation: &str) -> Result<&'a str, UpstreamError> {
    person
        .chat_id
        .as_ref()
        .map(ChatUserId::as_str)
        .ok_or_else(|| {
            UpstreamError::new(
                SERVICE,
                operation,
                UpstreamErrorKind::Rejected,
                format!("no Slack user id for {}", person.display_name),
            )
        })
}
