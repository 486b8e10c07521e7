//! Per-upstream limits, one [`Gate`] per API pimbot calls (Graph, ARM, the Slack Web API, the
//! Bot Connector), so one throttled or stalled API cannot take every worker slot:
//!
//! - at most [`IN_FLIGHT`] calls to one API at once;
//! - a `Retry-After` (on a 429, or a 503 that carries one) kept for the operation it was given
//!   for (a Graph or ARM operation, a Slack Web API method, a Connector operation): no call of
//!   that operation is sent before the time is up, whoever makes it. A call that meets a closed
//!   operation is answered at once as throttled, for the time left, and its caller waits that
//!   long or reschedules.
//!
//! The chat clients wait for a call slot at most [`CHAT_SLOT_WAIT`] ([`Gate::admit`]); Graph and
//! ARM wait as long as it takes ([`Gate::enter`]), their lane being capped by the worker. An
//! answer of the gate's own is [`Held`]: its error says the call was never sent
//! ([`UpstreamError::held_back`]), and the worker does not count such a run as an attempt.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::service::ports::{Upstream, UpstreamError, UpstreamErrorKind};

/// Calls one API may have in flight at once.
pub const IN_FLIGHT: usize = 16;

/// The longest a chat call (Slack, the Bot Connector) waits for a free call slot before it is
/// answered as throttled. A job waiting for a slot holds its worker slot: were the wait
/// unbounded, a stalled upstream (every call held for its whole timeout) would let its waiters
/// fill every chat-lane slot and stall the other platform's side effects too. A healthy
/// upstream frees slots within this long, so its waiters get through; a stalled one's waiters
/// bounce, their jobs are rescheduled ([`BUSY_RETRY`]) and their slots freed.
pub const CHAT_SLOT_WAIT: Duration = Duration::from_secs(2);

/// How long a call that found no free slot in time is told to wait before its job runs again.
pub const BUSY_RETRY: Duration = Duration::from_secs(1);

/// The limits of one API. Clones share them.
#[derive(Debug, Clone)]
pub struct Gate {
    permits: Arc<Semaphore>,
    /// Operation → the instant its `Retry-After` ends.
    closed: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new(IN_FLIGHT)
    }
}

/// Why the gate answered a call itself, without sending it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The operation waits out a `Retry-After`, for this long still.
    Closed(Duration),
    /// No call slot freed within the wait allowed.
    Busy,
}

impl Held {
    /// How long the caller should wait before trying again.
    pub fn retry_after(self) -> Duration {
        match self {
            Held::Closed(left) => left,
            Held::Busy => BUSY_RETRY,
        }
    }

    /// The throttled error of `service` for a call of `operation` held back (whole seconds,
    /// rounded up, so a retry never comes early).
    pub fn into_error(self, service: Upstream, operation: &str) -> UpstreamError {
        let wait = self.retry_after();
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let message = match self {
            Held::Closed(left) => {
                format!("waiting out Retry-After ({} ms left)", left.as_millis())
            }
            Held::Busy => format!(
                "no call slot freed within {} ms ({IN_FLIGHT} calls in flight)",
                CHAT_SLOT_WAIT.as_millis()
            ),
        };
        UpstreamError::held(service, operation, secs, message)
    }
}

impl Gate {
    /// A gate allowing `in_flight` calls at once.
    pub fn new(in_flight: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(in_flight)),
            closed: Arc::default(),
        }
    }

    /// How long `operation` stays closed, if it is.
    pub fn closed_for(&self, operation: &str) -> Option<Duration> {
        let mut closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
        let until = *closed.get(operation)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            closed.remove(operation);
            return None;
        }
        Some(left)
    }

    /// Closes `operation` for `wait` (never shortening an earlier, longer one).
    pub fn close(&self, operation: &str, wait: Duration) {
        let until = Instant::now() + wait;
        let mut closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
        let entry = closed.entry(operation.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// Closes the operation `error` is of when it is the upstream's throttled answer with a
    /// `Retry-After` (an answer of the gate's own closes nothing more).
    pub fn close_after(&self, error: &UpstreamError) {
        if let UpstreamErrorKind::Throttled {
            retry_after_secs: Some(secs),
        } = error.kind
            && !error.held_back
        {
            self.close(&error.operation, Duration::from_secs(secs));
        }
    }

    /// Waits for a free call slot, however long it takes.
    pub async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed; `None` would only let the call through unlimited.
        self.permits.acquire().await.ok()
    }

    /// A call slot for `operation`, waited for at most `max_wait`; or [`Held`]: the operation
    /// is closed (before the wait, or by a `Retry-After` given during it), or no slot freed.
    pub async fn admit(
        &self,
        operation: &str,
        max_wait: Duration,
    ) -> Result<Option<SemaphorePermit<'_>>, Held> {
        if let Some(left) = self.closed_for(operation) {
            return Err(Held::Closed(left));
        }
        let permit = tokio::time::timeout(max_wait, self.enter())
            .await
            .map_err(|_| Held::Busy)?;
        match self.closed_for(operation) {
            Some(left) => Err(Held::Closed(left)),
            None => Ok(permit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_stays_closed_until_its_retry_after_ends() {
        let gate = Gate::default();
        assert_eq!(gate.closed_for("create"), None);
        gate.close("create", Duration::from_secs(30));
        gate.close("create", Duration::from_secs(1));
        let left = gate.closed_for("create").expect("closed");
        assert!(
            left > Duration::from_secs(29),
            "the longer wait stands: {left:?}"
        );
        assert_eq!(gate.closed_for("list"), None, "other operations stay open");
        gate.close("list", Duration::ZERO);
        assert_eq!(gate.closed_for("list"), None);
    }

    #[tokio::test]
    async fn a_closed_operation_is_held_at_once_and_others_go_through() {
        let gate = Gate::default();
        gate.close("chat.postMessage", Duration::from_millis(1500));
        let started = Instant::now();
        let held = gate
            .admit("chat.postMessage", Duration::from_secs(5))
            .await
            .expect_err("closed");
        assert!(started.elapsed() < Duration::from_millis(100), "at once");
        let Held::Closed(left) = held else {
            panic!("{held:?}")
        };
        assert!(left > Duration::from_secs(1) && left <= Duration::from_millis(1500));
        let error = held.into_error(Upstream::Slack, "chat.postMessage");
        assert_eq!(
            error.kind,
            UpstreamErrorKind::Throttled {
                retry_after_secs: Some(2)
            },
            "rounded up: never retried early"
        );
        assert!(error.held_back && error.is_retryable());
        assert!(
            gate.admit("chat.update", Duration::ZERO).await.is_ok(),
            "Slack's limits are per method"
        );
    }

    #[tokio::test]
    async fn a_wait_for_a_slot_is_bounded_and_answered_as_throttled() {
        let gate = Gate::new(2);
        let first = gate.admit("send", Duration::ZERO).await.expect("a slot");
        let _second = gate.admit("update", Duration::ZERO).await.expect("a slot");
        let started = Instant::now();
        let held = gate
            .admit("send", Duration::from_millis(200))
            .await
            .expect_err("every slot is taken");
        let waited = started.elapsed();
        assert_eq!(held, Held::Busy);
        assert!(
            waited >= Duration::from_millis(200) && waited < Duration::from_secs(1),
            "{waited:?}"
        );
        let error = held.into_error(Upstream::Teams, "send");
        assert_eq!(
            error.kind,
            UpstreamErrorKind::Throttled {
                retry_after_secs: Some(1)
            }
        );
        assert!(error.held_back);

        // A slot freed during the wait is taken.
        let waiter = gate.admit("send", Duration::from_secs(5));
        let release = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(first);
        };
        let (admitted, ()) = tokio::join!(waiter, release);
        assert!(admitted.is_ok());
    }

    #[tokio::test]
    async fn a_retry_after_given_during_the_wait_holds_the_waiter() {
        let gate = Gate::new(1);
        let busy = gate.admit("send", Duration::ZERO).await.expect("a slot");
        let waiter = gate.admit("send", Duration::from_secs(5));
        let throttled = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            gate.close("send", Duration::from_secs(10));
            drop(busy);
        };
        let (admitted, ()) = tokio::join!(waiter, throttled);
        assert!(
            matches!(admitted, Err(Held::Closed(left)) if left > Duration::from_secs(9)),
            "{admitted:?}"
        );
    }
}
