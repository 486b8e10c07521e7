//! Every metric family pimbot exports, described once, so that each has `# HELP` and `# TYPE`
//! from the first scrape; and the few records the edges make (chat API errors, build info).
//! Uses the service's port types only to read an error; no adapter, no store.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::service::ports::{UpstreamError, UpstreamErrorKind};

/// What a family is, in Prometheus's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    /// The `# TYPE` word.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One metric family: its name, type, label names and help text.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    pub labels: &'static [&'static str],
    pub help: &'static str,
}

const fn family(
    name: &'static str,
    kind: Kind,
    labels: &'static [&'static str],
    help: &'static str,
) -> Family {
    Family {
        name,
        kind,
        labels,
        help,
    }
}

/// The chat API error counter (Slack Web API, `response_url` and Bot Connector calls).
pub const CHAT_API_ERRORS: &str = "pimbot_chat_api_errors_total";
/// Seconds from a request's creation to its approval or denial.
pub const APPROVAL_SECONDS: &str = "pimbot_approval_seconds";
/// The SQLite group commit's batch size: a count, with buckets of its own.
const GROUP_COMMIT_SIZE: &str = "pimbot_store_group_commit_size";
/// Always 1; the labels say which build runs.
pub const BUILD_INFO: &str = "pimbot_build_info";

use Kind::{Counter, Gauge, Histogram};

/// Every family, recorded anywhere in pimbot. A family recorded but missing here fails
/// `tests/app/observability.rs`.
pub const FAMILIES: &[Family] = &[
    family(
        "pimbot_commands_total",
        Counter,
        &["command"],
        "Chat commands parsed, by subcommand.",
    ),
    family(
        "pimbot_refusals_total",
        Counter,
        &["code"],
        "Commands refused in the user's terms (not eligible, ticket missing, ...), by code.",
    ),
    family(
        "pimbot_requests_total",
        Counter,
        &[],
        "Elevation requests created.",
    ),
    family(
        "pimbot_transitions_total",
        Counter,
        &["to"],
        "Request state transitions, by the state reached.",
    ),
    family(
        "pimbot_rate_limited_total",
        Counter,
        &["platform", "limit"],
        "Commands refused by the per-user limits (limit: commands or requests).",
    ),
    family(
        "pimbot_slack_rejected_total",
        Counter,
        &["reason"],
        "Inbound Slack requests rejected before any handler (bad signature, stale, ...).",
    ),
    family(
        "pimbot_teams_rejected_total",
        Counter,
        &["reason"],
        "Inbound Bot Framework activities rejected (bad token, wrong tenant, ...).",
    ),
    family(
        "pimbot_handler_panics_total",
        Counter,
        &[],
        "Request handlers that panicked and were answered 500.",
    ),
    family(
        "pimbot_job_seconds",
        Histogram,
        &["kind"],
        "Time one outbox job took to run, by job kind.",
    ),
    family(
        "pimbot_jobs_abandoned_total",
        Counter,
        &["kind"],
        "Outbox jobs given up after their last attempt, by job kind.",
    ),
    family(
        "pimbot_jobs_queued",
        Gauge,
        &["lane"],
        "Outbox jobs waiting to run, by lane.",
    ),
    family(
        "pimbot_job_oldest_due_seconds",
        Gauge,
        &[],
        "How long the oldest due outbox job has been waiting, in seconds.",
    ),
    family(
        GROUP_COMMIT_SIZE,
        Histogram,
        &[],
        "Inbound writes (commands, deliveries) committed together in one SQLite transaction.",
    ),
    family(
        "pimbot_pim_call_seconds",
        Histogram,
        &["api", "outcome"],
        "Duration of Graph and ARM calls, by API and outcome.",
    ),
    family(
        "pimbot_pim_errors_total",
        Counter,
        &["api", "code"],
        "Failed Graph and ARM calls, by API and the upstream's error code.",
    ),
    family(
        CHAT_API_ERRORS,
        Counter,
        &["platform", "method", "error"],
        "Failed Slack Web API and Bot Connector calls, by method and error code.",
    ),
    family(
        APPROVAL_SECONDS,
        Histogram,
        &["decision"],
        "Seconds from a request's creation to its approval or denial.",
    ),
    family(
        BUILD_INFO,
        Gauge,
        &["version"],
        "Always 1; the version label names the running build.",
    ),
];

/// Latency buckets for calls and jobs (seconds).
const CALL_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Writes per SQLite group commit.
const GROUP_COMMIT_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
/// People decide in minutes, within the approval timeout (1 h by default).
const APPROVAL_BUCKETS: &[f64] = &[
    10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 86400.0,
];

/// Installs the process-wide Prometheus recorder with pimbot's buckets and describes every
/// family.
pub fn install() -> Result<PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    // Buckets make the distributions Prometheus histograms (summaries cannot be aggregated
    // across replicas).
    let handle = PrometheusBuilder::new()
        .set_buckets(CALL_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(APPROVAL_SECONDS.to_owned()), APPROVAL_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full(GROUP_COMMIT_SIZE.to_owned()),
            GROUP_COMMIT_BUCKETS,
        )?
        .install_recorder()?;
    describe();
    Ok(handle)
}

/// Describes every family to the installed recorder, and registers the unlabelled counters at
/// zero (a true value: nothing counted yet) and the build info.
fn describe() {
    for family in FAMILIES {
        let help = family.help;
        match family.kind {
            Counter => ::metrics::describe_counter!(family.name, help),
            Gauge => ::metrics::describe_gauge!(family.name, help),
            Histogram => ::metrics::describe_histogram!(family.name, help),
        }
        if family.kind == Counter && family.labels.is_empty() {
            ::metrics::counter!(family.name).increment(0);
        }
    }
    ::metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// The exposition text: what the recorder has, plus `# HELP` and `# TYPE` for each family that
/// has no series yet (the exporter writes only families with a series, and a labelled family
/// has none until its first labels are known; zero series with made-up labels would lie).
pub fn render(handle: &PrometheusHandle) -> String {
    let mut text = handle.render();
    for family in FAMILIES {
        if !has_family(&text, family.name) {
            text.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n\n",
                name = family.name,
                help = family.help,
                kind = family.kind.as_str()
            ));
        }
    }
    text
}

fn has_family(text: &str, name: &str) -> bool {
    text.lines().any(|line| {
        line.strip_prefix("# TYPE ")
            .and_then(|rest| rest.split_whitespace().next())
            == Some(name)
    })
}

/// Counts a failed chat API call of `platform` (`slack`, `teams`): the method, and the
/// upstream's error code when it sent one, else what kind of failure it was.
pub fn chat_api_error(platform: &'static str, error: &UpstreamError) {
    let code = error
        .code
        .clone()
        .unwrap_or_else(|| kind_label(&error.kind).to_owned());
    ::metrics::counter!(
        CHAT_API_ERRORS,
        "platform" => platform,
        "method" => error.operation.clone(),
        "error" => code
    )
    .increment(1);
}

fn kind_label(kind: &UpstreamErrorKind) -> &'static str {
    match kind {
        UpstreamErrorKind::Throttled { .. } => "throttled",
        UpstreamErrorKind::Unavailable => "unavailable",
        UpstreamErrorKind::Unauthorized => "unauthorized",
        UpstreamErrorKind::NotFound => "not_found",
        UpstreamErrorKind::Rejected => "rejected",
        UpstreamErrorKind::AlreadyAssigned => "already_assigned",
        UpstreamErrorKind::StepUpRequired { .. } => "step_up_required",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_names_are_unique_and_prometheus_shaped() {
        let mut names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len(), "a family is listed twice");
        for family in FAMILIES {
            assert!(family.name.starts_with("pimbot_"), "{}", family.name);
            assert!(
                family
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                family.name
            );
            assert_eq!(
                family.name.ends_with("_total"),
                family.kind == Counter,
                "{}: counters and only counters end in _total",
                family.name
            );
        }
    }

    #[test]
    fn a_family_already_rendered_is_not_described_twice() {
        let text = "# TYPE pimbot_requests_total counter\npimbot_requests_total 3\n";
        assert!(has_family(text, "pimbot_requests_total"));
        assert!(!has_family(text, "pimbot_requests"));
        assert!(!has_family(
            "pimbot_requests_total 3\n",
            "pimbot_requests_total"
        ));
    }
}
