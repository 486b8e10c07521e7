//! The token vault: the [`Sealer`] port as AES-256-GCM (aws-lc-rs) under a key ring, so keys can
//! be rotated. Implements the service's port; uses no other adapter.
//!
//! Sealed text is `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`: a random 96-bit nonce per
//! seal, and as associated data the format, the key id and the caller's context, so a value
//! opens only for what it was sealed for. The first key of the ring seals; every key opens, so
//! values sealed before a rotation still open until their key is dropped from the ring.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::secret::SecretKey;
use crate::service::ports::{SealError, Sealer};

/// The format this version writes (and the only one it reads).
const FORMAT: &str = "v1";

/// Why a key ring cannot be built. Names key ids, never keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the token vault needs at least one key")]
    NoKeys,
    #[error("`{0}` is not a key id: use letters, digits, `_` and `-`")]
    BadKeyId(String),
    #[error("key id `{0}` is given twice")]
    DuplicateKeyId(String),
    #[error("key `{0}` cannot be used for AES-256-GCM")]
    BadKey(String),
}

/// Seals with the newest key of its ring and opens with any of them.
pub struct TokenVault {
    /// Newest first; never empty.
    ring: Vec<RingKey>,
}

struct RingKey {
    id: String,
    key: RandomizedNonceKey,
}

/// Whether `id` may name a key: it is written into sealed text, between dots.
pub fn is_key_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

impl TokenVault {
    /// A vault over `keys`, newest (the one that seals) first.
    pub fn new(keys: impl IntoIterator<Item = (String, SecretKey)>) -> Result<Self, VaultError> {
        let mut ring: Vec<RingKey> = Vec::new();
        for (id, secret) in keys {
            if !is_key_id(&id) {
                return Err(VaultError::BadKeyId(id));
            }
            if ring.iter().any(|known| known.id == id) {
                return Err(VaultError::DuplicateKeyId(id));
            }
            let key = RandomizedNonceKey::new(&AES_256_GCM, secret.expose())
                .map_err(|_| VaultError::BadKey(id.clone()))?;
            ring.push(RingKey { id, key });
        }
        if ring.is_empty() {
            return Err(VaultError::NoKeys);
        }
        Ok(Self { ring })
    }

    /// The ids of the ring, newest first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.ring.iter().map(|key| key.id.as_str())
    }
}

/// What is authenticated besides the ciphertext: the format, the key id and the context.
fn associated_data(key_id: &str, context: &str) -> Vec<u8> {
    format!("pimbot-sealed-{FORMAT}\n{key_id}\n{context}").into_bytes()
}

impl Sealer for TokenVault {
    fn seal(&self, plaintext: &str, context: &str) -> Result<String, SealError> {
        let newest = self.ring.first().ok_or(SealError::Failed)?;
        let mut sealed = plaintext.as_bytes().to_vec();
        let aad = Aad::from(associated_data(&newest.id, context));
        let nonce = newest
            .key
            .seal_in_place_append_tag(aad, &mut sealed)
            .map_err(|_| SealError::Failed)?;
        let mut body = Vec::with_capacity(NONCE_LEN + sealed.len());
        body.extend_from_slice(nonce.as_ref());
        body.extend_from_slice(&sealed);
        Ok(format!(
            "{FORMAT}.{}.{}",
            newest.id,
            URL_SAFE_NO_PAD.encode(body)
        ))
    }

    fn open(&self, sealed: &str, context: &str) -> Result<String, SealError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(FORMAT), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Malformed);
        };
        let ring_key = self
            .ring
            .iter()
            .find(|key| key.id == key_id)
            .ok_or_else(|| SealError::UnknownKey {
                key_id: key_id.to_owned(),
            })?;
        let mut body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Malformed)?;
        if body.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = body.split_at_mut(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Malformed)?;
        let aad = Aad::from(associated_data(key_id, context));
        let plaintext = ring_key
            .key
            .open_in_place(nonce, aad, ciphertext)
            .map_err(|_| SealError::Refused)?;
        String::from_utf8(plaintext.to_vec()).map_err(|_| SealError::Malformed)
    }
}

impl fmt::Debug for TokenVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVault")
            .field("key_ids", &self.key_ids().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests;
