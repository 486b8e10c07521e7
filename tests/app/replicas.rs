//! Two replicas (real `pimbot serve` processes) on one database under load: many requests,
//! approvals racing from both sides, Graph failing a share of its calls. Nothing is lost,
//! nothing is granted twice, every request ends in a final state and every requester is told.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use pimbot::emulator::{Fault, Tenant};

use crate::crash::{Replica, World};
use crate::fake_slack::Call;
use crate::harness::SLACK_USERS;
use crate::story::REQUEST_TEXT;

const TEAM_GROUP: &str = "00c3b016-8650-4918-b328-0643b54fbd50";

/// The demo tenant plus `n` engineers in the team group, and everyone's Slack ids.
pub(crate) fn crowded_tenant(n: usize) -> (Tenant, Vec<(String, String)>) {
    let mut tenant = Tenant::demo();
    let alice = tenant
        .users
        .iter()
        .find(|u| u.display_name == "Alice Engineer")
        .cloned()
        .expect("alice");
    let mut slack: Vec<(String, String)> = SLACK_USERS
        .iter()
        .map(|(id, mail)| (id.to_string(), mail.to_string()))
        .collect();
    for i in 0..n {
        let mut user = alice.clone();
        user.id = format!("00000000-0000-4000-8000-{i:012}");
        user.display_name = format!("Engineer {i}");
        user.mail = Some(format!("engineer{i}@contoso.example"));
        user.user_principal_name = format!("engineer{i}@contoso.example");
        if let Some(group) = tenant.groups.iter_mut().find(|g| g.id == TEAM_GROUP) {
            group.members.push(user.id.clone());
        }
        tenant.users.push(user);
        slack.push((
            format!("UENG{i:04}"),
            format!("engineer{i}@contoso.example"),
        ));
    }
    (tenant, slack)
}

/// A world with `n` engineers.
pub(crate) async fn crowded_world(n: usize) -> World {
    let (tenant, users) = crowded_tenant(n);
    let users: Vec<(&str, &str)> = users
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    World::with(tenant, &users).await
}

/// How a load run ended, as the people involved saw it.
pub(crate) struct Outcome {
    /// Requesters told their elevation is active.
    pub(crate) active: usize,
    /// Requesters told their request failed.
    pub(crate) failed: usize,
    pub(crate) elapsed: Duration,
}

/// `n` engineers request at once, spread over `replicas`; both owners approve every request, each
/// through a different replica; waits until every requester heard how it ended.
pub(crate) async fn run_load(world: &World, replicas: &[&Replica], n: usize) -> Outcome {
    let started = Instant::now();
    let engineers: Vec<String> = (0..n).map(|i| format!("UENG{i:04}")).collect();
    for (batch, chunk) in engineers.chunks(25).enumerate() {
        let sends = chunk.iter().enumerate().map(|(i, user)| {
            let replica = replicas[(batch + i) % replicas.len()];
            world.slash_answer(replica, user, REQUEST_TEXT)
        });
        for (status, answer) in join_all(sends).await {
            assert_eq!(status, 200);
            assert!(answer.contains("Checking your eligibility"), "{answer}");
        }
    }
    world
        .slack
        .fold_until(
            Duration::from_secs(240),
            "every approval message",
            HashSet::new(),
            |posted, call| {
                if let Some(id) = approval_message_of(call) {
                    posted.insert(id);
                }
            },
            |posted| posted.len() == n,
        )
        .await;
    let ids: Vec<String> = (1..=n).map(|i| format!("PIM-{i}")).collect();
    for chunk in ids.chunks(25) {
        let clicks = chunk.iter().enumerate().flat_map(|(i, id)| {
            let (first, second) = (
                replicas[i % replicas.len()],
                replicas[(i + 1) % replicas.len()],
            );
            [("UBOB", first, id), ("UCAROL", second, id)]
        });
        let clicks = clicks.map(|(user, replica, id)| world.click(replica, user, "approve", id));
        for status in join_all(clicks).await {
            assert_eq!(status, 200);
        }
    }
    // A click that Entra could not confirm in time is refused ("try again in a moment"): the
    // owner clicks again, as a person would.
    let store = pimbot::store::connect(&world.database_url)
        .await
        .expect("read the database");
    for _ in 0..20 {
        let waiting: Vec<String> = store
            .pending_requests()
            .await
            .expect("pending requests")
            .into_iter()
            .filter(|request| request.decisions.is_empty())
            .map(|request| request.id.to_string())
            .collect();
        if waiting.is_empty() {
            break;
        }
        let again = waiting
            .iter()
            .enumerate()
            .map(|(i, id)| world.click(replicas[i % replicas.len()], "UBOB", "approve", id));
        join_all(again).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (active, failed) = world
        .slack
        .fold_until(
            Duration::from_secs(240),
            "every requester told how their request ended",
            (HashSet::new(), HashSet::new()),
            |(active, failed), call| match final_notice(call) {
                Some((channel, true)) => drop(active.insert(channel)),
                Some((channel, false)) => drop(failed.insert(channel)),
                None => {}
            },
            |(active, failed): &(HashSet<String>, HashSet<String>)| {
                active.union(failed).count() == n
            },
        )
        .await;
    Outcome {
        active: active.len(),
        failed: failed.len(),
        elapsed: started.elapsed(),
    }
}

/// Checks what the database says after a run: nothing pending, one approval per request, the
/// audit chain intact. Returns how many requests are active.
pub(crate) async fn assert_settled(world: &World, n: usize) -> usize {
    let store = pimbot::store::connect(&world.database_url)
        .await
        .expect("store");
    assert!(store.pending_requests().await.expect("read").is_empty());
    let events = store.audit_events(0, 100_000).await.expect("read");
    let approved = events
        .iter()
        .filter(|e| e.canonical.contains("\"request.approved\""))
        .count();
    assert_eq!(approved, n, "one approval transition per request");
    pimbot::audit::verify(store.as_ref())
        .await
        .expect("the chain holds under concurrency");
    store.holding_requests().await.expect("read").len()
}

/// Every engineer holds at most one assignment, and PIM was asked at most once per request
/// that it granted.
pub(crate) fn assert_no_duplicate_grants(world: &World) {
    let assignments = world.emulator.active_assignments();
    let principals: HashSet<&str> = assignments
        .iter()
        .map(|a| a.principal_id.as_str())
        .collect();
    assert_eq!(principals.len(), assignments.len(), "nobody assigned twice");
}

/// Two replicas on PostgreSQL. SQLite is for one replica (its writers share one file lock, and
/// two processes starve each other under load), so there the same load goes to one process.
pub(crate) async fn start_replicas(world: &World) -> Vec<Replica> {
    let count = if world.database_url.starts_with("postgres") {
        2
    } else {
        1
    };
    let mut replicas = Vec::new();
    for _ in 0..count {
        replicas.push(world.start().await);
    }
    replicas
}

#[tokio::test]
async fn two_replicas_with_racing_approvals_lose_nothing_and_grant_nothing_twice() {
    const REQUESTS: usize = 200;
    let world = crowded_world(REQUESTS).await;
    let replicas = start_replicas(&world).await;
    let outcome = run_load(&world, &replicas.iter().collect::<Vec<_>>(), REQUESTS).await;

    assert_eq!(outcome.failed, 0, "nothing failed");
    assert_eq!(outcome.active, REQUESTS, "0 lost");
    assert_eq!(
        world.emulator.active_assignments().len(),
        REQUESTS,
        "every request granted"
    );
    assert_eq!(world.assign_calls(), REQUESTS, "0 duplicate PIM calls");
    assert_no_duplicate_grants(&world);
    assert_eq!(assert_settled(&world, REQUESTS).await, REQUESTS);
    println!(
        "{} replica(s): {REQUESTS} requests, {} racing approvals, all active in {:?}",
        replicas.len(),
        2 * REQUESTS,
        outcome.elapsed
    );
}

#[tokio::test]
async fn graph_failing_thirty_percent_of_calls_with_errors_and_timeouts_settles_every_request_once()
{
    const REQUESTS: usize = 60;
    let mut world = crowded_world(REQUESTS).await;
    // A call that outlives 1 s is abandoned and retried: with `LateAnswer` the emulator has
    // done the work by then, the case that tempts a client to assign twice.
    world.azure_toml = "timeout = \"1s\"".to_owned();
    world.emulator.fail_randomly(
        "/v1.0/",
        0.30,
        vec![
            Fault::Throttle {
                retry_after_secs: 1,
            },
            Fault::ServerError,
            Fault::Delay(Duration::from_millis(400)),
            Fault::LateAnswer(Duration::from_millis(1500)),
        ],
        0x5eed,
    );
    let replicas = start_replicas(&world).await;
    let outcome = run_load(&world, &replicas.iter().collect::<Vec<_>>(), REQUESTS).await;

    assert_eq!(
        outcome.active + outcome.failed,
        REQUESTS,
        "every requester told"
    );
    assert_no_duplicate_grants(&world);
    let active = assert_settled(&world, REQUESTS).await;
    assert_eq!(
        active, outcome.active,
        "what people were told is what is stored"
    );
    assert_eq!(
        world.emulator.active_assignments().len(),
        outcome.active,
        "every active request, and only those, holds an assignment"
    );
    println!(
        "30 % Graph faults: {REQUESTS} requests, {} active, {} failed, in {:?}",
        outcome.active, outcome.failed, outcome.elapsed
    );
}

/// The request id of an approval message (the Approve button's value).
fn approval_message_of(call: &Call) -> Option<String> {
    if call.method != "chat.postMessage" {
        return None;
    }
    let blocks = call.body["blocks"].as_array()?;
    let buttons = blocks.iter().find(|b| b["block_id"] == "decision")?;
    buttons["elements"][0]["value"].as_str().map(str::to_owned)
}

/// An engineer's DM channel and whether it says active (`true`) or failed (`false`).
fn final_notice(call: &Call) -> Option<(String, bool)> {
    let channel = call.body["channel"].as_str()?;
    if call.method != "chat.postMessage" || !channel.starts_with("DUENG") {
        return None;
    }
    let text = call.body["text"].as_str()?;
    if text.contains(" is active until ") {
        Some((channel.to_owned(), true))
    } else if text.contains(" failed: ") {
        Some((channel.to_owned(), false))
    } else {
        None
    }
}

/// Runs futures concurrently on this task and returns their outputs in order.
pub(crate) async fn join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut tasks: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = tasks.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (task, output) in tasks.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match task.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}
