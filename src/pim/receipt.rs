//! What PIM answered to a schedule request, read the same way for Graph and ARM.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::duration::ElevationDuration;
use crate::service::ports::{Receipt, UpstreamError};

/// The removal's goal holds already: PIM shows nothing to remove.
pub(crate) fn already_removed(error: &UpstreamError) -> Receipt {
    Receipt {
        pim_request_id: String::new(),
        status: "Revoked".to_owned(),
        end: None,
        upstream_request_id: error.upstream_request_id.clone(),
    }
}

/// The 201 answer (Graph entity, or ARM `properties` with the request's `id`): id, status and end (`endDateTime`, else start + duration).
pub(crate) fn receipt(
    body: &Value,
    request_id: Option<String>,
    requested: ElevationDuration,
    sent_at: DateTime<Utc>,
) -> Receipt {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let expiration = &body["scheduleInfo"]["expiration"];
    let end = text(&expiration["endDateTime"])
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            let removal = body["action"].as_str() == Some("adminRemove")
                || body["requestType"].as_str() == Some("AdminRemove");
            if removal {
                return None;
            }
            let start = text(&body["scheduleInfo"]["startDateTime"])
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map_or(sent_at, |t| t.with_timezone(&Utc));
            let duration = text(&expiration["duration"])
                .and_then(|d| ElevationDuration::parse(&d).ok())
                .unwrap_or(requested);
            Some(start + duration.as_chrono())
        });
    Receipt {
        pim_request_id: text(&body["id"]).unwrap_or_default(),
        status: text(&body["status"]).unwrap_or_else(|| "Unknown".to_owned()),
        end,
        upstream_request_id: request_id,
    }
}
