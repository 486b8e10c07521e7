//! Rust hooks for tests and the demo around delegated identity: sign a user in without the
//! HTML form (through the same code and PKCE redemption as the real grant), revoke a user's
//! sessions, and read the PIM approvals.

use super::Emulator;
use super::approval::{self, ApprovalSummary};
use super::identity::{self, Redemption, SignIn};

/// The tokens of a delegated sign-in.
#[derive(Debug, Clone)]
pub struct DelegatedTokens {
    /// The access token for the resource the scopes name.
    pub access_token: String,
    /// A refresh token (`offline_access` is always added by the hook).
    pub refresh_token: String,
    /// The OpenID Connect id token.
    pub id_token: String,
}

/// Why a hook sign-in was refused, with Entra's AADSTS number.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{description}")]
pub struct SignInError {
    /// The AADSTS number (`50057` for a disabled account).
    pub code: u32,
    /// `AADSTSnnnnn: …`.
    pub description: String,
}

impl Emulator {
    /// Signs `user_object_id` in through the tenant's first service principal (or, without
    /// one, its first application), as the sign-in page would with "completed MFA" ticked when
    /// `mfa` and the contexts `acrs` ticked; `scopes` are space separated as in the authorize
    /// request (`offline_access` is added). The code is redeemed with PKCE like a real client's.
    pub fn sign_in(
        &self,
        user_object_id: &str,
        mfa: bool,
        acrs: &[&str],
        scopes: &str,
    ) -> Result<DelegatedTokens, SignInError> {
        let client = {
            let state = self.lock();
            let tenant = &state.tenant;
            tenant
                .service_principals
                .first()
                .map(|s| s.app_id.clone())
                .or_else(|| tenant.applications.first().map(|a| a.app_id.clone()))
        };
        let client = client.ok_or_else(|| SignInError {
            code: 700016,
            description: "AADSTS700016: The tenant has no application to sign in to.".to_owned(),
        })?;
        self.sign_in_to(&client, user_object_id, mfa, acrs, scopes)
    }

    /// [`Emulator::sign_in`] through the app `client_id` (registered in the tenant).
    pub fn sign_in_to(
        &self,
        client_id: &str,
        user_object_id: &str,
        mfa: bool,
        acrs: &[&str],
        scopes: &str,
    ) -> Result<DelegatedTokens, SignInError> {
        let mut state = self.lock();
        let refuse = |code: u32, text: &str| SignInError {
            code,
            description: format!("AADSTS{code}: {text}"),
        };
        if !identity::known_client(&state, client_id) {
            return Err(refuse(
                700016,
                "The application is not registered in the tenant.",
            ));
        }
        let user =
            state.tenant.user(user_object_id).cloned().ok_or_else(|| {
                refuse(50034, "The user account does not exist in the directory.")
            })?;
        if !user.account_enabled {
            return Err(refuse(50057, "The user account is disabled."));
        }
        let scope = if identity::wants_refresh(scopes) {
            scopes.to_owned()
        } else {
            format!("{scopes} offline_access")
        };
        let acrs = acrs.iter().map(|a| (*a).to_owned()).collect();
        let sign_in = SignIn::new(&state, &user.id, client_id, mfa, acrs, &scope);
        let verifier = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let redirect_uri = "http://localhost/emulator-sign-in";
        let code = identity::issue_code(
            &mut state,
            sign_in,
            redirect_uri,
            &identity::s256(&verifier),
        );
        let tokens = identity::redeem_code(
            &mut state,
            &Redemption {
                client_id,
                code: &code,
                redirect_uri,
                code_verifier: &verifier,
                scope: None,
            },
        )
        .map_err(|e| SignInError {
            code: e.code,
            description: e.description,
        })?;
        Ok(DelegatedTokens {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token.unwrap_or_default(),
            id_token: tokens.id_token,
        })
    }

    /// Invalidates every refresh token of the user, as Graph's `revokeSignInSessions` does
    /// (access tokens stay valid until they expire); `false` if there is no such user.
    pub fn revoke_sign_ins(&self, user_object_id: &str) -> bool {
        identity::revoke_sign_ins(&mut self.lock(), user_object_id)
    }

    /// Every PIM approval opened so far (all providers), with its stage's state.
    pub fn approvals(&self) -> Vec<ApprovalSummary> {
        let mut state = self.lock();
        approval::expire(&mut state);
        state.approvals.iter().map(|a| a.summary()).collect()
    }
}
