//! The project's fake Slack ([`pimbot::emulator::slack`], the demo's too) on its own port, with
//! the tests' ways of waiting for what pimbot calls.

use std::time::Duration;

pub(crate) use pimbot::emulator::slack::Call;
use pimbot::emulator::slack::{FakeSlack as Workspace, Member};

/// The workspace the bot token belongs to (`auth.test`), and of every user unless edited; the
/// signed test payloads come from it too.
pub(crate) const TEAM_ID: &str = "T1";
/// The bot token the app is configured with.
const BOT_TOKEN: &str = "xoxb-test-token";

#[derive(Clone)]
pub(crate) struct FakeSlack {
    fake: Workspace,
}

impl FakeSlack {
    pub(crate) async fn start(users: &[(&str, &str)]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let members = users
            .iter()
            .map(|(id, mail)| (id.to_string(), mail.to_string()));
        let fake = Workspace::new(&base_url, BOT_TOKEN, TEAM_ID, members);
        let app = fake.router();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeSlack { fake }
    }

    /// Changes a member (as a Slack admin may), or adds one with `edit` applied to an ordinary
    /// member of the bot's workspace.
    pub(crate) fn edit_user(&self, id: &str, edit: impl FnOnce(&mut Member)) {
        self.fake.edit_member(id, edit);
    }

    /// The next calls of `method` (or `response_url`) meet `faults`, one each.
    pub(crate) fn inject_faults(&self, method: &str, faults: Vec<pimbot::emulator::Fault>) {
        self.fake.inject_faults(method, faults);
    }

    /// Holds every call this long before answering it (`None`: answer at once again).
    pub(crate) fn stall(&self, hold: Option<Duration>) {
        self.fake.stall(hold);
    }

    /// Makes `auth.test` name another workspace as the bot token's.
    pub(crate) fn set_team(&self, team_id: &str) {
        self.fake.set_team(team_id);
    }

    pub(crate) fn api_url(&self) -> String {
        self.fake.api_url()
    }

    pub(crate) fn response_url(&self, id: &str) -> String {
        self.fake.response_url(id)
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.fake.calls()
    }

    pub(crate) fn calls_to(&self, method: &str) -> Vec<Call> {
        self.fake.with_calls(|calls| {
            calls
                .iter()
                .filter(|c| c.method == method)
                .cloned()
                .collect()
        })
    }

    /// Waits until `predicate` holds for the recorded calls (or panics after 10 s).
    pub(crate) async fn wait_for(
        &self,
        what: &str,
        predicate: impl Fn(&[Call]) -> bool,
    ) -> Vec<Call> {
        self.wait_for_within(Duration::from_secs(10), what, predicate)
            .await
    }

    /// Waits until `predicate` holds for the recorded calls (or panics after `limit`).
    pub(crate) async fn wait_for_within(
        &self,
        limit: Duration,
        what: &str,
        predicate: impl Fn(&[Call]) -> bool,
    ) -> Vec<Call> {
        if !self.wait_until(limit, &predicate).await {
            panic!("timed out waiting for {what}; {}", self.last_calls());
        }
        self.calls()
    }

    /// Folds every call into `state` exactly once, in order, until `done(&state)`; returns the
    /// state (or panics after `limit`). Cheap for long runs: no call is looked at twice.
    pub(crate) async fn fold_until<S>(
        &self,
        limit: Duration,
        what: &str,
        state: S,
        step: impl FnMut(&mut S, &Call),
        done: impl Fn(&S) -> bool,
    ) -> S {
        match self.try_fold_until(limit, state, step, done).await {
            Ok(state) => state,
            Err(_) => panic!("timed out waiting for {what}; {}", self.last_calls()),
        }
    }

    /// [`FakeSlack::fold_until`] that hands back the state it reached when time runs out.
    pub(crate) async fn try_fold_until<S>(
        &self,
        limit: Duration,
        mut state: S,
        mut step: impl FnMut(&mut S, &Call),
        done: impl Fn(&S) -> bool,
    ) -> Result<S, S> {
        let mut folded = 0;
        let reached = self
            .wait_until(limit, |calls| {
                for call in &calls[folded..] {
                    step(&mut state, call);
                }
                folded = calls.len();
                done(&state)
            })
            .await;
        if reached { Ok(state) } else { Err(state) }
    }

    /// Checks `ready` on the calls under the lock, again after each new call, until it holds
    /// (`true`) or `limit` passes (`false`).
    async fn wait_until(&self, limit: Duration, mut ready: impl FnMut(&[Call]) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        let mut news = self.fake.news();
        loop {
            news.borrow_and_update();
            if self.fake.with_calls(&mut ready) {
                return true;
            }
            if tokio::time::timeout_at(deadline, news.changed())
                .await
                .is_err()
            {
                return false;
            }
        }
    }

    /// The last calls, newest first, for a failure message.
    fn last_calls(&self) -> String {
        let seen: Vec<String> = self
            .calls()
            .iter()
            .rev()
            .take(50)
            .map(|c| format!("{} {}", c.method, c.body))
            .collect();
        format!("Slack's last calls (newest first):\n{}", seen.join("\n"))
    }
}
