//! ARM's PIM list semantics: the `$filter` functions and which scopes a list covers, and paging
//! with `nextLink`.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ArmError, Call};
use crate::emulator::providers::is_at_or_below;
use crate::emulator::tenant::Tenant;

/// Items per page before a `nextLink` is added.
const PAGE: usize = 50;

/// One `$filter` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Term {
    /// The caller's own items.
    AsTarget,
    /// Only items at (or above) the request scope.
    AtScope,
    /// Items of a user and of the groups the user is in.
    AssignedTo(String),
    PrincipalId(String),
}

pub(crate) fn parse(filter: Option<&str>) -> Result<Vec<Term>, ArmError> {
    let Some(filter) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(Vec::new());
    };
    let invalid = || {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidFilter",
            format!("The filter '{filter}' is not valid."),
        )
    };
    let quoted = string_literal;
    split_and(filter)
        .into_iter()
        .map(|term| {
            let term = term.trim();
            if term.eq_ignore_ascii_case("asTarget()") {
                Ok(Term::AsTarget)
            } else if term.eq_ignore_ascii_case("atScope()") {
                Ok(Term::AtScope)
            } else if let Some(arg) = term
                .strip_prefix("assignedTo(")
                .and_then(|t| t.strip_suffix(')'))
            {
                quoted(arg).map(Term::AssignedTo).ok_or_else(invalid)
            } else if let Some(value) = term.strip_prefix("principalId eq ") {
                quoted(value).map(Term::PrincipalId).ok_or_else(invalid)
            } else {
                Err(invalid())
            }
        })
        .collect()
}

/// The text of an OData string literal (`'o''brien'` is `o'brien`), or `None` when `text` is
/// not exactly one literal.
pub(crate) fn string_literal(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let mut value = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        // Inside a literal a quote is always doubled; a lone one would have ended it.
        if c == '\'' && chars.next() != Some('\'') {
            return None;
        }
        value.push(c);
    }
    Some(value)
}

/// The terms of `a and b and c`, never splitting inside a string literal.
fn split_and(filter: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_literal = false;
    for (at, c) in filter.char_indices() {
        if c == '\'' {
            in_literal = !in_literal;
        } else if !in_literal && filter[at..].starts_with(" and ") && at >= start {
            terms.push(&filter[start..at]);
            start = at + " and ".len();
        }
    }
    terms.push(&filter[start..]);
    terms
}

/// Whether an item of `principal` at `item_scope` belongs in a list at `scope` filtered by
/// `terms`. Lists cover the scope, the scopes above it and those below it; `atScope()` drops
/// the ones below.
pub(crate) fn keeps(
    tenant: &Tenant,
    terms: &[Term],
    caller_id: Option<&str>,
    scope: &str,
    item_scope: &str,
    principal: &str,
) -> bool {
    let above_or_at = is_at_or_below(scope, item_scope);
    let below = is_at_or_below(item_scope, scope);
    terms.iter().fold(above_or_at || below, |keep, term| {
        keep && match term {
            Term::AtScope => above_or_at,
            Term::AsTarget => caller_id.is_some_and(|id| id.eq_ignore_ascii_case(principal)),
            Term::PrincipalId(id) => id.eq_ignore_ascii_case(principal),
            Term::AssignedTo(user) => {
                user.eq_ignore_ascii_case(principal)
                    || tenant
                        .transitive_groups(user)
                        .iter()
                        .any(|g| g.id.eq_ignore_ascii_case(principal))
            }
        }
    })
}

/// `{"value": [...], "nextLink"?}` for the page `$skipToken` asks for.
pub(crate) fn page(call: &Call, items: Vec<Value>) -> Result<Value, ArmError> {
    let skip = match call.param("$skipToken") {
        None => 0,
        Some(token) => token.parse::<usize>().map_err(|_| {
            ArmError::new(
                StatusCode::BAD_REQUEST,
                "InvalidSkipToken",
                "The skip token is invalid.",
            )
        })?,
    };
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(skip).take(PAGE).collect();
    let mut body = json!({ "value": value });
    if skip + PAGE < total {
        let mut pairs: Vec<(String, String)> = call
            .query
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skipToken"))
            .cloned()
            .collect();
        pairs.push(("$skipToken".to_owned(), (skip + PAGE).to_string()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        body["nextLink"] = Value::String(format!("{}?{query}", call.url));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_filter_functions_parse_and_others_are_refused() {
        assert_eq!(
            parse(Some("assignedTo('a-1') and atScope()")).ok(),
            Some(vec![Term::AssignedTo("a-1".into()), Term::AtScope])
        );
        assert_eq!(parse(Some("asTarget()")).ok(), Some(vec![Term::AsTarget]));
        assert_eq!(
            parse(Some("principalId eq 'p'")).ok(),
            Some(vec![Term::PrincipalId("p".into())])
        );
        assert!(parse(Some("roleName eq 'x'")).is_err());
        assert!(parse(Some("assignedTo(a-1)")).is_err());
    }
}
