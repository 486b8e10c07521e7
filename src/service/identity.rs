//! Who is typing: a chat user mapped to their Entra account: by `[[identities]]`, else by the
//! chat e-mail the platform vouches for (→ the one Graph user with that address), or by the
//! Entra object id the platform already gives; cached. Changes are audited (`changes`).

mod changes;

use crate::domain::audit::AuditActor;
use crate::domain::ids::{ChatUserId, EntraId};
use crate::domain::refusal::Refusal;
use crate::domain::request::{Person, Platform};

use super::ports::{ChatAccount, DirectoryUser, UntrustedAccount, UserMapping};
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
            entra_id: EntraId::new(self.user.id.clone()),
            display_name: self.user.display_name.clone(),
            chat_id: Some(ChatUserId::new(self.chat_id.clone())),
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

/// What a chat user is told when their platform's word about them is not enough.
fn untrusted(why: UntrustedAccount) -> Refusal {
    match why {
        UntrustedAccount::Deleted => Refusal::ChatAccountDeleted,
        UntrustedAccount::OtherWorkspace => Refusal::OutsideAllowedWorkspace,
        UntrustedAccount::EmailUnconfirmed => Refusal::EmailUnconfirmed,
    }
}

impl Service {
    /// Maps a chat user to an enabled Entra user.
    pub(crate) async fn identify(
        &self,
        platform: Platform,
        chat_id: &str,
    ) -> Result<Result<Caller, Refusal>, ServiceError> {
        let user = match self.entra_user_of(platform, chat_id).await? {
            Ok(user) => user,
            Err(refusal) => return Ok(Err(refusal)),
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

    /// `[[identities]]` first; else the cache when fresh; else the platform's word, which is
    /// remembered. An Entra account that `[[identities]]` gives to another chat user is never
    /// anyone else's by e-mail.
    async fn entra_user_of(
        &self,
        platform: Platform,
        chat_id: &str,
    ) -> Result<Result<DirectoryUser, Refusal>, ServiceError> {
        let cached = self
            .store
            .identity(platform, chat_id)
            .await?
            .filter(|c| self.now() - c.fetched_at < self.settings.identity_ttl)
            .map(|c| c.user);
        if let Some(mapping) = self.settings.mapping_of_chat(platform, chat_id) {
            if let Some(user) = cached.filter(|user| mapping.names(user)) {
                return Ok(Ok(user));
            }
            let Some(user) = self.directory.user(&mapping.entra).await? else {
                tracing::warn!(chat.id = chat_id, entra = %mapping.entra, "an [[identities]] entry names no Entra user");
                return Ok(Err(Refusal::UnknownUser));
            };
            self.remember_identity(platform, chat_id, &user).await?;
            return Ok(Ok(user));
        }
        let (user, looked_up) = match cached {
            Some(user) => (user, false),
            None => match self.look_up_identity(platform, chat_id).await? {
                Ok(user) => (user, true),
                Err(refusal) => return Ok(Err(refusal)),
            },
        };
        if self
            .settings
            .mapped_chat_of(platform, &user)
            .is_some_and(|mapped| mapped != chat_id)
        {
            return Ok(Err(Refusal::MappedElsewhere));
        }
        if looked_up {
            self.remember_identity(platform, chat_id, &user).await?;
        }
        Ok(Ok(user))
    }

    /// What the platform says: the Entra object id itself, or the e-mail it vouches for, which
    /// must belong to exactly one Entra user.
    async fn look_up_identity(
        &self,
        platform: Platform,
        chat_id: &str,
    ) -> Result<Result<DirectoryUser, Refusal>, ServiceError> {
        let Some(chat) = self.chat(platform) else {
            return Ok(Err(Refusal::UnknownUser));
        };
        let email = match chat.user_mapping() {
            UserMapping::EntraObjectId => {
                let user = self.directory.user(chat_id).await?;
                return Ok(user.ok_or(Refusal::UnknownUser));
            }
            UserMapping::Email => match chat.account(chat_id).await? {
                ChatAccount::Unknown => return Ok(Err(Refusal::UnknownUser)),
                ChatAccount::Untrusted(why) => return Ok(Err(untrusted(why))),
                ChatAccount::Email(email) => email,
            },
        };
        let mut users = self.directory.users_by_email(&email).await?;
        if users.len() > 1 {
            let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
            tracing::warn!(chat.id = chat_id, entra.ids = ?ids, "a chat e-mail matches several Entra users; refused");
            return Ok(Err(Refusal::AmbiguousEmail));
        }
        Ok(users.pop().ok_or(Refusal::UnknownUser))
    }

    /// Finds an approver's chat id (to mention them) and caches the mapping both ways when it is
    /// one [`Service::identify`] would make.
    pub(crate) async fn approver_person(
        &self,
        platform: Platform,
        user: &DirectoryUser,
    ) -> Result<Person, ServiceError> {
        let chat_id = self.approver_chat_id(platform, user).await?;
        Ok(Person {
            entra_id: EntraId::new(user.id.clone()),
            display_name: user.display_name.clone(),
            chat_id: chat_id.map(ChatUserId::new),
        })
    }

    async fn approver_chat_id(
        &self,
        platform: Platform,
        user: &DirectoryUser,
    ) -> Result<Option<String>, ServiceError> {
        let Some(chat) = self.chat(platform) else {
            return Ok(None);
        };
        if chat.user_mapping() == UserMapping::EntraObjectId {
            self.remember_identity(platform, &user.id, user).await?;
            return Ok(Some(user.id.clone()));
        }
        if let Some(mapped) = self.settings.mapped_chat_of(platform, user) {
            let mapped = mapped.to_owned();
            self.remember_identity(platform, &mapped, user).await?;
            return Ok(Some(mapped));
        }
        let Some(email) = user.mail.as_deref().or(user.user_principal_name.as_deref()) else {
            return Ok(None);
        };
        let Some(chat_id) = chat.user_by_email(email).await? else {
            return Ok(None);
        };
        // A chat account that `[[identities]]` gives to somebody is theirs alone.
        if self.settings.mapping_of_chat(platform, &chat_id).is_some() {
            return Ok(None);
        }
        let known = self
            .store
            .identity(platform, &chat_id)
            .await?
            .is_some_and(|c| {
                c.user.id == user.id && self.now() - c.fetched_at < self.settings.identity_ttl
            });
        if !known {
            // The address must lead back to this user alone, as it would for `identify`.
            let users = self.directory.users_by_email(email).await?;
            if !matches!(users.as_slice(), [only] if only.id == user.id) {
                tracing::info!(entra.id = %user.id, "an approver's e-mail matches several Entra users; not mentioned");
                return Ok(None);
            }
            self.remember_identity(platform, &chat_id, user).await?;
        }
        Ok(Some(chat_id))
    }
}
