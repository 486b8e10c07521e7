//! `pimbot admin` as an admin runs it: the real binary against the PIM emulator. For every
//! command: a dry run prints the requests and sends nothing, the first run creates exactly one
//! object, the second changes nothing and says so; bad input gets a clear answer and changes
//! nothing.

#[path = "support/tenant.rs"]
mod support;

use pimbot::emulator::Tenant;
use support::{ALL_PERMISSIONS, SUBSCRIPTION, Upstreams, pimbot, stderr, stdout, tenant};

const ASM: &str = "Application Secret Manager";
const TEAM: &str = "Team Foo Application Secret Managers";
const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";
const BOB: &str = "d7a95a2d-6f54-4d5b-9b0a-9b8847c25a70";
const APP1: &str = "924dabc8-72e9-42de-952f-16054679d118";
const KV_READERS: &str = "77561494-d5f8-4fa2-9fdc-9ef12506179c";

/// The demo tenant before the seed scenario: no custom role, no team group, no eligibility or
/// policy for them.
fn before_the_seed() -> Tenant {
    let mut tenant = tenant(&ALL_PERMISSIONS, true);
    let role = tenant
        .role_definitions
        .iter()
        .find(|r| r.display_name == ASM)
        .map(|r| r.id.clone())
        .expect("the demo role");
    let team = tenant
        .groups
        .iter()
        .find(|g| g.display_name == TEAM)
        .map(|g| g.id.clone())
        .expect("the demo group");
    tenant.role_definitions.retain(|r| r.id != role);
    tenant.policies.retain(|p| p.role_definition_id != role);
    tenant
        .eligibilities
        .retain(|e| e.role_definition_id != role && e.principal_id != team);
    tenant.groups.retain(|g| g.id != team);
    tenant
}

struct Admin {
    upstreams: Upstreams,
    config: String,
}

impl Admin {
    async fn start(tenant: Tenant) -> Self {
        let upstreams = Upstreams::start(tenant).await;
        let config = upstreams.write("pimbot.toml", &upstreams.config(""));
        Self { upstreams, config }
    }

    /// `pimbot admin --config … ARGS`: (success, stdout, stderr).
    async fn run(&self, args: &[&str]) -> (bool, String, String) {
        let mut all = vec!["admin", "--config", self.config.as_str()];
        all.extend_from_slice(args);
        let output = pimbot(&all, self.upstreams.dir.path()).await;
        (output.status.success(), stdout(&output), stderr(&output))
    }

    fn writes(&self) -> usize {
        self.upstreams.writes().len()
    }

    fn tenant(&self) -> Tenant {
        self.upstreams.emulator.tenant()
    }

    /// Dry run, run, run again: each prints what it should, and only the first run writes.
    async fn once(&self, args: &[&str]) -> String {
        let before = self.writes();
        let mut dry = args.to_vec();
        dry.push("--dry-run");
        let (ok, out, err) = self.run(&dry).await;
        assert!(ok, "dry run: {out}\n{err}");
        assert!(
            out.contains("dry run:") && out.contains("nothing was sent"),
            "{out}"
        );
        assert_eq!(
            self.writes(),
            before,
            "a dry run wrote: {:?}",
            self.upstreams.writes()
        );
        let (ok, first, err) = self.run(args).await;
        assert!(ok, "first run: {first}\n{err}");
        assert!(
            self.writes() > before,
            "the first run wrote nothing: {first}"
        );
        let written = self.writes();
        let (ok, second, err) = self.run(args).await;
        assert!(ok, "second run: {second}\n{err}");
        assert!(second.contains("nothing to change"), "{second}");
        assert_eq!(self.writes(), written, "the second run wrote: {second}");
        out + &first
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_apply_creates_the_custom_role_once_and_updates_it_when_the_file_changes() {
    let admin = Admin::start(before_the_seed()).await;
    let file = admin.upstreams.write(
        "role.json",
        include_str!("../manifests/azure/application-secret-manager.json"),
    );
    let roles = admin.tenant().role_definitions.len();
    let out = admin.once(&["role", "apply", "--file", &file]).await;
    assert!(out.contains(&format!("role \"{ASM}\": create")), "{out}");
    assert!(
        out.contains("POST http://127.0.0.1:"),
        "the exact request: {out}"
    );
    assert!(
        out.contains("/v1.0/roleManagement/directory/roleDefinitions"),
        "{out}"
    );
    assert!(
        out.contains("microsoft.directory/applications/credentials/update"),
        "the body: {out}"
    );
    let after = admin.tenant().role_definitions;
    assert_eq!(after.len(), roles + 1, "exactly one role created");
    let created = after
        .iter()
        .find(|r| r.display_name == ASM)
        .expect("created");
    assert!(!created.is_built_in);
    assert_eq!(
        created.allowed_resource_actions,
        [
            "microsoft.directory/applications/credentials/update",
            "microsoft.directory/applications/standard/read"
        ]
    );
    let changed = include_str!("../manifests/azure/application-secret-manager.json")
        .replace("nothing else.", "nothing else (rotated quarterly).");
    admin.upstreams.write("role.json", &changed);
    let (ok, out, err) = admin.run(&["role", "apply", "--file", &file]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("role \"{ASM}\": update (description differ)")),
        "{out}"
    );
    assert!(out.contains("PATCH "), "{out}");
    let after = admin.tenant().role_definitions;
    assert_eq!(after.len(), roles + 1, "updated, not created again");
    assert!(after.iter().any(|r| {
        r.description
            .as_deref()
            .is_some_and(|d| d.contains("quarterly"))
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_apply_refuses_a_built_in_role_and_a_body_without_permissions_changing_nothing() {
    let admin = Admin::start(before_the_seed()).await;
    let built_in = admin.upstreams.write(
        "ga.json",
        r#"{"displayName": "Global Administrator", "rolePermissions": [{"allowedResourceActions": ["microsoft.directory/applications/credentials/update"]}]}"#,
    );
    let (ok, _, err) = admin.run(&["role", "apply", "--file", &built_in]).await;
    assert!(!ok);
    assert!(
        err.contains("is a built-in role, which cannot be changed"),
        "{err}"
    );
    let empty = admin.upstreams.write(
        "empty.json",
        r#"{"displayName": "Nothing", "rolePermissions": []}"#,
    );
    let (ok, _, err) = admin.run(&["role", "apply", "--file", &empty]).await;
    assert!(!ok);
    assert!(err.contains("must name at least one action"), "{err}");
    let (ok, _, err) = admin
        .run(&["role", "apply", "--file", "/no/such/file.json"])
        .await;
    assert!(!ok);
    assert!(err.contains("cannot read /no/such/file.json"), "{err}");
    assert_eq!(admin.writes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_apply_creates_the_group_with_its_owners_and_members_once() {
    let admin = Admin::start(before_the_seed()).await;
    let groups = admin.tenant().groups.len();
    let args = [
        "group",
        "apply",
        "--name",
        TEAM,
        "--description",
        "App1 secret rotators",
        "--role-assignable",
        "--owner",
        "bob@contoso.example",
        "--owner",
        "Carol Owner",
        "--member",
        ALICE,
    ];
    let out = admin.once(&args).await;
    assert!(out.contains(&format!("group \"{TEAM}\": create")), "{out}");
    assert!(
        out.contains("/v1.0/groups/NEW_OBJECT_ID/owners/$ref"),
        "{out}"
    );
    let after = admin.tenant().groups;
    assert_eq!(after.len(), groups + 1, "exactly one group created");
    let team = after
        .iter()
        .find(|g| g.display_name == TEAM)
        .expect("created");
    assert!(team.is_assignable_to_role);
    assert_eq!(team.owners, [BOB, "8767515c-c303-466f-9b40-98e9a042f5b1"]);
    assert_eq!(team.members, [ALICE]);
    let (ok, out, _) = admin
        .run(&[
            "group",
            "apply",
            "--name",
            TEAM,
            "--member",
            "frank@contoso.example",
        ])
        .await;
    assert!(ok);
    assert!(
        out.contains(&format!("group \"{TEAM}\": update (1 members to add)")),
        "{out}"
    );
    assert_eq!(admin.tenant().groups.len(), groups + 1);
    let (ok, _, err) = admin
        .run(&[
            "group",
            "apply",
            "--name",
            "X",
            "--owner",
            "nobody@contoso.example",
        ])
        .await;
    assert!(!ok);
    assert!(
        err.contains("there is no user `nobody@contoso.example`"),
        "{err}"
    );
}

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
    let (ok, _, err) = admin
        .run(&[
            "eligibility",
            "grant",
            "--role",
            ASM,
            "--principal",
            "Dave Outsider",
            "--scope",
            "App9",
            "--permanent",
        ])
        .await;
    assert!(!ok);
    assert!(err.contains("there is no application `App9`"), "{err}");
    let (ok, _, err) = admin
        .run(&[
            "eligibility",
            "grant",
            "--role",
            ASM,
            "--principal",
            "Dave Outsider",
            "--duration",
            "60 days",
        ])
        .await;
    assert!(!ok);
    assert!(err.contains("is not an ISO 8601 duration"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eligibility_grant_for_group_membership_and_for_an_azure_role() {
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
    let (ok, _, err) = admin
        .run(&[
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
        ])
        .await;
    assert!(!ok);
    assert!(
        err.contains(r#"The following policy rules failed: ["ExpirationRule"]"#),
        "{err}"
    );
    assert_eq!(admin.tenant().group_eligibilities.len(), before + 1);

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
    let (ok, _, err) = admin
        .run(&["policy", "set", "--role", ASM, "--require", "fingerprint"])
        .await;
    assert!(!ok);
    assert!(err.contains("--require `fingerprint`"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_sets_up_the_seed_scenario_from_the_shipped_files_and_check_then_passes() {
    let admin = Admin::start(before_the_seed()).await;
    admin.upstreams.write(
        "application-secret-manager.json",
        include_str!("../manifests/azure/application-secret-manager.json"),
    );
    let setup = admin.upstreams.write(
        "setup.toml",
        include_str!("../manifests/azure/setup.example.toml"),
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
    let (ok, _, err) = admin
        .run(&[
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
        ])
        .await;
    assert!(!ok);
    assert!(err.contains("cannot be used with"), "{err}");
    let (ok, _, err) = admin
        .run(&["eligibility", "grant", "--role", ASM, "--principal", BOB])
        .await;
    assert!(!ok);
    assert!(
        err.contains("--duration") && err.contains("--permanent"),
        "{err}"
    );
    let (ok, _, err) = admin
        .run(&[
            "eligibility",
            "grant",
            "--role",
            "Nope",
            "--principal",
            BOB,
            "--permanent",
        ])
        .await;
    assert!(!ok);
    assert!(err.contains("there is no directory role `Nope`"), "{err}");
    let bad = admin.upstreams.write(
        "bad.toml",
        "[[eligibilities]]\nrole = \"x\"\nprincipal = \"y\"\n",
    );
    let (ok, _, err) = admin.run(&["apply", "--file", &bad]).await;
    assert!(!ok);
    assert!(
        err.contains("needs exactly one of duration, until, permanent"),
        "{err}"
    );
    let unknown = admin.upstreams.write(
        "unknown.toml",
        "[[groups]]\nname = \"x\"\ncolour = \"red\"\n",
    );
    let (ok, _, err) = admin.run(&["apply", "--file", &unknown]).await;
    assert!(!ok);
    assert!(err.contains("unknown field `colour`"), "{err}");
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
