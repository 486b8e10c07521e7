//! The project's fake Bot Framework ([`pimbot::emulator::bot_framework`]) with the tests' key ids,
//! a token minter using the fixed test RSA key, and the tests' way of waiting for Connector calls.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::harness::TENANT_ID;

pub(crate) const APP_ID: &str = "6f1c2d3e-4b5a-4c6d-8e7f-00000000b07a";
pub(crate) const BOT_ID: &str = "28:6f1c2d3e-4b5a-4c6d-8e7f-00000000b07a";
pub(crate) use pimbot::emulator::bot_framework::ISSUER;
/// Signs tokens; endorses `msteams`.
pub(crate) const KID: &str = "test-key-msteams";
/// The same key material, endorsing only `webchat`.
pub(crate) const WEBCHAT_KID: &str = "test-key-webchat";
/// The same key material, published by the bot's Entra tenant (no endorsements).
pub(crate) const ENTRA_KID: &str = "test-key-entra";
/// The channel thread where Alice typed her request.
pub(crate) const CHANNEL: &str = "19:teamfoo@thread.tacv2";
pub(crate) const THREAD: &str = "19:teamfoo@thread.tacv2;messageid=1700000000001";
pub(crate) const AUDIT_CONVERSATION: &str = "19:audit@thread.tacv2";

/// The fixed test key (tests/app/fixtures/teams_test_key.pem) and its public half.
pub(crate) const PRIVATE_KEY: &str = include_str!("fixtures/teams_test_key.pem");
pub(crate) const PUBLIC_KEY: &str = include_str!("fixtures/teams_test_key.pub.pem");

/// Teams users of the demo tenant: (name, `29:` id, Entra object id).
pub(crate) const ALICE: (&str, &str, &str) = (
    "Alice Engineer",
    "29:alice",
    "90ea226b-db03-48c5-a5c4-7d42c40e0145",
);
pub(crate) const BOB: (&str, &str, &str) = (
    "Bob Owner",
    "29:bob",
    "d7a95a2d-6f54-4d5b-9b0a-9b8847c25a70",
);
pub(crate) const CAROL_ID: &str = "8767515c-c303-466f-9b40-98e9a042f5b1";

pub(crate) use pimbot::emulator::bot_framework::{ConnectorCall, KeyEndpoint};
use pimbot::emulator::bot_framework::{FakeBotFramework, Keys};

/// The project's fake Bot Framework (the demo's too) on its own port, with the tests' key ids.
#[derive(Clone)]
pub(crate) struct FakeTeams {
    fake: FakeBotFramework,
}

impl FakeTeams {
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let kid = |kid: &str, endorsements: &[&str]| {
            let endorsements = endorsements.iter().map(|e| e.to_string()).collect();
            (kid.to_owned(), endorsements)
        };
        let keys = Keys {
            private_key_pem: PRIVATE_KEY,
            bot_framework: vec![
                kid(KID, &["msteams", "skype"]),
                kid(WEBCHAT_KID, &["webchat"]),
            ],
            entra: Some((TENANT_ID.to_owned(), ENTRA_KID.to_owned())),
        };
        let fake = FakeBotFramework::new(&base_url, keys, Vec::new()).expect("the test key");
        let app = fake.router();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeTeams { fake }
    }

    pub(crate) fn metadata_url(&self) -> String {
        self.fake.metadata_url()
    }

    /// The bot's Entra tenant's OpenID metadata.
    pub(crate) fn entra_metadata_url(&self) -> String {
        self.fake.entra_metadata_url()
    }

    /// The activities' (and the configured) service URL.
    pub(crate) fn service_url(&self) -> String {
        self.fake.service_url()
    }

    pub(crate) fn calls(&self) -> Vec<ConnectorCall> {
        self.fake.calls()
    }

    pub(crate) fn key_fetches(&self) -> u32 {
        self.fake.key_fetches()
    }

    pub(crate) fn metadata_requests(&self) -> u32 {
        self.fake.metadata_requests()
    }

    /// Takes the Bot Framework's metadata and key endpoints down, hangs them, or brings them back.
    pub(crate) fn set_key_endpoint(&self, state: KeyEndpoint) {
        self.fake.set_key_endpoint(state);
    }

    /// Waits until `predicate` holds for the recorded calls (or panics after 10 s).
    pub(crate) async fn wait_for(
        &self,
        what: &str,
        predicate: impl Fn(&ConnectorCall) -> bool,
    ) -> ConnectorCall {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(call) = self.calls().into_iter().find(|c| predicate(c)) {
                return call;
            }
            if tokio::time::Instant::now() > deadline {
                let seen: Vec<String> = self
                    .calls()
                    .iter()
                    .map(|c| format!("{} {} {}", c.method, c.path, c.body))
                    .collect();
                panic!(
                    "timed out waiting for {what}; the Connector saw:\n{}",
                    seen.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Claims of a valid token for an activity posted to `service_url`.
pub(crate) fn claims(service_url: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": ISSUER, "aud": APP_ID, "serviceurl": service_url,
        "nbf": now - 10, "exp": now + 3600, "iat": now - 10,
    })
}

/// An RS256 token with `kid`, signed with the test key.
pub(crate) fn sign(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).expect("test key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

/// Tokens from pimbot must be the ones the (emulated) Entra issued for the bot.
/// A token the emulator's token endpoint issued for the Bot Framework (its `aud`), as the
/// Connector token must be.
pub(crate) fn is_bot_token(call: &ConnectorCall) -> bool {
    call.authorization
        .strip_prefix("Bearer ")
        .and_then(|token| jsonwebtoken::dangerous::insecure_decode_claims::<Value>(token).ok())
        .is_some_and(|claims| claims["aud"] == "https://api.botframework.com")
}

/// The tenant every activity in these tests comes from.
pub(crate) fn tenant() -> &'static str {
    TENANT_ID
}
