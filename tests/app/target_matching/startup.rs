//! Startup resolves every configured target: two targets that grant the same thing, a target
//! that names nothing in the tenant, or a tenant that cannot be read stop it with an error that
//! names the targets.

use pimbot::emulator::Fault;

use super::{APP1_APP_ID, CONTRIBUTOR, KEYVAULT_READERS, tenant};
use crate::azure_story::{RESOURCE_GROUP, SUBSCRIPTION, azure_toml};
use crate::harness::Upstreams;

/// Builds pimbot with `config` against [`tenant`] (after `prepare`), expecting it to refuse.
async fn refused_startup(config: &str, prepare: impl FnOnce(&Upstreams)) -> String {
    let upstreams = Upstreams::start(tenant(), &azure_toml(), config).await;
    prepare(&upstreams);
    match pimbot::app::build(&upstreams.config).await {
        Ok(_) => panic!("pimbot started with\n{config}"),
        Err(error) => format!("{error:#}"),
    }
}

fn role(name: &str, scope: &str) -> String {
    format!(
        "[[targets]]\nname = \"{name}\"\nkind = \"role\"\nrole = \"Application Secret Manager\"\nscope = \"{scope}\"\n"
    )
}

#[tokio::test]
async fn two_targets_that_name_one_thing_two_ways_stop_startup_naming_both() {
    let pairs = [
        (
            format!(
                "{}\n{}",
                role("app1-secrets", "App1"),
                role("app1-by-app-id", APP1_APP_ID)
            ),
            ["app1-secrets", "app1-by-app-id"],
        ),
        (
            format!(
                "[[targets]]\nname = \"kv-readers\"\nkind = \"group\"\ngroup = \"KeyVault Readers\"\n\n\
                 [[targets]]\nname = \"kv-by-id\"\nkind = \"group\"\ngroup = \"{KEYVAULT_READERS}\"\naccess = \"member\"\n"
            ),
            ["kv-readers", "kv-by-id"],
        ),
        (
            // The full ARM id, and the scope in other case with a trailing slash: the same role.
            format!(
                "[[targets]]\nname = \"contributor\"\nkind = \"azure\"\nrole = \"Contributor\"\nscope = \"{RESOURCE_GROUP}\"\n\n\
                 [[targets]]\nname = \"contributor-by-id\"\nkind = \"azure\"\n\
                 role = \"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}\"\n\
                 scope = \"{}/\"\n",
                RESOURCE_GROUP.to_lowercase()
            ),
            ["contributor", "contributor-by-id"],
        ),
    ];
    for (config, [first, second]) in pairs {
        let error = refused_startup(&config, |_| {}).await;
        assert!(
            error.contains(&format!("`{first}`")) && error.contains(&format!("`{second}`")),
            "the error names both targets: {error}"
        );
    }
}

#[tokio::test]
async fn a_target_that_names_nothing_in_the_tenant_stops_startup_naming_it() {
    let configs = [
        (role("app3-secrets", "App3"), "App3"),
        (
            "[[targets]]\nname = \"typo\"\nkind = \"role\"\nrole = \"Aplication Secret Manager\"\n"
                .to_owned(),
            "Aplication Secret Manager",
        ),
        (
            "[[targets]]\nname = \"typo\"\nkind = \"group\"\ngroup = \"KeyVault Reader\"\n"
                .to_owned(),
            "KeyVault Reader",
        ),
        (
            format!(
                "[[targets]]\nname = \"typo\"\nkind = \"azure\"\nrole = \"Contributer\"\nscope = \"{RESOURCE_GROUP}\"\n"
            ),
            "Contributer",
        ),
    ];
    for (config, missing) in configs {
        let error = refused_startup(&config, |_| {}).await;
        assert!(
            error.contains("target `") && error.contains(missing),
            "the error names the target and what is missing: {error}"
        );
    }
}

#[tokio::test]
async fn startup_stops_with_a_clear_error_when_the_tenant_cannot_be_read() {
    let error = refused_startup(&role("app1-secrets", "App1"), |upstreams| {
        upstreams
            .emulator
            .inject_faults("roleDefinitions", vec![Fault::ServerError; 20]);
    })
    .await;
    assert!(
        error.contains("`app1-secrets`") && error.contains("could not be resolved"),
        "the error names the target and why: {error}"
    );
}
