//! Chat users' Entra identities, cached.

use super::{Dialect, SqlStore};
use crate::domain::request::Platform;
use crate::service::ports::{CachedIdentity, StoreError};
use crate::store::rows;

impl<D: Dialect> SqlStore<D> {
    pub(crate) async fn identity(
        &self,
        platform: Platform,
        chat_id: &str,
    ) -> Result<Option<CachedIdentity>, StoreError> {
        let row: Option<(String,)> = self
            .read("SELECT data FROM identities WHERE platform = $1 AND chat_id = $2")
            .bind(platform.as_str())
            .bind(chat_id)
            .fetch_optional()
            .await?;
        row.map(|(data,)| rows::identity_from_row(&data))
            .transpose()
    }

    pub(crate) async fn identities_of(
        &self,
        platform: Platform,
        entra_id: &str,
    ) -> Result<Vec<CachedIdentity>, StoreError> {
        let found: Vec<(String,)> = self
            .read(
                "SELECT data FROM identities WHERE platform = $1 AND entra_id = $2 \
                 ORDER BY chat_id",
            )
            .bind(platform.as_str())
            .bind(entra_id)
            .fetch_all()
            .await?;
        found
            .iter()
            .map(|(data,)| rows::identity_from_row(data))
            .collect()
    }

    pub(crate) async fn save_identity(&self, identity: &CachedIdentity) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        self.write(
            "INSERT INTO identities (platform, chat_id, entra_id, data, fetched_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform, chat_id) DO UPDATE \
             SET entra_id = excluded.entra_id, data = excluded.data, \
             fetched_at = excluded.fetched_at",
        )
        .bind(identity.platform.as_str())
        .bind(&identity.chat_id)
        .bind(&identity.user.id)
        .bind(rows::identity_json(identity)?)
        .bind(identity.fetched_at)
        .execute()
        .await?;
        Ok(())
    }
}
