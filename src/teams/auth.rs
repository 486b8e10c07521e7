//! Bot Framework authentication of inbound activities: the ten checks of
//! `../shared/docs/platforms.md` §3, in that order. Anything that fails is a 401 before the
//! activity is looked at further.

mod clock;
mod jwks;
mod keys;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use super::TeamsSettings;
use super::activity::Activity;
pub use clock::KeyClock;
use keys::KeyCache;

/// The only signing algorithms the Bot Framework uses (`AllowedSigningAlgorithms`).
const ALGORITHMS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512];
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 5 * 60;

/// Why an inbound activity was refused. Values taken from the request are shown quoted with
/// control characters escaped (`{0:?}`), so a forged token cannot forge log lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no `Authorization: Bearer` token")]
    Missing,
    #[error("the token is not a JWT: {0}")]
    Malformed(String),
    #[error("signing algorithm {0} is not allowed")]
    Algorithm(String),
    #[error("the activity's channel {0:?} is not msteams")]
    Channel(String),
    #[error("issuer {0:?} is not allowed")]
    Issuer(String),
    #[error("no signing key with this `kid`")]
    UnknownKey,
    #[error("the signing key does not endorse channel {0:?}")]
    NotEndorsed(String),
    #[error("the token was obtained by app {0:?}, which is not an allowed caller")]
    Caller(String),
    #[error("the token is invalid: {0}")]
    Invalid(String),
    #[error("the `serviceurl` claim does not match the activity's serviceUrl")]
    ServiceUrl,
    #[error("the token or activity is from tenant {0:?}, not this bot's")]
    Tenant(String),
    /// The keys could not be fetched: nothing could be verified, so nothing is trusted.
    #[error("the Bot Framework signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

impl AuthError {
    /// A short label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::Malformed(_) => "malformed",
            AuthError::Algorithm(_) => "algorithm",
            AuthError::Channel(_) => "channel",
            AuthError::Issuer(_) => "issuer",
            AuthError::UnknownKey => "unknown_key",
            AuthError::NotEndorsed(_) => "endorsement",
            AuthError::Caller(_) => "caller",
            AuthError::Invalid(_) => "invalid",
            AuthError::ServiceUrl => "service_url",
            AuthError::Tenant(_) => "tenant",
            AuthError::KeysUnavailable(_) => "keys_unavailable",
        }
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    #[serde(default)]
    serviceurl: Option<String>,
    #[serde(default)]
    tid: Option<String>,
    /// The app that obtained the token: `azp` in v2 tokens, `appid` in v1.
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    appid: Option<String>,
}

/// The only channel pimbot serves. Web Chat and Direct Line are on by default on an Azure Bot,
/// and their users are whoever the embedding page says they are.
const TEAMS_CHANNEL: &str = "msteams";

/// Who may sign inbound tokens, and with which keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IssuerKind {
    /// `https://api.botframework.com`: Bot Framework keys, which carry channel endorsements and
    /// sign a `serviceurl` claim.
    BotFramework,
    /// The bot's own Entra tenant (single-tenant bots only): Entra keys, no endorsements, and
    /// no `serviceurl` claim, so the activity's serviceUrl must be the configured Connector's.
    EntraTenant,
}

/// Verifies inbound tokens against the cached Bot Framework (and, single-tenant, Entra) keys.
pub struct Authenticator {
    app_id: String,
    app_tenant_id: Option<String>,
    issuers: Vec<(String, IssuerKind)>,
    bot_keys: KeyCache,
    entra_keys: Option<KeyCache>,
    /// `scheme://host[:port]` of the configured Connector, for tokens without a `serviceurl`.
    connector_origin: Option<String>,
    /// Apps whose Entra-issued tokens are accepted (`azp` / `appid`), lower case.
    allowed_callers: Vec<String>,
}

impl Authenticator {
    pub fn new(settings: &TeamsSettings, http: reqwest::Client) -> Self {
        // The US Government cloud has its own issuer and metadata; the public one is the default.
        let bot_issuer = if settings
            .openid_metadata_url
            .contains("botframework.azure.us")
        {
            "https://api.botframework.us"
        } else {
            "https://api.botframework.com"
        };
        let mut issuers = vec![(bot_issuer.to_owned(), IssuerKind::BotFramework)];
        // Never `common` or another tenant's issuer: only the bot's own tenant, in the v1 and v2
        // forms Entra uses (as the Agents SDK's single-tenant wiring does).
        if let (Some(tenant), Some(entra)) = (&settings.app_tenant_id, &settings.entra_issuer) {
            issuers.push((
                format!("https://sts.windows.net/{tenant}/"),
                IssuerKind::EntraTenant,
            ));
            issuers.push((
                format!(
                    "{}/{tenant}/v2.0",
                    entra.authority_host.trim_end_matches('/')
                ),
                IssuerKind::EntraTenant,
            ));
        }
        Self {
            app_id: settings.app_id.clone(),
            app_tenant_id: settings.app_tenant_id.clone(),
            issuers,
            bot_keys: KeyCache::new(
                http.clone(),
                settings.openid_metadata_url.clone(),
                settings.key_clock.clone(),
            ),
            entra_keys: settings
                .entra_issuer
                .as_ref()
                .filter(|_| settings.app_tenant_id.is_some())
                .map(|entra| {
                    KeyCache::new(
                        http,
                        entra.openid_metadata_url.clone(),
                        settings.key_clock.clone(),
                    )
                }),
            connector_origin: origin(&settings.service_url),
            allowed_callers: settings
                .entra_issuer
                .iter()
                .flat_map(|entra| &entra.allowed_callers)
                .map(|caller| caller.to_ascii_lowercase())
                .collect(),
        }
    }

    /// Checks the `Authorization` header value against `activity`. `Ok` means the activity (and
    /// its `serviceUrl`) comes from the Bot Framework for this bot.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        activity: &Activity,
    ) -> Result<(), AuthError> {
        // 1. `Bearer <jwt>`, exactly two parts.
        let token = bearer(authorization)?;
        // Teams only, whoever signed the token.
        let channel = activity.channel_id.as_deref().unwrap_or_default();
        if channel != TEAMS_CHANNEL {
            return Err(AuthError::Channel(clip(channel)));
        }
        // 4 (first half). The header's algorithm, before any key is touched.
        let header = decode_header(token).map_err(|e| AuthError::Malformed(e.to_string()))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(AuthError::Algorithm(format!("{:?}", header.alg)));
        }
        // 2. The unverified issuer, before fetching keys; it also decides which keys apply.
        let unverified = jsonwebtoken::dangerous::insecure_decode::<Claims>(token)
            .map_err(|e| AuthError::Malformed(e.to_string()))?;
        let (issuer, kind) = self
            .issuers
            .iter()
            .find(|(issuer, _)| *issuer == unverified.claims.iss)
            .ok_or_else(|| AuthError::Issuer(clip(&unverified.claims.iss)))?;
        let keys = match kind {
            IssuerKind::BotFramework => &self.bot_keys,
            IssuerKind::EntraTenant => self.entra_keys.as_ref().ok_or(AuthError::UnknownKey)?,
        };
        // 3. The key named by `kid`.
        let kid = header.kid.as_deref().ok_or(AuthError::UnknownKey)?;
        let key = keys.key(kid).await?;
        // 8. The key must endorse the activity's channel. Entra keys endorse nothing; a Bot
        //    Framework key must always.
        let needs_endorsement = *kind == IssuerKind::BotFramework || !key.endorsements.is_empty();
        if needs_endorsement && !key.endorsements.iter().any(|e| e == channel) {
            return Err(AuthError::NotEndorsed(clip(channel)));
        }
        let decoding =
            DecodingKey::from_jwk(&key.jwk).map_err(|e| AuthError::Invalid(e.to_string()))?;
        // 4, 5, 6, 7. Signature (RS256/384/512 only), issuer, audience, exp/nbf with 5 min skew.
        let mut validation = Validation::new(header.alg);
        validation.algorithms = ALGORITHMS.to_vec();
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[&self.app_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let verified = decode::<Claims>(token, &decoding, &validation)
            .map_err(|e| AuthError::Invalid(format!("{:?}", e.kind())))?;
        self.claims_fit(&verified.claims, activity, *kind)
    }

    /// The checks of a verified token's claims against the activity it came with.
    fn claims_fit(
        &self,
        claims: &Claims,
        activity: &Activity,
        kind: IssuerKind,
    ) -> Result<(), AuthError> {
        // Any app registration of the tenant can get a token for the bot's app id: an
        // Entra-issued token counts only when an allowed app (the channel service) asked.
        if kind == IssuerKind::EntraTenant {
            let caller = claims.azp.as_deref().or(claims.appid.as_deref());
            let allowed = caller
                .is_some_and(|caller| self.allowed_callers.contains(&caller.to_ascii_lowercase()));
            if !allowed {
                return Err(AuthError::Caller(clip(caller.unwrap_or("none"))));
            }
        }
        // 9. Replies go only where the token says: the `serviceurl` claim is the activity's
        //    serviceUrl. Entra-issued tokens carry no such claim; their activities may only
        //    name the configured Connector's origin.
        match (&claims.serviceurl, &activity.service_url, kind) {
            (Some(claim), Some(url), _) if claim == url => {}
            (None, Some(url), IssuerKind::EntraTenant)
                if origin(url).is_some() && origin(url) == self.connector_origin => {}
            _ => return Err(AuthError::ServiceUrl),
        }
        // 10. Single-tenant: nothing from another tenant (emulator and skill tokens already
        //     failed the issuer check).
        if let Some(tenant) = &self.app_tenant_id {
            let token_tenant = claims.tid.as_deref();
            if kind == IssuerKind::EntraTenant && token_tenant.is_none() {
                return Err(AuthError::Tenant("none".into()));
            }
            for seen in [token_tenant, activity.tenant_id()].into_iter().flatten() {
                if !seen.eq_ignore_ascii_case(tenant) {
                    return Err(AuthError::Tenant(clip(seen)));
                }
            }
        }
        Ok(())
    }
}

/// `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    Some(url.origin().ascii_serialization()).filter(|o| o != "null")
}

fn bearer(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.ok_or(AuthError::Missing)?;
    let mut parts = value.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scheme), Some(token), None)
            if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() =>
        {
            Ok(token)
        }
        _ => Err(AuthError::Missing),
    }
}

/// Attacker-supplied text in errors and logs stays short.
fn clip(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_two_part_bearer_header_is_read() {
        assert_eq!(bearer(None), Err(AuthError::Missing));
        assert_eq!(bearer(Some("Basic abc")), Err(AuthError::Missing));
        assert_eq!(bearer(Some("Bearer")), Err(AuthError::Missing));
        assert_eq!(bearer(Some("Bearer a b")), Err(AuthError::Missing));
        assert_eq!(bearer(Some("Bearer a.b.c")), Ok("a.b.c"));
    }
}
