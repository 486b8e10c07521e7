//! The sealing port: secrets kept at rest (a chat user's refresh token, a sign-in's PKCE
//! verifier) are sealed, bound to what they belong to, before the store sees them. Implemented
//! by `vault`.

/// Why a sealed value cannot be used. Never holds the plaintext, nor the sealed text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not sealed text of a format this version reads.
    #[error("the sealed value is malformed")]
    Malformed,
    /// Sealed by a key that is no longer (or never was) in the key ring.
    #[error("the sealed value was sealed by key `{key_id}`, which is not configured")]
    UnknownKey { key_id: String },
    /// Altered, sealed for another context, or sealed by another key of the same id.
    #[error("the sealed value does not open: altered, or sealed for something else")]
    Refused,
    /// The cipher itself failed (no randomness for a nonce).
    #[error("sealing failed")]
    Failed,
}

/// Seals and opens secrets kept at rest (authenticated encryption).
pub trait Sealer: Send + Sync {
    /// `plaintext`, encrypted and bound to `context` (authenticated, not encrypted): the sealed
    /// text opens only with the same `context`, so a value copied to another user's row does
    /// not open there.
    fn seal(&self, plaintext: &str, context: &str) -> Result<String, SealError>;
    /// The plaintext of `sealed`, if it was sealed with `context` by a key still configured and
    /// not altered since.
    fn open(&self, sealed: &str, context: &str) -> Result<String, SealError>;
}

/// The context a sealed secret of a sign-in is bound to: what it is (`what`, e.g.
/// `refresh_token` or `pkce_verifier`), and whose: `<what>:<platform>:<chat user>:<entra id>`.
pub fn seal_context(
    what: &str,
    platform: crate::domain::request::Platform,
    chat_user: &str,
    entra_id: &str,
) -> String {
    format!("{what}:{}:{chat_user}:{entra_id}", platform.as_str())
}
