//! The ports of activate mode: signing people in with Entra (authorization code with PKCE), and
//! the PIM calls made with a signed-in person's own delegated token, so that PIM itself checks
//! eligibility, duration, justification, ticket, MFA, authentication context and approval.

use async_trait::async_trait;

use super::{Grant, Receipt, UpstreamError};
use crate::domain::target::ResolvedTarget;

/// Which API a delegated access token is for: Graph (Entra roles, groups) or ARM (Azure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DelegatedApi {
    Graph,
    Arm,
}

/// What the sign-in link asks Entra for.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    /// The single-use `state` (pimbot keeps only its digest).
    pub state: &'a str,
    /// `base64url(sha256(verifier))`: the verifier itself never leaves pimbot.
    pub code_challenge: &'a str,
    /// The account to preselect (the chat user's UPN or e-mail), when known.
    pub login_hint: Option<&'a str>,
    /// A claims challenge to satisfy (PIM's authentication-context step-up), as PIM sent it.
    pub claims: Option<&'a str>,
    /// Ask for a fresh sign-in (MFA step-up) rather than a remembered session.
    pub fresh: bool,
}

/// A completed sign-in: who signed in, and the refresh token to keep (sealed).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The `oid` of the signed-in Entra user.
    pub object_id: String,
    /// The `tid` of the tenant they signed in to.
    pub tenant_id: String,
    pub display_name: Option<String>,
    pub refresh_token: String,
    /// The delegated scopes Entra granted.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("object_id", &self.object_id)
            .field("tenant_id", &self.tenant_id)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// A delegated access token for one API, and the refresh token Entra rotated to, if any.
#[derive(Clone, PartialEq, Eq)]
pub struct UserToken {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for UserToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserToken([redacted])")
    }
}

/// Why a sign-in or a token refresh did not give a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The sign-in is no longer good (revoked, password reset, account disabled, expired): the
    /// person must sign in again.
    #[error("the sign-in is no longer valid: {message}")]
    Expired {
        code: Option<String>,
        message: String,
    },
    /// Entra refused the code or the request (forged, replayed or expired code, wrong verifier).
    #[error("Entra refused the sign-in: {message}")]
    Refused {
        code: Option<String>,
        message: String,
    },
    /// Entra could not be reached or answered 5xx: try again later.
    #[error(transparent)]
    Unavailable(UpstreamError),
}

/// Entra's authorization code flow for pimbot's app registration (public client settings from
/// `azure.*`, redirect URL from `auth.redirect_url`).
#[async_trait]
pub trait SignInProvider: Send + Sync {
    /// The `<authority>/<tenant>/oauth2/v2.0/authorize` URL to send the person to.
    fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> String;
    /// Redeems the code from the callback with the PKCE verifier.
    async fn redeem(&self, code: &str, verifier: &str) -> Result<SignedIn, SignInError>;
    /// A delegated access token for `api` from a kept refresh token.
    async fn access_token(
        &self,
        refresh_token: &str,
        api: DelegatedApi,
    ) -> Result<UserToken, SignInError>;
}

/// What PIM answered a `selfActivate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// `Provisioned` (active now), `Granted` (starts later) or `PendingApproval`.
    pub receipt: Receipt,
    /// PIM's approval, when the policy requires one.
    pub approval_id: Option<String>,
}

impl Activation {
    pub fn is_pending_approval(&self) -> bool {
        self.receipt.status.eq_ignore_ascii_case("PendingApproval")
    }
}

/// Where a schedule request stands in PIM (`status` as PIM spells it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestStatus {
    pub status: String,
    pub approval_id: Option<String>,
    pub end: Option<chrono::DateTime<chrono::Utc>>,
}

/// A request waiting for approval in PIM, wherever it was made (chat, portal, CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingActivation {
    pub pim_request_id: String,
    pub approval_id: String,
    pub principal_id: String,
    pub justification: Option<String>,
    pub ticket: Option<String>,
    /// The requested duration (ISO 8601), when PIM shows one.
    pub duration: Option<String>,
    pub created: Option<chrono::DateTime<chrono::Utc>>,
}

/// PIM's own self-service and approval APIs, called with a person's delegated token; status reads
/// are app-only. The target's kind picks Graph (roles, groups) or ARM (Azure).
#[async_trait]
pub trait SelfService: Send + Sync {
    /// `selfActivate` / `SelfActivate` for the token's own user (`grant.principal_id`).
    async fn self_activate(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
        token: &str,
    ) -> Result<Activation, UpstreamError>;
    /// `selfDeactivate` / `SelfDeactivate`.
    async fn self_deactivate(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
        token: &str,
    ) -> Result<Receipt, UpstreamError>;
    /// Decides the stage of PIM's approval that is assigned to the token's user.
    async fn decide_approval(
        &self,
        target: &ResolvedTarget,
        approval_id: &str,
        approve: bool,
        justification: &str,
        token: &str,
    ) -> Result<(), UpstreamError>;
    /// App-only: one schedule request's status, to follow a pending one.
    async fn request_status(
        &self,
        target: &ResolvedTarget,
        pim_request_id: &str,
    ) -> Result<Option<RequestStatus>, UpstreamError>;
    /// App-only: every request on the target that waits for approval.
    async fn pending_activations(
        &self,
        target: &ResolvedTarget,
    ) -> Result<Vec<PendingActivation>, UpstreamError>;
}
