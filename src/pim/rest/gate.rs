//! Per-API limits: at most [`IN_FLIGHT`] calls to one API at once, so a slow Graph cannot hold
//! every worker slot that waits on an upstream, and a `Retry-After` (on a 429, or a 503 that
//! carries one) kept for the operation it was given for: no call of that operation is sent
//! before the time is up, whoever makes it. A call that meets a closed operation is answered at
//! once as throttled, for the time left, and its caller waits that long or reschedules.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Calls one API may have in flight at once.
pub(crate) const IN_FLIGHT: usize = 16;

/// The limits of one API.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    permits: Arc<Semaphore>,
    /// Operation → the instant its `Retry-After` ends.
    closed: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            permits: Arc::new(Semaphore::new(IN_FLIGHT)),
            closed: Arc::default(),
        }
    }
}

impl Gate {
    /// How long `operation` stays closed, if it is.
    pub(crate) fn closed_for(&self, operation: &str) -> Option<Duration> {
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
    pub(crate) fn close(&self, operation: &str, wait: Duration) {
        let until = Instant::now() + wait;
        let mut closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
        let entry = closed.entry(operation.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// Waits for a free call slot.
    pub(crate) async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed; `None` would only let the call through unlimited.
        self.permits.acquire().await.ok()
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
}
