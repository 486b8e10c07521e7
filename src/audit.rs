//! `pimbot audit verify` and `pimbot audit export`: read the chain page by page from the store.

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::domain::audit::{AuditAnchor, ChainBreak, verify_chain};
use crate::service::ports::{Store, StoreError};

/// Events per read: large enough that the per-query cost vanishes, small enough to keep the
/// memory of two pages (the one checked, the one read meanwhile) to a few MiB.
const PAGE: u32 = 5000;

/// What `audit verify` found.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the audit chain is broken at {0}")]
    Broken(#[from] ChainBreak),
    /// The head was read before the walk, so every event up to it was already stored.
    #[error(
        "the audit chain ends at event {last} but the audit head is at event {head}: {} missing (deleted from the end of the chain)",
        missing(*last, *head)
    )]
    Truncated { last: i64, head: i64 },
    #[error(
        "the audit chain goes on to event {last}, past the audit head at event {head}: the head was moved back or events were added behind pimbot's back"
    )]
    PastHead { last: i64, head: i64 },
    #[error(
        "audit event {seq} does not have the hash the audit head records: the end of the chain was rewritten"
    )]
    HeadMismatch { seq: i64 },
    #[error(
        "the audit chain ends at event {last}, before the anchor's event {}: {} missing (deleted from the end of the chain)",
        anchor.seq,
        missing(*last, anchor.seq)
    )]
    AnchorNotReached { last: i64, anchor: AuditAnchor },
    #[error(
        "audit event {} has hash {found}, not the anchor's {}: the chain was rewritten since the anchor was published",
        anchor.seq,
        anchor.hash
    )]
    AnchorMismatch { anchor: AuditAnchor, found: String },
    #[error("could not write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// `event 7 is` / `events 5 to 7 are`.
fn missing(last: i64, upto: i64) -> String {
    if last + 1 == upto {
        format!("event {upto} is")
    } else {
        format!("events {} to {upto} are", last + 1)
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// What an intact chain looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub events: u64,
    /// The audit head the chain was checked against.
    pub head: AuditAnchor,
}

/// Checks every link; returns the number of events checked.
pub async fn verify(store: &dyn Store) -> Result<u64, AuditError> {
    Ok(verify_against(store, None).await?.events)
}

/// Checks every link, that the chain reaches the audit head with the head's hash (so deleted
/// trailing events show), and, given an `anchor` published earlier, that the chain's event at
/// the anchor's seq has the anchor's hash.
pub async fn verify_against(
    store: &dyn Store,
    anchor: Option<&AuditAnchor>,
) -> Result<Verified, AuditError> {
    // Read before the walk: the head and its event are written in one transaction, so every
    // event up to it is stored by now, and appends while the walk runs only add events after it.
    let head = store.audit_head().await?;
    let mut expected = vec![head.clone()];
    expected.extend(anchor.cloned());
    let mut found: Vec<Option<String>> = vec![None; expected.len()];
    let mut last: Option<(i64, String)> = None;
    let mut count = 0u64;
    let mut page = store.audit_events(0, PAGE).await?;
    while let Some(page_end) = page.last().map(|event| event.seq) {
        count += page.len() as u64;
        let previous = last.as_ref().map(|(seq, hash)| (*seq, hash.as_str()));
        // The next page is read while this one is hashed (the database does its part on its
        // own thread); a break found here makes that read moot.
        let (next, checked) = tokio::join!(store.audit_events(page_end, PAGE), async {
            verify_chain(previous, &page)
        });
        last = checked?;
        for event in &page {
            for (point, hash) in expected.iter().zip(found.iter_mut()) {
                if point.seq == event.seq {
                    *hash = Some(event.hash.clone());
                }
            }
        }
        page = next?;
    }
    let last_seq = last.as_ref().map_or(0, |(seq, _)| *seq);
    if last_seq < head.seq {
        return Err(AuditError::Truncated {
            last: last_seq,
            head: head.seq,
        });
    }
    if head.seq > 0 && found[0].as_deref() != Some(head.hash.as_str()) {
        return Err(AuditError::HeadMismatch { seq: head.seq });
    }
    // The head only moves forward: one read after the walk is at or past every event seen.
    let head_now = store.audit_head().await?;
    if head_now.seq < last_seq {
        return Err(AuditError::PastHead {
            last: last_seq,
            head: head_now.seq,
        });
    }
    if let Some(anchor) = anchor {
        match &found[1] {
            None => {
                return Err(AuditError::AnchorNotReached {
                    last: last_seq,
                    anchor: anchor.clone(),
                });
            }
            Some(hash) if *hash != anchor.hash => {
                return Err(AuditError::AnchorMismatch {
                    anchor: anchor.clone(),
                    found: hash.clone(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(Verified {
        events: count,
        head,
    })
}

/// Parses `--since`: a date (`2026-11-30`, midnight UTC) or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("`{text}` is not a date: use 2026-11-30 or 2026-11-30T08:00:00Z"))
}

/// Streams events (oldest first) at or after `since`; returns how many were written.
pub async fn export(
    store: &dyn Store,
    format: ExportFormat,
    since: Option<DateTime<Utc>>,
    out: &mut dyn Write,
) -> Result<u64, AuditError> {
    if format == ExportFormat::Csv {
        writeln!(
            out,
            "seq,at,kind,request_id,outcome,actor_platform,actor_chat_id,actor_entra_id,actor_name,detail,hash"
        )?;
    }
    let mut after = 0;
    let mut written = 0;
    loop {
        let page = store.audit_events(after, PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(written);
        };
        after = last.seq;
        for stored in &page {
            let parsed: Value = serde_json::from_str(&stored.canonical).unwrap_or(Value::Null);
            let event = &parsed["event"];
            let at = event["at"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
            if let (Some(since), Some(at)) = (since, at)
                && at < since
            {
                continue;
            }
            match format {
                ExportFormat::Jsonl => {
                    let line = serde_json::json!({ "seq": stored.seq, "event": event, "prev_hash": stored.prev_hash, "hash": stored.hash });
                    writeln!(out, "{line}")?;
                }
                ExportFormat::Csv => {
                    let text = |v: &Value| match v {
                        Value::Null => String::new(),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let actor = &event["actor"];
                    let fields = [
                        stored.seq.to_string(),
                        text(&event["at"]),
                        text(&event["kind"]),
                        event["request_id"]
                            .as_i64()
                            .map(|n| format!("PIM-{n}"))
                            .unwrap_or_default(),
                        text(&event["outcome"]),
                        text(&actor["platform"]),
                        text(&actor["chat_id"]),
                        text(&actor["entra_id"]),
                        text(&actor["display_name"]),
                        event["detail"].to_string(),
                        stored.hash.clone(),
                    ];
                    let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                    writeln!(out, "{}", row.join(","))?;
                }
            }
            written += 1;
        }
    }
}

/// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do not
/// run user-typed text as a formula.
fn csv_field(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn since_takes_a_date_or_a_time() {
        assert_eq!(
            parse_since("2026-11-30").map(|t| t.to_rfc3339()),
            Ok("2026-11-30T00:00:00+00:00".to_owned())
        );
        assert!(parse_since("2026-11-30T08:00:00Z").is_ok());
        assert!(parse_since("yesterday").is_err());
    }
}
