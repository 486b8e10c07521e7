//! `pimbot check` as an operator runs it: the real binary against the PIM emulator, a fake
//! Slack and a fake Bot Connector. It passes on a complete configuration, names each missing
//! Graph permission, Slack scope and unresolvable target on a broken one, and changes nothing.

#[path = "support/tenant.rs"]
mod support;

#[path = "check/modes.rs"]
mod modes;

use support::{ALL_PERMISSIONS, APPROVAL_CHANNEL, Upstreams, pimbot, stderr, stdout, tenant};

/// Migrates the test database with the real binary.
pub(crate) async fn migrated(upstreams: &Upstreams, config: &str) {
    let output = pimbot(&["migrate", "--config", config], upstreams.dir.path()).await;
    assert!(output.status.success(), "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_on_a_complete_configuration_and_changes_nothing() {
    let upstreams = Upstreams::start(tenant(&ALL_PERMISSIONS, true)).await;
    let config = upstreams.write("pimbot.toml", &upstreams.config(""));
    migrated(&upstreams, &config).await;
    let output = pimbot(&["check", "--config", &config], upstreams.dir.path()).await;
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert!(!text.contains('✗'), "{text}");
    for expected in [
        "✓ configuration",
        "✓ database",
        "fully migrated",
        "✓ Graph token",
        "✓ Graph permissions: all 10",
        "✓ ARM token",
        "✓ ARM scope /subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57: may Microsoft.Authorization/roleAssignmentScheduleRequests/write",
        "✓ Slack auth.test",
        "✓ Slack scopes",
        "✓ Slack channel CAUDIT",
        "✓ Slack channel CAPPROVE",
        "✓ Teams Connector token",
        "✓ Teams audit conversation",
        "✓ target app1-secrets: grants Application Secret Manager on App1",
        "✓ target app1-secrets policy: readable: at most PT2H, needs justification and ticket",
        "✓ target app1-secrets approvers: 2 enabled: Bob Owner, Carol Owner",
        "✓ target kv-readers: grants",
        "✓ target kv-readers approvers: 1 enabled: Bob Owner",
        "✓ target pim-rg-contributor approvers: 1 enabled: Carol Owner",
        "0 failed",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(
        upstreams.writes().is_empty(),
        "check wrote: {:?}",
        upstreams.writes()
    );
    let slack_calls = upstreams.slack.calls.lock().expect("calls").clone();
    assert!(
        slack_calls
            .iter()
            .all(|c| c == "auth.test" || c == "conversations.info"),
        "{slack_calls:?}"
    );
    let connector_calls = upstreams.connector_calls.lock().expect("calls").clone();
    assert_eq!(connector_calls, ["GET members 19:audit@thread.tacv2"]);

    let json = pimbot(
        &["check", "--config", &config, "--format", "json"],
        upstreams.dir.path(),
    )
    .await;
    assert!(json.status.success());
    let report: serde_json::Value =
        serde_json::from_str(stdout(&json).trim()).expect("one JSON document");
    assert_eq!(report["passed"], true);
    let checks = report["checks"].as_array().expect("checks");
    assert!(checks.len() >= 20, "{report}");
    assert!(checks.iter().all(|c| c["status"] != "failed"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_each_missing_permission_scope_channel_and_unresolvable_target() {
    let mut permissions: Vec<&str> = ALL_PERMISSIONS
        .iter()
        .copied()
        .filter(|p| {
            ![
                "GroupMember.Read.All",
                "RoleManagementPolicy.Read.AzureADGroup",
            ]
            .contains(p)
        })
        .collect();
    permissions.push("Directory.ReadWrite.All");
    let upstreams = Upstreams::start(tenant(&permissions, false)).await;
    *upstreams.slack.scopes.lock().expect("scopes") =
        "commands,chat:write,im:write,users:read,channels:read".to_owned();
    upstreams
        .slack
        .channels
        .lock()
        .expect("channels")
        .insert(APPROVAL_CHANNEL.to_owned(), false);
    let extra = r#"
[[targets]]
name = "no-such-role"
kind = "role"
role = "Secret Wizard"

[[targets]]
name = "no-such-app"
kind = "role"
role = "Application Secret Manager"
scope = "App9"

[[targets]]
name = "security-reader"
kind = "role"
role = "Security Reader"
approval_channel = { teams = "19:elsewhere@thread.tacv2" }
"#;
    let config = upstreams.write("pimbot.toml", &upstreams.config(extra));
    migrated(&upstreams, &config).await;
    let output = pimbot(&["check", "--config", &config], upstreams.dir.path()).await;
    let text = stdout(&output);
    assert!(!output.status.success(), "{text}");
    for expected in [
        "✗ Graph permission GroupMember.Read.All: missing from the token's roles claim",
        "add the Microsoft Graph application permission GroupMember.Read.All and grant admin consent",
        "✗ Graph permission RoleManagementPolicy.Read.AzureADGroup: missing",
        "✗ Graph permission Directory.ReadWrite.All: granted, but more than pimbot needs",
        "remove the application permission Directory.ReadWrite.All",
        "✗ ARM scope /subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57: pimbot may not Microsoft.Authorization/roleAssignmentScheduleRequests/write",
        "User Access Administrator",
        "✗ Slack scope users:read.email: missing from the bot token",
        "✗ Slack scope groups:read",
        "✗ Slack channel CAPPROVE: the bot is not a member of #capprove",
        "/invite @pimbot",
        "✓ Slack channel CAUDIT",
        "✗ target no-such-role: does not resolve: there is no directory role `Secret Wizard`; correct `role`",
        "✗ target no-such-app: does not resolve: there is no application `App9`",
        "✗ target security-reader policy: its PIM activation policy requires multi-factor authentication",
        "✓ target app1-secrets: grants",
        "✓ Teams audit conversation 19:audit@thread.tacv2",
        "✗ Teams approval conversation 19:elsewhere@thread.tacv2: the Connector answered 404 Not Found",
        "add the pimbot app to the team of that channel",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(!text.contains("✗ Graph permission User.Read.All"), "{text}");
    assert!(!text.contains("✗ Slack scope commands"), "{text}");
    assert!(
        stderr(&output).contains("some checks failed"),
        "{}",
        stderr(&output)
    );
    assert!(
        upstreams.writes().is_empty(),
        "check wrote: {:?}",
        upstreams.writes()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_a_missing_or_unmigrated_database_without_creating_or_migrating_it() {
    let upstreams = Upstreams::start(tenant(&ALL_PERMISSIONS, true)).await;
    let config = upstreams.write("pimbot.toml", &upstreams.config(""));
    let output = pimbot(&["check", "--config", &config], upstreams.dir.path()).await;
    let text = stdout(&output);
    assert!(!output.status.success());
    assert!(text.contains("✗ database"), "{text}");
    assert!(text.contains("fix: make the database reachable"), "{text}");
    assert!(
        !upstreams.dir.path().join("pimbot.db").exists(),
        "check created the database"
    );
    std::fs::File::create(upstreams.dir.path().join("pimbot.db")).expect("an empty database file");
    let output = pimbot(&["check", "--config", &config], upstreams.dir.path()).await;
    let text = stdout(&output);
    assert!(text.contains("is reachable but"), "{text}");
    assert!(text.contains("migrations are not applied"), "{text}");
    assert!(text.contains("fix: run `pimbot migrate`"), "{text}");
    assert!(
        text.contains("✓ Graph permissions"),
        "the other checks still run: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_on_an_invalid_configuration_names_the_key_and_stops_there() {
    let upstreams = Upstreams::start(tenant(&ALL_PERMISSIONS, true)).await;
    let config = upstreams.write("pimbot.toml", "[slack]\nsigning_secret = \"x\"\n");
    let output = pimbot(&["check", "--config", &config], upstreams.dir.path()).await;
    let text = stdout(&output);
    assert!(!output.status.success());
    assert!(text.contains("✗ configuration"), "{text}");
    assert!(text.contains("slack.signing_secret"), "{text}");
    assert!(text.contains("– everything else"), "{text}");
    assert!(upstreams.emulator.calls().is_empty(), "nothing was called");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_runs_beside_a_running_service() {
    let upstreams = Upstreams::start(tenant(&ALL_PERMISSIONS, true)).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let listen = format!("\n[server]\nlisten = \"127.0.0.1:{port}\"\n");
    let config = upstreams.write("pimbot.toml", &upstreams.config(&listen));
    let mut serve = tokio::process::Command::new(env!("CARGO_BIN_EXE_pimbot"))
        .args(["serve", "--config", &config])
        .current_dir(upstreams.dir.path())
        .env_clear()
        .kill_on_drop(true)
        .spawn()
        .expect("start pimbot serve");
    let ready = format!("http://127.0.0.1:{port}/readyz");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(answer) = reqwest::get(&ready).await
            && answer.status().is_success()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "pimbot serve did not become ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let output = pimbot(&["check", "--config", &config], upstreams.dir.path()).await;
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("✓ database") && text.contains("fully migrated"),
        "{text}"
    );
    assert!(
        reqwest::get(&ready)
            .await
            .is_ok_and(|a| a.status().is_success()),
        "the service still serves"
    );
    serve.start_kill().expect("stop serve");
    let _ = serve.wait().await;
}
