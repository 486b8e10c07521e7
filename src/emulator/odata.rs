//! OData plumbing shared by the Graph handlers: the error type, query options (`$filter`,
//! `$select`, `$top`, `$skiptoken`, `$expand`), paging with `@odata.nextLink`, and projections.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::filter::Filter;

/// Default page size of Graph collections.
const DEFAULT_PAGE: usize = 100;

/// A Graph error. The response middleware turns it into the body
/// `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
#[derive(Debug, Clone)]
pub(crate) struct GraphError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl GraphError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        GraphError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    pub(crate) fn invalid_filter(detail: impl std::fmt::Display) -> Self {
        GraphError::bad_request(format!("Invalid filter clause: {detail}"))
    }

    /// Directory-style 404 for an object id that does not resolve.
    pub(crate) fn not_found(id: &str) -> Self {
        GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The part of the incoming request the collection helpers need; put in extensions by the middleware.
#[derive(Debug, Clone)]
pub(crate) struct RequestInfo {
    /// `http://host:port` from the Host header.
    pub(crate) origin: String,
    pub(crate) path: String,
    pub(crate) raw_query: Option<String>,
}

/// How a type is projected: known properties (for `$select` checks) and the default set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) type_name: &'static str,
    /// Selectable properties; empty means any (mixed `directoryObject` collections).
    pub(crate) known: &'static [&'static str],
    /// Properties returned without `$select`; `None` means all.
    pub(crate) defaults: Option<&'static [&'static str]>,
}

/// Parsed query options plus where the request came from (for next links).
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub(crate) filter: Option<Filter>,
    pub(crate) select: Option<Vec<String>>,
    pub(crate) expand: Option<String>,
    top: Option<usize>,
    skip: usize,
    info: RequestInfo,
}

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let info = parts
            .extensions
            .get::<RequestInfo>()
            .cloned()
            .ok_or_else(|| {
                GraphError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "UnknownError",
                    "missing request info",
                )
            })?;
        Query::parse(info)
    }
}

impl Query {
    fn parse(info: RequestInfo) -> Result<Query, GraphError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(info.raw_query.as_deref().unwrap_or(""))
                .map_err(|e| GraphError::bad_request(format!("Malformed query string: {e}")))?;
        let mut query = Query {
            filter: None,
            select: None,
            expand: None,
            top: None,
            skip: 0,
            info,
        };
        for (key, value) in pairs {
            match key.trim_start_matches('$').to_ascii_lowercase().as_str() {
                "filter" => {
                    query.filter = Some(Filter::parse(&value).map_err(GraphError::invalid_filter)?)
                }
                "select" => {
                    let fields = value
                        .split(',')
                        .map(|f| f.trim().to_owned())
                        .filter(|f| !f.is_empty());
                    query.select = Some(fields.collect());
                }
                "expand" => query.expand = Some(value.replace(' ', "")),
                "top" => query.top = Some(parse_top(&value)?),
                "skiptoken" => query.skip = decode_skiptoken(&value)?,
                "orderby" | "search" | "skip" => {
                    return Err(GraphError::bad_request(format!(
                        "Query option '{key}' is not supported by the emulator."
                    )));
                }
                _ => {}
            }
        }
        Ok(query)
    }

    /// Rejects filters that mention properties this collection cannot filter on.
    pub(crate) fn check_filter(&self, allowed: &[&str]) -> Result<(), GraphError> {
        let Some(filter) = &self.filter else {
            return Ok(());
        };
        for field in filter.fields() {
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(field)) {
                return Err(GraphError::invalid_filter(format!(
                    "filtering on '{field}' is not supported"
                )));
            }
        }
        Ok(())
    }

    /// Rejects any `$expand` except the listed values.
    pub(crate) fn check_expand(&self, allowed: &[&str]) -> Result<(), GraphError> {
        match &self.expand {
            Some(expand) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(expand)) => {
                Err(GraphError::bad_request(format!(
                    "Could not expand '{expand}': not supported here."
                )))
            }
            _ => Ok(()),
        }
    }

    /// `{origin}/v1.0/$metadata#{fragment}`.
    pub(crate) fn context(&self, fragment: &str) -> String {
        format!("{}/v1.0/$metadata#{fragment}", self.info.origin)
    }

    /// Filters, pages and projects `items` into `{"@odata.context", "value", "@odata.nextLink"?}`.
    pub(crate) fn collection(
        &self,
        fragment: &str,
        items: Vec<Value>,
        shape: Shape,
    ) -> Result<Value, GraphError> {
        self.check_select(shape)?;
        let matching: Vec<Value> = match &self.filter {
            Some(filter) => items
                .into_iter()
                .filter(|item| filter.matches(item))
                .collect(),
            None => items,
        };
        let page_size = self.top.unwrap_or(DEFAULT_PAGE);
        let total = matching.len();
        let page: Vec<Value> = matching
            .into_iter()
            .skip(self.skip)
            .take(page_size)
            .map(|item| self.project(item, shape))
            .collect();
        let mut body = Map::new();
        body.insert(
            "@odata.context".into(),
            Value::String(self.context(fragment)),
        );
        body.insert("value".into(), Value::Array(page));
        if self.skip + page_size < total {
            body.insert(
                "@odata.nextLink".into(),
                Value::String(self.next_link(self.skip + page_size)),
            );
        }
        Ok(Value::Object(body))
    }

    /// Projects one entity and adds its `@odata.context`.
    pub(crate) fn entity(
        &self,
        fragment: &str,
        item: Value,
        shape: Shape,
    ) -> Result<Value, GraphError> {
        self.check_select(shape)?;
        let mut projected = self.project(item, shape);
        if let Some(map) = projected.as_object_mut() {
            map.insert(
                "@odata.context".into(),
                Value::String(self.context(fragment)),
            );
        }
        Ok(projected)
    }

    fn check_select(&self, shape: Shape) -> Result<(), GraphError> {
        let Some(select) = &self.select else {
            return Ok(());
        };
        if shape.known.is_empty() {
            return Ok(());
        }
        match select
            .iter()
            .find(|f| !shape.known.iter().any(|k| k.eq_ignore_ascii_case(f)))
        {
            Some(unknown) => Err(GraphError::bad_request(format!(
                "Could not find a property named '{unknown}' on type 'microsoft.graph.{}'.",
                shape.type_name
            ))),
            None => Ok(()),
        }
    }

    fn project(&self, item: Value, shape: Shape) -> Value {
        let Value::Object(map) = item else {
            return item;
        };
        let keep = |key: &str| -> bool {
            if key == "id" || key == "@odata.type" {
                return true;
            }
            match (&self.select, shape.defaults) {
                (Some(select), _) => select.iter().any(|s| s.eq_ignore_ascii_case(key)),
                (None, Some(defaults)) => defaults.contains(&key),
                (None, None) => true,
            }
        };
        Value::Object(map.into_iter().filter(|(key, _)| keep(key)).collect())
    }

    fn next_link(&self, offset: usize) -> String {
        let mut parts: Vec<&str> = self
            .info
            .raw_query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !is_skiptoken(p))
            .collect();
        let token = format!("$skiptoken={}", encode_skiptoken(offset));
        parts.push(&token);
        format!("{}{}?{}", self.info.origin, self.info.path, parts.join("&"))
    }
}

fn is_skiptoken(pair: &str) -> bool {
    let key = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
    matches!(key.as_str(), "$skiptoken" | "%24skiptoken" | "skiptoken")
}

fn parse_top(value: &str) -> Result<usize, GraphError> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=999).contains(&n) => Ok(n),
        _ => Err(GraphError::bad_request(format!(
            "Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive."
        ))),
    }
}

// Opaque on purpose, like Graph's: clients must follow `@odata.nextLink`, not build tokens.
fn encode_skiptoken(offset: usize) -> String {
    format!("RU1VTEFUT1I{offset:x}")
}

fn decode_skiptoken(token: &str) -> Result<usize, GraphError> {
    token
        .strip_prefix("RU1VTEFUT1I")
        .and_then(|hex| usize::from_str_radix(hex, 16).ok())
        .ok_or_else(|| GraphError::bad_request("Invalid skip token."))
}
