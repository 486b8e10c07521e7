//! `pimbot check`: a preflight checklist of everything pimbot needs from its configuration, its
//! database, Entra and Azure, Slack and Teams, one line per check (✓ passed, ✗ failed, – not
//! applicable), each failure with the exact fix. It only reads: it runs beside a live service
//! and changes nothing (a missing SQLite file is reported, not created).
//!
//! A CLI use case like `app`: it may use `config`, `pim`, `store` and `service`; no adapter uses
//! it.

mod azure;
mod chat;
mod database;
mod modes;
mod targets;

use serde_json::{Value, json};

use crate::config::Config;

pub use azure::GRAPH_PERMISSIONS;
pub use chat::SLACK_SCOPES;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    NotApplicable,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Status::Passed => "✓",
            Status::Failed => "✗",
            Status::NotApplicable => "–",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    pub status: Status,
    /// What was checked (`database`, `Graph permission User.Read.All`, `target app1-secrets`).
    pub check: String,
    /// What was seen.
    pub detail: String,
    /// For a failure: what to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Line {
    pub(crate) fn passed(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status: Status::Passed,
            check: check.into(),
            detail: detail.into(),
            fix: None,
        }
    }

    pub(crate) fn failed(
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            status: Status::Failed,
            check: check.into(),
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub(crate) fn not_applicable(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status: Status::NotApplicable,
            check: check.into(),
            detail: detail.into(),
            fix: None,
        }
    }
}

/// The whole checklist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub lines: Vec<Line>,
}

impl Report {
    /// Nothing failed.
    pub fn passed(&self) -> bool {
        self.lines.iter().all(|l| l.status != Status::Failed)
    }

    fn count(&self, status: Status) -> usize {
        self.lines.iter().filter(|l| l.status == status).count()
    }

    /// One line per check, each failure followed by its fix, then a summary.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&format!(
                "{} {}: {}\n",
                line.status.mark(),
                line.check,
                line.detail
            ));
            if let Some(fix) = &line.fix {
                out.push_str(&format!("    fix: {fix}\n"));
            }
        }
        out.push_str(&format!(
            "{} checks: {} passed, {} failed, {} not applicable\n",
            self.lines.len(),
            self.count(Status::Passed),
            self.count(Status::Failed),
            self.count(Status::NotApplicable)
        ));
        out
    }

    /// `{"passed": bool, "checks": [{status, check, detail, fix?}]}`.
    pub fn json(&self) -> Value {
        json!({ "passed": self.passed(), "checks": self.lines })
    }
}

/// Runs every check. `config` is the configuration as loaded (or why it did not load), and
/// `source` names where it came from, for the first line.
pub async fn run(config: Result<Config, String>, source: &str) -> Report {
    let mut report = Report::default();
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            report.lines.push(Line::failed(
                "configuration",
                format!("{source}: {error}"),
                modes::config_fix(&error).unwrap_or_else(|| {
                    "correct the key named above (see the configuration table in README.md)"
                        .to_owned()
                }),
            ));
            report.lines.push(Line::not_applicable(
                "everything else",
                "not checked without a valid configuration",
            ));
            return report;
        }
    };
    match config.validate_for_serve() {
        Ok(()) => report
            .lines
            .push(Line::passed("configuration", format!("{source} is valid"))),
        Err(error) => report.lines.push(Line::failed(
            "configuration",
            format!("{source}: {error}"),
            "set the key named above; `pimbot serve` refuses to start without it",
        )),
    }
    modes::check(&config, &mut report.lines);
    report
        .lines
        .push(database::check(&config.database.url).await);
    let http = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
    {
        Ok(http) => http,
        Err(error) => {
            report.lines.push(Line::failed(
                "HTTP client",
                error.to_string(),
                "check SSL_CERT_FILE / SSL_CERT_DIR",
            ));
            return report;
        }
    };
    // Two attempts: a check should answer promptly, and say what failed.
    match crate::app::tenant_api(&config, http.clone(), 2) {
        Ok(api) => {
            let graph_ok = azure::check(&config, &api, &mut report.lines).await;
            if graph_ok {
                targets::check(&config, &api, &mut report.lines).await;
            } else {
                report.lines.push(Line::not_applicable(
                    "targets",
                    "not checked without a Graph token",
                ));
            }
        }
        Err(error) => report.lines.push(Line::failed(
            "Entra sign-in",
            format!("{error:#}"),
            "correct [azure] (tenant_id, client_id, credential, authority_host)",
        )),
    }
    chat::check_slack(&config, &http, &mut report.lines).await;
    chat::check_teams(&config, &http, &mut report.lines).await;
    report
}

#[cfg(test)]
mod tests;
