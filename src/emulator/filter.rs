//! The small `$filter` dialect the emulator understands: `field eq 'value'` joined by `and`/`or`,
//! with optional parentheses. Anything else is rejected the way Graph rejects a bad clause.

use serde_json::Value;

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    Eq { field: String, value: String },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Str(String),
    Open,
    Close,
}

impl Filter {
    /// Parses a `$filter` value; the error text explains what was not understood.
    pub(crate) fn parse(text: &str) -> Result<Filter, String> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, pos: 0 };
        let filter = parser.or_expr()?;
        match parser.tokens.get(parser.pos) {
            None => Ok(filter),
            Some(token) => Err(format!("unexpected {token:?} after a complete expression")),
        }
    }

    /// Every property name the filter mentions.
    pub(crate) fn fields(&self) -> Vec<&str> {
        match self {
            Filter::Eq { field, .. } => vec![field.as_str()],
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut out = a.fields();
                out.extend(b.fields());
                out
            }
        }
    }

    /// The value compared with `field` when that comparison is a top-level `and` term.
    pub(crate) fn required(&self, wanted: &str) -> Option<&str> {
        match self {
            Filter::Eq { field, value } if field.eq_ignore_ascii_case(wanted) => Some(value),
            Filter::Eq { .. } | Filter::Or(..) => None,
            Filter::And(a, b) => a.required(wanted).or_else(|| b.required(wanted)),
        }
    }

    /// Evaluates the filter against a JSON object; property names and values compare case-insensitively,
    /// as directory queries do.
    pub(crate) fn matches(&self, item: &Value) -> bool {
        match self {
            Filter::Eq { field, value } => property(item, field)
                .and_then(Value::as_str)
                .is_some_and(|actual| actual.eq_ignore_ascii_case(value)),
            Filter::And(a, b) => a.matches(item) && b.matches(item),
            Filter::Or(a, b) => a.matches(item) || b.matches(item),
        }
    }
}

fn property<'a>(item: &'a Value, name: &str) -> Option<&'a Value> {
    item.as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' => {
                chars.next();
                tokens.push(if c == '(' { Token::Open } else { Token::Close });
            }
            '\'' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            value.push('\'');
                        }
                        Some('\'') => break,
                        Some(other) => value.push(other),
                        None => return Err("unterminated string literal".to_owned()),
                    }
                }
                tokens.push(Token::Str(value));
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '@' => {
                let mut ident = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '.' | '/') {
                        ident.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Ident(ident));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn keyword(&mut self, word: &str) -> bool {
        match self.tokens.get(self.pos) {
            Some(Token::Ident(ident)) if ident.eq_ignore_ascii_case(word) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn or_expr(&mut self) -> Result<Filter, String> {
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            left = Filter::Or(Box::new(left), Box::new(self.and_expr()?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Filter, String> {
        let mut left = self.primary()?;
        while self.keyword("and") {
            left = Filter::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Filter, String> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        match token {
            Some(Token::Open) => {
                let inner = self.or_expr()?;
                match self.tokens.get(self.pos) {
                    Some(Token::Close) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err("missing ')'".to_owned()),
                }
            }
            Some(Token::Ident(field)) => {
                if !self.keyword("eq") {
                    return Err(format!(
                        "only 'eq' comparisons are supported after '{field}'"
                    ));
                }
                match self.tokens.get(self.pos).cloned() {
                    Some(Token::Str(value)) => {
                        self.pos += 1;
                        Ok(Filter::Eq { field, value })
                    }
                    _ => Err(format!("'{field} eq' must be followed by a quoted string")),
                }
            }
            Some(other) => Err(format!("unexpected {other:?}")),
            None => Err("unexpected end of expression".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eq(field: &str, value: &str) -> Filter {
        Filter::Eq {
            field: field.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn a_single_comparison_parses_to_one_eq_node() {
        assert_eq!(
            Filter::parse("principalId eq 'abc'"),
            Ok(eq("principalId", "abc"))
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let parsed = Filter::parse("a eq '1' or b eq '2' and c eq '3'").expect("valid filter");
        let expected = Filter::Or(
            Box::new(eq("a", "1")),
            Box::new(Filter::And(Box::new(eq("b", "2")), Box::new(eq("c", "3")))),
        );
        assert_eq!(parsed, expected);
    }

    #[test]
    fn doubled_quotes_escape_a_quote_and_parentheses_group() {
        let parsed = Filter::parse("(displayName eq 'O''Brien')").expect("valid filter");
        assert_eq!(parsed, eq("displayName", "O'Brien"));
    }

    #[test]
    fn unsupported_operators_and_broken_syntax_are_errors() {
        for bad in [
            "startswith(mail,'a')",
            "mail ne 'a'",
            "mail eq a",
            "mail eq 'a",
            "mail eq 'a' and",
            "mail eq 'a' b",
            "",
            "accountEnabled eq true",
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn required_finds_terms_joined_by_and_but_not_by_or() {
        let all_and =
            Filter::parse("scopeId eq '/' and scopeType eq 'DirectoryRole'").expect("valid");
        assert_eq!(all_and.required("scopeType"), Some("DirectoryRole"));
        let with_or =
            Filter::parse("scopeId eq '/' or scopeType eq 'DirectoryRole'").expect("valid");
        assert_eq!(with_or.required("scopeType"), None);
    }

    #[test]
    fn matching_ignores_case_of_values_and_property_names() {
        let filter = Filter::parse("MAIL eq 'Alice@Contoso.example' or userPrincipalName eq 'x'")
            .expect("valid");
        assert!(
            filter.matches(&json!({"mail": "alice@contoso.example", "userPrincipalName": "a"}))
        );
        assert!(!filter.matches(&json!({"mail": "bob@contoso.example", "userPrincipalName": "b"})));
        assert_eq!(filter.fields(), vec!["MAIL", "userPrincipalName"]);
    }
}
