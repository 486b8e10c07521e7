//! With the `otel` feature (`cargo nextest run --features otel --test otel`): the spans of the
//! real app reach an OTLP/HTTP collector, one trace per chat request and per job, each carrying
//! the request's short id. The collector is a fake: an axum listener taking `/v1/traces`.

#![cfg(feature = "otel")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

type Received = Arc<Mutex<Vec<Value>>>;

#[path = "manifests/background.rs"]
mod background;

/// The fake collector on a free port, in a thread of its own (it must outlive the app's
/// runtime, to receive the spans flushed at shutdown).
fn collector() -> (u16, Received) {
    let received = Received::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::Json<Value>| async move {
            store.lock().expect("lock").push(body.0);
            axum::Json(json!({}))
        }),
    );
    (background::serve_in_thread(app), received)
}

/// Every exported span: (name, trace id, parent span id, attributes as a JSON object).
fn spans(received: &Received) -> Vec<(String, String, String, Value)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for batch in received.lock().expect("lock").iter() {
        let resources = batch["resourceSpans"].as_array().into_iter().flatten();
        for scope in resources.flat_map(|r| r["scopeSpans"].as_array().into_iter().flatten()) {
            for span in scope["spans"].as_array().into_iter().flatten() {
                let attributes: serde_json::Map<String, Value> = span["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| (text(&a["key"]), a["value"]["stringValue"].clone()))
                    .collect();
                out.push((
                    text(&span["name"]),
                    text(&span["traceId"]),
                    text(&span["parentSpanId"]),
                    Value::Object(attributes),
                ));
            }
        }
    }
    out
}

async fn sandbox(http: &reqwest::Client, base: &str, path: &str, body: Value) {
    let answer = http
        .post(format!("{base}/sandbox/api/{path}"))
        .json(&body)
        .send()
        .await
        .expect("the sandbox answers");
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
}

/// Polls the sandbox state until `holds` gives a value (15 s at most).
async fn wait_for<T>(http: &reqwest::Client, base: &str, holds: impl Fn(&Value) -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let state: Value = http
            .get(format!("{base}/sandbox/api/state"))
            .send()
            .await
            .expect("state")
            .json()
            .await
            .expect("JSON");
        if let Some(found) = holds(&state) {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out: {state:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Alice asks in Slack, Bob approves: the story the spans must tell.
async fn elevation(base: &str) {
    let http = reqwest::Client::new();
    let request = "request app1-secrets for 2h ticket INC-1234 rotating the cert";
    sandbox(
        &http,
        base,
        "slack/command",
        json!({"as": "alice", "text": request}),
    )
    .await;
    let ts = wait_for(&http, base, |state| {
        state["slack"]["messages"]
            .as_array()?
            .iter()
            .find(|m| m["channel"] == "CTEAMFOO" && m["blocks"].to_string().contains("\"approve\""))
            .map(|m| m["ts"].clone())
    })
    .await;
    let click = json!({"as": "bob", "channel": "CTEAMFOO", "ts": ts, "action_id": "approve",
                       "block_id": "decision", "value": "PIM-1"});
    sandbox(&http, base, "slack/click", click).await;
    wait_for(&http, base, |state| {
        let requests = state["requests"].as_array()?;
        requests
            .iter()
            .any(|r| r["id"] == "PIM-1" && r["state"] == "active")
            .then_some(())
    })
    .await;
}

#[test]
fn every_chat_request_and_job_is_a_trace_carrying_the_short_id() {
    let (port, received) = collector();
    let options = pimbot::telemetry::TelemetryOptions {
        json: false,
        otlp_traces_endpoint: Some(format!("http://127.0.0.1:{port}/v1/traces")),
        otlp_json: true,
    };
    let telemetry = pimbot::telemetry::init(&options).expect("telemetry starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("pimbot.db").display());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let listen = "127.0.0.1:0".parse().expect("address");
        let demo = pimbot::demo::start(pimbot::demo::DemoOptions::new(listen, &db))
            .await
            .expect("the demo starts");
        elevation(&demo.url()).await;
    });
    drop(runtime);
    // Shutting the exporter down sends what it still holds.
    drop(telemetry);

    let spans = spans(&received);
    let short_id = |attributes: &Value| attributes["request.id"] == "PIM-1";
    let click = spans
        .iter()
        .find(|(name, _, _, a)| {
            name == "request" && a["http.path"] == "/slack/interactions" && short_id(a)
        })
        .unwrap_or_else(|| panic!("the Approve click's request span: {spans:#?}"));
    assert!(
        click.2.is_empty(),
        "a chat request is the root of its trace"
    );
    let jobs: Vec<_> = spans
        .iter()
        .filter(|(name, _, _, a)| name == "job" && short_id(a))
        .collect();
    assert!(
        jobs.iter().any(|(_, _, _, a)| a["job.kind"] == "command"),
        "the job that created PIM-1 carries its id: {jobs:#?}"
    );
    for (_, trace, parent, _) in &jobs {
        assert!(parent.is_empty(), "each job is the root of its trace");
        assert_ne!(trace, &click.1, "a job is not part of the click's trace");
    }
    let traces: std::collections::HashSet<&String> = jobs.iter().map(|j| &j.1).collect();
    assert_eq!(traces.len(), jobs.len(), "one trace per job");
}
