//! Limits per chat user: how many commands, and how many new elevation requests, one person may
//! send, so that nobody can flood the approvers, the audit channel or PIM. Counted only for
//! senders the platform authenticated (the routes call in after the signature or token check),
//! in this replica's memory (GCRA, `governor`). Must not use I/O.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::domain::request::Platform;

/// Who is counted: the user as their platform names them, within their workspace or tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sender {
    pub platform: Platform,
    /// Slack team id, Teams tenant id.
    pub workspace: String,
    /// Slack user id, Teams Entra object id.
    pub user: String,
}

/// The quotas; see `config::LimitsConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    pub commands_per_minute: NonZeroU32,
    pub requests_per_hour: NonZeroU32,
}

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Every chat command.
    Commands,
    /// New elevation requests (`request`, `extend`).
    Requests,
}

impl Limit {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Commands => "commands",
            Limit::Requests => "requests",
        }
    }
}

/// A refusal: over a limit, and how long until the next one is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Slow down: you can {} in {}.", what(*.limit), wait_words(*.wait))]
pub struct SlowDown {
    pub limit: Limit,
    pub wait: Duration,
}

fn what(limit: Limit) -> &'static str {
    match limit {
        Limit::Commands => "send another command",
        Limit::Requests => "ask for another elevation",
    }
}

/// `42 s` under a minute, else whole minutes (`12 min`), rounded up so that trying again after
/// the time said is never refused.
fn wait_words(wait: Duration) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    if secs < 60 {
        format!("{secs} s")
    } else {
        format!("{} min", secs.div_ceil(60))
    }
}

/// How many checks pass between sweeps of the senders whose budget is full again.
const SWEEP_EVERY: u32 = 1024;

/// The two keyed limiters.
pub(crate) struct Limiter {
    commands: DefaultKeyedRateLimiter<Sender>,
    requests: DefaultKeyedRateLimiter<Sender>,
    clock: DefaultClock,
    checks: AtomicU32,
}

impl Limiter {
    pub(crate) fn new(settings: LimitSettings) -> Self {
        Self {
            commands: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                settings.commands_per_minute,
            )),
            requests: DefaultKeyedRateLimiter::keyed(Quota::per_hour(settings.requests_per_hour)),
            clock: DefaultClock::default(),
            checks: AtomicU32::new(0),
        }
    }

    /// Takes one unit of `sender`'s `limit`, or says how long until there is one.
    pub(crate) fn check(&self, sender: &Sender, limit: Limit) -> Result<(), SlowDown> {
        self.sweep_now_and_then();
        let limiter = match limit {
            Limit::Commands => &self.commands,
            Limit::Requests => &self.requests,
        };
        limiter.check_key(sender).map_err(|not_until| SlowDown {
            limit,
            wait: not_until.wait_time_from(self.clock.now()),
        })
    }

    /// Forgets senders whose budget is full again (they are indistinguishable from new ones), so
    /// memory follows the number of recent senders, not of everyone ever seen.
    fn sweep_now_and_then(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            for limiter in [&self.commands, &self.requests] {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }

    #[cfg(test)]
    fn senders(&self) -> (usize, usize) {
        (self.commands.len(), self.requests.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(commands: u32, requests: u32) -> Limiter {
        Limiter::new(LimitSettings {
            commands_per_minute: NonZeroU32::new(commands).expect("non-zero"),
            requests_per_hour: NonZeroU32::new(requests).expect("non-zero"),
        })
    }

    fn sender(platform: Platform, workspace: &str, user: &str) -> Sender {
        Sender {
            platform,
            workspace: workspace.to_owned(),
            user: user.to_owned(),
        }
    }

    #[test]
    fn a_burst_of_the_quota_passes_and_the_next_is_told_when_to_come_back() {
        let limiter = limiter(20, 5);
        let alice = sender(Platform::Slack, "T1", "UALICE");
        for _ in 0..20 {
            assert_eq!(limiter.check(&alice, Limit::Commands), Ok(()));
        }
        let refused = limiter
            .check(&alice, Limit::Commands)
            .expect_err("the 21st");
        assert_eq!(refused.limit, Limit::Commands);
        assert!(refused.wait <= Duration::from_secs(3), "{refused:?}");
        assert!(
            refused
                .to_string()
                .starts_with("Slow down: you can send another command in ")
        );
        for _ in 0..5 {
            assert_eq!(limiter.check(&alice, Limit::Requests), Ok(()));
        }
        let refused = limiter.check(&alice, Limit::Requests).expect_err("the 6th");
        assert!(refused.wait > Duration::from_secs(11 * 60), "{refused:?}");
        assert_eq!(
            refused.to_string(),
            "Slow down: you can ask for another elevation in 12 min."
        );
    }

    #[test]
    fn each_user_of_each_workspace_and_platform_has_a_budget_of_their_own() {
        let limiter = limiter(1, 1);
        let alice = sender(Platform::Slack, "T1", "U1");
        assert_eq!(limiter.check(&alice, Limit::Commands), Ok(()));
        assert!(limiter.check(&alice, Limit::Commands).is_err());
        for other in [
            sender(Platform::Slack, "T1", "U2"),
            sender(Platform::Slack, "T2", "U1"),
            sender(Platform::Teams, "T1", "U1"),
        ] {
            assert_eq!(limiter.check(&other, Limit::Commands), Ok(()), "{other:?}");
        }
        assert_eq!(limiter.senders(), (4, 0));
    }

    #[test]
    fn waits_read_in_whole_seconds_or_minutes_rounded_up() {
        assert_eq!(wait_words(Duration::from_millis(2_100)), "3 s");
        assert_eq!(wait_words(Duration::ZERO), "1 s");
        assert_eq!(wait_words(Duration::from_secs(59)), "59 s");
        assert_eq!(wait_words(Duration::from_secs(60)), "1 min");
        assert_eq!(wait_words(Duration::from_secs(11 * 60 + 1)), "12 min");
    }
}
