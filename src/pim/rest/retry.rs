//! Retries: reads retried on throttling and transient failures, writes retried by their
//! callers through [`Rest::pause_before_retry`]; both within the API's settings and the
//! operation's [`RetryBudget`] (its remaining writes and its deadline).

use std::time::{Duration, Instant};

use reqwest::{Method, Url};
use tracing::{debug, warn};

use super::{Answer, Rest};
use crate::service::jobs::RetryBudget;
use crate::service::ports::{UpstreamError, UpstreamErrorKind};

impl Rest {
    /// A GET, retried on throttling and transient failures.
    pub(crate) async fn get(
        &self,
        operation: &str,
        url: Url,
        query: &[(&str, String)],
    ) -> Result<Answer, UpstreamError> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            match self
                .attempt(operation, Method::GET, url.clone(), query, None)
                .await
            {
                Err(error) if error.is_retryable() => {
                    let Some(wait) = self.retry_wait(operation, &error, attempt, started) else {
                        return Err(error);
                    };
                    debug!(
                        api.service = self.api.service().as_str(),
                        api.operation = operation,
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "retrying upstream read"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// Sleeps before the next attempt of a write and counts it, or hands `error` back when the
    /// attempts or the time budget are spent.
    pub(crate) async fn pause_before_retry(
        &self,
        operation: &str,
        error: UpstreamError,
        attempt: &mut u32,
        started: Instant,
    ) -> Result<(), UpstreamError> {
        // The operation's budget counts every write sent, this call's earlier ones included.
        if RetryBudget::current().is_some_and(|budget| !budget.allows_write()) {
            return Err(error);
        }
        let Some(wait) = self.retry_wait(operation, &error, *attempt, started) else {
            return Err(error);
        };
        warn!(api.service = self.api.service().as_str(), api.operation = operation, attempt = *attempt, error = %error, "retrying schedule request");
        tokio::time::sleep(wait).await;
        *attempt += 1;
        Ok(())
    }

    /// How long to wait before attempt `attempt + 1` (never less than a `Retry-After` still
    /// running for `operation`), or `None` to give up: out of attempts, a wait longer than
    /// `max_retry_wait` (the caller reschedules), or past the time budget or the deadline.
    pub(crate) fn retry_wait(
        &self,
        operation: &str,
        error: &UpstreamError,
        attempt: u32,
        started: Instant,
    ) -> Option<Duration> {
        if attempt >= self.settings.max_attempts {
            return None;
        }
        let wait = match error.kind {
            UpstreamErrorKind::Throttled {
                retry_after_secs: Some(secs),
            } => {
                let wait = Duration::from_secs(secs);
                // Waiting less than asked only earns another 429; let the caller reschedule.
                if wait > self.settings.max_retry_wait {
                    return None;
                }
                wait
            }
            _ => self.backoff(attempt),
        };
        // A 503 may carry a Retry-After too: the gate keeps it.
        let wait = wait.max(self.gate.closed_for(operation).unwrap_or_default());
        if wait > self.settings.max_retry_wait {
            return None;
        }
        let in_budget = RetryBudget::current().is_none_or(|budget| budget.fits(wait));
        (in_budget && started.elapsed() + wait <= self.settings.retry_budget).then_some(wait)
    }

    /// Exponential backoff with jitter: between half and all of `backoff * 2^(attempt-1)`.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self
            .settings
            .backoff
            .saturating_mul(1 << exponent)
            .min(self.settings.max_retry_wait);
        let half = full / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::random_range(0..=jitter_ms))
    }
}
