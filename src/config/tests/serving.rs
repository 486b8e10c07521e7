//! What `serve` needs beyond a loadable file: credentials, a chat platform, Teams callers.

use super::*;

#[test]
fn the_client_secret_credential_needs_a_client_secret_to_serve() {
    let slack = "[slack]\nsigning_secrets = [\"s\"]\nbot_token = \"b\"";
    let config = Config::parse(
        &format!("[azure]\ntenant_id = \"t\"\nclient_id = \"c\"\n{slack}"),
        &[],
    )
    .expect("loads: audit and migrate need no secret");
    let message = config
        .validate_for_serve()
        .map_err(|e| e.to_string())
        .expect_err("serve needs it");
    assert!(
        message.starts_with("config key `azure.client_secret`"),
        "{message}"
    );
    assert!(message.contains("PIMBOT_AZURE__CLIENT_SECRET"), "{message}");
    let config = Config::parse(
        &format!("[azure]\ntenant_id = \"t\"\nclient_id = \"c\"\ncredential = \"workload_identity\"\n{slack}"),
        &[],
    )
    .expect("no secret needed for workload identity");
    assert_eq!(config.azure.client_secret, None);
    assert!(config.validate_for_serve().is_ok());
}

#[test]
fn the_azure_identity_is_required_to_serve_but_not_for_audit_commands() {
    let config = Config::parse("", &[]).expect("an empty file is enough for `audit verify`");
    assert_eq!(config.database.url, "sqlite://pimbot.db");
    let message = config
        .validate_for_serve()
        .map_err(|e| e.to_string())
        .expect_err("serve needs a tenant");
    assert!(
        message.starts_with("config key `azure.tenant_id`"),
        "{message}"
    );
}

#[test]
fn slack_needs_a_signing_secret_and_a_bot_token() {
    let message = error(parse("[slack]\nbot_token = \"b\""));
    assert!(
        message.starts_with("config key `slack.signing_secrets`"),
        "{message}"
    );
    let message = error(parse("[slack]\nsigning_secrets = []\nbot_token = \"b\""));
    assert!(
        message.starts_with("config key `slack.signing_secrets`"),
        "{message}"
    );
    let message = error(parse("[slack]\nsigning_secrets = [\"s\"]"));
    assert!(
        message.starts_with("config key `slack.bot_token`"),
        "{message}"
    );
}

#[test]
fn teams_needs_an_app_id_and_secret() {
    let message = error(parse("[teams]\napp_secret = \"s\""));
    assert!(
        message.starts_with("config key `teams.app_id`"),
        "{message}"
    );
    let message = error(parse("[teams]\napp_id = \"a\""));
    assert!(
        message.starts_with("config key `teams.app_secret`"),
        "{message}"
    );
}

#[test]
fn teams_allowed_callers_default_to_the_channel_service_and_refuse_an_empty_list() {
    let teams = "[teams]\napp_id = \"a\"\napp_secret = \"s\"\n";
    let config = parse(teams).expect("loads");
    assert_eq!(
        config.teams.map(|t| t.allowed_callers),
        Some(vec![crate::config::DEFAULT_ALLOWED_CALLER.to_owned()])
    );
    let config = parse(&format!(
        "{teams}allowed_callers = [\" app-1 \", \"app-2\"]"
    ))
    .expect("loads");
    assert_eq!(
        config.teams.map(|t| t.allowed_callers),
        Some(vec!["app-1".to_owned(), "app-2".to_owned()])
    );
    for empty in ["[]", "[\"\"]"] {
        let message = error(parse(&format!("{teams}allowed_callers = {empty}")));
        assert!(message.contains("teams.allowed_callers"), "{message}");
    }
    let example = Config::parse(EXAMPLE, &[]).expect("the example loads");
    assert_eq!(
        example.teams.map(|t| t.allowed_callers),
        Some(vec![crate::config::DEFAULT_ALLOWED_CALLER.to_owned()])
    );
}

#[test]
fn serving_needs_a_chat_platform_but_loading_does_not() {
    let config = parse("").expect("audit commands need no chat");
    let message = config
        .validate_for_serve()
        .expect_err("no chat platform")
        .to_string();
    assert!(
        message.contains("[slack]") && message.contains("[teams]"),
        "{message}"
    );

    let teams_only = parse("[teams]\napp_id = \"a\"\napp_secret = \"s\"").expect("loads");
    assert!(teams_only.validate_for_serve().is_ok());
}
