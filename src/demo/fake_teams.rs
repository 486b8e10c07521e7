//! The demo's Microsoft Teams: a fake Bot Framework (OpenID metadata and signing keys under
//! `/botframework/v1/.well-known/`, tokens minted with a demo-only RSA key) and a fake Connector
//! (`/botframework/connector/v3/…`) that keeps what the bot posted as conversations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::Context;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde::Serialize;
use serde_json::{Value, json};

use super::seed::Persona;

/// The demo bot's Microsoft App ID (the audience of the tokens the sandbox mints).
pub(super) const APP_ID: &str = "6f1c2d3e-4b5a-4c6d-8e7f-0000000de307";
/// The team channel where people @mention the bot; each post starts a thread.
pub(super) const CHANNEL: &str = "19:teamfoo@thread.tacv2";
/// The audit conversation.
pub(super) const AUDIT_CONVERSATION: &str = "19:pim-audit@thread.tacv2";
const ISSUER: &str = "https://api.botframework.com";
const KID: &str = "pimbot-demo-key";
/// Demo only: generated for `pimbot demo` and trusted by nothing but the demo's own fake
/// metadata. A key generated at startup would need an RSA crate for this alone.
const PRIVATE_KEY: &str = include_str!("demo_bot_key.pem");
const BOT: &str = "pimbot";

/// One message in a Teams conversation, at its latest version.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Message {
    seq: u64,
    /// Bumped by every update, so the page can tell an invoke answer from a newer card.
    version: u64,
    conversation: String,
    id: String,
    /// `pimbot`, or the Entra object id of a person.
    author: String,
    text: String,
    attachments: Value,
    /// An invoke answer: the card this clicker sees in place of message `replaces`.
    visible_to: Option<String>,
    replaces: Option<String>,
    edited: bool,
}

#[derive(Default)]
struct Conversations {
    next: u64,
    messages: Vec<Message>,
    /// 1:1 conversation id → the member's `29:` id.
    personal: HashMap<String, String>,
}

impl Conversations {
    fn next(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn add(&mut self, conversation: &str, author: &str, activity: &Value) -> String {
        let seq = self.next();
        let id = format!("1700000{seq:06}");
        self.messages.push(Message {
            seq,
            version: seq,
            conversation: conversation.to_owned(),
            id: id.clone(),
            author: author.to_owned(),
            text: activity["text"].as_str().unwrap_or_default().to_owned(),
            attachments: activity["attachments"].clone(),
            visible_to: None,
            replaces: None,
            edited: false,
        });
        id
    }
}

/// The fake Bot Framework and Connector; clones share the conversations.
#[derive(Clone)]
pub(super) struct FakeTeams {
    conversations: Arc<Mutex<Conversations>>,
    base_url: String,
    key: Arc<EncodingKey>,
    jwk: Value,
    /// `29:` id → Entra object id, to tell whose 1:1 chat a conversation is.
    people: Arc<Vec<(String, String)>>,
}

impl FakeTeams {
    pub(super) fn new(base_url: &str, people: &[Persona]) -> anyhow::Result<Self> {
        let key = EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).context("the demo bot key")?;
        let jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).context("the demo bot JWK")?;
        let mut jwk = serde_json::to_value(jwk)?;
        jwk["kid"] = json!(KID);
        jwk["use"] = json!("sig");
        jwk["endorsements"] = json!(["msteams"]);
        Ok(Self {
            conversations: Arc::default(),
            base_url: base_url.to_owned(),
            key: Arc::new(key),
            jwk,
            people: Arc::new(
                people
                    .iter()
                    .map(|p| (p.teams_id.clone(), p.entra_id.clone()))
                    .collect(),
            ),
        })
    }

    pub(super) fn router(&self) -> Router {
        let connector = "/botframework/connector/v3/conversations";
        Router::new()
            .route(
                "/botframework/v1/.well-known/openidconfiguration",
                get(metadata),
            )
            .route("/botframework/v1/.well-known/keys", get(keys))
            .route(connector, post(create_conversation))
            .route(
                &format!("{connector}/{{conversation}}/activities"),
                post(send),
            )
            .route(
                &format!("{connector}/{{conversation}}/activities/{{activity}}"),
                post(reply).put(update),
            )
            .with_state(self.clone())
    }

    /// `[teams] openid_metadata_url`.
    pub(super) fn metadata_url(&self) -> String {
        format!(
            "{}/botframework/v1/.well-known/openidconfiguration",
            self.base_url
        )
    }

    /// `[teams] service_url`, and the `serviceUrl` of every activity the sandbox sends.
    pub(super) fn service_url(&self) -> String {
        format!("{}/botframework/connector/", self.base_url)
    }

    fn lock(&self) -> MutexGuard<'_, Conversations> {
        self.conversations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A Bot Framework token for one activity, as the Bot Connector would send it.
    pub(super) fn token(&self) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = json!({
            "iss": ISSUER, "aud": APP_ID, "serviceurl": self.service_url(),
            "nbf": now - 5, "exp": now + 600, "iat": now - 5,
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KID.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.key).context("signing a demo token")
    }

    /// A new post by `user` (Entra object id) in the team channel: it starts a thread, whose
    /// conversation id (`19:…;messageid=…`) and the post's id are returned.
    pub(super) fn post_in_channel(&self, user: &str, text: &str) -> (String, String) {
        let mut conversations = self.lock();
        let id = conversations.add(CHANNEL, user, &json!({ "text": text }));
        let conversation = format!("{CHANNEL};messageid={id}");
        if let Some(post) = conversations.messages.last_mut() {
            post.conversation.clone_from(&conversation);
        }
        (conversation, id)
    }

    /// The invoke answer to `user`'s click on `activity`: a card only they see in its place, or
    /// a message.
    pub(super) fn answered(&self, user: &str, conversation: &str, activity: &str, answer: &Value) {
        let mut conversations = self.lock();
        let content = if answer["type"] == "application/vnd.microsoft.card.adaptive" {
            json!({ "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive", "content": answer["value"]
            }] })
        } else {
            json!({ "text": answer["value"].as_str().unwrap_or_default() })
        };
        let id = conversations.add(conversation, BOT, &content);
        if let Some(message) = conversations.messages.iter_mut().find(|m| m.id == id) {
            message.visible_to = Some(user.to_owned());
            message.replaces = Some(activity.to_owned());
        }
    }

    /// A message with its latest content.
    pub(super) fn message(&self, id: &str) -> Option<Message> {
        self.lock().messages.iter().find(|m| m.id == id).cloned()
    }

    /// Everything the bot and the people posted, and whose 1:1 chat each conversation is.
    pub(super) fn snapshot(&self) -> Value {
        let conversations = self.lock();
        let personal: HashMap<&String, &String> = conversations
            .personal
            .iter()
            .filter_map(|(conversation, member)| {
                let entra = self.people.iter().find(|(id, _)| id == member)?;
                Some((conversation, &entra.1))
            })
            .collect();
        json!({ "messages": conversations.messages, "personal": personal })
    }
}

impl Message {
    pub(super) fn conversation(&self) -> &str {
        &self.conversation
    }
}

async fn metadata(State(fake): State<FakeTeams>) -> Json<Value> {
    Json(json!({
        "issuer": ISSUER,
        "jwks_uri": format!("{}/botframework/v1/.well-known/keys", fake.base_url),
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    }))
}

async fn keys(State(fake): State<FakeTeams>) -> Json<Value> {
    Json(json!({ "keys": [fake.jwk] }))
}

/// A 1:1 conversation with one member; the same member always gets the same conversation.
async fn create_conversation(
    State(fake): State<FakeTeams>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let member = body["members"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let id = format!("a:1on1-{}", member.trim_start_matches("29:"));
    fake.lock().personal.insert(id.clone(), member);
    Json(json!({ "id": id, "activityId": null, "serviceUrl": fake.service_url() }))
}

async fn send(
    State(fake): State<FakeTeams>,
    Path(conversation): Path<String>,
    Json(activity): Json<Value>,
) -> Json<Value> {
    let id = fake.lock().add(&conversation, BOT, &activity);
    Json(json!({ "id": id }))
}

/// ReplyToActivity: a new message in the same conversation.
async fn reply(
    State(fake): State<FakeTeams>,
    Path((conversation, _activity)): Path<(String, String)>,
    Json(activity): Json<Value>,
) -> Json<Value> {
    let id = fake.lock().add(&conversation, BOT, &activity);
    Json(json!({ "id": id }))
}

async fn update(
    State(fake): State<FakeTeams>,
    Path((conversation, activity_id)): Path<(String, String)>,
    Json(activity): Json<Value>,
) -> Json<Value> {
    let mut conversations = fake.lock();
    let version = conversations.next();
    if let Some(message) = conversations
        .messages
        .iter_mut()
        .find(|m| m.conversation == conversation && m.id == activity_id)
    {
        message.text = activity["text"].as_str().unwrap_or_default().to_owned();
        message.attachments = activity["attachments"].clone();
        message.version = version;
        message.edited = true;
    }
    Json(json!({ "id": activity_id }))
}
