//! `[auth]` and what needs it: every check of activate mode's configuration.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

use super::super::auth::{AuthConfig, CALLBACK_PATH, TokenKey};
use super::super::raw::RawAuth;
use super::super::{ConfigError, DefaultsConfig, ServerConfig, TargetConfig};
use super::Check;
use crate::domain::duration::Timeout;
use crate::domain::mode::ActivationMode;
use crate::secret::{Secret, SecretKey};

const KEYS: &str = "auth.token_keys";
const THIRTY_DAYS: u32 = 30 * 24 * 60 * 60;

impl Check<'_> {
    /// `[auth]`, whose redirect URL needs `server.public_url`.
    pub(super) fn auth(
        &self,
        raw: RawAuth,
        server: &ServerConfig,
    ) -> Result<AuthConfig, ConfigError> {
        let entries = self.required(raw.token_keys, KEYS, "the keys that seal sign-ins")?;
        if entries.is_empty() {
            return Err(self.error(
                KEYS,
                "must list at least one key: \"<id>:<base64 of 32 bytes>\", newest first",
            ));
        }
        let mut token_keys: Vec<TokenKey> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let key = self.token_key(entry, index + 1)?;
            if token_keys.iter().any(|known| known.id == key.id) {
                return Err(self.error(KEYS, format!("key id `{}` is given twice", key.id)));
            }
            token_keys.push(key);
        }
        let public_url = server.public_url.as_deref().ok_or_else(|| {
            self.error(
                "server.public_url",
                format!(
                    "missing: [auth] needs pimbot's public https URL, where Entra sends people \
                     back after they sign in (<public_url>{CALLBACK_PATH})"
                ),
            )
        })?;
        Ok(AuthConfig {
            token_keys,
            sign_in_lifetime: raw
                .sign_in_lifetime
                .unwrap_or(Timeout::from_secs(THIRTY_DAYS)),
            redirect_url: format!("{public_url}{CALLBACK_PATH}"),
        })
    }

    /// `<id>:<base64 of 32 bytes>`; the messages never show the key.
    fn token_key(&self, entry: &Secret, position: usize) -> Result<TokenKey, ConfigError> {
        let Some((id, encoded)) = entry.expose().trim().split_once(':') else {
            return Err(self.error(
                KEYS,
                format!("entry {position} is not \"<id>:<base64 of 32 bytes>\""),
            ));
        };
        let id = id.trim();
        if !crate::vault::is_key_id(id) {
            return Err(self.error(
                KEYS,
                format!(
                    "entry {position}: `{id}` is not a key id: use letters, digits, `_` and `-`"
                ),
            ));
        }
        let encoded = encoded.trim();
        let bytes = STANDARD
            .decode(encoded)
            .or_else(|_| STANDARD_NO_PAD.decode(encoded))
            .map_err(|_| self.error(KEYS, format!("key `{id}` is not base64")))?;
        let key: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            self.error(
                KEYS,
                format!(
                    "key `{id}` is {} bytes; it must be 32 (openssl rand -base64 32)",
                    bytes.len()
                ),
            )
        })?;
        Ok(TokenKey {
            id: id.to_owned(),
            key: SecretKey::new(key),
        })
    }

    /// Activate mode, wherever it is chosen, needs `[auth]` (whose own check needs
    /// `server.public_url`).
    pub(super) fn activate_needs_auth(
        &self,
        defaults: &DefaultsConfig,
        targets: &[TargetConfig],
        auth: Option<&AuthConfig>,
    ) -> Result<(), ConfigError> {
        if auth.is_some() {
            return Ok(());
        }
        let chosen_by = if defaults.mode == ActivationMode::Activate {
            Some("defaults.mode".to_owned())
        } else {
            targets
                .iter()
                .position(|t| t.mode == Some(ActivationMode::Activate))
                .map(|index| format!("targets[{index}].mode"))
        };
        match chosen_by {
            None => Ok(()),
            Some(key) => Err(self.error(
                "auth",
                format!(
                    "missing: `{key}` is activate, which needs an [auth] section with token_keys \
                     (and server.public_url)"
                ),
            )),
        }
    }
}
