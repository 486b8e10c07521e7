//! A chat user's sign-in with Entra (activate mode): the pending one, between the link pimbot
//! gives and the callback, and the kept one, whose refresh token calls PIM as that person.
//! Secrets in them are sealed ([`super::Sealer`]) before they reach these types.

use chrono::{DateTime, Utc};

use super::sealing::seal_context;
use crate::domain::request::{Platform, ShortId};

/// What the person will be doing once signed in: why the sign-in was started.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignInPurpose {
    /// `login`: only to sign in.
    Login,
    /// To go on with a request that waited for the sign-in.
    Resume { request: ShortId },
    /// To sign in again meeting PIM's stronger demand (`claims`: the claims challenge, MFA or an
    /// authentication context) and go on with the request.
    StepUp { request: ShortId, claims: String },
    /// To decide PIM's approval of a request with the approver's own token.
    Approve {
        request: ShortId,
        decision: Verdict,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// An approver's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Approve,
    Deny,
}

/// A sign-in begun and not finished: kept under the SHA-256 of its `state` until the callback
/// takes it (once) or it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    pub platform: Platform,
    pub chat_user: String,
    /// The Entra object id the chat user maps to: the callback's token must carry this `oid`.
    pub entra_id: String,
    /// The PKCE code verifier, sealed with [`PendingSignIn::verifier_context`].
    pub sealed_verifier: String,
    pub purpose: SignInPurpose,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl PendingSignIn {
    /// How long a sign-in link works (`expires_at - created_at`): fixed, not configurable.
    pub const LIFETIME: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

    /// What a sign-in's PKCE verifier is sealed for.
    pub fn verifier_context(platform: Platform, chat_user: &str, entra_id: &str) -> String {
        seal_context("pkce_verifier", platform, chat_user, entra_id)
    }
}

/// A chat user's kept sign-in: one per platform and chat user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub platform: Platform,
    pub chat_user: String,
    /// The Entra object id the token is for.
    pub entra_id: String,
    /// The refresh token, sealed with [`SignIn::token_context`].
    pub sealed_refresh_token: String,
    /// The delegated scopes Entra granted.
    pub scopes: Vec<String>,
    pub signed_in_at: DateTime<Utc>,
    /// When the refresh token was last redeemed (and replaced).
    pub refreshed_at: DateTime<Utc>,
    /// Forgotten after this: the person signs in again.
    pub keep_until: DateTime<Utc>,
}

impl SignIn {
    /// What a chat user's refresh token is sealed for.
    pub fn token_context(platform: Platform, chat_user: &str, entra_id: &str) -> String {
        seal_context("refresh_token", platform, chat_user, entra_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_are_stored_as_tagged_json() {
        let request = ShortId::new(1042);
        for (purpose, json) in [
            (SignInPurpose::Login, r#"{"kind":"login"}"#),
            (
                SignInPurpose::Resume { request },
                r#"{"kind":"resume","request":1042}"#,
            ),
            (
                SignInPurpose::StepUp {
                    request,
                    claims: "{\"acrs\"}".to_owned(),
                },
                r#"{"kind":"step_up","request":1042,"claims":"{\"acrs\"}"}"#,
            ),
            (
                SignInPurpose::Approve {
                    request,
                    decision: Verdict::Deny,
                    reason: Some("not now".to_owned()),
                },
                r#"{"kind":"approve","request":1042,"decision":"deny","reason":"not now"}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&purpose).ok().as_deref(), Some(json));
            let read: SignInPurpose = serde_json::from_str(json).expect("reads back");
            assert_eq!(read, purpose);
        }
    }

    #[test]
    fn contexts_name_the_secret_and_its_owner() {
        assert_eq!(
            SignIn::token_context(Platform::Slack, "U123", "oid-1"),
            "refresh_token:slack:U123:oid-1"
        );
        assert_eq!(
            PendingSignIn::verifier_context(Platform::Teams, "29:x", "oid-1"),
            "pkce_verifier:teams:29:x:oid-1"
        );
    }
}
