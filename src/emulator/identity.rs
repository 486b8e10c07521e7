//! Who a bearer token stands for, and delegated sign-ins: authorization codes bound to PKCE,
//! multi-resource refresh tokens, and the delegated access and id tokens they mint. Pure state
//! transitions on [`State`]; the HTTP shapes live in `server::token` and `server::authorize`.

mod grant;
mod scope;

pub(crate) use grant::{GrantError, Redemption, Tokens, audience_matches, redeem_code, refresh};
pub(crate) use scope::{Resource, wants_refresh};

use chrono::{DateTime, TimeDelta};
use uuid::Uuid;

use super::state::State;

/// How long an authorization code can be redeemed.
const CODE_LIFETIME_MINUTES: i64 = 10;

/// The caller behind a valid bearer token.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// An app-only token (client credentials): the app and its application permissions.
    App {
        client_id: String,
        roles: Vec<String>,
    },
    /// A delegated token: a signed-in user acting through an app.
    User(Delegated),
}

/// A signed-in user, as a delegated access token carries them.
#[derive(Debug, Clone)]
pub(crate) struct Delegated {
    pub(crate) oid: String,
    pub(crate) client_id: String,
    /// The scope names of the token's resource (`RoleAssignmentSchedule.ReadWrite.Directory`).
    pub(crate) scp: Vec<String>,
    pub(crate) amr: Vec<String>,
    pub(crate) acrs: Vec<String>,
}

impl Caller {
    /// The app (client) id the token was issued to.
    pub(crate) fn client_id(&self) -> &str {
        match self {
            Caller::App { client_id, .. } => client_id,
            Caller::User(user) => &user.client_id,
        }
    }

    /// The signed-in user, if the token is delegated.
    pub(crate) fn user(&self) -> Option<&Delegated> {
        match self {
            Caller::App { .. } => None,
            Caller::User(user) => Some(user),
        }
    }
}

impl Delegated {
    /// Whether the token carries scope `name` (case-insensitive, as Entra compares them).
    pub(crate) fn has_scope(&self, name: &str) -> bool {
        self.scp.iter().any(|s| s.eq_ignore_ascii_case(name))
    }

    pub(crate) fn has_mfa(&self) -> bool {
        self.amr.iter().any(|m| m == "mfa")
    }
}

/// One interactive sign-in: who, through which app, how strongly, and what was asked.
#[derive(Debug, Clone)]
pub(crate) struct SignIn {
    pub(crate) user_id: String,
    pub(crate) client_id: String,
    /// `["pwd"]` or `["pwd", "mfa"]`.
    pub(crate) amr: Vec<String>,
    /// The authentication contexts satisfied (`c1`).
    pub(crate) acrs: Vec<String>,
    /// The scopes of the authorize request, space separated as sent.
    pub(crate) scope: String,
    pub(crate) at: DateTime<chrono::Utc>,
}

impl SignIn {
    /// A sign-in by `user_id` now, with MFA or not and the contexts ticked.
    pub(crate) fn new(
        state: &State,
        user_id: &str,
        client_id: &str,
        mfa: bool,
        acrs: Vec<String>,
        scope: &str,
    ) -> SignIn {
        let mut amr = vec!["pwd".to_owned()];
        if mfa {
            amr.push("mfa".to_owned());
        }
        SignIn {
            user_id: user_id.to_owned(),
            client_id: client_id.to_owned(),
            amr,
            acrs,
            scope: scope.to_owned(),
            at: state.now(),
        }
    }
}

/// An authorization code waiting for its redemption.
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub(crate) code: String,
    pub(crate) sign_in: SignIn,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) expires_at: DateTime<chrono::Utc>,
    pub(crate) redeemed: bool,
}

/// A refresh token: the sign-in it continues, until the user's sessions are revoked.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub(crate) token: String,
    pub(crate) sign_in: SignIn,
    pub(crate) revoked: bool,
}

/// Stores a fresh single-use code for `sign_in`, valid ten minutes; returns it.
pub(crate) fn issue_code(
    state: &mut State,
    sign_in: SignIn,
    redirect_uri: &str,
    code_challenge: &str,
) -> String {
    let code = format!("1.A{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let expires_at = state.now() + TimeDelta::minutes(CODE_LIFETIME_MINUTES);
    state.codes.push(AuthCode {
        code: code.clone(),
        sign_in,
        redirect_uri: redirect_uri.to_owned(),
        code_challenge: code_challenge.to_owned(),
        expires_at,
        redeemed: false,
    });
    code
}

/// Ends every refresh token of a user (Graph `revokeSignInSessions`); access tokens already
/// issued stay valid until they expire, as in Entra. Returns whether the user exists.
pub(crate) fn revoke_sign_ins(state: &mut State, user_id: &str) -> bool {
    let Some(user) = state.tenant.user(user_id).map(|u| u.id.clone()) else {
        return false;
    };
    for grant in &mut state.refresh_tokens {
        if grant.sign_in.user_id.eq_ignore_ascii_case(&user) {
            grant.revoked = true;
        }
    }
    true
}

/// Whether a client id names an app registered in the tenant (an application or a service
/// principal with that `appId`).
pub(crate) fn known_client(state: &State, client_id: &str) -> bool {
    let tenant = &state.tenant;
    tenant
        .applications
        .iter()
        .any(|a| a.app_id.eq_ignore_ascii_case(client_id))
        || tenant
            .service_principals
            .iter()
            .any(|s| s.app_id.eq_ignore_ascii_case(client_id))
}

/// `base64url(sha256(verifier))` without padding: the S256 code challenge of a verifier.
pub(crate) fn s256(verifier: &str) -> String {
    use sha2::{Digest, Sha256};
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// Unpadded base64url (RFC 4648 §5), as PKCE and JWTs use it.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for sextet in sextets.iter().take(chunk.len() + 1) {
            out.push(char::from(ALPHABET[*sextet as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_matches_the_rfc_7636_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
    }
}
