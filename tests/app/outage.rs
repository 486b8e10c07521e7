//! PostgreSQL goes away mid-run and comes back: `/readyz` says so, chat requests meanwhile hear
//! "try again shortly" and leave nothing half-written, and every request already accepted
//! completes once the database is back. (PostgreSQL only: SQLite is a local file.)

use std::time::{Duration, Instant};

use crate::crash::{Replica, World};
use crate::db_proxy::DbProxy;
use crate::replicas::{crowded_world, join_all};
use crate::story::REQUEST_TEXT;

const REQUESTS: usize = 20;

async fn wait_for_readiness(world: &World, replica: &Replica, status: u16) -> Duration {
    let started = Instant::now();
    while world.readiness(replica).await != status {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "/readyz never became {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn a_database_outage_is_reported_loses_nothing_and_heals_by_itself() {
    let world = crowded_world(REQUESTS + 1).await;
    if !world.database_url.starts_with("postgres") {
        println!("skipped: the outage test needs PostgreSQL (set DATABASE_URL)");
        return;
    }
    let upstream = world
        .database_url
        .split_once('@')
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(host, _)| host.to_owned())
        .expect("host:port");
    let proxy = DbProxy::start(upstream).await;
    let replicas = [
        world.start_on(&proxy.url_for(&world.database_url)).await,
        world.start_on(&proxy.url_for(&world.database_url)).await,
    ];
    // Requests accepted before the outage.
    let engineers: Vec<String> = (0..REQUESTS).map(|i| format!("UENG{i:04}")).collect();
    let sends = engineers
        .iter()
        .enumerate()
        .map(|(i, user)| world.slash_answer(&replicas[i % 2], user, REQUEST_TEXT));
    for (status, answer) in join_all(sends).await {
        assert_eq!(status, 200);
        assert!(answer.contains("Checking your eligibility"), "{answer}");
    }
    world
        .slack
        .fold_until(
            Duration::from_secs(60),
            "every approval message",
            0,
            |posted, call| {
                *posted += usize::from(
                    call.body["blocks"].to_string().contains("\"approve\"")
                        && call.method == "chat.postMessage",
                )
            },
            |posted| *posted == REQUESTS,
        )
        .await;

    proxy.take_down();
    let noticed = wait_for_readiness(&world, &replicas[0], 503).await;
    wait_for_readiness(&world, &replicas[1], 503).await;
    // Meanwhile: a new request and a click are refused in time and in words.
    let started = Instant::now();
    let late = format!("UENG{REQUESTS:04}");
    let (status, answer) = world.slash_answer(&replicas[0], &late, REQUEST_TEXT).await;
    assert_eq!(status, 200);
    assert!(answer.contains("try again shortly"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered within Slack's 3 s"
    );
    assert_eq!(
        world.click(&replicas[1], "UBOB", "approve", "PIM-1").await,
        200
    );
    tokio::time::sleep(Duration::from_secs(3)).await;

    proxy.bring_back();
    let recovered = wait_for_readiness(&world, &replicas[0], 200).await;
    wait_for_readiness(&world, &replicas[1], 200).await;
    let ids: Vec<String> = (1..=REQUESTS).map(|n| format!("PIM-{n}")).collect();
    let clicks = ids
        .iter()
        .enumerate()
        .map(|(i, id)| world.click(&replicas[i % 2], "UCAROL", "approve", id));
    for status in join_all(clicks).await {
        assert_eq!(status, 200);
    }
    world
        .slack
        .fold_until(
            Duration::from_secs(60),
            "every requester told the elevation is active",
            std::collections::HashSet::new(),
            |told, call| {
                let text = call.body["text"].as_str().unwrap_or_default();
                if call.method == "chat.postMessage" && text.contains(" is active until ") {
                    told.insert(call.body["channel"].as_str().unwrap_or_default().to_owned());
                }
            },
            |told| told.len() == REQUESTS,
        )
        .await;
    assert_eq!(
        world.emulator.active_assignments().len(),
        REQUESTS,
        "0 lost"
    );
    assert_eq!(world.assign_calls(), REQUESTS, "0 duplicate PIM calls");
    let store = pimbot::store::connect(&world.database_url)
        .await
        .expect("store");
    let late_requests = store
        .requests_of("00000000-0000-4000-8000-000000000020", 10)
        .await
        .expect("read");
    assert!(
        late_requests.is_empty(),
        "the refused request left nothing: {late_requests:?}"
    );
    pimbot::audit::verify(store.as_ref())
        .await
        .expect("the chain holds");
    println!(
        "database outage: /readyz noticed in {noticed:?}, recovered {recovered:?} after the database returned; {REQUESTS} requests, 0 lost"
    );
}
