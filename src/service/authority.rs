//! An approver's authority, read live when it decides something: the approver list and the
//! accounts' "enabled" flag of a pending request are a snapshot from submit time and the
//! directory cache, so the click that completes the tally asks Entra again.

use std::collections::HashSet;
use std::time::Duration;

use crate::domain::refusal::Refusal;
use crate::domain::request::Request;

use super::identity::Caller;
use super::{Service, ServiceError};

/// How long a click may wait for Entra: the platforms want an answer within about 3 s.
const LIVE_CHECK_BUDGET: Duration = Duration::from_secs(2);
/// Reads of the approvers tried before the click is told to try again.
const LIVE_CHECK_ATTEMPTS: u32 = 3;

impl Service {
    /// Of the request's approvers so far and the caller, those who still approve it, read past
    /// every cache; a refusal when the caller no longer does or Entra cannot say in time.
    pub(crate) async fn still_approving(
        &self,
        request: &Request,
        caller: &Caller,
    ) -> Result<Result<HashSet<String>, Refusal>, ServiceError> {
        let id = request.id.to_string();
        let reads = async {
            // A throttled or failing Graph gets a second and third chance within the budget.
            let mut attempt = 1;
            loop {
                match self.read_authority(request, caller).await {
                    Err(error) if error.is_retryable() && attempt < LIVE_CHECK_ATTEMPTS => {
                        attempt += 1;
                    }
                    done => return done,
                }
            }
        };
        let current = match tokio::time::timeout(LIVE_CHECK_BUDGET, reads).await {
            Ok(Ok(current)) => current,
            Ok(Err(error)) => {
                tracing::warn!(request.id = %id, error = %error, "could not read approvers live");
                return Ok(Err(Refusal::AuthorityUnconfirmed(id)));
            }
            Err(_) => {
                tracing::warn!(request.id = %id, "Entra did not confirm an approver in time");
                return Ok(Err(Refusal::AuthorityUnconfirmed(id)));
            }
        };
        if !current.contains(&caller.user.id) {
            return Ok(Err(Refusal::NoLongerApprover(id)));
        }
        Ok(Ok(current))
    }

    /// The Entra ids of the request's approvers as Entra has them now (enabled accounts only:
    /// owner and member listings carry `accountEnabled`, so one read per source suffices).
    async fn read_authority(
        &self,
        request: &Request,
        caller: &Caller,
    ) -> Result<HashSet<String>, ServiceError> {
        let mut current = match &request.approver_source {
            Some(source) => {
                self.current_approvers(source, request.requester.entra_id.as_str())
                    .await?
            }
            // Made before pimbot kept where approvers came from: the deciders whose accounts
            // are still enabled.
            None => {
                let live = self.directory.uncached();
                let mut enabled = HashSet::new();
                let deciders = request
                    .approvals()
                    .map(|d| d.approver.entra_id.to_string())
                    .chain([caller.user.id.clone()]);
                for id in deciders {
                    if live.user(&id).await?.is_some_and(|u| u.account_enabled) {
                        enabled.insert(id);
                    }
                }
                enabled
            }
        };
        // Only people pimbot asked may decide, whatever Entra says today.
        current.retain(|id| request.is_approver(id));
        Ok(current)
    }
}
