//! The signing-key cache. The last good key set serves until it is 5 days old, even while its
//! refresh fails; refreshes run in a spawned task (after 24 h, or for an unknown `kid` at most
//! once an hour) with capped exponential backoff. The state sits behind a std mutex that is
//! never held across an await, so no activity waits on another's fetch; only with no usable
//! keys at all (none yet, or over 5 days old) does an activity wait, briefly, for a fetch
//! already under way, and is then refused if it failed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::jwks::{BotKey, KeySource};
use super::{AuthError, KeyClock};

/// Keys are re-read after this (the Bot Framework doc's "at least every 24 h").
const REFRESH_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// The last good keys serve this long while refreshing fails; after that nothing is trusted.
const USABLE_FOR: Duration = Duration::from_secs(5 * 24 * 60 * 60);
/// An unknown `kid` re-reads the keys only when they are older than this (botbuilder's rule), so
/// forged `kid`s cannot make pimbot hammer the metadata endpoint.
const UNKNOWN_KID_REFRESH: Duration = Duration::from_secs(60 * 60);
/// A failed refresh is tried again after this, doubling per failure up to `MAX_RETRY`.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(5 * 60);
/// How long an activity with no usable key waits for a fetch under way (Teams wants an answer
/// within seconds, and retries a 503).
const WAIT_FOR_FETCH: Duration = Duration::from_secs(5);

/// One issuer's keys, cached.
pub(crate) struct KeyCache {
    shared: Arc<Shared>,
}

struct Shared {
    source: KeySource,
    clock: KeyClock,
    state: Mutex<State>,
    /// Bumped after every fetch attempt, once `state` shows its outcome.
    attempts: watch::Sender<u64>,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<Fetched>>,
    refresh: Refresh,
    /// Why the last attempt failed, for the 503's log line.
    last_error: Option<String>,
}

struct Fetched {
    by_kid: HashMap<String, BotKey>,
    at: Instant,
}

/// What the refresher task is doing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Refresh {
    /// No task.
    #[default]
    Idle,
    /// A fetch is in flight.
    Fetching,
    /// The last attempt failed; the task sleeps before the next.
    BackingOff,
}

/// What a look-up found.
enum Lookup {
    /// Boxed: a JWK is large beside the other variants.
    Found(Box<BotKey>),
    Refused(AuthError),
    /// A fetch is under way and may bring the key: wait for the next attempt's outcome.
    Wait(watch::Receiver<u64>),
}

impl KeyCache {
    pub(crate) fn new(http: reqwest::Client, metadata_url: String, clock: KeyClock) -> Self {
        Self {
            shared: Arc::new(Shared {
                source: KeySource { http, metadata_url },
                clock,
                state: Mutex::new(State::default()),
                attempts: watch::Sender::new(0),
            }),
        }
    }

    /// The key with this `kid`.
    pub(crate) async fn key(&self, kid: &str) -> Result<BotKey, AuthError> {
        let mut attempts = match self.look_up(kid) {
            Lookup::Found(key) => return Ok(*key),
            Lookup::Refused(error) => return Err(error),
            Lookup::Wait(attempts) => attempts,
        };
        // Waiting on a channel, not a lock: nothing else waits behind this activity.
        let _ = tokio::time::timeout(WAIT_FOR_FETCH, attempts.changed()).await;
        match self.look_up(kid) {
            Lookup::Found(key) => Ok(*key),
            Lookup::Refused(error) => Err(error),
            Lookup::Wait(_) => Err(self.unavailable(&self.state(), "the key fetch is slow")),
        }
    }

    /// Decides from the cached state alone, starting a refresh when one is due.
    fn look_up(&self, kid: &str) -> Lookup {
        let mut state = self.state();
        let now = self.shared.clock.now();
        let age = |fetched: &Fetched| now.saturating_duration_since(fetched.at);
        let usable = state.keys.clone().filter(|keys| age(keys) < USABLE_FOR);
        let Some(keys) = usable else {
            self.start_refresh(&mut state);
            if state.refresh == Refresh::Fetching {
                return Lookup::Wait(self.shared.attempts.subscribe());
            }
            let why = if state.keys.is_some() {
                "the cached keys are more than 5 days old"
            } else {
                "no keys fetched yet"
            };
            return Lookup::Refused(self.unavailable(&state, why));
        };
        if age(&keys) >= REFRESH_AFTER {
            self.start_refresh(&mut state);
        }
        if let Some(key) = keys.by_kid.get(kid) {
            return Lookup::Found(Box::new(key.clone()));
        }
        if age(&keys) >= UNKNOWN_KID_REFRESH {
            self.start_refresh(&mut state);
        }
        if state.refresh == Refresh::Fetching {
            return Lookup::Wait(self.shared.attempts.subscribe());
        }
        Lookup::Refused(AuthError::UnknownKey)
    }

    /// Spawns the refresher unless it runs already (fetching, or backing off after a failure).
    fn start_refresh(&self, state: &mut State) {
        if state.refresh == Refresh::Idle {
            state.refresh = Refresh::Fetching;
            tokio::spawn(refresh(self.shared.clone()));
        }
    }

    fn unavailable(&self, state: &State, why: &str) -> AuthError {
        let last = state
            .last_error
            .as_deref()
            .unwrap_or("no attempt finished yet");
        AuthError::KeysUnavailable(format!("{why}; the last fetch: {last}"))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }
}

impl Shared {
    /// The state is plain data, always consistent between statements: a panic elsewhere while
    /// it was locked leaves nothing half-written.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Fetches until a fetch succeeds, backing off between failures; the lock is taken only to
/// record each outcome.
async fn refresh(shared: Arc<Shared>) {
    let mut failures = 0u32;
    loop {
        let fetched = shared.source.fetch().await;
        let at = shared.clock.now();
        let error = {
            let mut state = shared.lock();
            match fetched {
                Ok(by_kid) => {
                    state.keys = Some(Arc::new(Fetched { by_kid, at }));
                    state.last_error = None;
                    state.refresh = Refresh::Idle;
                    None
                }
                Err(error) => {
                    state.last_error = Some(error.clone());
                    state.refresh = Refresh::BackingOff;
                    Some(error)
                }
            }
        };
        shared.attempts.send_modify(|n| *n = n.wrapping_add(1));
        let Some(error) = error else {
            return;
        };
        failures += 1;
        let delay = backoff(failures);
        tracing::warn!(
            %error,
            teams.metadata_url = %shared.source.metadata_url,
            retry_in_ms = delay.as_millis() as u64,
            "could not refresh the signing keys; the cached ones serve until they are 5 days old"
        );
        shared.clock.sleep(delay).await;
        shared.lock().refresh = Refresh::Fetching;
    }
}

/// `FIRST_RETRY` doubled per failure, capped at `MAX_RETRY`, with ±25 % jitter so replicas
/// spread out.
fn backoff(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    FIRST_RETRY
        .saturating_mul(1 << exponent)
        .min(MAX_RETRY)
        .mul_f64(rand::random_range(0.75..1.25))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_delay_doubles_and_is_capped() {
        let first = backoff(1);
        assert!(first >= Duration::from_millis(750) && first <= Duration::from_millis(1250));
        let fourth = backoff(4);
        assert!(fourth >= Duration::from_secs(6) && fourth <= Duration::from_secs(10));
        assert!(backoff(40) <= MAX_RETRY.mul_f64(1.25));
    }
}
