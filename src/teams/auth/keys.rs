//! The Bot Framework signing keys: OpenID metadata → `jwks_uri` → keys with their channel
//! `endorsements`, cached for 24 h and re-fetched for an unknown `kid` at most once an hour.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::{AuthError, KeyClock};

/// The keys are re-read at least this often (the Bot Framework doc's "at least every 24 h").
const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// An unknown `kid` re-reads the keys only when they are older than this (botbuilder's rule), so
/// forged `kid`s cannot make pimbot hammer the metadata endpoint.
const UNKNOWN_KID_REFRESH: Duration = Duration::from_secs(60 * 60);

/// A signing key as the Bot Framework publishes it: a JWK plus the channels it endorses.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BotKey {
    #[serde(flatten)]
    pub(crate) jwk: Jwk,
    #[serde(default)]
    pub(crate) endorsements: Vec<String>,
}

#[derive(Deserialize)]
struct Metadata {
    jwks_uri: String,
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<serde_json::Value>,
}

struct Cached {
    keys: HashMap<String, BotKey>,
    fetched_at: Instant,
}

/// The key cache; one fetch at a time.
pub(crate) struct KeyCache {
    http: reqwest::Client,
    metadata_url: String,
    clock: KeyClock,
    cached: Mutex<Option<Cached>>,
}

impl KeyCache {
    pub(crate) fn new(http: reqwest::Client, metadata_url: String, clock: KeyClock) -> Self {
        Self {
            http,
            metadata_url,
            clock,
            cached: Mutex::new(None),
        }
    }

    /// The key with this `kid`, fetching the key set when it is stale or (rate-limited) when the
    /// `kid` is unknown.
    pub(crate) async fn key(&self, kid: &str) -> Result<BotKey, AuthError> {
        let mut cached = self.cached.lock().await;
        let stale = cached
            .as_ref()
            .is_none_or(|c| self.clock.now().saturating_duration_since(c.fetched_at) > MAX_AGE);
        if stale {
            *cached = Some(self.fetch().await?);
        }
        if let Some(key) = cached.as_ref().and_then(|c| c.keys.get(kid)) {
            return Ok(key.clone());
        }
        let may_refresh = cached.as_ref().is_some_and(|c| {
            !stale && self.clock.now().saturating_duration_since(c.fetched_at) > UNKNOWN_KID_REFRESH
        });
        if may_refresh {
            *cached = Some(self.fetch().await?);
            if let Some(key) = cached.as_ref().and_then(|c| c.keys.get(kid)) {
                return Ok(key.clone());
            }
        }
        Err(AuthError::UnknownKey)
    }

    /// GETs `url` as JSON; any failure means the keys are unavailable.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, AuthError> {
        let unavailable =
            |e: reqwest::Error| AuthError::KeysUnavailable(e.without_url().to_string());
        self.http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)
    }

    async fn fetch(&self) -> Result<Cached, AuthError> {
        let metadata: Metadata = self.get_json(&self.metadata_url).await?;
        let set: KeySet = self.get_json(&metadata.jwks_uri).await?;
        // A key this version cannot read (another key type) is skipped, not fatal.
        let keys = set
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<BotKey>(value).ok())
            .filter_map(|key| Some((key.jwk.common.key_id.clone()?, key)))
            .collect::<HashMap<_, _>>();
        tracing::info!(
            teams.keys = keys.len(),
            "fetched the Bot Framework signing keys"
        );
        Ok(Cached {
            keys,
            fetched_at: self.clock.now(),
        })
    }
}
