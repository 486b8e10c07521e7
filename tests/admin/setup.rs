//! `pimbot admin apply`: the seed scenario from the shipped files, and bad input.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_sets_up_the_seed_scenario_from_the_shipped_files_and_check_then_passes() {
    let admin = Admin::start(before_the_seed()).await;
    admin.upstreams.write(
        "application-secret-manager.json",
        include_str!("../../manifests/azure/application-secret-manager.json"),
    );
    let setup = admin.upstreams.write(
        "setup.toml",
        include_str!("../../manifests/azure/setup.example.toml"),
    );
    let (roles, groups, eligibilities) = {
        let t = admin.tenant();
        (
            t.role_definitions.len(),
            t.groups.len(),
            t.eligibilities.len(),
        )
    };
    let out = admin.once(&["apply", "--file", &setup]).await;
    for expected in [
        format!("role \"{ASM}\": create"),
        format!("group \"{TEAM}\": create"),
        "ID_OF_GROUP(Team Foo Application Secret Managers)".to_owned(),
        "ID_OF_ROLE(Application Secret Manager)".to_owned(),
        format!("policy of role \"{ASM}\": update (after it is created)"),
        "dry run: 3 to create, 1 to update".to_owned(),
        "applying:".to_owned(),
        "pimbot [[targets]] for pimbot.toml".to_owned(),
        "name = \"app1-secrets\"".to_owned(),
    ] {
        assert!(out.contains(&expected), "missing `{expected}` in:\n{out}");
    }
    let t = admin.tenant();
    assert_eq!(t.role_definitions.len(), roles + 1);
    assert_eq!(t.groups.len(), groups + 1);
    assert_eq!(t.eligibilities.len(), eligibilities + 1);
    let role = t
        .role_definitions
        .iter()
        .find(|r| r.display_name == ASM)
        .expect("role");
    let policy = t
        .policies
        .iter()
        .find(|p| p.role_definition_id == role.id)
        .expect("policy");
    assert_eq!(
        policy
            .rules
            .Expiration_EndUser_Assignment
            .as_ref()
            .and_then(|e| e.maximum_duration.as_deref()),
        Some("PT2H")
    );
    // The printed targets, in pimbot's configuration: every check passes.
    let config = admin.upstreams.config("").replace(
        "[[targets]]\nname = \"app1-secrets\"\nkind = \"role\"\nrole = \"Application Secret Manager\"\nscope = \"App1\"",
        "[[targets]]\nname = \"app1-secrets\"\nkind = \"role\"\nrole = \"Application Secret Manager\"\nscope = \"App1\"\nmax_duration = \"PT2H\"\nrequire_ticket = true",
    );
    let config = admin.upstreams.write("pimbot.toml", &config);
    let migrate = pimbot(
        &["migrate", "--config", &config],
        admin.upstreams.dir.path(),
    )
    .await;
    assert!(migrate.status.success());
    let check = pimbot(&["check", "--config", &config], admin.upstreams.dir.path()).await;
    let text = stdout(&check);
    assert!(check.status.success(), "{text}");
    assert!(
        text.contains(
            "✓ target app1-secrets policy: readable: at most PT2H, needs justification and ticket"
        ),
        "{text}"
    );
    assert!(
        text.contains("✓ target app1-secrets approvers: 2 enabled: Bob Owner, Carol Owner"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_refuses_bad_selectors_and_bad_setup_files_with_a_clear_answer() {
    let admin = Admin::start(tenant(&ALL_PERMISSIONS, true)).await;
    admin
        .refused(
            &[
                "eligibility",
                "grant",
                "--role",
                ASM,
                "--group",
                "KeyVault Readers",
                "--access",
                "member",
                "--principal",
                BOB,
                "--permanent",
            ],
            "cannot be used with",
        )
        .await;
    admin
        .refused(
            &["eligibility", "grant", "--role", ASM, "--principal", BOB],
            "--duration <DURATION>|--until <UNTIL>|--permanent",
        )
        .await;
    admin
        .refused(
            &[
                "eligibility",
                "grant",
                "--role",
                "Nope",
                "--principal",
                BOB,
                "--permanent",
            ],
            "there is no directory role `Nope`",
        )
        .await;
    let bad = admin.upstreams.write(
        "bad.toml",
        "[[eligibilities]]\nrole = \"x\"\nprincipal = \"y\"\n",
    );
    admin
        .refused(
            &["apply", "--file", &bad],
            "needs exactly one of duration, until, permanent",
        )
        .await;
    let unknown = admin.upstreams.write(
        "unknown.toml",
        "[[groups]]\nname = \"x\"\ncolour = \"red\"\n",
    );
    admin
        .refused(&["apply", "--file", &unknown], "unknown field `colour`")
        .await;
    let typo = admin.upstreams.write(
        "typo.toml",
        "[[eligibilities]]\nrole = \"x\"\nprincipal = \"y\"\npermanent = true\nscopes = \"/\"\n",
    );
    admin.refused(&["apply", "--file", &typo], "scopes").await;
    assert_eq!(admin.writes(), 0);
    let empty = tempfile::tempdir().expect("tempdir");
    let output = pimbot(&["admin", "group", "apply", "--name", "X"], empty.path()).await;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("azure.tenant_id is not set"),
        "{}",
        stderr(&output)
    );
}
