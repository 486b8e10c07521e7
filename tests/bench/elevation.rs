//! `cargo bench --bench elevation`: what people wait for, measured on the real service (`pimbot
//! demo`: same router, worker and store; the PIM emulator and fake Slack in-process, SQLite in a
//! temporary file).
//!
//! - the slash-command answer Slack waits for (3 s deadline): `help`, signed, one at a time and
//!   32 at once;
//! - a whole elevation: `/pim request` → approval message → Approve → PIM assignment, and `end`
//!   → assignment removed, one after another, driven through the sandbox API (which signs and
//!   forwards each action; the approval message is looked for every 10 ms);
//! - `audit verify` over the trail those runs left.
//!
//! Then the job engine's scenarios ([`engine`], issue 11) on their own worlds ([`fleet`]):
//! `/pim request` acks at 50 connections with the worker draining them, how soon a job made
//! runnable on this replica starts (ack to the job's answer, 200 times), a burst of 1,000
//! requests and approvals, one PIM call held 20 s while 50 others are approved, and `audit
//! verify` / `audit export` of 100,000 events.
//!
//! `-- --only NAME` runs one part (`classic`, `acks`, `wake`, `burst`, `slow`, `audit`);
//! `-- --serve ADDR` only serves the acks world on ADDR until interrupted; `-- --fakes` serves
//! only its stand-ins (the emulator and the fake Slack) and prints where, and `-- --serve ADDR
//! --upstreams TENANT,PORT,SLACK_API` serves the service alone against them: what
//! `tests/bench/peer.sh` drives with `wrk` beside the Bolt peer, so that the process measured
//! holds nothing but pimbot.
//!
//! Prints a table; figures go in the issue notes. Not a test: timing belongs here, not in CI.
#![expect(clippy::print_stdout, reason = "a benchmark's report is its output")]
#![expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "percentile indexes and rates from small counts"
)]

use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};
use pimbot::demo::{DemoOptions, SIGNING_SECRET};
use pimbot::emulator::Provider;
use serde_json::{Value, json};

mod engine;
mod fleet;

const HELP_SEQUENTIAL: usize = 2000;
const HELP_CONCURRENT: usize = 4000;
const CONCURRENCY: usize = 32;
const ELEVATIONS: usize = 30;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if args.iter().any(|a| a == "--fakes") {
        // The stand-ins alone, for `--serve ADDR --upstreams …` in another process.
        let upstreams = fleet::Upstreams::start(0).await?;
        println!(
            "upstreams {} {} {}",
            upstreams.tenant_id,
            upstreams.port,
            upstreams.slack.api_url()
        );
        println!("response_url {}", upstreams.slack.response_url("bench"));
        tokio::signal::ctrl_c().await?;
        return Ok(());
    }
    if let (Some(addr), Some(upstreams)) = (value_of("--serve"), value_of("--upstreams")) {
        // TENANT,PORT,SLACK_API as `--fakes` printed them.
        let parts: Vec<&str> = upstreams.split(',').collect();
        let [tenant, port, slack] = parts[..] else {
            anyhow::bail!("--upstreams TENANT,PORT,SLACK_API");
        };
        return fleet::serve_alone(&addr, tenant, port.parse()?, slack).await;
    }
    if let Some(addr) = value_of("--serve") {
        let world = fleet::Fleet::start_on(&addr, 0).await?;
        println!(
            "serving {} (signing secret {})",
            world.base,
            fleet::SIGNING_SECRET
        );
        // Where the load generator's commands ask to be answered (tests/bench/peer.sh reads it).
        println!("response_url {}", world.slack.response_url("bench"));
        tokio::signal::ctrl_c().await?;
        return world.stop().await;
    }
    let only = value_of("--only");
    let runs = |name: &str| only.as_deref().is_none_or(|only| only == name);
    if runs("classic") {
        classic().await?;
    }
    if runs("acks") {
        engine::acks(50, Duration::from_secs(10)).await?;
    }
    if runs("wake") {
        engine::wake(200).await?;
    }
    if runs("burst") {
        engine::burst(1000).await?;
    }
    if runs("slow") {
        engine::slow_upstream(50).await?;
    }
    if runs("audit") {
        engine::audit(100_000).await?;
    }
    Ok(())
}

/// The scenarios this benchmark had before issue 11, on `pimbot demo`.
async fn classic() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let mut options = DemoOptions::new("127.0.0.1:0".parse()?, &db.display().to_string());
    // Measures the service's own path, not the refusals of the per-user limits.
    options.lift_limits = true;
    let demo = pimbot::demo::start(options).await?;
    let base = demo.url();
    let http = reqwest::Client::new();

    let mut help = Vec::with_capacity(HELP_SEQUENTIAL);
    for _ in 0..HELP_SEQUENTIAL {
        let started = Instant::now();
        slash(&http, &base, "help").await?;
        help.push(started.elapsed());
    }
    report("slash `help`, sequential", &mut help);

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..CONCURRENCY {
        let (http, base) = (http.clone(), base.clone());
        tasks.spawn(async move {
            let mut times = Vec::new();
            for _ in (worker..HELP_CONCURRENT).step_by(CONCURRENCY) {
                let started = Instant::now();
                slash(&http, &base, "help").await?;
                times.push(started.elapsed());
            }
            anyhow::Ok(times)
        });
    }
    let mut concurrent = Vec::new();
    while let Some(times) = tasks.join_next().await {
        concurrent.extend(times??);
    }
    let throughput = HELP_CONCURRENT as f64 / started.elapsed().as_secs_f64();
    report(
        &format!("slash `help`, {CONCURRENCY} at once"),
        &mut concurrent,
    );
    println!("    throughput: {throughput:.0} answers/s");

    let mut granted = Vec::with_capacity(ELEVATIONS);
    let mut ended = Vec::with_capacity(ELEVATIONS);
    for n in 1..=ELEVATIONS {
        let id = format!("PIM-{n}");
        let started = Instant::now();
        sandbox(
            &http,
            &base,
            "slack/command",
            json!({"as": "alice",
            "text": format!("request app1-secrets for 1h ticket INC-{n} bench run")}),
        )
        .await?;
        let ts = approval_message_ts(&http, &base, &id).await?;
        sandbox(
            &http,
            &base,
            "slack/click",
            json!({"as": "bob", "channel": "CTEAMFOO",
            "ts": ts, "action_id": "approve", "block_id": "decision", "value": id}),
        )
        .await?;
        wait_until(|| async { demo.emulator.active_of(Provider::Role).len() == 1 }).await?;
        granted.push(started.elapsed());
        let started = Instant::now();
        sandbox(
            &http,
            &base,
            "slack/command",
            json!({"as": "alice", "text": format!("end {id}")}),
        )
        .await?;
        wait_until(|| async { demo.emulator.active_of(Provider::Role).is_empty() }).await?;
        ended.push(started.elapsed());
    }
    report("request → approve → PIM assignment", &mut granted);
    report("end → assignment removed", &mut ended);

    let store = pimbot::store::connect(&format!("sqlite://{}", db.display())).await?;
    let started = Instant::now();
    let events = pimbot::audit::verify(store.as_ref()).await?;
    let took = started.elapsed();
    println!(
        "audit verify: {events} events in {took:?} ({:.0} events/s)",
        events as f64 / took.as_secs_f64()
    );
    demo.stop().await
}

/// POSTs a signed `/pim <text>` as Alice and checks the answer.
async fn slash(http: &reqwest::Client, base: &str, text: &str) -> anyhow::Result<()> {
    let body = serde_urlencoded::to_string([
        ("team_id", "T0DEMO"),
        ("channel_id", "CTEAMFOO"),
        ("user_id", "UALICE"),
        ("command", "/pim"),
        ("text", text),
        ("response_url", "http://127.0.0.1:9/unused"),
        ("trigger_id", "bench"),
    ])?;
    let ts = chrono::Utc::now().timestamp();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SIGNING_SECRET.as_bytes())?;
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let signature = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
    let answer = http
        .post(format!("{base}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", signature)
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(answer.status() == 200, "slash answered {}", answer.status());
    Ok(())
}

async fn sandbox(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<()> {
    let answer: Value = http
        .post(format!("{base}/sandbox/api/{path}"))
        .json(&body)
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(answer["status"] == 200, "sandbox {path}: {answer}");
    Ok(())
}

/// The `ts` of `id`'s approval message in #team-foo, once the fake Slack has it (polled every
/// 10 ms: the sandbox state is a whole page's worth of JSON).
async fn approval_message_ts(
    http: &reqwest::Client,
    base: &str,
    id: &str,
) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let quoted = format!("\"{id}\"");
    loop {
        let state: Value = http
            .get(format!("{base}/sandbox/api/state"))
            .send()
            .await?
            .json()
            .await?;
        let found = state["slack"]["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| {
                let blocks = m["blocks"].to_string();
                m["channel"] == "CTEAMFOO"
                    && blocks.contains("\"approve\"")
                    && blocks.contains(&quoted)
            });
        if let Some(message) = found {
            return Ok(message["ts"].clone());
        }
        anyhow::ensure!(Instant::now() < deadline, "no approval message for {id}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_until<F: std::future::Future<Output = bool>>(
    check: impl Fn() -> F,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        anyhow::ensure!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{what}: n={} p50={:?} p90={:?} p99={:?} max={:?}",
        times.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        at(1.0)
    );
}
