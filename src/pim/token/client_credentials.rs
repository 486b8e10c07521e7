//! A plain OAuth 2.0 client-credentials flow over reqwest, for loopback emulators only
//! (azure_identity refuses non-https authorities).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::{TokenProvider, TokenSettings, config_error, is_loopback};
use crate::secret::Secret;
use crate::service::ports::{Upstream, UpstreamError, UpstreamErrorKind};

/// Refresh this long before a token expires (or at half its lifetime, for short-lived tokens).
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Client-credentials tokens from a plain-http loopback token endpoint, cached per scope.
#[derive(Debug)]
pub struct ClientCredentialsTokens {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    client_id: String,
    client_secret: Secret,
    timeout: Duration,
    /// Held across the token request, so concurrent callers wait for one request.
    cache: Mutex<HashMap<String, CachedToken>>,
}

#[derive(Debug, Clone)]
struct CachedToken {
    token: String,
    refresh_at: Instant,
}

impl ClientCredentialsTokens {
    /// Refuses authorities that are not `http(s)://127.0.0.1…`, `localhost` or `[::1]`.
    pub fn new(settings: &TokenSettings) -> Result<Self, UpstreamError> {
        let mut endpoint = reqwest::Url::parse(&settings.authority_host)
            .map_err(|e| config_error(format!("authority host is not a URL: {e}")))?;
        if !is_loopback(&endpoint) {
            return Err(config_error(format!(
                "the plain token flow only talks to loopback, not `{}`",
                settings.authority_host
            )));
        }
        endpoint
            .path_segments_mut()
            .map_err(|()| config_error("authority host cannot be a base URL".to_owned()))?
            .pop_if_empty()
            .extend([settings.tenant_id.as_str(), "oauth2", "v2.0", "token"]);
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            endpoint,
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            timeout: settings.timeout,
            cache: Mutex::new(HashMap::new()),
        })
    }

    async fn request(&self, scope: &str) -> Result<CachedToken, UpstreamError> {
        let operation = format!("token {scope}");
        let error = |kind, message: String| {
            UpstreamError::new(Upstream::Token, operation.clone(), kind, message)
        };
        let response = self
            .http
            .post(self.endpoint.clone())
            .timeout(self.timeout)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose()),
                ("scope", scope),
            ])
            .send()
            .await
            .map_err(|e| error(UpstreamErrorKind::Unavailable, e.to_string()))?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.map_err(|e| {
            error(
                UpstreamErrorKind::Unavailable,
                format!("unreadable answer: {e}"),
            )
        })?;
        if !status.is_success() {
            let kind = match status.as_u16() {
                429 => UpstreamErrorKind::Throttled {
                    retry_after_secs: None,
                },
                400..=499 => UpstreamErrorKind::Unauthorized,
                _ => UpstreamErrorKind::Unavailable,
            };
            let text = |key: &str| body.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            let mut out = error(
                kind,
                format!(
                    "{status}: {}",
                    text("error_description").unwrap_or_else(|| body.to_string())
                ),
            );
            out.code = text("error");
            out.upstream_request_id = text("correlation_id");
            return Err(out);
        }
        let token = body
            .get("access_token")
            .and_then(|v| v.as_str())
            .ok_or_else(|| error(UpstreamErrorKind::Unavailable, "no access_token".to_owned()))?;
        // Usually an integer; some endpoints send it as a string.
        let expires_in = match body.get("expires_in") {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .unwrap_or(0);
        let lifetime = Duration::from_secs(expires_in);
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        Ok(CachedToken {
            token: token.to_owned(),
            refresh_at: Instant::now() + lifetime - margin,
        })
    }
}

#[async_trait]
impl TokenProvider for ClientCredentialsTokens {
    async fn token(&self, scope: &str) -> Result<String, UpstreamError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.get(scope).filter(|c| Instant::now() < c.refresh_at) {
            return Ok(cached.token.clone());
        }
        let fresh = self.request(scope).await?;
        cache.insert(scope.to_owned(), fresh.clone());
        Ok(fresh.token)
    }
}
