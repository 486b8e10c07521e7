//! What PIM answered to a schedule request, read the same way for Graph and ARM.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::duration::ElevationDuration;
use crate::service::ports::{Activation, PendingActivation, Receipt, RequestStatus, UpstreamError};

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
            let removal = matches!(
                body["action"].as_str(),
                Some("adminRemove" | "selfDeactivate")
            ) || matches!(
                body["requestType"].as_str(),
                Some("AdminRemove" | "SelfDeactivate")
            );
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

fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|t| !t.is_empty()).map(str::to_owned)
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// A `self*` request's answer: its receipt, and the approval it waits for, if any.
pub(crate) fn activation(
    body: &Value,
    request_id: Option<String>,
    requested: ElevationDuration,
    sent_at: DateTime<Utc>,
) -> Activation {
    Activation {
        receipt: receipt(body, request_id, requested, sent_at),
        approval_id: text(&body["approvalId"]),
    }
}

/// Where a schedule request (Graph entity, or ARM `properties`) stands.
pub(crate) fn request_status(body: &Value) -> RequestStatus {
    let expiration = &body["scheduleInfo"]["expiration"];
    let end = time(&expiration["endDateTime"]).or_else(|| {
        let start = time(&body["scheduleInfo"]["startDateTime"])?;
        let duration = ElevationDuration::parse(expiration["duration"].as_str()?).ok()?;
        Some(start + duration.as_chrono())
    });
    RequestStatus {
        status: text(&body["status"]).unwrap_or_else(|| "Unknown".to_owned()),
        approval_id: text(&body["approvalId"]),
        end,
    }
}

/// A request (Graph entity, or ARM `properties`) named `id` that waits for approval; `None`
/// when it does not, or carries no approval.
pub(crate) fn pending_activation(id: String, body: &Value) -> Option<PendingActivation> {
    if !body["status"]
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("PendingApproval"))
    {
        return None;
    }
    Some(PendingActivation {
        approval_id: text(&body["approvalId"])?,
        pim_request_id: id,
        principal_id: text(&body["principalId"]).unwrap_or_default(),
        justification: text(&body["justification"]),
        ticket: text(&body["ticketInfo"]["ticketNumber"]),
        duration: text(&body["scheduleInfo"]["expiration"]["duration"]),
        created: time(&body["createdDateTime"]).or_else(|| time(&body["createdOn"])),
    })
}
