//! Sign-ins (activate mode): the pending ones, each taken once by its callback, and the kept
//! ones, one per chat user. What is secret in them arrives sealed.

use chrono::{DateTime, Utc};

use super::{Dialect, SqlStore};
use crate::domain::request::Platform;
use crate::service::ports::{PendingSignIn, SignIn, StoreError};
use crate::store::rows;

/// `platform, chat_user, entra_id, sealed_verifier, purpose, created_at, expires_at`.
type PendingRow = (
    String,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

/// `entra_id, sealed_refresh_token, scopes, signed_in_at, refreshed_at, keep_until`.
type SignInRow = (
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
);

impl<D: Dialect> SqlStore<D> {
    pub(crate) async fn save_pending_sign_in(
        &self,
        state_digest: &str,
        pending: &PendingSignIn,
    ) -> Result<(), StoreError> {
        let purpose = rows::purpose_json(&pending.purpose)?;
        let _turn = self.write_turn().await;
        self.write(
            "INSERT INTO sign_in_states (state_digest, platform, chat_user, entra_id, \
             sealed_verifier, purpose, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(state_digest)
        .bind(pending.platform.as_str())
        .bind(&pending.chat_user)
        .bind(&pending.entra_id)
        .bind(&pending.sealed_verifier)
        .bind(purpose)
        .bind(pending.created_at)
        .bind(pending.expires_at)
        .execute()
        .await?;
        Ok(())
    }

    /// One statement deletes the row and returns it, so of two takes only one gets it (on
    /// PostgreSQL the second waits for the first's row lock, then finds the row gone).
    pub(crate) async fn take_pending_sign_in(
        &self,
        state_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        let _turn = self.write_turn().await;
        let row: Option<PendingRow> = self
            .write(
                "DELETE FROM sign_in_states WHERE state_digest = $1 \
                 RETURNING platform, chat_user, entra_id, sealed_verifier, purpose, \
                 created_at, expires_at",
            )
            .bind(state_digest)
            .fetch_optional()
            .await?;
        let Some((platform, chat_user, entra_id, sealed_verifier, purpose, created_at, expires_at)) =
            row
        else {
            return Ok(None);
        };
        if expires_at <= now {
            return Ok(None);
        }
        Ok(Some(PendingSignIn {
            platform: rows::platform_from_db(&platform)?,
            chat_user,
            entra_id,
            sealed_verifier,
            purpose: rows::purpose_from_row(&purpose)?,
            created_at,
            expires_at,
        }))
    }

    /// The pending sign-in under `state_digest`, left in place (the link's first stop reads it;
    /// only the callback takes it).
    pub(crate) async fn pending_sign_in(
        &self,
        state_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        let row: Option<PendingRow> = self
            .read(
                "SELECT platform, chat_user, entra_id, sealed_verifier, purpose, created_at, \
                 expires_at FROM sign_in_states WHERE state_digest = $1",
            )
            .bind(state_digest)
            .fetch_optional()
            .await?;
        let Some((platform, chat_user, entra_id, sealed_verifier, purpose, created_at, expires_at)) =
            row.filter(|row| row.6 > now)
        else {
            return Ok(None);
        };
        Ok(Some(PendingSignIn {
            platform: rows::platform_from_db(&platform)?,
            chat_user,
            entra_id,
            sealed_verifier,
            purpose: rows::purpose_from_row(&purpose)?,
            created_at,
            expires_at,
        }))
    }

    pub(crate) async fn save_sign_in(&self, sign_in: &SignIn) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        self.write(
            "INSERT INTO sign_ins (platform, chat_user, entra_id, sealed_refresh_token, scopes, \
             signed_in_at, refreshed_at, keep_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (platform, chat_user) DO UPDATE SET entra_id = excluded.entra_id, \
             sealed_refresh_token = excluded.sealed_refresh_token, scopes = excluded.scopes, \
             signed_in_at = excluded.signed_in_at, refreshed_at = excluded.refreshed_at, \
             keep_until = excluded.keep_until",
        )
        .bind(sign_in.platform.as_str())
        .bind(&sign_in.chat_user)
        .bind(&sign_in.entra_id)
        .bind(&sign_in.sealed_refresh_token)
        .bind(sign_in.scopes.join(" "))
        .bind(sign_in.signed_in_at)
        .bind(sign_in.refreshed_at)
        .bind(sign_in.keep_until)
        .execute()
        .await?;
        Ok(())
    }

    pub(crate) async fn sign_in(
        &self,
        platform: Platform,
        chat_user: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignIn>, StoreError> {
        let row: Option<SignInRow> = self
            .read(
                "SELECT entra_id, sealed_refresh_token, scopes, signed_in_at, refreshed_at, \
                 keep_until FROM sign_ins \
                 WHERE platform = $1 AND chat_user = $2 AND keep_until > $3",
            )
            .bind(platform.as_str())
            .bind(chat_user)
            .bind(now)
            .fetch_optional()
            .await?;
        Ok(row.map(
            |(entra_id, sealed_refresh_token, scopes, signed_in_at, refreshed_at, keep_until)| {
                SignIn {
                    platform,
                    chat_user: chat_user.to_owned(),
                    entra_id,
                    sealed_refresh_token,
                    scopes: scopes.split_whitespace().map(str::to_owned).collect(),
                    signed_in_at,
                    refreshed_at,
                    keep_until,
                }
            },
        ))
    }

    pub(crate) async fn forget_sign_in(
        &self,
        platform: Platform,
        chat_user: &str,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let removed = self
            .write("DELETE FROM sign_ins WHERE platform = $1 AND chat_user = $2")
            .bind(platform.as_str())
            .bind(chat_user)
            .execute()
            .await?;
        Ok(removed > 0)
    }

    pub(crate) async fn purge_expired_sign_ins(
        &self,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let states = tx
            .sql("DELETE FROM sign_in_states WHERE expires_at <= $1")
            .bind(now)
            .execute()
            .await?;
        let kept = tx
            .sql("DELETE FROM sign_ins WHERE keep_until <= $1")
            .bind(now)
            .execute()
            .await?;
        tx.commit().await?;
        Ok(states + kept)
    }
}
