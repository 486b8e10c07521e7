//! A fake Bot Framework: the OpenID metadata and signing keys inbound tokens are checked with
//! (`/v1/.well-known/…`, JWKs with endorsements; optionally a bot tenant's Entra keys under
//! `/entra/…`), tokens minted with the same key, and a Connector (`/connector/v3/…`) that records
//! every call (for the tests) and keeps what the bot posted as conversations (for the demo's
//! sandbox). The one fake Bot Framework of the project: the demo and the tests both use it.

mod connector;
mod keys;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::routing::{get, post};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use connector::Conversations;
pub use connector::Message;

/// The issuer of Bot Framework tokens.
pub const ISSUER: &str = "https://api.botframework.com";

/// One Connector call.
#[derive(Debug, Clone)]
pub struct ConnectorCall {
    pub method: String,
    /// Path after the service URL, decoded: `v3/conversations/{id}/activities[/{id}]`.
    pub path: String,
    pub authorization: String,
    pub body: Value,
}

/// How the metadata and key endpoints behave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeyEndpoint {
    #[default]
    Up,
    /// 503 to every request.
    Down,
    /// Accepts the request and never answers.
    Hanging,
}

/// What the fake signs with and publishes.
pub struct Keys {
    /// The RSA private key (PEM) every published key id stands for.
    pub private_key_pem: &'static str,
    /// Bot Framework key ids and the channels each endorses; the first signs [`FakeBotFramework::token`].
    pub bot_framework: Vec<(String, Vec<String>)>,
    /// A single-tenant bot's Entra tenant and the key id it publishes (no endorsements).
    pub entra: Option<(String, String)>,
}

/// The fake; clones share everything.
#[derive(Clone)]
pub struct FakeBotFramework {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    key: EncodingKey,
    /// The public half as a JWK (`kty`, `n`, `e`), without a key id.
    jwk: Value,
    keys: Keys,
    calls: Mutex<Vec<ConnectorCall>>,
    key_fetches: Mutex<u32>,
    /// Requests to the metadata endpoint, answered or not.
    metadata_requests: Mutex<u32>,
    key_endpoint: Mutex<KeyEndpoint>,
    conversations: Mutex<Conversations>,
    /// `29:` id → Entra object id, to tell whose 1:1 chat a conversation is.
    people: Vec<(String, String)>,
}

/// The fake could not read its key.
#[derive(Debug, thiserror::Error)]
#[error("the fake Bot Framework's key: {0}")]
pub struct KeyError(#[from] jsonwebtoken::errors::Error);

impl FakeBotFramework {
    /// Served under `base_url` (where [`FakeBotFramework::router`] is mounted); `people` are
    /// (`29:` id, Entra object id) pairs.
    pub fn new(
        base_url: &str,
        keys: Keys,
        people: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, KeyError> {
        let key = EncodingKey::from_rsa_pem(keys.private_key_pem.as_bytes())?;
        let jwk = Jwk::from_encoding_key(&key, Algorithm::RS256)?;
        let jwk = serde_json::to_value(jwk).unwrap_or_default();
        Ok(Self {
            inner: Arc::new(Inner {
                base_url: base_url.trim_end_matches('/').to_owned(),
                key,
                jwk: json!({"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"]}),
                keys,
                calls: Mutex::default(),
                key_fetches: Mutex::default(),
                metadata_requests: Mutex::default(),
                key_endpoint: Mutex::default(),
                conversations: Mutex::default(),
                people: people.into_iter().collect(),
            }),
        })
    }

    pub fn router(&self) -> Router {
        let conversations = "/connector/v3/conversations";
        Router::new()
            .route("/v1/.well-known/openidconfiguration", get(keys::metadata))
            .route("/v1/.well-known/keys", get(keys::keys))
            .route(
                "/entra/v2.0/.well-known/openid-configuration",
                get(keys::entra_metadata),
            )
            .route("/entra/discovery/v2.0/keys", get(keys::entra_keys))
            .route(conversations, post(connector::create_conversation))
            .route(
                &format!("{conversations}/{{conversation}}/activities"),
                post(connector::send),
            )
            .route(
                &format!("{conversations}/{{conversation}}/activities/{{activity}}"),
                post(connector::reply).put(connector::update),
            )
            .with_state(self.clone())
    }

    /// `[teams] openid_metadata_url`.
    pub fn metadata_url(&self) -> String {
        format!("{}/v1/.well-known/openidconfiguration", self.inner.base_url)
    }

    /// `[teams] entra_openid_metadata_url`: the bot's Entra tenant's OpenID metadata.
    pub fn entra_metadata_url(&self) -> String {
        format!(
            "{}/entra/v2.0/.well-known/openid-configuration",
            self.inner.base_url
        )
    }

    /// `[teams] service_url`, and the `serviceUrl` of the activities.
    pub fn service_url(&self) -> String {
        format!("{}/connector/", self.inner.base_url)
    }

    /// A token signed with the fake's key under `kid`.
    pub fn sign(&self, claims: &Value, kid: &str) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        Ok(jsonwebtoken::encode(&header, claims, &self.inner.key)?)
    }

    /// A Bot Framework token for one activity to bot `app_id`, as the Bot Connector sends it.
    pub fn token(&self, app_id: &str) -> Result<String, KeyError> {
        let now = chrono::Utc::now().timestamp();
        let claims = json!({
            "iss": ISSUER, "aud": app_id, "serviceurl": self.service_url(),
            "nbf": now - 5, "exp": now + 600, "iat": now - 5,
        });
        let kid = self
            .inner
            .keys
            .bot_framework
            .first()
            .map_or("", |(kid, _)| kid.as_str());
        self.sign(&claims, kid)
    }

    /// Every Connector call so far, oldest first.
    pub fn calls(&self) -> Vec<ConnectorCall> {
        lock(&self.inner.calls).clone()
    }

    /// Answered requests for the key set.
    pub fn key_fetches(&self) -> u32 {
        *lock(&self.inner.key_fetches)
    }

    /// Requests for the metadata, answered or not.
    pub fn metadata_requests(&self) -> u32 {
        *lock(&self.inner.metadata_requests)
    }

    /// Takes the metadata and key endpoints down, hangs them, or brings them back.
    pub fn set_key_endpoint(&self, state: KeyEndpoint) {
        *lock(&self.inner.key_endpoint) = state;
    }

    fn conversations(&self) -> MutexGuard<'_, Conversations> {
        lock(&self.inner.conversations)
    }

    /// A new post by `user` (Entra object id) in `channel`: it starts a thread, whose
    /// conversation id (`19:…;messageid=…`) and the post's id are returned.
    pub fn post_in_channel(&self, channel: &str, user: &str, text: &str) -> (String, String) {
        self.conversations().post_in_channel(channel, user, text)
    }

    /// The invoke answer to `user`'s click on `activity`: a card only they see in its place, or
    /// a message.
    pub fn answered(&self, user: &str, conversation: &str, activity: &str, answer: &Value) {
        self.conversations()
            .answered(user, conversation, activity, answer);
    }

    /// A message with its latest content.
    pub fn message(&self, id: &str) -> Option<Message> {
        self.conversations().message(id).cloned()
    }

    /// Everything the bot and the people posted, and whose 1:1 chat each conversation is.
    pub fn snapshot(&self) -> Value {
        self.conversations().snapshot(&self.inner.people)
    }
}

/// A poisoned lock still holds consistent data here (each update is one assignment).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
