//! `pimbot check` per activation mode: activate mode needs only read permissions of pimbot's
//! application (and flags the write ones), `[auth]`, `server.public_url` and the client secret;
//! assign mode, wherever it is still used, needs the write permissions.

use crate::migrated;
use crate::support::{ALL_PERMISSIONS, Upstreams, pimbot, stdout, tenant};

const ROLE_WRITE: &str = "RoleAssignmentSchedule.ReadWrite.Directory";
const GROUP_WRITE: &str = "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup";
const REMOVE: &str = "fix: remove it: activate mode writes with the people's own sign-in";

/// DESIGN's list with the read forms of the two write permissions.
fn read_only() -> Vec<&'static str> {
    ALL_PERMISSIONS
        .iter()
        .map(|p| match *p {
            ROLE_WRITE => "RoleAssignmentSchedule.Read.Directory",
            GROUP_WRITE => "PrivilegedAssignmentSchedule.Read.AzureADGroup",
            other => other,
        })
        .collect()
}

const PUBLIC_URL: &str = "[server]\npublic_url = \"https://pimbot.example.com/\"\n";
const AUTH: &str = "[auth]\ntoken_keys = [\"k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\"]\n";
/// Frank is eligible for Security Reader, whose PIM policy requires MFA.
const SECURITY_READER: &str =
    "[[targets]]\nname = \"security-reader\"\nkind = \"role\"\nrole = \"Security Reader\"\n";

/// `pimbot check` on the test configuration plus `extra`: whether it passed, and its text.
async fn check(upstreams: &Upstreams, extra: &str) -> (bool, String) {
    let config = upstreams.write("pimbot.toml", &upstreams.config(extra));
    migrated(upstreams, &config).await;
    run(upstreams, &config).await
}

async fn run(upstreams: &Upstreams, config: &str) -> (bool, String) {
    let output = pimbot(&["check", "--config", config], upstreams.dir.path()).await;
    (output.status.success(), stdout(&output))
}

fn contains_all(text: &str, expected: &[&str]) {
    for expected in expected {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}

fn all_activate() -> String {
    format!("{SECURITY_READER}\n{PUBLIC_URL}\n[defaults]\nmode = \"activate\"\n\n{AUTH}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_all_activate_configuration_with_read_only_permissions_passes() {
    let upstreams = Upstreams::start(tenant(&read_only(), false)).await;
    let (passed, text) = check(&upstreams, &all_activate()).await;
    assert!(passed, "{text}");
    assert!(!text.contains('✗'), "{text}");
    contains_all(
        &text,
        &[
            "✓ modes: defaults.mode is activate; activate for app1-secrets, kv-readers, pim-rg-contributor, security-reader",
            "✓ Graph permissions: all 10 that pimbot needs are granted",
            "✓ auth: [auth] has 1 token key(s), newest `k1`",
            "✓ auth redirect URI: register https://pimbot.example.com/auth/callback as a web redirect URI",
            "✓ azure.credential: client_secret",
            "– delegated permissions",
            "✓ ARM scope /subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57: may Microsoft.Authorization/roleEligibilityScheduleInstances/read",
            "✓ target security-reader: grants Security Reader",
            "PIM checks MFA at activation with the person's sign-in",
            "0 failed",
        ],
    );
    assert!(upstreams.writes().is_empty(), "{:?}", upstreams.writes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_activate_mode_a_write_permission_is_flagged_though_it_satisfies_the_read() {
    // The group permission only in its write form: the read need is met, and it is flagged.
    let mut permissions: Vec<&str> = read_only()
        .into_iter()
        .filter(|p| *p != "PrivilegedAssignmentSchedule.Read.AzureADGroup")
        .collect();
    permissions.extend([ROLE_WRITE, GROUP_WRITE]);
    let upstreams = Upstreams::start(tenant(&permissions, true)).await;
    let (passed, text) = check(&upstreams, &all_activate()).await;
    assert!(!passed, "{text}");
    contains_all(
        &text,
        &[
            "✓ Graph permissions: all 10 that pimbot needs are granted",
            &format!("✗ Graph permission {ROLE_WRITE}: granted, but"),
            &format!("✗ Graph permission {GROUP_WRITE}: granted, but"),
            REMOVE,
            "✗ ARM scope /subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57: pimbot may Microsoft.Authorization/roleAssignmentScheduleRequests/write",
        ],
    );
    assert!(
        !text.contains("✗ Graph permission PrivilegedAssignmentSchedule.Read."),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activate_mode_without_auth_or_public_url_fails_with_the_fix() {
    let upstreams = Upstreams::start(tenant(&read_only(), false)).await;
    let without_auth = format!("{PUBLIC_URL}\n[defaults]\nmode = \"activate\"\n");
    // Invalid, so neither migrated nor checked further.
    let config = upstreams.write("pimbot.toml", &upstreams.config(&without_auth));
    let (passed, text) = run(&upstreams, &config).await;
    assert!(!passed, "{text}");
    contains_all(
        &text,
        &[
            "✗ configuration",
            "`defaults.mode` is activate",
            "fix: add [auth] with token_keys = [\"k1:<openssl rand -base64 32>\"]",
            "<public_url>/auth/callback",
        ],
    );

    let without_url = format!(
        "[[targets]]\nname = \"sr\"\nkind = \"role\"\nrole = \"Security Reader\"\nmode = \"activate\"\n\n{AUTH}"
    );
    let config = upstreams.write("pimbot.toml", &upstreams.config(&without_url));
    let (passed, text) = run(&upstreams, &config).await;
    assert!(!passed, "{text}");
    contains_all(
        &text,
        &[
            "✗ configuration",
            "server.public_url",
            "fix: set server.public_url to pimbot's public https URL",
            "register <public_url>/auth/callback as a web redirect URI",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_modes_need_the_write_permissions_of_what_is_still_assigned() {
    // assign by default, security-reader in activate: both write permissions are needed, and
    // security-reader's MFA rule is fine; with the read forms only, both writes are missing.
    let mixed = format!("{SECURITY_READER}mode = \"activate\"\n\n{PUBLIC_URL}\n{AUTH}");
    let upstreams = Upstreams::start(tenant(&read_only(), true)).await;
    let (passed, text) = check(&upstreams, &mixed).await;
    assert!(!passed, "{text}");
    contains_all(
        &text,
        &[
            "✓ modes: defaults.mode is assign; assign for app1-secrets, kv-readers, pim-rg-contributor",
            "activate for security-reader",
            &format!("✗ Graph permission {ROLE_WRITE}: missing"),
            &format!("✗ Graph permission {GROUP_WRITE}: missing"),
            "✓ ARM scope /subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57: may Microsoft.Authorization/roleAssignmentScheduleRequests/write",
            "PIM checks MFA at activation with the person's sign-in",
        ],
    );
    let upstreams = Upstreams::start(tenant(&ALL_PERMISSIONS, true)).await;
    let (passed, text) = check(&upstreams, &mixed).await;
    assert!(passed, "{text}");

    // activate by default, app1-secrets (a role) still assigned: only the role write is needed.
    let mut permissions = read_only();
    permissions.push(ROLE_WRITE);
    permissions.retain(|p| *p != "RoleAssignmentSchedule.Read.Directory");
    let upstreams = Upstreams::start(tenant(&permissions, false)).await;
    let assign_app1 = |extra: &str| {
        upstreams.config(extra).replacen(
            "scope = \"App1\"\n",
            "scope = \"App1\"\nmode = \"assign\"\n",
            1,
        )
    };
    let config = upstreams.write("pimbot.toml", &assign_app1(&all_activate()));
    migrated(&upstreams, &config).await;
    let (passed, text) = run(&upstreams, &config).await;
    assert!(passed, "{text}");
    contains_all(
        &text,
        &["assign for app1-secrets", "✓ Graph permissions: all 10"],
    );
    // An assign-mode target whose policy needs MFA stays refused.
    let assigned = all_activate().replace(
        SECURITY_READER,
        &format!("{SECURITY_READER}mode = \"assign\"\n"),
    );
    let config = upstreams.write("pimbot.toml", &assign_app1(&assigned));
    let (passed, text) = run(&upstreams, &config).await;
    assert!(!passed, "{text}");
    contains_all(
        &text,
        &[
            "✗ target security-reader policy: its PIM activation policy requires multi-factor authentication, which assign mode cannot satisfy",
        ],
    );
}
