//! Turning rows into domain values and back, the same for both databases.

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::request::{Platform, Request, ShortId, State};
use crate::service::jobs::Job;
use crate::service::ports::{CachedIdentity, SignInPurpose, StoreError};

/// A job whose payload cannot be read is parked here (far enough to never come due, and still
/// sorting correctly as SQLite text).
pub(crate) fn parked_until() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The JSON kept in `requests.data`.
pub(crate) fn request_json(request: &Request) -> Result<String, StoreError> {
    serde_json::to_string(request).map_err(|e| {
        StoreError::Corrupt(format!("request {} cannot be serialised: {e}", request.id))
    })
}

/// A request from its row: the JSON, with id, version and state taken from their columns.
pub(crate) fn request_from_row(
    id: i64,
    version: i64,
    state: &str,
    data: &str,
) -> Result<Request, StoreError> {
    let mut request: Request = serde_json::from_str(data)
        .map_err(|e| StoreError::Corrupt(format!("request {id}: unreadable data: {e}")))?;
    request.id = ShortId::new(id);
    request.version = version;
    request.state = State::from_db(state)
        .ok_or_else(|| StoreError::Corrupt(format!("request {id}: unknown state `{state}`")))?;
    Ok(request)
}

pub(crate) fn job_json(job: &Job) -> Result<String, StoreError> {
    serde_json::to_string(job)
        .map_err(|e| StoreError::Corrupt(format!("{} job cannot be serialised: {e}", job.kind())))
}

pub(crate) fn job_from_payload(id: i64, payload: &str) -> Result<Job, StoreError> {
    serde_json::from_str(payload)
        .map_err(|e| StoreError::Corrupt(format!("job {id}: unreadable payload: {e}")))
}

pub(crate) fn identity_json(identity: &CachedIdentity) -> Result<String, StoreError> {
    serde_json::to_string(identity)
        .map_err(|e| StoreError::Corrupt(format!("identity cannot be serialised: {e}")))
}

pub(crate) fn identity_from_row(data: &str) -> Result<CachedIdentity, StoreError> {
    serde_json::from_str(data)
        .map_err(|e| StoreError::Corrupt(format!("cached identity is unreadable: {e}")))
}

/// A `platform` column (`slack`, `teams`).
pub(crate) fn platform_from_db(text: &str) -> Result<Platform, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("unknown platform `{text}`")))
}

/// The JSON kept in `sign_in_states.purpose`.
pub(crate) fn purpose_json(purpose: &SignInPurpose) -> Result<String, StoreError> {
    serde_json::to_string(purpose)
        .map_err(|e| StoreError::Corrupt(format!("sign-in purpose cannot be serialised: {e}")))
}

pub(crate) fn purpose_from_row(data: &str) -> Result<SignInPurpose, StoreError> {
    serde_json::from_str(data)
        .map_err(|e| StoreError::Corrupt(format!("sign-in purpose is unreadable: {e}")))
}

/// `attempts` as the port reports it.
pub(crate) fn attempts(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// A `limit` argument as SQL wants it.
pub(crate) fn limit(value: u32) -> i64 {
    i64::from(value)
}

/// `now + lease`, saturating.
pub(crate) fn lease_end(now: DateTime<Utc>, lease: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(lease)
        .ok()
        .and_then(|lease| now.checked_add_signed(lease))
        .unwrap_or_else(parked_until)
}
