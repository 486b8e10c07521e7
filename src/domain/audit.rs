//! Audit events and the hash chain that makes the trail tamper-evident.
//!
//! Each stored event keeps its canonical JSON text and `hash = sha256(prev_hash || canonical)`;
//! editing, deleting or reordering any row breaks every later link.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::request::{Platform, ShortId};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something, as far as pimbot knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditActor {
    pub platform: Option<Platform>,
    /// Slack user id or Teams MRI.
    pub chat_id: Option<String>,
    pub entra_id: Option<String>,
    pub display_name: Option<String>,
}

impl AuditActor {
    /// pimbot itself (jobs, the scheduler).
    pub fn system() -> Self {
        Self {
            platform: None,
            chat_id: None,
            entra_id: None,
            display_name: Some("pimbot".to_owned()),
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Truncated to microseconds, the precision every supported database keeps.
    pub at: DateTime<Utc>,
    /// Dotted name: `request.submitted`, `request.refused`, `request.approved`, `auth.rejected`, ...
    pub kind: String,
    pub request_id: Option<ShortId>,
    pub actor: AuditActor,
    /// The outcome or error code (`ok`, `not_eligible`, `bad_signature`, ...).
    pub outcome: String,
    /// What was asked and decided: command text, target, duration, ticket, reasons, PIM ids.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(kind: &str, request_id: Option<ShortId>, actor: AuditActor, outcome: &str) -> Self {
        Self {
            at: Utc::now().trunc_subsecs(6),
            kind: kind.to_owned(),
            request_id,
            actor,
            outcome: outcome.to_owned(),
            detail: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    /// The exact text that is hashed and stored: JSON with the sequence number, keys sorted.
    pub fn canonical(&self, seq: i64) -> String {
        let value = serde_json::json!({ "seq": seq, "event": self });
        // serde_json's map keeps keys sorted (no `preserve_order`), so this text is canonical.
        value.to_string()
    }
}

/// `sha256(prev_hash || canonical)` as lowercase hex.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// The `seq` a canonical text binds, read without building the event (the walk of a long trail
/// spends its time here): the text must still be one JSON object of `seq` and `event`.
fn seq_in_text(canonical: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Bound {
        seq: i64,
        #[expect(
            dead_code,
            reason = "checked to be there; its content is the hash's business"
        )]
        event: serde::de::IgnoredAny,
    }
    serde_json::from_str::<Bound>(canonical).ok().map(|b| b.seq)
}

/// Whether `hash` (lowercase hex) is `chain_hash(prev_hash, canonical)`, without formatting one.
fn hash_matches(prev_hash: &str, canonical: &str, hash: &str) -> bool {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    let digest = hasher.finalize();
    let mut expected = [0u8; 64];
    hex::encode_to_slice(digest, &mut expected).is_ok() && expected == hash.as_bytes()
}

/// An event as stored: its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAuditEvent {
    pub seq: i64,
    pub canonical: String,
    pub prev_hash: String,
    pub hash: String,
}

/// A point of the chain: event `seq` has hash `hash`. The head of the chain is one; an anchor is
/// one published outside the database (`HASH@SEQ`), so a rewritten or shortened chain shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchor {
    pub seq: i64,
    /// Lowercase hex SHA-256.
    pub hash: String,
}

/// Why a `HASH@SEQ` text is not an anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not an audit anchor: {reason}; use HASH@SEQ as posted to the audit channel (64 hex digits, `@`, an event number from 1)"
)]
pub struct AnchorError {
    input: String,
    reason: &'static str,
}

impl AuditAnchor {
    /// The empty chain's head: no event, the genesis hash.
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }

    /// Parses `HASH@SEQ` (the hash in either case; it is kept in lowercase).
    pub fn parse(input: &str) -> Result<Self, AnchorError> {
        let error = |reason| AnchorError {
            input: input.chars().take(100).collect(),
            reason,
        };
        let (hash, seq) = input.trim().split_once('@').ok_or(error("no `@`"))?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(error("the hash is not 64 hex digits"));
        }
        let seq: i64 = seq
            .parse()
            .map_err(|_| error("the event number is not a number"))?;
        if seq < 1 {
            return Err(error("event numbers start at 1"));
        }
        Ok(Self {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for AuditAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.hash, self.seq)
    }
}

/// The first link that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error(
        "audit event {seq}: expected sequence number {expected} (an event is missing or out of order)"
    )]
    Gap { seq: i64, expected: i64 },
    #[error("audit event {seq}: prev_hash does not match the hash of event {previous}")]
    Unlinked { seq: i64, previous: i64 },
    #[error("audit event {seq}: its content does not match its hash (the row was edited)")]
    Tampered { seq: i64 },
}

/// Checks events in sequence order, continuing from `previous` (seq, hash) when given.
pub fn verify_chain<'a>(
    previous: Option<(i64, &str)>,
    events: impl IntoIterator<Item = &'a StoredAuditEvent>,
) -> Result<Option<(i64, String)>, ChainBreak> {
    let mut last = previous.map(|(seq, hash)| (seq, hash.to_owned()));
    for event in events {
        let (expected_seq, expected_prev) = match &last {
            Some((seq, hash)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        if event.seq != expected_seq {
            return Err(ChainBreak::Gap {
                seq: event.seq,
                expected: expected_seq,
            });
        }
        if event.prev_hash != expected_prev {
            return Err(ChainBreak::Unlinked {
                seq: event.seq,
                previous: expected_seq - 1,
            });
        }
        if seq_in_text(&event.canonical) != Some(event.seq)
            || !hash_matches(&event.prev_hash, &event.canonical, &event.hash)
        {
            return Err(ChainBreak::Tampered { seq: event.seq });
        }
        last = Some((event.seq, event.hash.clone()));
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredAuditEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let event = AuditEvent::new(
                    "request.submitted",
                    Some(ShortId::new(seq)),
                    AuditActor::system(),
                    "ok",
                );
                let canonical = event.canonical(seq);
                let hash = chain_hash(&prev, &canonical);
                let stored = StoredAuditEvent {
                    seq,
                    canonical,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                stored
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(5);
        let last = verify_chain(None, &events).expect("intact");
        assert_eq!(last.map(|(seq, _)| seq), Some(5));
    }

    #[test]
    fn an_edited_event_is_named() {
        let mut events = chain(5);
        events[2].canonical = events[2]
            .canonical
            .replace("request.submitted", "request.approved");
        assert_eq!(
            verify_chain(None, &events),
            Err(ChainBreak::Tampered { seq: 3 })
        );
    }

    #[test]
    fn a_deleted_event_is_named() {
        let mut events = chain(5);
        events.remove(1);
        assert_eq!(
            verify_chain(None, &events),
            Err(ChainBreak::Gap {
                seq: 3,
                expected: 2
            })
        );
    }

    #[test]
    fn a_rehashed_event_breaks_the_next_link() {
        let mut events = chain(4);
        events[1].canonical = events[1].canonical.replace("submitted", "denied");
        events[1].hash = chain_hash(&events[1].prev_hash, &events[1].canonical);
        assert_eq!(
            verify_chain(None, &events),
            Err(ChainBreak::Unlinked {
                seq: 3,
                previous: 2
            })
        );
    }

    #[test]
    fn canonical_text_has_sorted_keys_and_the_sequence_number() {
        let event = AuditEvent::new("x", None, AuditActor::system(), "ok");
        let text = event.canonical(9);
        assert!(text.starts_with(r#"{"event":{"actor":"#), "{text}");
        assert!(text.ends_with(r#""seq":9}"#), "{text}");
    }

    #[test]
    fn an_anchor_reads_hash_at_seq_and_refuses_anything_else() {
        let hash = "AB".repeat(32);
        let anchor = AuditAnchor::parse(&format!("{hash}@7")).expect("valid");
        assert_eq!(anchor.seq, 7);
        assert_eq!(anchor.to_string(), format!("{}@7", "ab".repeat(32)));
        for bad in [
            String::new(),
            "ab".repeat(32),
            format!("{}@7", "ab".repeat(31)),
            format!("{}@7", "zz".repeat(32)),
            format!("{hash}@"),
            format!("{hash}@seven"),
            format!("{hash}@0"),
            format!("{hash}@-3"),
        ] {
            let error = AuditAnchor::parse(&bad).expect_err(&bad).to_string();
            assert!(error.contains("HASH@SEQ"), "{bad}: {error}");
        }
    }
}
