//! `scheduleInfo`: reading what a request asks for (start, expiration type, duration or end), and
//! echoing it (and `ticketInfo`) back as Graph does.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::emulator::duration;
use crate::emulator::odata::GraphError;
use crate::emulator::server::iso;

/// A resolved `scheduleInfo`.
pub(crate) struct Schedule {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: Option<DateTime<Utc>>,
    /// Requested length, for the expiration rule; `None` for permanent.
    pub(crate) length: Option<TimeDelta>,
    /// Graph spelling: `afterDuration`, `afterDateTime`, `noExpiration`, `notSpecified`.
    pub(crate) kind: &'static str,
    pub(crate) duration: Option<String>,
}

pub(crate) fn read_schedule(info: &Value, now: DateTime<Utc>) -> Result<Schedule, GraphError> {
    let time = |value: Option<&Value>, name: &str| -> Result<Option<DateTime<Utc>>, GraphError> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| Some(t.with_timezone(&Utc)))
                .ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "'{name}' is not a valid ISO-8601 date and time."
                    ))
                }),
        }
    };
    let requested_start = time(info.get("startDateTime"), "scheduleInfo.startDateTime")?;
    let start = requested_start.map_or(now, |s| s.max(now));
    let expiration = info.get("expiration").cloned().unwrap_or(Value::Null);
    let end_time = time(
        expiration.get("endDateTime"),
        "scheduleInfo.expiration.endDateTime",
    )?;
    let raw_duration = expiration.get("duration").and_then(Value::as_str);
    let kind = match expiration.get("type").and_then(Value::as_str) {
        Some(t) => t.to_ascii_lowercase(),
        None if raw_duration.is_some() => "afterduration".to_owned(),
        None if end_time.is_some() => "afterdatetime".to_owned(),
        None => "noexpiration".to_owned(),
    };
    match kind.as_str() {
        "afterduration" => {
            let text = raw_duration.ok_or_else(|| {
                GraphError::bad_request(
                    "'scheduleInfo.expiration.duration' is required for afterDuration.",
                )
            })?;
            let length = duration::parse(text).filter(|d| *d > TimeDelta::zero()).ok_or_else(|| {
                GraphError::bad_request(format!("'scheduleInfo.expiration.duration' value '{text}' is not a valid ISO-8601 duration."))
            })?;
            let end = start.checked_add_signed(length);
            Ok(Schedule {
                start,
                end,
                length: Some(length),
                kind: "afterDuration",
                duration: Some(duration::format(length)),
            })
        }
        "afterdatetime" => {
            let end = end_time.ok_or_else(|| {
                GraphError::bad_request(
                    "'scheduleInfo.expiration.endDateTime' is required for afterDateTime.",
                )
            })?;
            if end <= start {
                return Err(GraphError::bad_request(
                    "'scheduleInfo.expiration.endDateTime' must be after the start.",
                ));
            }
            Ok(Schedule {
                start,
                end: Some(end),
                length: Some(end - start),
                kind: "afterDateTime",
                duration: None,
            })
        }
        "noexpiration" | "notspecified" => Ok(Schedule {
            start,
            end: None,
            length: None,
            kind: "noExpiration",
            duration: None,
        }),
        other => Err(GraphError::bad_request(format!(
            "Cannot convert the literal '{other}' to the expected type 'microsoft.graph.expirationPatternType'."
        ))),
    }
}

impl Schedule {
    /// `scheduleInfo` as Graph returns it.
    pub(crate) fn graph_json(&self) -> Value {
        json!({
            "startDateTime": iso(self.start),
            "recurrence": null,
            "expiration": {
                "type": self.kind,
                "endDateTime": self.end.map(iso),
                "duration": self.duration,
            },
        })
    }
}

/// `ticketInfo` echoed back, with nulls for what was not sent.
pub(crate) fn ticket_json(ticket: Option<&Value>) -> Value {
    let field = |name: &str| {
        ticket
            .and_then(|t| t.get(name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    json!({ "ticketNumber": field("ticketNumber"), "ticketSystem": field("ticketSystem") })
}
