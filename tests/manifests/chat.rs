//! The chat platforms' manifests: the Slack app points at pimbot's routes and names `/pim`; the
//! Teams app names the bot, its scopes and real commands.

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

fn teams_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("manifests/teams")
        .join(name)
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (word(16), word(20))
}

#[test]
fn the_teams_manifest_names_the_bot_its_scopes_and_real_commands() {
    let text = std::fs::read_to_string(teams_file("manifest.json")).expect("manifest exists");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    assert_eq!(manifest["manifestVersion"], "1.22");
    assert!(
        manifest["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("/v1.22/MicrosoftTeams.schema.json"))
    );
    assert_eq!(manifest["id"], "{{BOT_APP_ID}}");
    let bot = &manifest["bots"][0];
    assert_eq!(bot["botId"], "{{BOT_APP_ID}}");
    assert_eq!(
        bot["scopes"],
        serde_json::json!(["personal", "team", "groupChat"])
    );
    let lists = bot["commandLists"].as_array().expect("commandLists");
    assert!(!lists.is_empty() && lists.len() <= 2);
    for list in lists {
        let commands = list["commands"].as_array().expect("commands");
        assert!(!commands.is_empty() && commands.len() <= 10);
        for command in commands {
            let title = command["title"].as_str().expect("title");
            assert!(
                pimbot::domain::command::parse(title).is_ok(),
                "command `{title}` is a real pimbot command"
            );
            let description = command["description"].as_str().expect("description");
            assert!(description.len() <= 128, "{title}: description too long");
        }
    }
    let readme = std::fs::read_to_string(teams_file("README.md")).expect("setup guide exists");
    assert!(
        readme.contains("{{BOT_APP_ID}}") && readme.contains("build-package.sh"),
        "the README documents the placeholder and the package script"
    );
    for (icon, size) in [("color.png", 192), ("outline.png", 32)] {
        let bytes = std::fs::read(teams_file(icon)).expect("icon exists");
        assert_eq!(png_size(&bytes), (size, size), "{icon}");
        assert_eq!(manifest["icons"][icon.trim_end_matches(".png")], icon);
    }
}

#[test]
fn the_teams_package_builds_with_the_app_id_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zip = dir.path().join("pimbot-teams.zip");
    let app_id = "6f1c2d3e-4b5a-4c6d-8e7f-00000000b07a";
    let status = std::process::Command::new("bash")
        .arg(teams_file("build-package.sh"))
        .arg(app_id)
        .arg(&zip)
        .status()
        .expect("bash runs");
    assert!(status.success());
    let bytes = std::fs::read(&zip).expect("the zip exists");
    assert_eq!(&bytes[..2], b"PK");
    let listing = String::from_utf8_lossy(&bytes);
    for name in ["manifest.json", "color.png", "outline.png"] {
        assert!(listing.contains(name), "the zip holds {name}");
    }
    let refused = std::process::Command::new("bash")
        .arg(teams_file("build-package.sh"))
        .arg("not-a-guid")
        .arg(dir.path().join("x.zip"))
        .output()
        .expect("bash runs");
    assert!(!refused.status.success());
}
