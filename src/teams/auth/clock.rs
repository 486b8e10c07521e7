//! The key cache's clock: the real one, which tests move forward to age the cached keys past a
//! day or five without waiting (moving it also ends the refresher's backoff sleeps early).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Real time plus however far it was moved forward (never, outside tests).
#[derive(Clone, Default)]
pub struct KeyClock {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    ahead_millis: AtomicU64,
    moved: Notify,
}

impl KeyClock {
    pub fn now(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.inner.ahead_millis.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by`, waking whoever sleeps on it.
    pub fn advance(&self, by: Duration) {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.inner.ahead_millis.fetch_add(millis, Ordering::Relaxed);
        self.inner.moved.notify_waiters();
    }

    /// Sleeps until `duration` has passed on this clock.
    pub(crate) async fn sleep(&self, duration: Duration) {
        let until = self.now() + duration;
        loop {
            let moved = self.inner.moved.notified();
            tokio::pin!(moved);
            // Registered before the time is read, so an advance in between is not missed.
            moved.as_mut().enable();
            let left = until.saturating_duration_since(self.now());
            if left.is_zero() {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(left) => {}
                () = &mut moved => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn moving_the_clock_ends_a_sleep_early() {
        let clock = KeyClock::default();
        let before = clock.now();
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::from_secs(3600)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        clock.advance(Duration::from_secs(3600));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("woken by the move")
            .expect("task");
        assert!(clock.now() >= before + Duration::from_secs(3600));
    }
}
