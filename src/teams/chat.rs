//! The `Chat` port on Teams: approval cards, DMs (opening the 1:1 conversation when none is
//! stored), the audit conversation, replies and the form. Service URLs come from conversation
//! references stored from authenticated activities, else from the configuration.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::connector::Connector;
use super::{TeamsSettings, render};
use crate::domain::request::{Person, Platform, Request};
use crate::service::notice::{ApproverNotice, Notice, Reply};
use crate::service::ports::{
    Chat, ChatAccount, ConversationRef, EligibleTarget, MessageRef, Store, UpstreamError,
    UpstreamErrorKind, UserMapping,
};

/// Talks to Teams through the Connector.
pub struct TeamsChat {
    connector: Connector,
    store: Arc<dyn Store>,
    settings: Arc<TeamsSettings>,
}

/// The conversation-reference key of a person.
pub(crate) fn person_key(entra_id: &str) -> String {
    format!("user:{entra_id}")
}

impl TeamsChat {
    pub fn new(connector: Connector, store: Arc<dyn Store>, settings: Arc<TeamsSettings>) -> Self {
        Self {
            connector,
            store,
            settings,
        }
    }

    /// The service URL for a conversation: its stored reference (or its channel's, for a
    /// thread), else the configured one.
    async fn service_url(&self, conversation: &str) -> Result<String, UpstreamError> {
        let channel = conversation.split(';').next().unwrap_or(conversation);
        for key in [conversation, channel] {
            if let Some(reference) = self.reference(key).await? {
                return Ok(reference.service_url);
            }
        }
        Ok(self.settings.service_url.clone())
    }

    async fn reference(&self, key: &str) -> Result<Option<ConversationRef>, UpstreamError> {
        self.store
            .conversation_ref(Platform::Teams, key)
            .await
            .map_err(|e| {
                UpstreamError::new(
                    crate::service::ports::Upstream::Teams,
                    "conversation_ref",
                    UpstreamErrorKind::Unavailable,
                    e.to_string(),
                )
            })
    }

    async fn post(
        &self,
        conversation: &str,
        activity: &serde_json::Value,
    ) -> Result<String, UpstreamError> {
        let service_url = self.service_url(conversation).await?;
        self.connector
            .send(&service_url, conversation, activity)
            .await
    }

    /// The 1:1 conversation with a person (by Entra object id), created when none is stored.
    /// The approval card, refreshed live for the approvers whose Teams user id (`29:…`, what
    /// `refresh.userIds` takes) pimbot has seen; the others see it updated when it is.
    pub(crate) async fn approval_card(
        &self,
        request: &Request,
        note: Option<&str>,
    ) -> serde_json::Value {
        let mut members = Vec::new();
        for approver in &request.approvers {
            match self
                .reference(&person_key(approver.entra_id.as_str()))
                .await
            {
                Ok(Some(ConversationRef {
                    member_id: Some(member),
                    ..
                })) => members.push(member),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not read an approver's Teams id"),
            }
        }
        render::approval_card(request, note, &members)
    }

    async fn personal_conversation(
        &self,
        entra_id: &str,
    ) -> Result<(String, String), UpstreamError> {
        let key = person_key(entra_id);
        let known = self.reference(&key).await?;
        if let Some(ConversationRef {
            conversation_id: Some(conversation),
            service_url,
            ..
        }) = &known
        {
            return Ok((service_url.clone(), conversation.clone()));
        }
        let service_url = known.as_ref().map_or_else(
            || self.settings.service_url.clone(),
            |r| r.service_url.clone(),
        );
        let tenant = known
            .as_ref()
            .and_then(|r| r.tenant_id.clone())
            .unwrap_or_else(|| self.settings.tenant_id.clone());
        // Teams takes the user's `29:` id, or their Entra object id when pimbot never saw them.
        let member = known
            .as_ref()
            .and_then(|r| r.member_id.clone())
            .unwrap_or_else(|| entra_id.to_owned());
        let parameters = json!({
            "bot": {"id": format!("28:{}", self.settings.app_id)},
            "members": [{"id": member}],
            "isGroup": false,
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        });
        let created = self
            .connector
            .create_conversation(&service_url, &parameters)
            .await?;
        let reference = ConversationRef {
            platform: Platform::Teams,
            key,
            conversation_id: Some(created.conversation_id.clone()),
            service_url: service_url.clone(),
            tenant_id: Some(tenant),
            member_id: Some(member),
        };
        if let Err(error) = self.store.save_conversation_ref(&reference).await {
            tracing::warn!(error = %error, "could not remember a 1:1 conversation");
        }
        Ok((service_url, created.conversation_id))
    }
}

#[async_trait]
impl Chat for TeamsChat {
    fn platform(&self) -> Platform {
        Platform::Teams
    }

    fn user_mapping(&self) -> UserMapping {
        UserMapping::EntraObjectId
    }

    /// Never asked: a Teams user id is the Entra object id ([`UserMapping::EntraObjectId`]).
    async fn account(&self, _chat_id: &str) -> Result<ChatAccount, UpstreamError> {
        Ok(ChatAccount::Unknown)
    }

    async fn user_by_email(&self, _email: &str) -> Result<Option<String>, UpstreamError> {
        Ok(None)
    }

    async fn post_approval(&self, request: &Request) -> Result<MessageRef, UpstreamError> {
        let card = self.approval_card(request, None).await;
        let conversation = request.approval_conversation.as_str();
        let id = self
            .post(conversation, &render::card_message(&card))
            .await?;
        Ok(MessageRef {
            conversation: conversation.to_owned(),
            message_id: id,
        })
    }

    async fn update_approval(
        &self,
        request: &Request,
        message: &MessageRef,
    ) -> Result<(), UpstreamError> {
        let mut activity = render::card_message(&self.approval_card(request, None).await);
        activity["id"] = json!(message.message_id);
        let service_url = self.service_url(&message.conversation).await?;
        self.connector
            .update(
                &service_url,
                &message.conversation,
                &message.message_id,
                &activity,
            )
            .await
    }

    async fn notify_approvers(
        &self,
        request: &Request,
        message: Option<&MessageRef>,
        notice: ApproverNotice,
    ) -> Result<(), UpstreamError> {
        let conversation = message.map_or(request.approval_conversation.as_str(), |m| {
            m.conversation.as_str()
        });
        let text = render::approver_notice_text(request, notice);
        self.post(conversation, &render::text_message(&text))
            .await
            .map(drop)
    }

    async fn notify_requester(
        &self,
        request: &Request,
        notice: &Notice,
    ) -> Result<(), UpstreamError> {
        if request.requester.chat_id.is_none() {
            // A request made outside chat (the portal), by someone pimbot has no Teams id for:
            // their news is on the approval card only.
            tracing::debug!(request.id = %request.id, "no Teams id for the requester; not told");
            return Ok(());
        }
        let (service_url, conversation) = self
            .personal_conversation(request.requester.entra_id.as_str())
            .await?;
        let activity = render::notice_message(request, notice);
        self.connector
            .send(&service_url, &conversation, &activity)
            .await
            .map(drop)
    }

    async fn tell(&self, person: &Person, reply: &Reply) -> Result<(), UpstreamError> {
        let (service_url, conversation) =
            self.personal_conversation(person.entra_id.as_str()).await?;
        let activity = render::text_message(&render::reply_text(reply));
        self.connector
            .send(&service_url, &conversation, &activity)
            .await
            .map(drop)
    }

    async fn post_audit_line(&self, line: &str) -> Result<(), UpstreamError> {
        let Some(conversation) = self.settings.audit_conversation.as_deref() else {
            return Ok(());
        };
        self.post(
            conversation,
            &render::text_message(&render::audit_line(line)),
        )
        .await
        .map(drop)
    }

    async fn reply(&self, reply_to: &str, reply: &Reply) -> Result<(), UpstreamError> {
        self.post(reply_to, &render::text_message(&render::reply_text(reply)))
            .await
            .map(drop)
    }

    async fn show_request_form(
        &self,
        form_ref: &str,
        targets: &[EligibleTarget],
        error: Option<&str>,
    ) -> Result<(), UpstreamError> {
        let card = render::request_form(targets, error);
        self.post(form_ref, &render::card_message(&card))
            .await
            .map(drop)
    }
}
