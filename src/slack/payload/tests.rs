//! Parsing realistic Slack samples (shapes as Slack documents and sends them).

use super::*;

fn form(payload: &str) -> Vec<u8> {
    serde_urlencoded::to_string([("payload", payload)])
        .expect("form")
        .into_bytes()
}

const SLASH_COMMAND: &str = "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example\
&enterprise_id=E0001&enterprise_name=Globular%20Construct%20Inc&channel_id=C2147483705\
&channel_name=test&user_id=U2147483697&user_name=Steve&command=%2Fpim\
&text=request%20app1-secrets%20for%202h%20ticket%20INC-1234%20rotating%20the%20cert\
&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678\
&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456";

#[test]
fn a_slash_command_form_parses() {
    let command = SlashCommand::parse(SLASH_COMMAND.as_bytes()).expect("parses");
    assert_eq!(command.team_id, "T0001");
    assert_eq!(command.channel_id, "C2147483705");
    assert_eq!(command.user_id, "U2147483697");
    assert_eq!(command.user_name.as_deref(), Some("Steve"));
    assert_eq!(command.command, "/pim");
    assert_eq!(
        command.text,
        "request app1-secrets for 2h ticket INC-1234 rotating the cert"
    );
    assert_eq!(
        command.response_url,
        "https://hooks.slack.com/commands/1234/5678"
    );
    assert_eq!(
        command.trigger_id,
        "13345224609.738474920.8088930838d88f008e0"
    );
}

#[test]
fn a_slash_command_with_empty_text_parses() {
    let body = "team_id=T1&channel_id=C1&user_id=U1&command=%2Fpim&text=\
&response_url=https%3A%2F%2Fhooks.slack.com%2Fx&trigger_id=1.2.3";
    let command = SlashCommand::parse(body.as_bytes()).expect("parses");
    assert_eq!(command.text, "");
}

#[test]
fn slacks_certificate_check_is_recognised() {
    assert!(SlashCommand::is_ssl_check(b"ssl_check=1&token=abc"));
    assert!(!SlashCommand::is_ssl_check(SLASH_COMMAND.as_bytes()));
}

#[test]
fn a_slash_command_without_a_user_is_malformed() {
    let body = "team_id=T1&channel_id=C1&command=%2Fpim&text=help";
    assert!(SlashCommand::parse(body.as_bytes()).is_err());
}

const BLOCK_ACTIONS: &str = r#"{
  "type": "block_actions",
  "user": {"id": "U0CA5", "username": "amy.mcgee", "name": "amy.mcgee", "team_id": "T3MDE"},
  "api_app_id": "A0CA5",
  "token": "Shh_its_a_seekrit",
  "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": "C0CA5", "is_ephemeral": false},
  "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
  "team": {"id": "T3MDE", "domain": "pim-test"},
  "enterprise": null,
  "is_enterprise_install": false,
  "channel": {"id": "C0CA5", "name": "pim-approvals"},
  "message": {"type": "message", "user": "B0BOT", "ts": "1548261231.000200", "text": "PIM-12", "blocks": []},
  "state": {"values": {}},
  "response_url": "https://hooks.slack.com/actions/T3MDE/1234/abcd",
  "actions": [
    {"action_id": "approve", "block_id": "decision", "text": {"type": "plain_text", "text": "Approve", "emoji": true},
     "value": "PIM-12", "style": "primary", "type": "button", "action_ts": "1548426417.840180"}
  ]
}"#;

#[test]
fn a_button_click_parses_with_its_message_and_response_url() {
    let Interaction::BlockActions(click) =
        Interaction::parse(&form(BLOCK_ACTIONS)).expect("parses")
    else {
        panic!("not block_actions");
    };
    assert_eq!(click.user.id, "U0CA5");
    assert_eq!(click.actions[0].action_id, "approve");
    assert_eq!(click.actions[0].value.as_deref(), Some("PIM-12"));
    assert_eq!(click.channel_id(), Some("C0CA5"));
    assert_eq!(click.message_ts(), Some("1548261231.000200"));
    assert_eq!(
        click.response_url.as_deref(),
        Some("https://hooks.slack.com/actions/T3MDE/1234/abcd")
    );
    assert!(click.trigger_id.starts_with("12321423423."));
}

#[test]
fn a_click_with_only_a_container_still_names_the_message() {
    let payload = r#"{"type":"block_actions","user":{"id":"U1"},"trigger_id":"t",
      "container":{"type":"message","message_ts":"1.2","channel_id":"C9"},
      "actions":[{"action_id":"deny","value":"PIM-3","type":"button"}]}"#;
    let Interaction::BlockActions(click) = Interaction::parse(&form(payload)).expect("parses")
    else {
        panic!("not block_actions");
    };
    assert_eq!(click.channel_id(), Some("C9"));
    assert_eq!(click.message_ts(), Some("1.2"));
    assert_eq!(click.response_url, None);
}

const VIEW_SUBMISSION: &str = r#"{
  "type": "view_submission",
  "team": {"id": "T3MDE", "domain": "pim-test"},
  "user": {"id": "U0CA5", "username": "amy.mcgee", "name": "amy.mcgee", "team_id": "T3MDE"},
  "api_app_id": "A0CA5",
  "token": "Shh_its_a_seekrit",
  "trigger_id": "12466734323.1395872398.8d7b3b3a5f1b4f0d6c4c0c0c",
  "view": {
    "id": "V0CA5FORM",
    "team_id": "T3MDE",
    "type": "modal",
    "callback_id": "request_form",
    "private_metadata": "{\"c\":\"C0CA5\"}",
    "blocks": [],
    "state": {
      "values": {
        "target": {"target": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "app1-secrets"}, "value": "app1-secrets"}}},
        "duration": {"duration": {"type": "plain_text_input", "value": "2h"}},
        "ticket": {"ticket": {"type": "plain_text_input", "value": null}},
        "justification": {"justification": {"type": "plain_text_input", "value": "  rotating the cert \n"}}
      }
    },
    "hash": "156772938.1827394",
    "title": {"type": "plain_text", "text": "Request elevation"},
    "root_view_id": "V0CA5FORM",
    "app_id": "A0CA5",
    "bot_id": "B0CA5"
  },
  "response_urls": [],
  "is_enterprise_install": false
}"#;

#[test]
fn a_modal_submission_parses_with_its_values() {
    let Interaction::ViewSubmission(submission) =
        Interaction::parse(&form(VIEW_SUBMISSION)).expect("parses")
    else {
        panic!("not view_submission");
    };
    assert_eq!(submission.user.id, "U0CA5");
    assert_eq!(submission.view.id, "V0CA5FORM");
    assert_eq!(submission.view.callback_id, "request_form");
    assert_eq!(submission.view.private_metadata, r#"{"c":"C0CA5"}"#);
    let state = &submission.view.state;
    assert_eq!(
        state.text("target", "target").as_deref(),
        Some("app1-secrets")
    );
    assert_eq!(state.text("duration", "duration").as_deref(), Some("2h"));
    assert_eq!(state.text("ticket", "ticket"), None);
    assert_eq!(
        state.text("justification", "justification").as_deref(),
        Some("rotating the cert")
    );
    assert_eq!(state.text("nope", "nope"), None);
}

#[test]
fn other_interaction_types_are_recognised_and_ignored() {
    let closed =
        r#"{"type":"view_closed","user":{"id":"U1"},"view":{"id":"V1"},"is_cleared":false}"#;
    assert_eq!(
        Interaction::parse(&form(closed)).expect("parses"),
        Interaction::Other
    );
}

#[test]
fn an_interaction_body_without_payload_is_malformed() {
    assert!(matches!(
        Interaction::parse(b"foo=bar"),
        Err(PayloadError::NoPayload)
    ));
    assert!(matches!(
        Interaction::parse(&form("{not json")),
        Err(PayloadError::Interaction(_))
    ));
}

#[test]
fn url_verification_carries_the_challenge() {
    let body = br#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    assert_eq!(
        EventEnvelope::parse(body).expect("parses"),
        EventEnvelope::UrlVerification {
            challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
        }
    );
}

#[test]
fn an_app_home_opened_callback_parses_with_its_event_id() {
    let body = br#"{
      "token": "XXYYZZ", "team_id": "T3MDE", "api_app_id": "A0CA5",
      "event": {"type": "app_home_opened", "user": "U0CA5", "channel": "D0CA5", "tab": "home",
                "event_ts": "1515449522000016"},
      "type": "event_callback", "authed_users": ["U0CA5"],
      "event_id": "Ev0CA5HOME", "event_time": 1515449522000016
    }"#;
    let EventEnvelope::EventCallback(callback) = EventEnvelope::parse(body).expect("parses") else {
        panic!("not event_callback");
    };
    assert_eq!(callback.event_id, "Ev0CA5HOME");
    assert_eq!(callback.event.kind, "app_home_opened");
    assert_eq!(callback.event.user.as_deref(), Some("U0CA5"));
    assert_eq!(callback.event.tab.as_deref(), Some("home"));
}

#[test]
fn a_body_that_is_not_json_is_not_an_event() {
    assert!(EventEnvelope::parse(b"challenge=x").is_err());
}
