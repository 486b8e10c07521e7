//! The Slack manifest is documentation too: it must point at pimbot's routes and name `/pim`.

#[test]
fn the_slack_manifest_points_at_the_inbound_routes_and_the_pim_command() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/slack/app-manifest.yaml"
    );
    let manifest = std::fs::read_to_string(path).expect("manifest exists");
    for route in ["/slack/commands", "/slack/interactions", "/slack/events"] {
        assert!(manifest.contains(route), "manifest names {route}");
    }
    assert!(manifest.contains("command: /pim"));
    for scope in [
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "users:read.email",
    ] {
        assert!(
            manifest.contains(&format!("- {scope}")),
            "manifest asks for {scope}"
        );
    }
    let usage = manifest
        .lines()
        .find(|l| l.contains("usage_hint"))
        .expect("a usage hint");
    let examples = usage
        .trim()
        .trim_start_matches("usage_hint:")
        .trim()
        .trim_matches('"');
    for example in examples.split('|').map(str::trim) {
        assert!(
            pimbot::domain::command::parse(example).is_ok(),
            "usage hint `{example}` is a real command"
        );
    }
}
