//! The job engine's scenarios (issue 11): acks under load with the worker draining what they
//! enqueue, a burst of requests and approvals, one PIM call held 20 s while others are approved,
//! and `audit verify` / `audit export` of a large trail.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pimbot::emulator::{Fault, Provider};

use crate::fleet::{Fleet, approve_body, post_signed, signature, slash_body};
use crate::report;

const ROLE_WRITE: &str = "POST /v1.0/roleManagement/directory/roleAssignmentScheduleRequests";
/// Requests in flight at once in the burst and the slow-upstream scenarios.
const IN_FLIGHT: usize = 50;

/// `/pim request` acks from `connections` clients for `duration`, the same signed request each
/// time (as the Bolt peer is driven), while the worker drains the commands they enqueue.
pub(crate) async fn acks(connections: usize, duration: Duration) -> anyhow::Result<()> {
    let fleet = Fleet::start(0).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = memory();
    let body = slash_body(
        "UALICE",
        "request app1-secrets for 1h ticket INC-1 bench",
        &fleet.slack.response_url("bench"),
    )?;
    let ts = chrono::Utc::now().timestamp();
    let signed = Arc::new((ts.to_string(), signature(ts, &body)?, body));
    let http = reqwest::Client::new();
    let url = format!("{}/slack/commands", fleet.base);
    let cpu = cpu_seconds();
    let started = Instant::now();
    let end = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (http, url, signed) = (http.clone(), url.clone(), signed.clone());
        tasks.spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < end {
                let sent = Instant::now();
                let answer = http
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-slack-request-timestamp", &signed.0)
                    .header("x-slack-signature", &signed.1)
                    .body(signed.2.clone())
                    .send()
                    .await?;
                anyhow::ensure!(answer.status() == 200, "ack {}", answer.status());
                answer.bytes().await?;
                times.push(sent.elapsed());
            }
            anyhow::Ok(times)
        });
    }
    let mut times = Vec::new();
    while let Some(done) = tasks.join_next().await {
        times.extend(done??);
    }
    let took = started.elapsed();
    let cpu = cpu_seconds() - cpu;
    let peak = memory();
    let left = fleet.count("SELECT COUNT(*) FROM jobs").await?;
    let made = fleet.count("SELECT COUNT(*) FROM requests").await?;
    let acks = times.len();
    report(
        &format!("`/pim request` acks, {connections} connections, {duration:?}"),
        &mut times,
    );
    println!(
        "    {:.0} acks/s; CPU {:.3} ms per ack (the whole bench process, load generator included); \
         RSS idle {} / after {} MiB (peak {} MiB); {made} requests made by the worker meanwhile, {left} jobs still queued",
        acks as f64 / took.as_secs_f64(),
        cpu * 1000.0 / acks as f64,
        idle.0 / 1024,
        peak.0 / 1024,
        peak.1 / 1024,
    );
    fleet.abandon();
    Ok(())
}

/// `n` engineers ask at once (IN_FLIGHT at a time); then all are approved at once.
pub(crate) async fn burst(n: usize) -> anyhow::Result<()> {
    let fleet = Fleet::start(n).await?;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let texts: Vec<(String, String)> = fleet
        .engineers
        .iter()
        .enumerate()
        .map(|(i, user)| {
            (
                user.clone(),
                format!("request app1-secrets for 1h ticket INC-{i} burst"),
            )
        })
        .collect();
    let mut bodies = Vec::new();
    for (user, text) in &texts {
        bodies.push((
            "/slack/commands",
            slash_body(user, text, &fleet.slack.response_url(user))?,
        ));
    }
    send_all(&http, &fleet.base, bodies).await?;
    let sent = started.elapsed();
    let n_i64 = i64::try_from(n)?;
    wait_for(
        &fleet,
        "SELECT COUNT(*) FROM chat_messages",
        n_i64,
        Duration::from_secs(600),
    )
    .await?;
    let posted = started.elapsed();
    println!(
        "burst of {n} requests: all acked after {sent:?}, every approval message posted after {posted:?}"
    );
    let ids: Vec<String> = fleet
        .states()
        .await?
        .into_iter()
        .map(|(id, _)| format!("PIM-{id}"))
        .collect();
    let approving = Instant::now();
    let clicks = ids
        .iter()
        .map(|id| approve_body("UBOB", id).map(|b| ("/slack/interactions", b)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    send_all(&http, &fleet.base, clicks).await?;
    let clicked = approving.elapsed();
    wait_for(
        &fleet,
        "SELECT COUNT(*) FROM requests WHERE state = 'active'",
        n_i64,
        Duration::from_secs(600),
    )
    .await?;
    println!(
        "    {n} approvals: all acked after {clicked:?}, every assignment active after {:?} (emulator: {} active)",
        approving.elapsed(),
        fleet.emulator.active_of(Provider::Role).len()
    );
    fleet.stop().await
}

/// One activation's PIM call held 20 s while `others` approved requests go active.
pub(crate) async fn slow_upstream(others: usize) -> anyhow::Result<()> {
    let fleet = Fleet::start(others + 1).await?;
    let http = reqwest::Client::new();
    let mut bodies = Vec::new();
    for (i, user) in fleet.engineers.iter().enumerate() {
        let text = format!("request app1-secrets for 1h ticket INC-{i} slow");
        bodies.push((
            "/slack/commands",
            slash_body(user, &text, &fleet.slack.response_url(user))?,
        ));
    }
    send_all(&http, &fleet.base, bodies).await?;
    let all = i64::try_from(others + 1)?;
    wait_for(
        &fleet,
        "SELECT COUNT(*) FROM chat_messages",
        all,
        Duration::from_secs(120),
    )
    .await?;
    let mut ids: Vec<i64> = fleet
        .states()
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    ids.sort_unstable();
    fleet
        .emulator
        .inject_faults(ROLE_WRITE, vec![Fault::Delay(Duration::from_secs(20))]);
    let held = ids[0];
    anyhow::ensure!(
        post_signed(
            &http,
            &fleet.base,
            "/slack/interactions",
            approve_body("UBOB", &format!("PIM-{held}"))?
        )
        .await?
            == 200
    );
    let since = Instant::now();
    while !fleet
        .emulator
        .calls()
        .iter()
        .any(|c| c.starts_with(ROLE_WRITE))
    {
        anyhow::ensure!(
            since.elapsed() < Duration::from_secs(10),
            "the held write was never sent"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let approved_at = Instant::now();
    let clicks = ids[1..]
        .iter()
        .map(|id| approve_body("UBOB", &format!("PIM-{id}")).map(|b| ("/slack/interactions", b)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    send_all(&http, &fleet.base, clicks).await?;
    let mut active_after: HashMap<i64, Duration> = HashMap::new();
    while active_after.len() < others && approved_at.elapsed() < Duration::from_secs(30) {
        for (id, state) in fleet.states().await? {
            if id != held && state == "active" {
                active_after
                    .entry(id)
                    .or_insert_with(|| approved_at.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut times: Vec<Duration> = active_after.into_values().collect();
    println!(
        "one PIM call held 20 s: {} of {others} other approved requests active within 30 s",
        times.len()
    );
    if !times.is_empty() {
        report(
            "    approval (of the 50, sent at once) → active",
            &mut times,
        );
    }
    fleet.abandon();
    Ok(())
}

/// How soon a job made runnable on this replica starts: `samples` `/pim status` commands one
/// after another, each timed from its ack to the job's answer reaching Slack's `response_url`
/// (the job is claimed, reads the store and answers; the poll is a second away).
pub(crate) async fn wake(samples: usize) -> anyhow::Result<()> {
    let fleet = Fleet::start(0).await?;
    let http = reqwest::Client::new();
    let mut times = Vec::with_capacity(samples);
    for n in 0..=samples {
        let before = fleet.slack.calls_to("response_url").len();
        let body = slash_body("UALICE", "status", &fleet.slack.response_url("wake"))?;
        anyhow::ensure!(post_signed(&http, &fleet.base, "/slack/commands", body).await? == 200);
        let acked = Instant::now();
        fleet
            .slack
            .wait_for("the answer to `status`", |calls| {
                calls.iter().filter(|c| c.method == "response_url").count() > before
            })
            .await;
        // The first also looks Alice up in Slack and Entra.
        if n > 0 {
            times.push(acked.elapsed());
        }
    }
    report("wake: ack to the job's answer (/pim status)", &mut times);
    fleet.stop().await
}

/// `audit verify` and `audit export` of `n` events.
pub(crate) async fn audit(n: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("audit.db").display());
    let store = pimbot::store::connect_and_migrate(&url).await?;
    let started = Instant::now();
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..8 {
        let store = store.clone();
        writers.spawn(async move {
            for i in (w..n).step_by(8) {
                let event = pimbot::domain::audit::AuditEvent::new(
                    "bench.event",
                    None,
                    pimbot::domain::audit::AuditActor::system(),
                    "ok",
                )
                .with_detail(serde_json::json!({ "n": i }));
                store.append_audit(event, Vec::new()).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = writers.join_next().await {
        done??;
    }
    println!("audit: {n} events written in {:?}", started.elapsed());
    let started = Instant::now();
    let verified = pimbot::audit::verify(store.as_ref()).await?;
    let took = started.elapsed();
    println!(
        "    audit verify: {verified} events in {took:?} ({:.0} events/s)",
        verified as f64 / took.as_secs_f64()
    );
    let started = Instant::now();
    let exported = pimbot::audit::export(
        store.as_ref(),
        pimbot::audit::ExportFormat::Jsonl,
        None,
        &mut std::io::sink(),
    )
    .await?;
    let took = started.elapsed();
    println!(
        "    audit export (JSON lines): {exported} events in {took:?} ({:.0} events/s)",
        exported as f64 / took.as_secs_f64()
    );
    Ok(())
}

/// POSTs every signed body, `IN_FLIGHT` at a time; all must answer 200.
async fn send_all(
    http: &reqwest::Client,
    base: &str,
    bodies: Vec<(&'static str, String)>,
) -> anyhow::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    for (path, body) in bodies {
        let permit = slots.clone().acquire_owned().await?;
        let (http, base) = (http.clone(), base.to_owned());
        tasks.spawn(async move {
            let status = post_signed(&http, &base, path, body).await?;
            drop(permit);
            anyhow::ensure!(status == 200, "{path} answered {status}");
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

/// Polls `sql` every 10 ms until it reaches `target`.
async fn wait_for(
    fleet: &Fleet,
    sql: &'static str,
    target: i64,
    limit: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let n = fleet.count(sql).await?;
        if n >= target {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < limit,
            "{sql}: {n} of {target} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// (VmRSS, VmHWM) of this process in KiB.
pub(crate) fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// User + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Counted after the command name (which may hold spaces and parentheses).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the name); 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}
