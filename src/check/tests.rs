use super::{Line, Report, SLACK_SCOPES, Status};

#[test]
fn the_checklist_marks_each_line_gives_each_failure_its_fix_and_sums_up() {
    let report = Report {
        lines: vec![
            Line::passed("database", "fully migrated"),
            Line::failed("Graph permission User.Read.All", "missing", "grant it"),
            Line::not_applicable("Teams", "not configured"),
        ],
    };
    assert!(!report.passed());
    let text = report.text();
    assert_eq!(
        text,
        "✓ database: fully migrated\n\
         ✗ Graph permission User.Read.All: missing\n    fix: grant it\n\
         – Teams: not configured\n\
         3 checks: 1 passed, 1 failed, 1 not applicable\n"
    );
    let json = report.json();
    assert_eq!(json["passed"], false);
    assert_eq!(json["checks"][1]["status"], "failed");
    assert_eq!(json["checks"][1]["fix"], "grant it");
    assert!(json["checks"][0].get("fix").is_none());
}

#[test]
fn a_report_without_failures_passes() {
    let report = Report {
        lines: vec![
            Line::passed("a", "b"),
            Line {
                status: Status::NotApplicable,
                check: "c".into(),
                detail: "d".into(),
                fix: None,
            },
        ],
    };
    assert!(report.passed());
}

/// `check` holds the bot token to the manifest's scopes: the two lists are one.
#[test]
fn the_slack_scopes_checked_are_the_manifests() {
    let manifest = include_str!("../../manifests/slack/app-manifest.yaml");
    let bot = manifest
        .split("    bot:\n")
        .nth(1)
        .expect("the manifest has bot scopes");
    let listed: Vec<&str> = bot
        .lines()
        .take_while(|l| l.trim_start().starts_with("- "))
        .filter_map(|l| l.trim().strip_prefix("- "))
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(listed, SLACK_SCOPES);
}
