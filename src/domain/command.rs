//! The chat commands shared by Slack and Teams, and their grammar. Pure: the transports strip their
//! own wrapping (`/pim`, the `<at>` mention) and hand typed text to [`parse`], once; a form or a
//! button builds the [`Command`] itself (the form's inputs through [`RequestFields`]), so free
//! text from a field is never read as grammar. [`Command`]'s `Display` writes a command back in
//! the grammar's words, for logs and the audit trail.

use super::duration::ElevationDuration;
use super::request::ShortId;
use super::target::{TargetRef, TargetRefError};

mod fields;
mod render;

pub use fields::{Field, FieldErrors, RequestFields};

/// One chat command, typed or built by a form or a button. Stored in the command's job as JSON
/// (`{"name": "request", ...}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum Command {
    /// `help`: what you can do here.
    Help,
    /// `list`: what you are eligible for, and what is active now.
    List,
    /// `request [TARGET] [for DURATION] [ticket ID] [REASON...]`.
    Request(RequestArgs),
    /// `status [ID]`: your pending and active requests.
    Status { id: Option<ShortId> },
    /// `cancel ID`: withdraw a pending request.
    Cancel { id: ShortId },
    /// `end ID`: end an active elevation now.
    End { id: ShortId },
    /// `extend ID`: ask again for an active elevation; once approved, it replaces the current one.
    Extend { id: ShortId },
    /// `approvals`: requests waiting for your decision.
    Approvals,
    /// `approve ID [REASON]`.
    Approve { id: ShortId, reason: Option<String> },
    /// `deny ID REASON`.
    Deny { id: ShortId, reason: String },
    /// `login`: sign in with Entra, for targets in activate mode.
    Login,
    /// `logout`: forget the sign-in.
    Logout,
}

/// The optional parts of `request`; what is missing comes from the form or the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RequestArgs {
    pub target: Option<TargetRef>,
    pub duration: Option<ElevationDuration>,
    pub ticket: Option<String>,
    pub reason: Option<String>,
}

/// A command that could not be read; its `Display` is the message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("I don't know `{0}`. {USAGE}")]
    UnknownCommand(String),
    #[error("`{command}` needs {what}. Usage: `{usage}`")]
    Missing {
        command: &'static str,
        what: &'static str,
        usage: &'static str,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("A quote is not closed. {USAGE}")]
    UnclosedQuote,
}

/// The one-screen help text, also shown after an unknown command.
pub const USAGE: &str = "Try `help`, `list`, `request [TARGET] [for DURATION] [ticket ID] [REASON]`, \
`status [ID]`, `cancel ID`, `end ID`, `extend ID`, `approvals`, `approve ID [REASON]` or \
`deny ID REASON`.";

/// The full help text.
pub const HELP: &str = "\
*pimbot*: just-in-time elevation through Privileged Identity Management.
• `list`: what you are eligible for, and what is active now
• `request [TARGET] [for DURATION] [ticket ID] [REASON]`: ask for an elevation; no TARGET opens a form. \
TARGET is a configured name, `role:NAME[@SCOPE]`, `group:NAME[/owner]` or `azure:ROLE@SCOPE` \
(quote names with spaces). DURATION: `30m`, `2h`, `1h30m` or `PT2H`.
• `status [ID]`: your pending and active requests
• `cancel ID`: withdraw a pending request
• `end ID`: end an active elevation now
• `extend ID`: ask for the same elevation again; once approved, it replaces the current one
• `approvals`: requests waiting for your decision
• `approve ID [REASON]` / `deny ID REASON`: decide without the buttons
• `login` / `logout`: sign in with your Entra account (for targets PIM activates itself) / forget it";

impl Command {
    /// The command's name, for logs, metrics and the audit trail.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Help => "help",
            Command::List => "list",
            Command::Request(_) => "request",
            Command::Status { .. } => "status",
            Command::Cancel { .. } => "cancel",
            Command::End { .. } => "end",
            Command::Extend { .. } => "extend",
            Command::Approvals => "approvals",
            Command::Approve { .. } => "approve",
            Command::Deny { .. } => "deny",
            Command::Login => "login",
            Command::Logout => "logout",
        }
    }

    /// Whether the command asks for a new elevation (and so counts against the hourly request
    /// limit as well as the command limit).
    pub fn asks_for_elevation(&self) -> bool {
        match self {
            Command::Request(_) | Command::Extend { .. } => true,
            Command::Help
            | Command::List
            | Command::Status { .. }
            | Command::Cancel { .. }
            | Command::End { .. }
            | Command::Approvals
            | Command::Approve { .. }
            | Command::Deny { .. }
            | Command::Login
            | Command::Logout => false,
        }
    }

    /// Whether the command may change a request (and so is always audited with its outcome).
    pub fn is_mutating(&self) -> bool {
        match self {
            Command::Help
            | Command::List
            | Command::Status { .. }
            | Command::Approvals
            | Command::Login => false,
            Command::Request(_)
            | Command::Cancel { .. }
            | Command::End { .. }
            | Command::Extend { .. }
            | Command::Approve { .. }
            | Command::Deny { .. }
            | Command::Logout => true,
        }
    }

    /// Whether the command asks for the request form: `request` with no target, whatever else
    /// it has.
    pub fn opens_form(&self) -> bool {
        matches!(self, Command::Request(RequestArgs { target: None, .. }))
    }
}

/// Parses the text after the command prefix. Empty text is `help`.
pub fn parse(text: &str) -> Result<Command, ParseError> {
    let words = tokenize(text)?;
    let Some((first, rest)) = words.split_first() else {
        return Ok(Command::Help);
    };
    let id = |command: &'static str, usage: &'static str| -> Result<ShortId, ParseError> {
        let word = rest.first().ok_or(ParseError::Missing {
            command,
            what: "a request id such as PIM-1042",
            usage,
        })?;
        ShortId::parse(&word.text).map_err(|e| ParseError::Invalid(e.to_string()))
    };
    let reason_after_id = || (rest.len() > 1).then(|| join(&rest[1..]));
    match first.text.to_ascii_lowercase().as_str() {
        "help" | "?" => Ok(Command::Help),
        "list" | "ls" => Ok(Command::List),
        "request" | "req" => parse_request(rest).map(Command::Request),
        "status" => match rest.first() {
            None => Ok(Command::Status { id: None }),
            Some(_) => id("status", "status [ID]").map(|id| Command::Status { id: Some(id) }),
        },
        "cancel" => id("cancel", "cancel ID").map(|id| Command::Cancel { id }),
        "end" => id("end", "end ID").map(|id| Command::End { id }),
        "extend" => id("extend", "extend ID").map(|id| Command::Extend { id }),
        "approvals" => Ok(Command::Approvals),
        "login" | "signin" => Ok(Command::Login),
        "logout" | "signout" => Ok(Command::Logout),
        "approve" => Ok(Command::Approve {
            id: id("approve", "approve ID [REASON]")?,
            reason: reason_after_id(),
        }),
        "deny" => {
            let id = id("deny", "deny ID REASON")?;
            let reason = reason_after_id().ok_or(ParseError::Missing {
                command: "deny",
                what: "a reason",
                usage: "deny ID REASON",
            })?;
            Ok(Command::Deny { id, reason })
        }
        other => Err(ParseError::UnknownCommand(truncate(other, 40))),
    }
}

fn parse_request(words: &[Word]) -> Result<RequestArgs, ParseError> {
    let mut args = RequestArgs::default();
    let mut rest = words;
    if let Some((first, tail)) = rest.split_first()
        && !first.is_keyword("for")
        && !first.is_keyword("ticket")
    {
        args.target =
            Some(TargetRef::parse(&first.text).map_err(|e| ParseError::Invalid(e.to_string()))?);
        rest = tail;
    }
    loop {
        match rest {
            [keyword, value, tail @ ..] if keyword.is_keyword("for") => {
                let duration = ElevationDuration::parse(&value.text)
                    .map_err(|e| ParseError::Invalid(e.to_string()))?;
                args.duration = Some(duration);
                rest = tail;
            }
            [keyword, value, tail @ ..] if keyword.is_keyword("ticket") => {
                args.ticket = Some(value.text.clone());
                rest = tail;
            }
            [keyword] if keyword.is_keyword("for") => {
                return Err(ParseError::Missing {
                    command: "request",
                    what: "a duration after `for`",
                    usage: "request TARGET for 2h ticket INC-1 REASON",
                });
            }
            [keyword] if keyword.is_keyword("ticket") => {
                return Err(ParseError::Missing {
                    command: "request",
                    what: "a ticket id after `ticket`",
                    usage: "request TARGET for 2h ticket INC-1 REASON",
                });
            }
            _ => break,
        }
    }
    if !rest.is_empty() {
        args.reason = Some(join(rest));
    }
    Ok(args)
}

/// One word of a command, and whether any of it was quoted: a quoted `"for"` is text (a
/// reason, a ticket), never the keyword.
struct Word {
    text: String,
    quoted: bool,
}

impl Word {
    fn is_keyword(&self, keyword: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(keyword)
    }
}

/// The words' text, joined by single spaces.
fn join(words: &[Word]) -> String {
    let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    texts.join(" ")
}

/// The characters that open and close a quote: straight and curly double quotes.
const QUOTES: [char; 3] = ['"', '\u{201c}', '\u{201d}'];

/// The grammar's keywords inside `request`; a quoted one is text.
const KEYWORDS: [&str; 2] = ["for", "ticket"];

/// Splits on whitespace; double quotes (straight or curly) group words and are removed.
fn tokenize(text: &str) -> Result<Vec<Word>, ParseError> {
    let mut words = Vec::new();
    let mut word = Word {
        text: String::new(),
        quoted: false,
    };
    let mut in_word = false;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            c if QUOTES.contains(&c) => {
                quoted = !quoted;
                word.quoted = true;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::replace(
                        &mut word,
                        Word {
                            text: String::new(),
                            quoted: false,
                        },
                    ));
                    in_word = false;
                }
            }
            c => {
                word.text.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return Err(ParseError::UnclosedQuote);
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Reads a target as the grammar writes one, in one word (`app1-secrets`,
/// `role:"Security Reader"@/`): the request form's values, which are pimbot's own `list` keys.
/// Anything else (more words, an open quote) is not a target.
pub fn parse_target(text: &str) -> Result<TargetRef, TargetRefError> {
    match tokenize(text).as_deref() {
        Ok([word]) => TargetRef::parse(&word.text),
        _ => Err(TargetRefError(text.to_owned())),
    }
}

#[cfg(test)]
mod tests;
