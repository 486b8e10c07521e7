//! Plain authenticated calls to Graph and ARM, for the operator commands (`pimbot check` reads
//! what pimbot's identity may do; `pimbot admin` writes the tenant's setup). They go through the
//! same plumbing as the PIM clients (token, correlation ids, reads retried), but take paths and
//! JSON bodies as they are, so a dry run can print exactly what would be sent.

use std::sync::Arc;

use reqwest::{Method, Url};
use serde_json::Value;

use super::rest::{Api, ApiSettings, Rest};
use super::token::TokenProvider;
use crate::service::ports::{UpstreamError, UpstreamErrorKind};

/// Which API a call is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Microsoft Graph v1.0: paths below `{graph_url}/v1.0/`.
    Graph,
    /// Azure Resource Manager: paths below `{arm_url}/`.
    Arm,
}

/// The HTTP methods the operator commands use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Put => Method::PUT,
            Verb::Patch => Method::PATCH,
            Verb::Delete => Method::DELETE,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// One call: `path` is relative to the API root, its segments separated by `/` (each is
/// percent-encoded as a path segment); `query` is appended as given.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Call {
    pub service: Service,
    pub verb: Verb,
    pub path: String,
    pub query: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl Call {
    pub fn new(service: Service, verb: Verb, path: impl Into<String>) -> Self {
        Self {
            service,
            verb,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// Graph and ARM, authenticated with one token provider.
#[derive(Clone)]
pub struct TenantApi {
    graph: Rest,
    arm: Rest,
    tokens: Arc<dyn TokenProvider>,
    graph_scope: String,
    arm_scope: String,
}

impl std::fmt::Debug for TenantApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantApi")
            .field("graph", &self.graph.base.as_str())
            .field("arm", &self.arm.base.as_str())
            .finish_non_exhaustive()
    }
}

impl TenantApi {
    /// Fails when either URL is not an absolute http(s) URL.
    pub fn new(
        graph: ApiSettings,
        arm: ApiSettings,
        tokens: Arc<dyn TokenProvider>,
        http: reqwest::Client,
    ) -> Result<Self, UpstreamError> {
        let scope = |url: &str| format!("{}/.default", url.trim_end_matches('/'));
        let (graph_scope, arm_scope) = (scope(&graph.url), scope(&arm.url));
        Ok(Self {
            graph: Rest::new(
                Api::Graph,
                graph,
                Some("v1.0"),
                tokens.clone(),
                http.clone(),
            )?,
            arm: Rest::new(Api::Arm, arm, None, tokens.clone(), http)?,
            tokens,
            graph_scope,
            arm_scope,
        })
    }

    /// A token for the API, as pimbot's calls present it (for reading its claims).
    pub async fn token(&self, service: Service) -> Result<String, UpstreamError> {
        let scope = match service {
            Service::Graph => &self.graph_scope,
            Service::Arm => &self.arm_scope,
        };
        self.tokens.token(scope).await
    }

    fn rest(&self, service: Service) -> &Rest {
        match service {
            Service::Graph => &self.graph,
            Service::Arm => &self.arm,
        }
    }

    fn parts<'a>(&self, call: &'a Call) -> (Url, Vec<(&'a str, String)>) {
        let segments: Vec<&str> = call.path.split('/').filter(|s| !s.is_empty()).collect();
        let url = self.rest(call.service).url(&segments);
        let query = call
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        (url, query)
    }

    /// The full URL the call goes to, query included.
    pub fn url(&self, call: &Call) -> String {
        let (mut url, query) = self.parts(call);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url.to_string()
    }

    /// A GET of one object, retried like every read; 404 is `None`.
    pub async fn get(&self, call: &Call) -> Result<Option<Value>, UpstreamError> {
        let (url, query) = self.parts(call);
        self.rest(call.service)
            .get_optional("read", url, &query)
            .await
    }

    /// Every item of a collection, following next links.
    pub async fn list(&self, call: &Call) -> Result<Vec<Value>, UpstreamError> {
        let (url, query) = self.parts(call);
        self.rest(call.service).get_all("list", url, &query).await
    }

    /// One write, not retried: the operator commands are idempotent, so running them again is
    /// the retry.
    pub async fn send(&self, call: &Call) -> Result<Value, UpstreamError> {
        let (url, query) = self.parts(call);
        let answer = self
            .rest(call.service)
            .attempt(
                call.verb.as_str(),
                call.verb.method(),
                url,
                &query,
                call.body.as_ref(),
            )
            .await?;
        Ok(answer.body)
    }
}

/// Whether an error means "no such object" (Graph and ARM say it in several ways).
pub fn is_not_found(error: &UpstreamError) -> bool {
    error.kind == UpstreamErrorKind::NotFound
}
