//! `pimbot admin` as an admin runs it: the real binary against the PIM emulator. For every
//! command: a dry run prints the requests and sends nothing, the first run creates exactly one
//! object, the second changes nothing and says so; bad input gets a clear answer and changes
//! nothing.

#[path = "support/tenant.rs"]
mod support;

#[path = "admin/pim.rs"]
mod pim;
#[path = "admin/setup.rs"]
mod setup;

use pimbot::emulator::Tenant;
use support::{ALL_PERMISSIONS, Upstreams, pimbot, stderr, stdout, tenant};

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

    /// A refused command: it fails, says `why`, and the tenant is as it was.
    async fn refused(&self, args: &[&str], why: &str) {
        let before = format!("{:?}", self.tenant());
        let (ok, out, err) = self.run(args).await;
        assert!(!ok, "not refused: {out}");
        assert!(err.contains(why), "`{why}` not in: {err}");
        assert_eq!(
            format!("{:?}", self.tenant()),
            before,
            "a refused command changed the tenant"
        );
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
    admin
        .refused(
            &["role", "apply", "--file", &built_in],
            "is a built-in role, which cannot be changed",
        )
        .await;
    let empty = admin.upstreams.write(
        "empty.json",
        r#"{"displayName": "Nothing", "rolePermissions": []}"#,
    );
    admin
        .refused(
            &["role", "apply", "--file", &empty],
            "must name at least one action",
        )
        .await;
    admin
        .refused(
            &["role", "apply", "--file", "/no/such/file.json"],
            "cannot read /no/such/file.json",
        )
        .await;
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
    admin
        .refused(
            &[
                "group",
                "apply",
                "--name",
                "X",
                "--owner",
                "nobody@contoso.example",
            ],
            "there is no user `nobody@contoso.example`",
        )
        .await;
}
