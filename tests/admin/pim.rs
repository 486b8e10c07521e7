//! `pimbot admin eligibility` and `pimbot admin policy` for the three kinds of target.

use super::*;
use support::SUBSCRIPTION;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eligibility_grant_and_revoke_for_an_entra_role_at_an_application() {
    let admin = Admin::start(tenant(&ALL_PERMISSIONS, true)).await;
    let before = admin.tenant().eligibilities.len();
    let grant = [
        "eligibility",
        "grant",
        "--role",
        ASM,
        "--principal",
        "Dave Outsider",
        "--scope",
        "App1",
        "--duration",
        "P60D",
    ];
    let out = admin.once(&grant).await;
    assert!(
        out.contains(&format!(
            "eligibility of Dave Outsider for role \"{ASM}\" on App1: create"
        )),
        "{out}"
    );
    assert!(out.contains("roleEligibilityScheduleRequests"), "{out}");
    assert!(out.contains(r#""duration":"P60D""#), "{out}");
    let after = admin.tenant().eligibilities;
    assert_eq!(after.len(), before + 1, "exactly one eligibility");
    let made = after.last().expect("one");
    assert_eq!(made.directory_scope_id, format!("/{APP1}"));
    let length = made.end_date_time.expect("an end") - made.start_date_time;
    assert_eq!(length.num_days(), 60);
    let revoke = [
        "eligibility",
        "revoke",
        "--role",
        ASM,
        "--principal",
        "Dave Outsider",
        "--scope",
        APP1,
    ];
    let (ok, out, err) = admin.run(&revoke).await;
    assert!(ok, "{err}");
    assert!(out.contains(": remove"), "{out}");
    assert_eq!(admin.tenant().eligibilities.len(), before);
    let (ok, out, _) = admin.run(&revoke).await;
    assert!(ok);
    assert!(
        out.contains("unchanged (not eligible)") && out.contains("nothing to change"),
        "{out}"
    );
    admin
        .refused(
            &[
                "eligibility",
                "grant",
                "--role",
                ASM,
                "--principal",
                "Dave Outsider",
                "--scope",
                "App9",
                "--permanent",
            ],
            "there is no application `App9`",
        )
        .await;
    admin
        .refused(
            &[
                "eligibility",
                "grant",
                "--role",
                ASM,
                "--principal",
                "Dave Outsider",
                "--duration",
                "60 days",
            ],
            "is not an ISO 8601 duration",
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eligibility_grant_for_group_membership_within_the_policys_year() {
    let admin = Admin::start(tenant(&ALL_PERMISSIONS, true)).await;
    let before = admin.tenant().group_eligibilities.len();
    let until = (chrono::Utc::now() + chrono::Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    let out = admin
        .once(&[
            "eligibility",
            "grant",
            "--group",
            "KeyVault Readers",
            "--access",
            "owner",
            "--principal",
            "dave@contoso.example",
            "--until",
            &until,
        ])
        .await;
    assert!(
        out.contains(
            "eligibility of dave@contoso.example for owner of group \"KeyVault Readers\": create"
        ),
        "{out}"
    );
    let after = admin.tenant().group_eligibilities;
    assert_eq!(after.len(), before + 1);
    let made = after.last().expect("one");
    assert_eq!(
        (made.group_id.as_str(), made.access_id.as_str()),
        (KV_READERS, "owner")
    );
    // PIM's default Admin-eligibility rule allows a year at most: its refusal is passed on.
    admin
        .refused(
            &[
                "eligibility",
                "grant",
                "--group",
                "KeyVault Readers",
                "--access",
                "member",
                "--principal",
                "dave@contoso.example",
                "--until",
                "2099-01-31",
            ],
            r#"The following policy rules failed: ["ExpirationRule"]"#,
        )
        .await;
    assert_eq!(admin.tenant().group_eligibilities.len(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eligibility_grant_for_an_azure_role_at_a_resource_group() {
    let admin = Admin::start(tenant(&ALL_PERMISSIONS, true)).await;
    let writes = admin.writes();
    let azure_before = admin.tenant().azure.eligibilities.len();
    let scope = format!("{SUBSCRIPTION}/resourceGroups/pim-rg");
    let args = [
        "eligibility",
        "grant",
        "--azure-role",
        "Reader",
        "--scope",
        scope.as_str(),
        "--principal",
        BOB,
        "--duration",
        "P30D",
    ];
    let (ok, out, err) = admin.run(&[&args[..], &["--dry-run"]].concat()).await;
    assert!(ok, "{err}");
    assert!(out.contains("PUT http://localhost:"), "{out}");
    assert!(out.contains("roleEligibilityScheduleRequests/"), "{out}");
    assert!(out.contains(r#""requestType":"AdminAssign""#), "{out}");
    assert_eq!(admin.writes(), writes, "the dry run wrote");
    let (ok, out, err) = admin.run(&args).await;
    assert!(ok, "{out}\n{err}");
    let azure = admin.tenant().azure.eligibilities;
    assert_eq!(azure.len(), azure_before + 1);
    assert_eq!(
        azure.last().map(|e| e.role_definition_id.as_str()),
        Some("acdd72a7-3385-48ef-bd42-f606fba81ae7")
    );
    let (ok, out, _) = admin.run(&args).await;
    assert!(ok && out.contains("nothing to change"), "{out}");
    assert_eq!(admin.tenant().azure.eligibilities.len(), azure_before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_set_patches_only_the_rules_that_differ() {
    let admin = Admin::start(tenant(&ALL_PERMISSIONS, true)).await;
    let args = [
        "policy",
        "set",
        "--role",
        "Groups Administrator",
        "--max-duration",
        "PT2H",
        "--require",
        "justification,ticket",
        "--approval",
        "none",
    ];
    let out = admin.once(&args).await;
    assert!(out.contains("policy of role \"Groups Administrator\": update (maximum PT2H, requires Justification, Ticketing, no approval)"), "{out}");
    assert_eq!(
        admin.writes(),
        3,
        "one PATCH per rule that differed: {:?}",
        admin.upstreams.writes()
    );
    let (ok, out, _) = admin
        .run(&[
            "policy",
            "set",
            "--role",
            "Groups Administrator",
            "--max-duration",
            "PT2H",
            "--require",
            "ticket,justification",
        ])
        .await;
    assert!(ok && out.contains("unchanged"), "{out}");
    let out = admin
        .once(&[
            "policy",
            "set",
            "--group",
            "KeyVault Readers",
            "--access",
            "member",
            "--approval",
            "Bob Owner",
        ])
        .await;
    assert!(out.contains("Approval_EndUser_Assignment"), "{out}");
    let policy = admin
        .tenant()
        .group_policies
        .into_iter()
        .find(|p| p.group_id == KV_READERS && p.access_id == "member")
        .expect("the group's member policy");
    let approval = policy
        .rules
        .Approval_EndUser_Assignment
        .expect("approval set");
    assert_eq!(approval.is_approval_required, Some(true));
    assert_eq!(
        approval.primary_approvers.expect("approvers")[0]["userId"],
        BOB
    );
    admin
        .refused(
            &["policy", "set", "--role", ASM, "--require", "fingerprint"],
            "--require `fingerprint`",
        )
        .await;
}
