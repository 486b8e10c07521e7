//! What the activation modes in use need: `assign` has pimbot write with its own application
//! permissions; `activate` has people write with their own sign-in, so pimbot's application only
//! reads, and the code flow needs `[auth]`, `server.public_url` and the app's client secret.

use super::Line;
use crate::config::{AzureCredential, Config};
use crate::domain::mode::ActivationMode;
use crate::domain::target::TargetKind;

/// The two Graph application permissions that write (assign mode), with the read form that is
/// enough in activate mode, and the kind of target each writes for.
pub(super) const GRAPH_WRITES: [(&str, &str, TargetKind); 2] = [
    (
        "RoleAssignmentSchedule.ReadWrite.Directory",
        "RoleAssignmentSchedule.Read.Directory",
        TargetKind::Role,
    ),
    (
        "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
        "PrivilegedAssignmentSchedule.Read.AzureADGroup",
        TargetKind::Group,
    ),
];

/// The fix for a write permission no mode in use needs.
pub(super) const REMOVE_WRITE: &str =
    "remove it: activate mode writes with the people's own sign-in";

/// The modes in use: `defaults.mode` (which discovered eligibilities follow) and each target's.
pub(super) struct Modes {
    defaults: ActivationMode,
    targets: Vec<(String, TargetKind, ActivationMode)>,
}

impl Modes {
    pub(super) fn of(config: &Config) -> Self {
        let defaults = config.defaults.mode;
        let targets = config
            .targets
            .iter()
            .map(|t| (t.name.clone(), t.kind, t.mode.unwrap_or(defaults)))
            .collect();
        Self { defaults, targets }
    }

    fn uses(&self, mode: ActivationMode) -> bool {
        self.defaults == mode || self.targets.iter().any(|(_, _, m)| *m == mode)
    }

    /// Whether pimbot itself writes for targets of `kind`: `defaults.mode` is assign (any
    /// discovered eligibility may be of that kind), or a target of that kind is in assign mode.
    pub(super) fn writes(&self, kind: TargetKind) -> bool {
        self.defaults == ActivationMode::Assign
            || self
                .targets
                .iter()
                .any(|(_, k, m)| *k == kind && *m == ActivationMode::Assign)
    }

    /// Whether pimbot writes at the ARM scope `scope` (one of `azure.arm_scopes` or an azure
    /// target's): assign by default, or an assign-mode azure target there.
    pub(super) fn writes_at(&self, config: &Config, scope: &str) -> bool {
        self.defaults == ActivationMode::Assign
            || config.targets.iter().any(|t| {
                t.kind == TargetKind::Azure
                    && t.mode.unwrap_or(self.defaults) == ActivationMode::Assign
                    && t.scope
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case(scope))
            })
    }

    /// The line that says which mode each target is in and what that mode needs.
    fn line(&self) -> Line {
        let named = |mode: ActivationMode| -> Vec<&str> {
            self.targets
                .iter()
                .filter(|(_, _, m)| *m == mode)
                .map(|(n, _, _)| n.as_str())
                .collect()
        };
        let mut parts = vec![format!("defaults.mode is {}", self.defaults.as_str())];
        for (mode, needs) in [
            (
                ActivationMode::Assign,
                "pimbot writes with its own application permissions",
            ),
            (
                ActivationMode::Activate,
                "people write with their own sign-in, pimbot's application only reads",
            ),
        ] {
            let targets = named(mode);
            if !targets.is_empty() {
                parts.push(format!("{} for {}", mode.as_str(), targets.join(", ")));
            }
            if self.uses(mode) {
                parts.push(format!("{}: {needs}", mode.as_str()));
            }
        }
        Line::passed("modes", parts.join("; "))
    }
}

/// The mode line, and for activate mode: `[auth]`, the redirect URI to register, the client
/// secret, and the delegated permissions (which an app's token cannot show).
pub(super) fn check(config: &Config, lines: &mut Vec<Line>) {
    let modes = Modes::of(config);
    lines.push(modes.line());
    if !modes.uses(ActivationMode::Activate) {
        return;
    }
    match &config.auth {
        Some(auth) if !auth.token_keys.is_empty() => {
            lines.push(Line::passed(
                "auth",
                format!(
                    "[auth] has {} token key(s), newest `{}`",
                    auth.token_keys.len(),
                    auth.token_keys[0].id
                ),
            ));
            lines.push(Line::passed(
                "auth redirect URI",
                format!(
                    "register {} as a web redirect URI on app registration {}",
                    auth.redirect_url, config.azure.client_id
                ),
            ));
        }
        _ => lines.push(Line::failed(
            "auth",
            "activate mode is chosen but [auth] has no token_keys",
            AUTH_FIX,
        )),
    }
    lines.push(match config.azure.credential {
        AzureCredential::ClientSecret => Line::passed(
            "azure.credential",
            "client_secret: the sign-in code flow redeems codes with the app's secret",
        ),
        other => Line::failed(
            "azure.credential",
            format!(
                "{}: activate mode's sign-in code flow needs the app's client secret",
                super::azure::credential_name(other)
            ),
            "set azure.credential = \"client_secret\" and azure.client_secret \
             (PIMBOT_AZURE__CLIENT_SECRET)",
        ),
    });
    lines.push(Line::not_applicable(
        "delegated permissions",
        format!(
            "not visible to pimbot's own token: app registration {} needs the delegated Microsoft \
             Graph RoleAssignmentSchedule.ReadWrite.Directory, \
             PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup, offline_access, openid, \
             profile and Azure Service Management user_impersonation, with admin consent",
            config.azure.client_id
        ),
    ));
}

/// How to add `[auth]`.
const AUTH_FIX: &str = "add [auth] with token_keys = [\"k1:<openssl rand -base64 32>\"] (better \
     PIMBOT_AUTH__TOKEN_KEYS) and set server.public_url to pimbot's public https URL; then register \
     <public_url>/auth/callback as a web redirect URI on the app registration";

/// The fix for a configuration that did not load, when it is activate mode's keys that are
/// missing (`error` is the loader's message); `None` for any other key.
pub(super) fn config_fix(error: &str) -> Option<String> {
    if error.contains("config key `auth`") || error.contains("config key `auth.") {
        Some(AUTH_FIX.to_owned())
    } else if error.contains("config key `server.public_url`") && error.contains("[auth]") {
        Some(
            "set server.public_url to pimbot's public https URL (e.g. https://pimbot.example.com) \
             and register <public_url>/auth/callback as a web redirect URI on the app registration"
                .to_owned(),
        )
    } else {
        None
    }
}
