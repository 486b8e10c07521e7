//! The Bot Framework key cache with the key endpoint down or hanging: cached keys serve until
//! they are 5 days old, refreshes run in the background (never in an activity's way), and the
//! endpoint coming back is picked up. The cache's clock is moved instead of waiting days.

use std::time::{Duration, Instant};

use crate::fake_teams::{ALICE, KeyEndpoint};
use crate::replicas::join_all;
use crate::teams_app::TeamsApp;

const HOUR: Duration = Duration::from_secs(60 * 60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A `help` activity with a valid token; its HTTP status and how long it took.
async fn help(app: &TeamsApp) -> (u16, Duration) {
    let answer = app.send(&app.channel_message(ALICE, "help")).await;
    (answer.status, answer.elapsed)
}

/// Sends `help` until it is answered `status` (or panics after 15 s).
async fn until_answered(app: &TeamsApp, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if help(app).await.0 == status {
            return;
        }
        assert!(Instant::now() < deadline, "never answered {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn cached_keys_keep_teams_working_while_the_key_endpoint_is_down() {
    let app = TeamsApp::start("").await;
    assert_eq!(help(&app).await.0, 200);
    assert_eq!(app.teams.key_fetches(), 1);
    app.teams.set_key_endpoint(KeyEndpoint::Down);
    app.app.key_clock.advance(DAY + HOUR);
    assert_eq!(help(&app).await.0, 200, "a day-old key set still serves");
    // The refresh was tried (in the background) and failed; the old keys still serve.
    let deadline = Instant::now() + Duration::from_secs(5);
    while app.teams.metadata_requests() < 2 {
        assert!(Instant::now() < deadline, "no refresh was tried");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.app.key_clock.advance(3 * DAY);
    assert_eq!(
        help(&app).await.0,
        200,
        "a four-day-old key set still serves"
    );
    assert_eq!(app.teams.key_fetches(), 1);
}

#[tokio::test]
async fn a_hanging_key_endpoint_holds_up_no_activity() {
    let app = TeamsApp::start("").await;
    assert_eq!(help(&app).await.0, 200);
    app.teams.set_key_endpoint(KeyEndpoint::Hanging);
    app.app.key_clock.advance(DAY + HOUR);
    let answers = join_all((0..6).map(|_| help(&app))).await;
    for (status, elapsed) in &answers {
        assert_eq!(*status, 200, "{answers:?}");
        assert!(
            *elapsed < Duration::from_secs(3),
            "answered without waiting for the refresh: {answers:?}"
        );
    }
    assert!(
        app.teams.metadata_requests() >= 2,
        "the refresh was started"
    );
}

#[tokio::test]
async fn keys_older_than_five_days_are_refused_until_the_endpoint_is_back() {
    let app = TeamsApp::start("").await;
    assert_eq!(help(&app).await.0, 200);
    app.teams.set_key_endpoint(KeyEndpoint::Down);
    app.app.key_clock.advance(5 * DAY + HOUR);
    let (status, elapsed) = help(&app).await;
    assert_eq!(status, 503, "nothing trusted with keys this old");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    app.teams.set_key_endpoint(KeyEndpoint::Up);
    // Past any backoff the refresher is sleeping through.
    app.app.key_clock.advance(HOUR);
    until_answered(&app, 200).await;
    assert_eq!(app.teams.key_fetches(), 2, "fetched again once");
    // Fresh keys again: a day later they still serve without another fetch being needed.
    assert_eq!(help(&app).await.0, 200);
}

#[tokio::test]
async fn with_no_keys_yet_activities_are_refused_until_the_endpoint_answers() {
    let app = TeamsApp::start("").await;
    app.teams.set_key_endpoint(KeyEndpoint::Down);
    assert_eq!(
        help(&app).await.0,
        503,
        "no keys at all: nothing is trusted"
    );
    app.teams.set_key_endpoint(KeyEndpoint::Up);
    app.app.key_clock.advance(HOUR);
    until_answered(&app, 200).await;
    assert_eq!(app.teams.key_fetches(), 1);
}

#[tokio::test]
async fn a_burst_of_unknown_kids_rereads_the_keys_once() {
    let app = TeamsApp::start("").await;
    assert_eq!(help(&app).await.0, 200);
    app.app.key_clock.advance(2 * HOUR);
    let activity = app.channel_message(ALICE, "help");
    let token = crate::fake_teams::sign(
        &crate::fake_teams::claims(&app.teams.service_url()),
        "no-such-key",
    );
    let forged = || app.post(&activity, Some(format!("Bearer {token}")));
    for _ in 0..2 {
        let answers = join_all((0..8).map(|_| forged())).await;
        assert!(answers.iter().all(|a| a.status == 401));
    }
    assert_eq!(app.teams.key_fetches(), 2, "one re-read for all of them");
    assert_eq!(help(&app).await.0, 200);
}
