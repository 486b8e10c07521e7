//! Two replicas on one database, many requests, approvals racing from both sides: nothing lost,
//! nothing granted twice.

use std::time::Duration;

use pimbot::emulator::Tenant;

use crate::crash::World;
use crate::harness::SLACK_USERS;
use crate::story::REQUEST_TEXT;

const REQUESTS: usize = 40;
const TEAM_GROUP: &str = "00c3b016-8650-4918-b328-0643b54fbd50";

/// The demo tenant plus `n` engineers in the team group, and their Slack ids.
fn crowded_tenant(n: usize) -> (Tenant, Vec<(String, String)>) {
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

#[tokio::test]
async fn two_replicas_with_racing_approvals_lose_nothing_and_grant_nothing_twice() {
    let (tenant, users) = crowded_tenant(REQUESTS);
    let users_ref: Vec<(&str, &str)> = users
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let world = World::with(tenant, &users_ref).await;
    let (a, b) = (world.start().await, world.start().await);
    let started = std::time::Instant::now();

    let engineers: Vec<String> = (0..REQUESTS).map(|i| format!("UENG{i:04}")).collect();
    for (n, chunk) in engineers.chunks(20).enumerate() {
        let sends = chunk.iter().enumerate().map(|(i, user)| {
            let replica = if (n + i) % 2 == 0 { &a } else { &b };
            world.slash(replica, user, REQUEST_TEXT)
        });
        for status in futures_join(sends).await {
            assert_eq!(status, 200);
        }
    }
    world
        .slack
        .wait_for_within(
            Duration::from_secs(120),
            "every approval message",
            |calls| {
                calls
                    .iter()
                    .filter(|c| {
                        c.method == "chat.postMessage" && c.body.to_string().contains("\"approve\"")
                    })
                    .count()
                    == REQUESTS
            },
        )
        .await;

    for chunk in (1..=REQUESTS).collect::<Vec<_>>().chunks(20) {
        let clicks = chunk.iter().flat_map(|n| {
            let id = format!("PIM-{n}");
            [("UBOB", &a, id.clone()), ("UCAROL", &b, id)]
        });
        let world = &world;
        let clicks = clicks.map(|(user, replica, id)| async move {
            world.click(replica, user, "approve", &id).await
        });
        for status in futures_join(clicks).await {
            assert_eq!(status, 200);
        }
    }
    world
        .slack
        .wait_for_within(
            Duration::from_secs(120),
            "every requester told the elevation is active",
            |calls| {
                let told: std::collections::HashSet<String> = calls
                    .iter()
                    .filter(|c| {
                        c.method == "chat.postMessage"
                            && c.body["channel"]
                                .as_str()
                                .is_some_and(|ch| ch.starts_with("DUENG"))
                            && c.body.to_string().contains("until")
                    })
                    .filter_map(|c| c.body["channel"].as_str().map(str::to_owned))
                    .collect();
                told.len() == REQUESTS
            },
        )
        .await;
    let elapsed = started.elapsed();

    assert_eq!(
        world.emulator.active_assignments().len(),
        REQUESTS,
        "0 lost"
    );
    assert_eq!(world.assign_calls(), REQUESTS, "0 duplicate PIM calls");
    let store = pimbot::store::connect(&world.database_url)
        .await
        .expect("store");
    assert!(store.pending_requests().await.expect("read").is_empty());
    assert_eq!(
        store.active_requests().await.expect("read").len(),
        REQUESTS,
        "every request final for now: active"
    );
    let events = store.audit_events(0, 10_000).await.expect("read");
    let approved = events
        .iter()
        .filter(|e| e.canonical.contains("\"request.approved\""))
        .count();
    assert_eq!(approved, REQUESTS, "one approval transition per request");
    pimbot::audit::verify(store.as_ref())
        .await
        .expect("the chain holds under concurrency");
    println!("two replicas: {REQUESTS} requests with racing approvals in {elapsed:?}");
}

/// Runs futures concurrently on this task and returns their outputs in order.
async fn futures_join<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    join_all(futures.into_iter().map(Box::pin).collect()).await
}

async fn join_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, future) in futures.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match std::pin::Pin::new(future).poll(cx) {
                    Poll::Ready(value) => outputs[i] = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}
