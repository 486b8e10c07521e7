//! Who a Slack user is, and whether their e-mail may be trusted. Whoever administers a workspace
//! can edit a member's e-mail, so pimbot vouches for it only for a live member of a workspace it
//! trusts (`slack.allowed_teams`, else the bot token's own, from `auth.test`, read once) whose
//! address Slack has confirmed.

use serde::Deserialize;
use serde_json::Value;

use super::{SlackClient, malformed, string};
use crate::service::ports::{ChatAccount, UntrustedAccount, UpstreamError};

/// The fields of a Slack user object (`users.info`, `users.lookupByEmail`) that decide trust.
/// A missing flag counts against the user: `is_email_confirmed` absent is not confirmed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SlackUser {
    id: String,
    team_id: Option<String>,
    deleted: bool,
    is_email_confirmed: bool,
    profile: Profile,
    /// Enterprise Grid: the organisation's workspaces the member belongs to.
    enterprise_user: Option<EnterpriseUser>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Profile {
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnterpriseUser {
    teams: Vec<String>,
}

impl SlackUser {
    #[expect(
        clippy::result_large_err,
        reason = "UpstreamError is the port's error type"
    )]
    fn from_answer(method: &str, answer: &Value) -> Result<Self, UpstreamError> {
        serde_json::from_value(answer["user"].clone())
            .map_err(|e| malformed(method, &format!("the answer's `user` is unreadable: {e}")))
    }

    fn in_any_of(&self, allowed: &[String]) -> bool {
        let grid_teams = self.enterprise_user.iter().flat_map(|e| e.teams.iter());
        self.team_id
            .iter()
            .chain(grid_teams)
            .any(|team| allowed.contains(team))
    }

    /// What pimbot may believe of this account, given the workspaces it trusts.
    fn vouch(&self, allowed: &[String]) -> ChatAccount {
        if self.deleted {
            return ChatAccount::Untrusted(UntrustedAccount::Deleted);
        }
        if !self.in_any_of(allowed) {
            return ChatAccount::Untrusted(UntrustedAccount::OtherWorkspace);
        }
        let Some(email) = self
            .profile
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
        else {
            return ChatAccount::Unknown;
        };
        if !self.is_email_confirmed {
            return ChatAccount::Untrusted(UntrustedAccount::EmailUnconfirmed);
        }
        ChatAccount::Email(email.trim().to_owned())
    }
}

impl SlackClient {
    /// `users.info` (needs `users:read.email`), vouched for; `Unknown` for no such user.
    pub async fn account(&self, user: &str) -> Result<ChatAccount, UpstreamError> {
        const METHOD: &str = "users.info";
        let answer = match self.call_form(METHOD, &[("user", user)]).await {
            Ok(answer) => answer,
            Err(e) if e.code.as_deref() == Some("user_not_found") => {
                return Ok(ChatAccount::Unknown);
            }
            Err(e) => return Err(e),
        };
        let allowed = self.allowed_teams().await?;
        Ok(SlackUser::from_answer(METHOD, &answer)?.vouch(&allowed))
    }

    /// `users.lookupByEmail` → the user id, when Slack has somebody with that address whose
    /// account pimbot would vouch for with that very address; else `None`.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<String>, UpstreamError> {
        const METHOD: &str = "users.lookupByEmail";
        let answer = match self.call_form(METHOD, &[("email", email)]).await {
            Ok(answer) => answer,
            Err(e) if e.code.as_deref() == Some("users_not_found") => return Ok(None),
            Err(e) => return Err(e),
        };
        let user = SlackUser::from_answer(METHOD, &answer)?;
        let allowed = self.allowed_teams().await?;
        let vouched = match user.vouch(&allowed) {
            ChatAccount::Email(address) => address.eq_ignore_ascii_case(email.trim()),
            ChatAccount::Unknown | ChatAccount::Untrusted(_) => false,
        };
        if !vouched {
            tracing::info!(slack.user_id = %user.id, "not mentioning a Slack account whose e-mail pimbot does not trust");
        }
        Ok((vouched && !user.id.is_empty()).then_some(user.id))
    }

    /// The workspaces whose members pimbot trusts: `slack.allowed_teams`, else the bot token's
    /// own workspace, asked of `auth.test` once and kept (a failure is asked again next time).
    pub async fn allowed_teams(&self) -> Result<Vec<String>, UpstreamError> {
        if let Some(configured) = &self.settings.allowed_teams {
            return Ok(configured.clone());
        }
        let own = self
            .own_team
            .get_or_try_init(|| async {
                const METHOD: &str = "auth.test";
                let answer = self.call_form(METHOD, &[]).await?;
                string(&answer, "/team_id")
                    .ok_or_else(|| malformed(METHOD, "the answer has no `team_id`"))
            })
            .await?;
        Ok(vec![own.clone()])
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user(value: Value) -> SlackUser {
        serde_json::from_value(value).expect("a user object")
    }

    fn allowed() -> Vec<String> {
        vec!["T1".to_owned()]
    }

    fn member() -> Value {
        json!({
            "id": "U1", "team_id": "T1", "deleted": false, "is_email_confirmed": true,
            "profile": {"email": " Ann@Example.com "}
        })
    }

    #[test]
    fn a_live_confirmed_member_of_an_allowed_workspace_is_vouched_for() {
        assert_eq!(
            user(member()).vouch(&allowed()),
            ChatAccount::Email("Ann@Example.com".into())
        );
    }

    #[test]
    fn each_doubt_is_named() {
        let cases = [
            ("deleted", json!(true), UntrustedAccount::Deleted),
            ("team_id", json!("T2"), UntrustedAccount::OtherWorkspace),
            (
                "is_email_confirmed",
                json!(false),
                UntrustedAccount::EmailUnconfirmed,
            ),
        ];
        for (field, value, why) in cases {
            let mut doubtful = member();
            doubtful[field] = value;
            assert_eq!(
                user(doubtful).vouch(&allowed()),
                ChatAccount::Untrusted(why),
                "{field}"
            );
        }
    }

    #[test]
    fn a_missing_confirmation_or_team_counts_against_the_user() {
        let mut bare = member();
        bare.as_object_mut()
            .expect("object")
            .remove("is_email_confirmed");
        assert_eq!(
            user(bare).vouch(&allowed()),
            ChatAccount::Untrusted(UntrustedAccount::EmailUnconfirmed)
        );
        let mut teamless = member();
        teamless.as_object_mut().expect("object").remove("team_id");
        assert_eq!(
            user(teamless).vouch(&allowed()),
            ChatAccount::Untrusted(UntrustedAccount::OtherWorkspace)
        );
    }

    #[test]
    fn an_enterprise_grid_member_counts_in_each_workspace_of_theirs() {
        let mut grid = member();
        grid["team_id"] = json!("T9");
        grid["enterprise_user"] = json!({"enterprise_id": "E1", "teams": ["T8", "T1"]});
        assert!(matches!(
            user(grid).vouch(&allowed()),
            ChatAccount::Email(_)
        ));
    }

    #[test]
    fn an_account_without_an_address_is_unknown() {
        let mut bot = member();
        bot["profile"] = json!({});
        assert_eq!(user(bot).vouch(&allowed()), ChatAccount::Unknown);
    }
}
