//! `/metrics`: every family with `# HELP` and `# TYPE` from the first scrape, chat API errors by
//! method and error, and the approval latency.

use crate::harness::TestApp;
use crate::story::{TARGETS_TOML, alice_requests};
use pimbot::emulator::Tenant;

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

#[tokio::test]
async fn a_fresh_app_shows_every_metric_family_with_help_and_type_on_the_first_scrape() {
    let app = TestApp::start().await;
    let text = scrape(&app).await;
    for family in pimbot::metrics::FAMILIES {
        assert!(
            text.contains(&format!("# HELP {} ", family.name)),
            "no HELP for {}:\n{text}",
            family.name
        );
        assert!(
            text.contains(&format!(
                "# TYPE {} {}\n",
                family.name,
                family.kind.as_str()
            )),
            "no TYPE for {}:\n{text}",
            family.name
        );
    }
    assert!(
        text.contains("pimbot_build_info{version=\"0.1.0\"} 1"),
        "{text}"
    );
    assert!(text.contains("\npimbot_requests_total 0\n"), "{text}");
    // Each family once: the exporter's own and the described-only ones do not overlap.
    for family in pimbot::metrics::FAMILIES {
        let types = text.matches(&format!("# TYPE {} ", family.name)).count();
        assert_eq!(types, 1, "{} typed {types} times", family.name);
    }
}

/// Every family recorded anywhere in `src/` (a `counter!`, `gauge!` or `histogram!` with a
/// literal name) is described, so none appears without HELP.
#[test]
fn every_metric_recorded_in_the_code_is_described() {
    let recorded = recorded_names(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    )));
    assert!(recorded.len() >= 10, "found only {recorded:?}");
    let described: Vec<&str> = pimbot::metrics::FAMILIES.iter().map(|f| f.name).collect();
    let missing: Vec<&String> = recorded
        .iter()
        .filter(|name| !described.contains(&name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "recorded but not described: {missing:?}"
    );
}

fn recorded_names(dir: &std::path::Path) -> Vec<String> {
    let pattern = regex::Regex::new(r#"(?:counter|gauge|histogram)!\(\s*"(pimbot_[a-z0-9_]+)""#)
        .expect("regex");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            names.extend(recorded_names(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source");
            names.extend(pattern.captures_iter(&text).map(|c| c[1].to_owned()));
        }
    }
    names.sort();
    names.dedup();
    names
}

#[tokio::test]
async fn a_failed_slack_call_is_counted_by_method_and_error() {
    let app = TestApp::start().await;
    // A Slack user the workspace does not know: users.info answers `user_not_found`.
    app.slash("UNOBODY", "list").await;
    let counted = "pimbot_chat_api_errors_total{platform=\"slack\",method=\"users.info\",error=\"user_not_found\"}";
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let text = scrape(&app).await;
        if text.contains(counted) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never counted:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_time_from_request_to_approval_is_recorded_once_per_decision() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    assert!(!scrape(&app).await.contains("pimbot_approval_seconds_count"));
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_dm("UALICE", "until").await;
    let text = scrape(&app).await;
    assert!(
        text.contains("pimbot_approval_seconds_count{decision=\"approved\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("pimbot_approval_seconds_bucket{decision=\"approved\",le=\"10\"} 1\n"),
        "approved within seconds: {text}"
    );
}
