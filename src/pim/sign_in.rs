//! Entra's authorization code flow with PKCE for activate mode ([`SignInProvider`]): the
//! authorize link, the code's redemption for Graph, and delegated tokens for one API at a time
//! from the kept refresh token. Tokens and the client secret never reach a log or `Debug`.

mod id_token;
mod token_endpoint;

use std::time::Duration;

use async_trait::async_trait;
use reqwest::Url;

use self::token_endpoint::Grant;
use super::token::is_loopback;
use crate::secret::Secret;
use crate::service::ports::{
    AuthorizeRequest, DelegatedApi, SignInError, SignInProvider, SignedIn, Upstream, UpstreamError,
    UpstreamErrorKind, UserToken,
};

/// The OpenID Connect scopes every request adds: the id token, and a refresh token to keep.
const OIDC_SCOPES: &str = "openid profile offline_access";

/// pimbot's app registration as a confidential client of the code flow.
#[derive(Debug, Clone)]
pub struct SignInSettings {
    /// `https://login.microsoftonline.com` (or a national cloud, or a loopback emulator).
    pub authority_host: String,
    /// The tenant id (GUID): the id token's `tid` must be this.
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// `auth.redirect_url`, registered on the app registration.
    pub redirect_url: String,
    /// The Graph root, e.g. `https://graph.microsoft.com` (the scopes' resource).
    pub graph_url: String,
    /// The ARM root, e.g. `https://management.azure.com`.
    pub arm_url: String,
    /// Per token request.
    pub timeout: Duration,
}

/// [`SignInProvider`] against Entra's v2.0 endpoints.
pub struct EntraSignIn {
    settings: SignInSettings,
    authorize: Url,
    token: Url,
    http: reqwest::Client,
}

impl std::fmt::Debug for EntraSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntraSignIn")
            .field("authorize", &self.authorize.as_str())
            .field("client_id", &self.settings.client_id)
            .finish_non_exhaustive()
    }
}

fn config_error(message: String) -> UpstreamError {
    let mut error = UpstreamError::new(
        Upstream::Token,
        "configure",
        UpstreamErrorKind::Rejected,
        message,
    );
    error.user_message = Some(format!(
        "pimbot's Entra sign-in for people is misconfigured: {}",
        error.message
    ));
    error
}

/// `{authority}/{tenant}/oauth2/v2.0/{endpoint}`; https, or plain http to loopback only.
fn endpoint(settings: &SignInSettings, name: &str) -> Result<Url, UpstreamError> {
    let host = &settings.authority_host;
    let mut url = Url::parse(host)
        .map_err(|e| config_error(format!("authority host `{host}` is not a URL: {e}")))?;
    let secure = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
    if !secure {
        return Err(config_error(format!(
            "authority host `{host}` must use https (plain http only for 127.0.0.1 or localhost)"
        )));
    }
    url.path_segments_mut()
        .map_err(|()| config_error(format!("authority host `{host}` cannot be a base URL")))?
        .pop_if_empty()
        .extend([settings.tenant_id.as_str(), "oauth2", "v2.0", name]);
    Ok(url)
}

impl EntraSignIn {
    /// Fails when the authority host is not https (or loopback http).
    pub fn new(settings: SignInSettings, http: reqwest::Client) -> Result<Self, UpstreamError> {
        Ok(Self {
            authorize: endpoint(&settings, "authorize")?,
            token: endpoint(&settings, "token")?,
            settings,
            http,
        })
    }

    /// The delegated scopes of one API (Entra grants one resource per token request).
    fn api_scopes(&self, api: DelegatedApi) -> String {
        match api {
            DelegatedApi::Graph => {
                let graph = self.settings.graph_url.trim_end_matches('/');
                format!(
                    "{graph}/RoleAssignmentSchedule.ReadWrite.Directory {graph}/PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"
                )
            }
            DelegatedApi::Arm => format!(
                "{}/user_impersonation",
                self.settings.arm_url.trim_end_matches('/')
            ),
        }
    }

    fn scopes(&self, apis: &[DelegatedApi]) -> String {
        let mut scopes = vec![OIDC_SCOPES.to_owned()];
        scopes.extend(apis.iter().map(|api| self.api_scopes(*api)));
        scopes.join(" ")
    }
}

#[async_trait]
impl SignInProvider for EntraSignIn {
    fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> String {
        let mut url = self.authorize.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", &self.settings.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", &self.settings.redirect_url)
                .append_pair("response_mode", "query")
                // Consent for both APIs at once; each token is then asked for one of them.
                .append_pair(
                    "scope",
                    &self.scopes(&[DelegatedApi::Graph, DelegatedApi::Arm]),
                )
                .append_pair("state", request.state)
                .append_pair("code_challenge", request.code_challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = request.login_hint.filter(|h| !h.trim().is_empty()) {
                query.append_pair("login_hint", hint);
            }
            if request.fresh {
                query.append_pair("prompt", "login");
            }
            if let Some(claims) = request.claims.filter(|c| !c.trim().is_empty()) {
                query.append_pair("claims", claims);
            }
        }
        url.into()
    }

    async fn redeem(&self, code: &str, verifier: &str) -> Result<SignedIn, SignInError> {
        let scope = self.scopes(&[DelegatedApi::Graph]);
        let answer = self
            .post(
                Grant::Code,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("code_verifier", verifier),
                    ("redirect_uri", &self.settings.redirect_url),
                    ("scope", &scope),
                ],
            )
            .await?;
        let id_token = answer
            .id_token
            .as_deref()
            .ok_or_else(|| SignInError::Refused {
                code: None,
                message: "Entra answered without an id_token (was `openid` granted?)".to_owned(),
            })?;
        let who = id_token::read(id_token, &self.settings.client_id, &self.settings.tenant_id)?;
        let refresh_token = answer.refresh_token.ok_or_else(|| SignInError::Refused {
            code: None,
            message: "Entra answered without a refresh token (was `offline_access` granted?)"
                .to_owned(),
        })?;
        Ok(SignedIn {
            object_id: who.oid,
            tenant_id: who.tid,
            display_name: who.name,
            refresh_token,
            scopes: answer
                .scope
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        })
    }

    async fn access_token(
        &self,
        refresh_token: &str,
        api: DelegatedApi,
    ) -> Result<UserToken, SignInError> {
        let scope = self.scopes(&[api]);
        let answer = self
            .post(
                Grant::Refresh,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                    ("scope", &scope),
                ],
            )
            .await?;
        Ok(UserToken {
            access_token: answer.access_token,
            refresh_token: answer.refresh_token,
        })
    }
}

#[cfg(test)]
mod tests;
