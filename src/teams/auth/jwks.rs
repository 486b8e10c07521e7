//! Reading a signing-key set: OpenID metadata → `jwks_uri` → the keys, with the channels each
//! Bot Framework key endorses. No caching here (see `keys`).

use std::collections::HashMap;

use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;

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

/// Where one issuer publishes its keys.
pub(super) struct KeySource {
    pub(super) http: reqwest::Client,
    pub(super) metadata_url: String,
}

impl KeySource {
    /// The published keys by `kid`, or why they could not be read.
    pub(super) async fn fetch(&self) -> Result<HashMap<String, BotKey>, String> {
        let metadata: Metadata = self.get_json(&self.metadata_url).await?;
        let set: KeySet = self.get_json(&metadata.jwks_uri).await?;
        // A key this version cannot read (another key type) is skipped, not fatal.
        let keys = set
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<BotKey>(value).ok())
            .filter_map(|key| Some((key.jwk.common.key_id.clone()?, key)))
            .collect::<HashMap<_, _>>();
        tracing::info!(teams.keys = keys.len(), teams.metadata_url = %self.metadata_url, "fetched the signing keys");
        Ok(keys)
    }

    /// GETs `url` as JSON; any failure means the keys are unavailable.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        let unavailable = |e: reqwest::Error| e.without_url().to_string();
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
}
