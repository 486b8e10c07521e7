//! `/auth/callback`: the end of a sign-in, and the sign-in kept.

use serde_json::json;

use super::{AuthPage, Callback, digest, not_configured, open_verifier, purpose_request, sealing};
use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::request::Person;
use crate::service::ports::{PendingSignIn, SignIn, SignInError, SignedIn};
use crate::service::{Service, ServiceError};

impl Service {
    /// `/auth/callback`: takes the pending sign-in (once), redeems the code, and keeps the
    /// sign-in only when Entra signed in the very account the chat user maps to.
    pub async fn complete_sign_in(&self, callback: Callback) -> Result<AuthPage, ServiceError> {
        if self.delegation_parts().is_none() {
            return Ok(AuthPage::refused("Signing in is not set up here."));
        }
        let state = callback.state.as_deref().unwrap_or_default();
        let taken = match state {
            "" => None,
            state => {
                self.store
                    .take_pending_sign_in(&digest(state), self.now())
                    .await?
            }
        };
        let Some(pending) = taken else {
            // Not audited: an unknown state names nobody, and anyone can send one; auditing
            // each would let an anonymous caller grow the audit trail at will.
            tracing::info!("a sign-in callback with an unknown, used or expired state");
            return Ok(AuthPage::refused(
                "This sign-in is unknown, was already used, or expired. Ask pimbot for a new link (`login`).",
            ));
        };
        let actor = AuditActor {
            platform: Some(pending.platform),
            chat_id: Some(pending.chat_user.clone()),
            entra_id: Some(pending.entra_id.clone()),
            display_name: None,
        };
        let request = purpose_request(&pending.purpose);
        if let Some(error) = callback.error {
            let detail = json!({ "error": error, "description": callback.error_description });
            let event = AuditEvent::new("auth.sign_in_refused", request, actor, "cancelled")
                .with_detail(detail);
            self.store.append_audit(event, Vec::new()).await?;
            return Ok(AuthPage::refused(format!(
                "The sign-in did not finish ({error}). Nothing changed; ask pimbot for a new link to try again."
            )));
        }
        let code = callback.code.unwrap_or_default();
        let signed_in = match self.redeem_for(&pending, &code, &actor).await? {
            Ok(signed_in) => signed_in,
            Err(page) => return Ok(page),
        };
        self.keep_sign_in(&pending, &signed_in.refresh_token, signed_in.scopes, actor)
            .await?;
        let person = Person {
            entra_id: pending.entra_id.as_str().into(),
            display_name: signed_in.display_name.clone().unwrap_or_default(),
            chat_id: Some(pending.chat_user.as_str().into()),
        };
        self.after_sign_in(pending.platform, &person, &pending.purpose)
            .await?;
        Ok(AuthPage {
            ok: true,
            title: "Signed in".to_owned(),
            message: format!(
                "You are signed in to pimbot as {}. You can close this page and go back to chat.",
                signed_in.display_name.as_deref().unwrap_or("yourself")
            ),
        })
    }

    /// Redeems the callback's code with the pending sign-in's verifier: the sign-in, or the
    /// page that refuses it (Entra refused, or another account or tenant signed in).
    async fn redeem_for(
        &self,
        pending: &PendingSignIn,
        code: &str,
        actor: &AuditActor,
    ) -> Result<Result<SignedIn, AuthPage>, ServiceError> {
        let (delegation, sealer) = self.delegation_parts().ok_or_else(not_configured)?;
        let request = purpose_request(&pending.purpose);
        let verifier = open_verifier(sealer, pending)?;
        let signed_in = match delegation.sign_in.redeem(code, &verifier).await {
            Ok(signed_in) => signed_in,
            Err(SignInError::Unavailable(error)) => return Err(error.into()),
            Err(refused) => {
                let event = AuditEvent::new(
                    "auth.sign_in_refused",
                    request,
                    actor.clone(),
                    "redeem_refused",
                )
                .with_detail(json!({ "error": refused.to_string() }));
                self.store.append_audit(event, Vec::new()).await?;
                return Ok(Err(AuthPage::refused(format!(
                    "Microsoft refused the sign-in: {refused}. Ask pimbot for a new link."
                ))));
            }
        };
        if !signed_in.object_id.eq_ignore_ascii_case(&pending.entra_id)
            || !signed_in
                .tenant_id
                .eq_ignore_ascii_case(&delegation.tenant_id)
        {
            let detail = json!({ "signed_in_as": signed_in.object_id, "tenant": signed_in.tenant_id, "expected": pending.entra_id });
            let event = AuditEvent::new("auth.sign_in_mismatch", request, actor.clone(), "refused")
                .with_detail(detail);
            self.store.append_audit(event, Vec::new()).await?;
            return Ok(Err(AuthPage::refused(
                "You signed in with another Microsoft account than the one your chat account belongs to, so pimbot did not keep this sign-in. Sign in with your own account.",
            )));
        }
        Ok(Ok(signed_in))
    }

    /// Seals and keeps the refresh token as the chat user's sign-in.
    async fn keep_sign_in(
        &self,
        pending: &PendingSignIn,
        refresh_token: &str,
        scopes: Vec<String>,
        actor: AuditActor,
    ) -> Result<(), ServiceError> {
        let sealer = self.sealer.as_deref().ok_or_else(not_configured)?;
        let context =
            SignIn::token_context(pending.platform, &pending.chat_user, &pending.entra_id);
        let now = self.now();
        let sign_in = SignIn {
            platform: pending.platform,
            chat_user: pending.chat_user.clone(),
            entra_id: pending.entra_id.clone(),
            sealed_refresh_token: sealer.seal(refresh_token, &context).map_err(sealing)?,
            scopes,
            signed_in_at: now,
            refreshed_at: now,
            keep_until: now + self.settings.sign_in_lifetime,
        };
        self.store.save_sign_in(&sign_in).await?;
        let event = AuditEvent::new(
            "auth.signed_in",
            purpose_request(&pending.purpose),
            actor,
            "ok",
        )
        .with_detail(json!({ "purpose": pending.purpose }));
        self.store.append_audit(event, Vec::new()).await?;
        Ok(())
    }
}
