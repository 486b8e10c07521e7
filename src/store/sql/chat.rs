//! What the chat adapters keep: the approval message of each request on each platform, and
//! Teams conversation references.

use chrono::Utc;

use super::{Dialect, SqlStore};
use crate::domain::request::{Platform, ShortId};
use crate::service::ports::{ConversationRef, MessageRef, StoreError};

impl<D: Dialect> SqlStore<D> {
    pub(crate) async fn save_message(
        &self,
        request: ShortId,
        platform: Platform,
        message: &MessageRef,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        self.write(
            "INSERT INTO chat_messages (request_id, platform, conversation, message_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (request_id, platform) DO UPDATE \
             SET conversation = excluded.conversation, message_id = excluded.message_id",
        )
        .bind(request.get())
        .bind(platform.as_str())
        .bind(&message.conversation)
        .bind(&message.message_id)
        .execute()
        .await?;
        Ok(())
    }

    pub(crate) async fn message(
        &self,
        request: ShortId,
        platform: Platform,
    ) -> Result<Option<MessageRef>, StoreError> {
        let row: Option<(String, String)> = self
            .read(
                "SELECT conversation, message_id FROM chat_messages \
                 WHERE request_id = $1 AND platform = $2",
            )
            .bind(request.get())
            .bind(platform.as_str())
            .fetch_optional()
            .await?;
        Ok(row.map(|(conversation, message_id)| MessageRef {
            conversation,
            message_id,
        }))
    }

    pub(crate) async fn save_conversation_ref(
        &self,
        reference: &ConversationRef,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        self.write(
            "INSERT INTO conversation_refs \
             (platform, key, conversation_id, service_url, tenant_id, member_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (platform, key) DO UPDATE \
             SET conversation_id = COALESCE(excluded.conversation_id, conversation_refs.conversation_id), \
             service_url = excluded.service_url, \
             tenant_id = COALESCE(excluded.tenant_id, conversation_refs.tenant_id), \
             member_id = COALESCE(excluded.member_id, conversation_refs.member_id), \
             updated_at = excluded.updated_at",
        )
        .bind(reference.platform.as_str())
        .bind(&reference.key)
        .bind(&reference.conversation_id)
        .bind(&reference.service_url)
        .bind(&reference.tenant_id)
        .bind(&reference.member_id)
        .bind(Utc::now())
        .execute()
        .await?;
        Ok(())
    }

    pub(crate) async fn conversation_ref(
        &self,
        platform: Platform,
        key: &str,
    ) -> Result<Option<ConversationRef>, StoreError> {
        type Row = (Option<String>, String, Option<String>, Option<String>);
        let row: Option<Row> = self
            .read(
                "SELECT conversation_id, service_url, tenant_id, member_id \
                 FROM conversation_refs WHERE platform = $1 AND key = $2",
            )
            .bind(platform.as_str())
            .bind(key)
            .fetch_optional()
            .await?;
        Ok(row.map(
            |(conversation_id, service_url, tenant_id, member_id)| ConversationRef {
                platform,
                key: key.to_owned(),
                conversation_id,
                service_url,
                tenant_id,
                member_id,
            },
        ))
    }
}
