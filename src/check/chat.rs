//! Slack and Teams: the bot token works (`auth.test`), holds the app manifest's scopes (Slack's
//! `x-oauth-scopes` header) and sits in every approval and audit channel (`conversations.info`
//! `is_member`); the Teams Connector token can be had and the bot's conversation with the
//! audit channel answers (`GET /v3/conversations/{id}/members`).

use serde_json::Value;

use super::Line;
use crate::config::Config;
use crate::teams::CONNECTOR_SCOPE;

/// The bot scopes of `manifests/slack/app-manifest.yaml`.
pub const SLACK_SCOPES: [&str; 7] = [
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "users:read.email",
    "channels:read",
    "groups:read",
];

pub(super) async fn check_slack(config: &Config, http: &reqwest::Client, lines: &mut Vec<Line>) {
    let Some(slack) = &config.slack else {
        lines.push(Line::not_applicable(
            "Slack",
            "not configured (no [slack] section)",
        ));
        return;
    };
    let api = slack.api_url.trim_end_matches('/');
    let token = slack.bot_token.expose();
    let answer = http
        .post(format!("{api}/auth.test"))
        .bearer_auth(token)
        .send()
        .await;
    let (scopes, body) = match answer {
        Ok(response) => {
            let scopes = response
                .headers()
                .get("x-oauth-scopes")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (scopes, response.json::<Value>().await.unwrap_or_default())
        }
        Err(error) => (
            String::new(),
            serde_json::json!({"ok": false, "error": error.to_string()}),
        ),
    };
    if body["ok"] != true {
        let error = body["error"].as_str().unwrap_or("no answer");
        lines.push(Line::failed(
            "Slack auth.test",
            format!("{api}: {error}"),
            "set slack.bot_token to the app's Bot User OAuth Token (xoxb-…, OAuth & Permissions)",
        ));
        return;
    }
    lines.push(Line::passed(
        "Slack auth.test",
        format!(
            "bot {} in workspace {}",
            body["user"].as_str().unwrap_or("?"),
            body["team"].as_str().unwrap_or("?")
        ),
    ));
    let held: Vec<&str> = scopes.split(',').map(str::trim).collect();
    let missing: Vec<&str> = SLACK_SCOPES
        .into_iter()
        .filter(|s| !held.contains(s))
        .collect();
    for scope in &missing {
        lines.push(Line::failed(
            format!("Slack scope {scope}"),
            "missing from the bot token",
            format!(
                "add the bot token scope {scope} (api.slack.com/apps > OAuth & Permissions, or \
                 manifests/slack/app-manifest.yaml), then reinstall the app to the workspace"
            ),
        ));
    }
    if missing.is_empty() {
        lines.push(Line::passed(
            "Slack scopes",
            format!(
                "the bot token holds all {} of the manifest",
                SLACK_SCOPES.len()
            ),
        ));
    }
    for channel in slack_channels(config) {
        lines.push(slack_channel(http, api, token, &channel).await);
    }
}

/// The audit channel and every target's Slack approval channel, each once.
fn slack_channels(config: &Config) -> Vec<String> {
    let audit = config.slack.as_ref().and_then(|s| s.audit_channel.clone());
    let approval = config
        .targets
        .iter()
        .filter_map(|t| t.approval_channel.slack.clone());
    let mut channels: Vec<String> = Vec::new();
    for channel in audit.into_iter().chain(approval) {
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    channels
}

async fn slack_channel(http: &reqwest::Client, api: &str, token: &str, channel: &str) -> Line {
    let check = format!("Slack channel {channel}");
    let answer = http
        .post(format!("{api}/conversations.info"))
        .bearer_auth(token)
        .form(&[("channel", channel)])
        .send()
        .await;
    let body = match answer {
        Ok(response) => response.json::<Value>().await.unwrap_or_default(),
        Err(error) => serde_json::json!({"ok": false, "error": error.to_string()}),
    };
    if body["ok"] != true {
        let error = body["error"].as_str().unwrap_or("no answer");
        return Line::failed(
            check,
            format!("conversations.info: {error}"),
            "correct the channel id (slack.audit_channel or a target's approval_channel.slack), \
             and invite the bot there (/invite @pimbot)",
        );
    }
    let name = body["channel"]["name"].as_str().unwrap_or(channel);
    if body["channel"]["is_member"] == true {
        Line::passed(check, format!("the bot is a member of #{name}"))
    } else {
        Line::failed(
            check,
            format!("the bot is not a member of #{name}"),
            format!("in Slack, open #{name} and type /invite @pimbot"),
        )
    }
}

pub(super) async fn check_teams(config: &Config, http: &reqwest::Client, lines: &mut Vec<Line>) {
    let Some(teams) = &config.teams else {
        lines.push(Line::not_applicable(
            "Teams",
            "not configured (no [teams] section)",
        ));
        return;
    };
    let token = match crate::app::teams_tokens(config, teams) {
        Ok(tokens) => tokens
            .token(CONNECTOR_SCOPE)
            .await
            .map_err(|e| e.to_string()),
        Err(error) => Err(format!("{error:#}")),
    };
    let token = match token {
        Ok(token) => token,
        Err(error) => {
            lines.push(Line::failed(
                "Teams Connector token",
                error,
                "set teams.app_id and teams.app_secret to the Azure Bot's app registration \
                 (and teams.app_tenant_id for a single-tenant bot)",
            ));
            return;
        }
    };
    lines.push(Line::passed(
        "Teams Connector token",
        format!("issued to bot {}", teams.app_id),
    ));
    let audit = teams
        .audit_conversation
        .iter()
        .map(|c| ("audit", c.clone()));
    let approval = config
        .targets
        .iter()
        .filter_map(|t| t.approval_channel.teams.clone())
        .map(|c| ("approval", c));
    let mut seen: Vec<String> = Vec::new();
    for (role, conversation) in audit.chain(approval) {
        if !seen.contains(&conversation) {
            lines.push(
                teams_conversation(http, &teams.service_url, &token, role, &conversation).await,
            );
            seen.push(conversation);
        }
    }
    if seen.is_empty() {
        lines.push(Line::not_applicable(
            "Teams conversations",
            "neither teams.audit_conversation nor a target's approval_channel.teams is set",
        ));
    }
}

/// `GET {service_url}/v3/conversations/{id}/members` as the bot: it answers only for a
/// conversation the bot is part of.
async fn teams_conversation(
    http: &reqwest::Client,
    service_url: &str,
    token: &str,
    role: &str,
    conversation: &str,
) -> Line {
    let check = format!("Teams {role} conversation {conversation}");
    let base = service_url.trim_end_matches('/');
    let url = reqwest::Url::parse(&format!("{base}/v3/conversations"))
        .ok()
        .and_then(|mut url| {
            url.path_segments_mut()
                .ok()?
                .extend([conversation, "members"]);
            Some(url)
        });
    let Some(url) = url else {
        return Line::failed(
            check,
            "teams.service_url is not a URL",
            "correct teams.service_url",
        );
    };
    match http.get(url).bearer_auth(token).send().await {
        Ok(response) if response.status().is_success() => {
            Line::passed(check, "the bot can reach the conversation")
        }
        Ok(response) => Line::failed(
            check,
            format!("the Connector answered {}", response.status()),
            "add the pimbot app to the team of that channel, and check the conversation id \
             (teams.audit_conversation or approval_channel.teams) and teams.service_url",
        ),
        Err(error) => Line::failed(check, error.to_string(), "check teams.service_url"),
    }
}
