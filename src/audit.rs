//! `pimbot audit verify` and `pimbot audit export`: read the chain page by page from the store.

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::domain::audit::{ChainBreak, verify_chain};
use crate::service::ports::{Store, StoreError};

const PAGE: u32 = 1000;

/// What `audit verify` found.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the audit chain is broken at {0}")]
    Broken(#[from] ChainBreak),
    #[error("could not write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// Checks every link; returns the number of events checked.
pub async fn verify(store: &dyn Store) -> Result<u64, AuditError> {
    let mut last: Option<(i64, String)> = None;
    let mut count = 0u64;
    loop {
        let after = last.as_ref().map_or(0, |(seq, _)| *seq);
        let page = store.audit_events(after, PAGE).await?;
        if page.is_empty() {
            return Ok(count);
        }
        count += page.len() as u64;
        let previous = last.as_ref().map(|(seq, hash)| (*seq, hash.as_str()));
        last = verify_chain(previous, &page)?;
    }
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
