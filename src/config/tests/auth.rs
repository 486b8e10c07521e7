//! `[auth]`, `defaults.mode` and each target's `mode`.

use super::*;
use crate::domain::mode::ActivationMode;

/// 0, 1, … 31.
const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// 32 bytes of 1.
const KEY_B: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

const PUBLIC: &str = "[server]\npublic_url = \"https://pimbot.example.com/\"\n";

fn auth(keys: &str) -> String {
    format!("{PUBLIC}[auth]\ntoken_keys = [{keys}]\n")
}

fn target(mode: Option<&str>) -> String {
    let mode = mode.map_or(String::new(), |m| format!("mode = \"{m}\"\n"));
    format!("[[targets]]\nname = \"t\"\nkind = \"group\"\ngroup = \"g\"\n{mode}")
}

#[test]
fn without_auth_everything_is_assign_and_nothing_seals() {
    let config = parse("").expect("loads");
    assert_eq!(config.defaults.mode, ActivationMode::Assign);
    assert!(config.auth.is_none());
    let settings = config.service_settings();
    assert_eq!(settings.mode_of(None), ActivationMode::Assign);
    assert_eq!(settings.sign_in_lifetime, chrono::Duration::days(30));
}

#[test]
fn auth_reads_its_keys_newest_first_and_derives_the_redirect_url() {
    let config = parse(&auth(&format!("\"k2:{KEY_B}\", \"k1:{KEY_A}\""))).expect("loads");
    let auth = config.auth.expect("auth");
    let ids: Vec<&str> = auth.token_keys.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, ["k2", "k1"]);
    assert_eq!(auth.token_keys[0].key.expose(), &[1; 32]);
    assert_eq!(auth.token_keys[1].key.expose()[31], 31);
    assert_eq!(
        auth.redirect_url,
        "https://pimbot.example.com/auth/callback"
    );
    assert_eq!(
        auth.sign_in_lifetime.as_chrono(),
        chrono::Duration::days(30)
    );
}

#[test]
fn the_sign_in_lifetime_takes_an_iso_duration() {
    let text = format!(
        "{}sign_in_lifetime = \"P7D\"\n",
        auth(&format!("\"k1:{KEY_A}\""))
    );
    let config = parse(&text).expect("loads");
    assert_eq!(
        config.service_settings().sign_in_lifetime,
        chrono::Duration::days(7)
    );
    let text = format!(
        "{}sign_in_lifetime = \"soon\"\n",
        auth(&format!("\"k1:{KEY_A}\""))
    );
    let message = error(parse(&text));
    assert!(
        message.starts_with("config key `auth.sign_in_lifetime`"),
        "{message}"
    );
}

#[test]
fn token_keys_come_from_the_environment_as_a_list() {
    let config = parse_env(
        PUBLIC,
        &[(
            "PIMBOT_AUTH__TOKEN_KEYS",
            &format!("new:{KEY_B},old:{KEY_A}"),
        )],
    )
    .expect("loads");
    let auth = config.auth.expect("the variable enables [auth]");
    let ids: Vec<&str> = auth.token_keys.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, ["new", "old"]);

    let message = error(parse_env(
        PUBLIC,
        &[("PIMBOT_AUTH__TOKEN_KEYS", "new:c2hvcnQ=")],
    ));
    assert!(
        message.starts_with("config key `auth.token_keys` (set by PIMBOT_AUTH__TOKEN_KEYS)"),
        "{message}"
    );
}

#[test]
fn a_key_that_is_not_32_bytes_of_base64_is_refused_without_showing_it() {
    for (entry, says) in [
        (
            "k1:AAAAAAAAAAAAAAAAAAAAAA==",
            "key `k1` is 16 bytes; it must be 32",
        ),
        ("k1:not base64 at all!", "key `k1` is not base64"),
        (
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
            "entry 1 is not",
        ),
        (
            "k.1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
            "`k.1` is not a key id",
        ),
    ] {
        let message = error(parse(&auth(&format!("\"{entry}\""))));
        assert!(
            message.starts_with("config key `auth.token_keys`: "),
            "{message}"
        );
        assert!(message.contains(says), "{entry}: {message}");
        let key = entry.rsplit(':').next().unwrap_or(entry);
        assert!(!message.contains(key), "{message} shows the key");
    }
}

#[test]
fn a_duplicate_key_id_is_refused() {
    let message = error(parse(&auth(&format!("\"k1:{KEY_A}\", \"k1:{KEY_B}\""))));
    assert_eq!(
        message,
        "config key `auth.token_keys`: key id `k1` is given twice"
    );
}

#[test]
fn an_empty_or_missing_key_list_is_refused() {
    let message = error(parse(&auth("")));
    assert!(
        message.starts_with("config key `auth.token_keys`: must list at least one key"),
        "{message}"
    );
    let message = error(parse(&format!(
        "{PUBLIC}[auth]\nsign_in_lifetime = \"P1D\"\n"
    )));
    assert!(
        message.starts_with("config key `auth.token_keys`: missing"),
        "{message}"
    );
}

#[test]
fn activate_mode_without_auth_is_refused_naming_where_it_is_chosen() {
    let message = error(parse("[defaults]\nmode = \"activate\"\n"));
    assert!(
        message.starts_with("config key `auth`: missing: `defaults.mode` is activate"),
        "{message}"
    );
    let message = error(parse(&format!(
        "{}{}",
        target(None),
        target(Some("activate")).replace("name = \"t\"", "name = \"u\"")
    )));
    assert!(
        message.starts_with("config key `auth`: missing: `targets[1].mode` is activate"),
        "{message}"
    );
}

#[test]
fn auth_without_a_public_url_is_refused() {
    let text = format!("[defaults]\nmode = \"activate\"\n[auth]\ntoken_keys = [\"k1:{KEY_A}\"]\n");
    let message = error(parse(&text));
    assert!(
        message.starts_with("config key `server.public_url`: missing: [auth] needs"),
        "{message}"
    );
}

#[test]
fn a_plain_http_public_url_is_only_for_the_local_machine() {
    let keys = format!("[auth]\ntoken_keys = [\"k1:{KEY_A}\"]\n[defaults]\nmode = \"activate\"\n");
    let message = error(parse(&format!(
        "[server]\npublic_url = \"http://pimbot.example.com\"\n{keys}"
    )));
    assert!(
        message.starts_with(
            "config key `server.public_url`: `http://pimbot.example.com` must use https"
        ),
        "{message}"
    );
    for local in ["http://localhost:3000", "http://127.0.0.1:3000"] {
        let config = parse(&format!("[server]\npublic_url = \"{local}\"\n{keys}")).expect(local);
        let auth = config.auth.expect("auth");
        assert_eq!(auth.redirect_url, format!("{local}/auth/callback"));
    }
}

#[test]
fn a_targets_mode_overrides_the_default_mode() {
    let text = format!(
        "{}[defaults]\nmode = \"activate\"\n{}{}",
        auth(&format!("\"k1:{KEY_A}\"")),
        target(Some("assign")),
        target(None).replace("name = \"t\"", "name = \"u\""),
    );
    let config = parse(&text).expect("loads");
    assert_eq!(config.defaults.mode, ActivationMode::Activate);
    assert_eq!(config.targets[0].mode, Some(ActivationMode::Assign));
    assert_eq!(config.targets[1].mode, None);
    let settings = config.service_settings();
    assert_eq!(
        settings.mode_of(settings.targets.first()),
        ActivationMode::Assign
    );
    assert_eq!(
        settings.mode_of(settings.targets.get(1)),
        ActivationMode::Activate
    );
    assert_eq!(settings.mode_of(None), ActivationMode::Activate);
}

#[test]
fn an_unknown_mode_names_its_key() {
    let message = error(parse("[defaults]\nmode = \"broker\"\n"));
    assert!(
        message.starts_with("config key `defaults.mode`: unknown variant `broker`"),
        "{message}"
    );
    let message = error(parse(&target(Some("self"))));
    assert!(
        message.starts_with("config key `targets[0].mode`"),
        "{message}"
    );
}

#[test]
fn debug_output_never_shows_a_token_key() {
    let config = parse(&auth(&format!("\"k1:{KEY_A}\""))).expect("loads");
    let shown = format!("{config:?} {config:#?}");
    assert!(!shown.contains(KEY_A), "{shown}");
    assert!(!shown.contains("[0, 1, 2"), "{shown}");
    assert!(
        shown.contains("k1") && shown.contains("[redacted]"),
        "{shown}"
    );
}
