//! The clock the app under test reads: the system clock plus an offset the test moves on, so a
//! timeout, reminder or expiry comes due without waiting for it.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use pimbot::service::ports::Clock;

use super::TestApp;

/// System time moved on by what the test asked for (never back: jobs written at system time
/// stay due).
#[derive(Debug, Default)]
pub(crate) struct TestClock {
    offset: Mutex<Duration>,
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().expect("clock")
    }
}

impl TestApp {
    /// Moves pimbot's clock `by` ahead; the worker sees jobs come due at its next look.
    pub(crate) fn advance_clock(&self, by: std::time::Duration) {
        let by = Duration::from_std(by).expect("a duration");
        *self.clock.offset.lock().expect("clock") += by;
    }
}
