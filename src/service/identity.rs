//! Who is typing: a chat user mapped to their Entra account (chat e-mail → Graph user, or the
//! Entra object id the platform already gives), cached.

use chrono::Utc;

use crate::domain::audit::AuditActor;
use crate::domain::refusal::Refusal;
use crate::domain::request::{Person, Platform};

use super::ports::{CachedIdentity, DirectoryUser, UserMapping};
use super::{Service, ServiceError};

/// A chat user whose Entra account is known and enabled.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) platform: Platform,
    pub(crate) chat_id: String,
    pub(crate) user: DirectoryUser,
}

impl Caller {
    pub(crate) fn person(&self) -> Person {
        Person {
            entra_id: self.user.id.clone(),
            display_name: self.user.display_name.clone(),
            chat_id: Some(self.chat_id.clone()),
        }
    }

    pub(crate) fn actor(&self) -> AuditActor {
        AuditActor {
            platform: Some(self.platform),
            chat_id: Some(self.chat_id.clone()),
            entra_id: Some(self.user.id.clone()),
            display_name: Some(self.user.display_name.clone()),
        }
    }
}

/// The audit actor for someone whose Entra account is not (yet) known.
pub(crate) fn unidentified(platform: Platform, chat_id: &str) -> AuditActor {
    AuditActor {
        platform: Some(platform),
        chat_id: Some(chat_id.to_owned()),
        entra_id: None,
        display_name: None,
    }
}

impl Service {
    /// Maps a chat user to an enabled Entra user, from the cache when it is fresh.
    pub(crate) async fn identify(
        &self,
        platform: Platform,
        chat_id: &str,
    ) -> Result<Result<Caller, Refusal>, ServiceError> {
        let cached = self.store.identity(platform, chat_id).await?;
        let fresh = cached
            .filter(|c| Utc::now() - c.fetched_at < self.settings.identity_ttl)
            .map(|c| c.user);
        let user = match fresh {
            Some(user) => user,
            None => match self.look_up_identity(platform, chat_id).await? {
                Some(user) => user,
                None => return Ok(Err(Refusal::UnknownUser)),
            },
        };
        if !user.account_enabled {
            return Ok(Err(Refusal::AccountDisabled));
        }
        Ok(Ok(Caller {
            platform,
            chat_id: chat_id.to_owned(),
            user,
        }))
    }

    async fn look_up_identity(
        &self,
        platform: Platform,
        chat_id: &str,
    ) -> Result<Option<DirectoryUser>, ServiceError> {
        let Some(chat) = self.chat(platform) else {
            return Ok(None);
        };
        let found = match chat.user_mapping() {
            UserMapping::EntraObjectId => self.directory.user(chat_id).await?,
            UserMapping::Email => match chat.user_email(chat_id).await? {
                Some(email) => self.directory.user_by_email(&email).await?,
                None => None,
            },
        };
        let Some(user) = found else {
            return Ok(None);
        };
        self.remember_identity(platform, chat_id, &user).await?;
        Ok(Some(user))
    }

    pub(crate) async fn remember_identity(
        &self,
        platform: Platform,
        chat_id: &str,
        user: &DirectoryUser,
    ) -> Result<(), ServiceError> {
        let identity = CachedIdentity {
            platform,
            chat_id: chat_id.to_owned(),
            user: user.clone(),
            fetched_at: Utc::now(),
        };
        self.store.save_identity(&identity).await?;
        Ok(())
    }

    /// Finds an approver's chat id (to mention them) and caches the mapping both ways.
    pub(crate) async fn approver_person(
        &self,
        platform: Platform,
        user: &DirectoryUser,
    ) -> Result<Person, ServiceError> {
        let mut chat_id = None;
        if let Some(chat) = self.chat(platform) {
            let email = user.mail.as_deref().or(user.user_principal_name.as_deref());
            match (chat.user_mapping(), email) {
                (UserMapping::EntraObjectId, _) => chat_id = Some(user.id.clone()),
                (UserMapping::Email, Some(email)) => chat_id = chat.user_by_email(email).await?,
                (UserMapping::Email, None) => {}
            }
        }
        if let Some(id) = &chat_id {
            self.remember_identity(platform, id, user).await?;
        }
        Ok(Person {
            entra_id: user.id.clone(),
            display_name: user.display_name.clone(),
            chat_id,
        })
    }
}
