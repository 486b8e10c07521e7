//! `AdminAssign` / `AdminRemove` (and activate mode's `SelfActivate` / `SelfDeactivate`) as ARM
//! schedule requests. The request name is a GUID derived
//! from pimbot's request (its intent key) and the action, so it is known before the PUT and the
//! same on every attempt: after a timeout or 5xx, pimbot GETs that name to learn the outcome
//! instead of creating a second request (pim-api.md section 11).

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::{API_VERSION, ArmClient};
use crate::domain::target::AzureRole;
use crate::pim::receipt::{activation, already_removed};
use crate::pim::rest::Answer;
use crate::pim::rest::errors::{ASSIGNMENT_DOES_NOT_EXIST, ASSIGNMENT_EXISTS};
use crate::service::ports::{Activation, Grant, Receipt, UpstreamError, UpstreamErrorKind};

/// Written into `ticketInfo.ticketSystem`.
const TICKET_SYSTEM: &str = "pimbot";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestType {
    AdminAssign,
    AdminRemove,
    /// The signed-in principal's own activation (activate mode, delegated token).
    SelfActivate,
    SelfDeactivate,
}

impl RequestType {
    fn name(self) -> &'static str {
        match self {
            RequestType::AdminAssign => "AdminAssign",
            RequestType::AdminRemove => "AdminRemove",
            RequestType::SelfActivate => "SelfActivate",
            RequestType::SelfDeactivate => "SelfDeactivate",
        }
    }

    fn operation(self) -> &'static str {
        match self {
            RequestType::AdminAssign => "azureAdminAssign",
            RequestType::AdminRemove => "azureAdminRemove",
            RequestType::SelfActivate => "azureSelfActivate",
            RequestType::SelfDeactivate => "azureSelfDeactivate",
        }
    }
}

/// The request name: a GUID from `sha256("pimbot/{intent}/{requestType}")` (UUID version 8,
/// "custom"), the same for every attempt of one intent.
pub(crate) fn request_name(intent: &str, request_type: RequestType) -> String {
    let digest = Sha256::digest(format!("pimbot/{intent}/{}", request_type.name()).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The `RoleAssignmentScheduleRequest` body; only declared properties.
pub(crate) fn request_body(
    request_type: RequestType,
    target: &AzureRole,
    grant: &Grant,
    now: DateTime<Utc>,
) -> Value {
    let mut properties = json!({
        "principalId": grant.principal_id,
        "roleDefinitionId": target.role_definition_id,
        "requestType": request_type.name(),
        "justification": grant.justification,
    });
    if matches!(
        request_type,
        RequestType::AdminAssign | RequestType::SelfActivate
    ) {
        properties["scheduleInfo"] = json!({
            "startDateTime": now.to_rfc3339_opts(SecondsFormat::Secs, true),
            "expiration": {
                "type": "AfterDuration",
                "duration": grant.duration.to_iso8601(),
            },
        });
    }
    if let Some(ticket) = grant.ticket.as_deref().filter(|t| !t.trim().is_empty()) {
        properties["ticketInfo"] = json!({ "ticketNumber": ticket, "ticketSystem": TICKET_SYSTEM });
    }
    json!({ "properties": properties })
}

impl ArmClient {
    pub(super) async fn schedule_request(
        &self,
        request_type: RequestType,
        target: &AzureRole,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        Ok(self
            .send_request(request_type, target, grant)
            .await?
            .receipt)
    }

    /// PUTs the grant's request of `request_type` under its own name (this client's token:
    /// pimbot's, or the person's for `Self*`): the receipt and the approval it waits for.
    pub(super) async fn send_request(
        &self,
        request_type: RequestType,
        target: &AzureRole,
        grant: &Grant,
    ) -> Result<Activation, UpstreamError> {
        let operation = request_type.operation();
        let name = request_name(&grant.intent, request_type);
        let url = self.url(&target.scope, &["roleAssignmentScheduleRequests", &name]);
        let query = [("api-version", API_VERSION.to_owned())];
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            // Whole seconds: the receipt's fallback end is computed from what was sent.
            let now = Utc::now().trunc_subsecs(0);
            let body = request_body(request_type, target, grant, now);
            let error = match self
                .rest
                .attempt(operation, Method::PUT, url.clone(), &query, Some(&body))
                .await
            {
                Ok(answer) => return Ok(named_activation(&name, answer, grant, now)),
                Err(error) => error,
            };
            match (request_type, error.code.as_deref(), &error.kind) {
                (RequestType::AdminAssign, Some(ASSIGNMENT_EXISTS), _) => {
                    // Ours only when our own request name exists (an earlier attempt went
                    // through). Access PIM shows from anything else is the principal's already,
                    // not this request's: taking it over would let `end` remove it.
                    return match self.own_request(target, grant).await? {
                        Some(receipt) => {
                            info!(arm.operation = operation, request.id = %grant.request, "our earlier request holds the assignment");
                            Ok(Activation {
                                receipt,
                                approval_id: None,
                            })
                        }
                        None => {
                            warn!(arm.operation = operation, request.id = %grant.request, "PIM shows the assignment active from another request");
                            Err(error)
                        }
                    };
                }
                (RequestType::AdminRemove, Some(ASSIGNMENT_DOES_NOT_EXIST), _) => {
                    return Ok(Activation {
                        receipt: already_removed(&error),
                        approval_id: None,
                    });
                }
                // Certainly not executed: wait as told, then PUT the same name.
                (_, _, UpstreamErrorKind::Throttled { .. }) => {}
                // Maybe executed: ask for the request by its name before sending it again.
                (_, _, UpstreamErrorKind::Unavailable) => {
                    match self
                        .rest
                        .attempt(operation, Method::GET, url.clone(), &query, None)
                        .await
                    {
                        Ok(answer) => {
                            info!(arm.operation = operation, request.id = %grant.request, "earlier attempt found by its name");
                            return Ok(named_activation(&name, answer, grant, now));
                        }
                        Err(check) if check.kind == UpstreamErrorKind::NotFound => {}
                        Err(check) => {
                            warn!(arm.operation = operation, error = %check, "could not check the outcome of a failed request");
                            return Err(error);
                        }
                    }
                }
                _ => return Err(error),
            }
            self.rest
                .pause_before_retry(operation, error, &mut attempt, started)
                .await?;
        }
    }
}

impl ArmClient {
    /// This grant's `AdminAssign` request, looked up by the name pimbot chose for it; `None`
    /// when ARM has no request of that name.
    pub(super) async fn own_request(
        &self,
        target: &AzureRole,
        grant: &Grant,
    ) -> Result<Option<Receipt>, UpstreamError> {
        let name = request_name(&grant.intent, RequestType::AdminAssign);
        let url = self.url(&target.scope, &["roleAssignmentScheduleRequests", &name]);
        let query = [("api-version", API_VERSION.to_owned())];
        match self.rest.get("azureOwnRequest", url, &query).await {
            Ok(answer) => Ok(Some(
                named_activation(&name, answer, grant, Utc::now()).receipt,
            )),
            Err(error) if error.kind == UpstreamErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// What an ARM request resource (`{id, name, properties}`) shows, its receipt named by `name`.
fn named_activation(
    name: &str,
    answer: Answer,
    grant: &Grant,
    sent_at: DateTime<Utc>,
) -> Activation {
    let mut properties = answer
        .body
        .get("properties")
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(map) = properties.as_object_mut() {
        map.insert("id".to_owned(), Value::String(name.to_owned()));
    }
    activation(&properties, answer.request_id, grant.duration, sent_at)
}
