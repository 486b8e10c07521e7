//! `[auth]`: activate mode's sign-ins, and the keys that seal what they keep at rest.

use crate::domain::duration::Timeout;
use crate::secret::SecretKey;

/// `[auth]`. Required when `defaults.mode` or any target's `mode` is `activate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// `token_keys`: `"<id>:<base64 of 32 random bytes>"` entries, newest first (`openssl rand
    /// -base64 32`). The first seals the refresh tokens and PKCE verifiers pimbot keeps; every one
    /// opens them, so a key is rotated by adding the new one first and dropping the old one once
    /// nothing it sealed is kept (`sign_in_lifetime` later). Ids: letters, digits, `_`, `-`;
    /// unique. Secrets: better `PIMBOT_AUTH__TOKEN_KEYS=new:…,old:…`.
    pub token_keys: Vec<TokenKey>,
    /// `sign_in_lifetime`: how long a chat user's sign-in is kept before they sign in again
    /// (ISO 8601 or `30d`; at most 31 days). Default `P30D`.
    pub sign_in_lifetime: Timeout,
    /// Not a key: `server.public_url` + `/auth/callback`, the redirect URI Entra sends the
    /// browser back to (register it on the app registration).
    pub redirect_url: String,
}

/// One of `auth.token_keys`. `Debug` shows the id, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKey {
    pub id: String,
    pub key: SecretKey,
}

/// Where Entra redirects after sign-in, under `server.public_url`.
pub const CALLBACK_PATH: &str = "/auth/callback";
