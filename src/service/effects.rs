//! The chat side effects: approval messages, DMs and audit lines, each safe to repeat.

use crate::domain::request::{Platform, ShortId, State};

use super::notice::{ApproverNotice, Notice};
use super::{Service, ServiceError};

impl Service {
    /// Posts the approval message once; a repeat finds the stored message and updates it instead.
    pub(crate) async fn post_approval(&self, id: ShortId) -> Result<(), ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(());
        };
        let Some(chat) = self.chat(request.platform) else {
            return Ok(());
        };
        if let Some(message) = self.store.message(id, request.platform).await? {
            chat.update_approval(&request, &message).await?;
            return Ok(());
        }
        let message = chat.post_approval(&request).await?;
        self.store
            .save_message(id, request.platform, &message)
            .await?;
        Ok(())
    }

    /// Re-renders the approval message from the request's current state.
    pub(crate) async fn update_approval(&self, id: ShortId) -> Result<(), ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(());
        };
        let Some(chat) = self.chat(request.platform) else {
            return Ok(());
        };
        match self.store.message(id, request.platform).await? {
            Some(message) => Ok(chat.update_approval(&request, &message).await?),
            // Activate mode posts an approval message only when PIM asks for approval.
            None if request.mode == crate::domain::mode::ActivationMode::Activate => Ok(()),
            None => Err(ServiceError::NotReady(format!(
                "the approval message of {id} is not posted yet"
            ))),
        }
    }

    /// Reminds the approvers while the request is still pending, or tells them it expired.
    pub(crate) async fn notify_approvers(
        &self,
        id: ShortId,
        notice: ApproverNotice,
    ) -> Result<(), ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(());
        };
        let still_relevant = match notice {
            ApproverNotice::Reminder => request.state == State::PendingApproval,
            ApproverNotice::Expired => request.state == State::Expired,
        };
        let Some(chat) = self.chat(request.platform) else {
            return Ok(());
        };
        if !still_relevant {
            return Ok(());
        }
        let message = self.store.message(id, request.platform).await?;
        chat.notify_approvers(&request, message.as_ref(), notice)
            .await?;
        Ok(())
    }

    pub(crate) async fn notify(&self, id: ShortId, notice: &Notice) -> Result<(), ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(());
        };
        if let Some(chat) = self.chat(request.platform) {
            chat.notify_requester(&request, notice).await?;
        }
        Ok(())
    }

    pub(crate) async fn post_audit_line(
        &self,
        platform: Platform,
        line: &str,
    ) -> Result<(), ServiceError> {
        if let Some(chat) = self.chat(platform) {
            chat.post_audit_line(line).await?;
        }
        Ok(())
    }
}
