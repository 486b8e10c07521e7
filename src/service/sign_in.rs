//! Signing chat users in with Entra (activate mode): a personal, single-use link (`login`, or
//! when a request needs the person's own token), `/auth/start` sending the browser to Entra with a
//! PKCE challenge, and `/auth/callback` linking the sign-in to the chat user, only when the
//! signed-in account is the one that chat user maps to, and keeping the refresh token sealed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::request::{Person, Platform};

use super::identity::Caller;
use super::notice::Reply;
use super::ports::{AuthorizeRequest, PendingSignIn, Sealer, SignInPurpose};
use super::{Delegation, Service, ServiceError};

mod callback;

/// What the browser is shown at the end of a sign-in (the callback's page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPage {
    /// 200 when signed in, 400 for a refused or unusable link.
    pub ok: bool,
    pub title: String,
    pub message: String,
}

impl AuthPage {
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            title: "Sign-in refused".to_owned(),
            message: message.into(),
        }
    }
}

/// What `/auth/start` does with a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStart {
    /// Send the browser to Entra.
    Redirect(String),
    /// The link is unknown, used or expired.
    Refused(AuthPage),
}

/// The callback's query: `code` and `state`, or Entra's `error`.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A random 256-bit value, base64url: `state` and the PKCE verifier.
fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// How a `state` is kept: its SHA-256, hex.
pub(super) fn digest(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// RFC 7636's S256 challenge of a verifier.
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Service {
    pub(super) fn delegation_parts(&self) -> Option<(&Delegation, &dyn Sealer)> {
        Some((self.delegation.as_ref()?, self.sealer.as_deref()?))
    }

    /// `login`: a personal sign-in link, sent where only the caller sees it.
    pub(crate) async fn login(&self, caller: &Caller) -> Result<Reply, ServiceError> {
        if self.delegation_parts().is_none() {
            return Ok(Reply::text(
                "Signing in is not set up here: pimbot activates nothing with people's own accounts (no `[auth]` in its configuration).",
            ));
        }
        self.send_sign_in_link(caller.platform, &caller.person(), SignInPurpose::Login)
            .await?;
        Ok(Reply::text(
            "I sent you a sign-in link in a direct message. It works once, for 10 minutes.",
        ))
    }

    /// Whether the caller has a kept sign-in (its refresh token is tried only when needed).
    pub(crate) async fn signed_in(&self, caller: &Caller) -> Result<bool, ServiceError> {
        let kept = self
            .store
            .sign_in(caller.platform, &caller.chat_id, self.now())
            .await?;
        Ok(kept.is_some())
    }

    /// A request for a target in activate mode from someone not signed in: nothing is created;
    /// they get a sign-in link and are asked to send the request again once signed in.
    pub(crate) async fn refuse_until_signed_in(
        &self,
        caller: &Caller,
        detail: serde_json::Value,
    ) -> Result<Reply, ServiceError> {
        let event = AuditEvent::new("request.refused", None, caller.actor(), "not_signed_in")
            .with_detail(detail);
        self.store.append_audit(event, Vec::new()).await?;
        self.send_sign_in_link(caller.platform, &caller.person(), SignInPurpose::Login)
            .await?;
        Ok(Reply::text(
            "PIM activates this target as you, so pimbot needs your Microsoft sign-in first: I sent you a link in a direct message. Sign in, then send the request again.",
        ))
    }

    /// `logout`: forgets the caller's sign-in.
    pub(crate) async fn logout(&self, caller: &Caller) -> Result<Reply, ServiceError> {
        let forgotten = self
            .store
            .forget_sign_in(caller.platform, &caller.chat_id)
            .await?;
        let outcome = if forgotten { "forgotten" } else { "none" };
        let event = AuditEvent::new("auth.signed_out", None, caller.actor(), outcome);
        self.store.append_audit(event, Vec::new()).await?;
        Ok(Reply::text(if forgotten {
            "Signed out: pimbot no longer holds a sign-in of yours."
        } else {
            "You were not signed in."
        }))
    }

    /// Sends `person` a sign-in link for `purpose` in a direct message.
    pub(crate) async fn send_sign_in_link(
        &self,
        platform: Platform,
        person: &Person,
        purpose: SignInPurpose,
    ) -> Result<(), ServiceError> {
        let why = match &purpose {
            SignInPurpose::Login => {
                "Sign in with your Microsoft account so that PIM can activate your roles as you."
                    .to_owned()
            }
            SignInPurpose::Resume { request } => format!(
                "{request} needs your own Microsoft sign-in: PIM activates it as you. Sign in and it goes on."
            ),
            SignInPurpose::StepUp { request, .. } => format!(
                "PIM asks for a stronger sign-in (MFA or an authentication context) to activate {request}. Sign in again and it goes on."
            ),
            SignInPurpose::Approve { request, .. } => format!(
                "PIM takes approvals of {request} from the approver's own account. Sign in and your decision is sent to PIM."
            ),
        };
        let link = self.sign_in_link(platform, person, purpose).await?;
        let reply = Reply::text(format!("{why} (The link works once, for 10 minutes.)"))
            .with_link("Sign in with Microsoft", link);
        let Some(chat) = self.chat(platform) else {
            return Ok(());
        };
        chat.tell(person, &reply).await?;
        Ok(())
    }

    /// A new pending sign-in for `person`: its link (`/auth/start?state=…`).
    async fn sign_in_link(
        &self,
        platform: Platform,
        person: &Person,
        purpose: SignInPurpose,
    ) -> Result<String, ServiceError> {
        let (delegation, sealer) = self.delegation_parts().ok_or_else(not_configured)?;
        let chat_user = person
            .chat_id
            .as_ref()
            .map(|id| id.to_string())
            .ok_or_else(|| ServiceError::NotReady("no chat id to sign in".to_owned()))?;
        let entra_id = person.entra_id.to_string();
        let state = random_token();
        let verifier = random_token();
        let context = PendingSignIn::verifier_context(platform, &chat_user, &entra_id);
        let now = self.now();
        let pending = PendingSignIn {
            platform,
            chat_user: chat_user.clone(),
            entra_id: entra_id.clone(),
            sealed_verifier: sealer.seal(&verifier, &context).map_err(sealing)?,
            purpose: purpose.clone(),
            created_at: now,
            expires_at: now + PendingSignIn::LIFETIME,
        };
        self.store
            .save_pending_sign_in(&digest(&state), &pending)
            .await?;
        let actor = person_actor(platform, &chat_user, person);
        let event = AuditEvent::new(
            "auth.sign_in_started",
            purpose_request(&purpose),
            actor,
            "ok",
        )
        .with_detail(json!({ "purpose": purpose }));
        self.store.append_audit(event, Vec::new()).await?;
        Ok(format!(
            "{}/auth/start?state={state}",
            delegation.public_url.trim_end_matches('/')
        ))
    }

    /// `/auth/start`: the link's first stop, which sends the browser on to Entra.
    pub async fn begin_sign_in(&self, state: &str) -> Result<AuthStart, ServiceError> {
        let Some((delegation, sealer)) = self.delegation_parts() else {
            return Ok(AuthStart::Refused(AuthPage::refused(
                "Signing in is not set up here.",
            )));
        };
        let Some(pending) = self
            .store
            .pending_sign_in(&digest(state), self.now())
            .await?
        else {
            return Ok(AuthStart::Refused(AuthPage::refused(
                "This sign-in link is unknown, used or expired. Ask pimbot for a new one (`login`).",
            )));
        };
        let verifier = open_verifier(sealer, &pending)?;
        let claims = match &pending.purpose {
            SignInPurpose::StepUp { claims, .. } if !claims.is_empty() => Some(claims.as_str()),
            _ => None,
        };
        let login_hint = self
            .directory
            .user(&pending.entra_id)
            .await?
            .and_then(|user| user.user_principal_name);
        let code_challenge = challenge(&verifier);
        let url = delegation.sign_in.authorize_url(&AuthorizeRequest {
            state,
            code_challenge: &code_challenge,
            login_hint: login_hint.as_deref(),
            claims,
            fresh: matches!(pending.purpose, SignInPurpose::StepUp { .. }),
        });
        Ok(AuthStart::Redirect(url))
    }
}

/// The pending sign-in's PKCE verifier, unsealed.
#[expect(
    clippy::result_large_err,
    reason = "ServiceError is what every use case returns"
)]
pub(super) fn open_verifier(
    sealer: &dyn Sealer,
    pending: &PendingSignIn,
) -> Result<String, ServiceError> {
    let context =
        PendingSignIn::verifier_context(pending.platform, &pending.chat_user, &pending.entra_id);
    sealer
        .open(&pending.sealed_verifier, &context)
        .map_err(sealing)
}

/// The request a sign-in is for, if any.
pub(crate) fn purpose_request(purpose: &SignInPurpose) -> Option<crate::domain::request::ShortId> {
    match purpose {
        SignInPurpose::Login => None,
        SignInPurpose::Resume { request }
        | SignInPurpose::StepUp { request, .. }
        | SignInPurpose::Approve { request, .. } => Some(*request),
    }
}

fn person_actor(platform: Platform, chat_user: &str, person: &Person) -> AuditActor {
    AuditActor {
        platform: Some(platform),
        chat_id: Some(chat_user.to_owned()),
        entra_id: Some(person.entra_id.to_string()),
        display_name: Some(person.display_name.clone()),
    }
}

pub(crate) fn not_configured() -> ServiceError {
    ServiceError::NotReady("activate mode is not configured (no [auth])".to_owned())
}

pub(super) fn sealing(error: super::ports::SealError) -> ServiceError {
    ServiceError::NotReady(format!("sealed sign-in data could not be used: {error}"))
}

/// The PKCE pieces, checked against RFC 7636's example.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636_s256() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn states_are_random_and_kept_only_as_digests() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(digest(&a).len(), 64);
        assert!(!digest(&a).contains(&a));
    }
}
