//! Commands written back in the grammar's words: what a form or a button asked, for logs, messages
//! and the audit trail. Whatever [`parse`](super::parse) read is written so that it reads back the
//! same; text holding a quote (the grammar has no escape for one) is written as it is.

use std::borrow::Cow;
use std::fmt;

use super::{Command, KEYWORDS, QUOTES, RequestArgs};

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Command::Help
            | Command::List
            | Command::Approvals
            | Command::Login
            | Command::Logout
            | Command::Status { id: None } => Ok(()),
            Command::Status { id: Some(id) }
            | Command::Cancel { id }
            | Command::End { id }
            | Command::Extend { id }
            | Command::Approve { id, reason: None } => write!(f, " {id}"),
            Command::Approve {
                id,
                reason: Some(reason),
            }
            | Command::Deny { id, reason } => write!(f, " {id} {}", words(reason, false)),
            Command::Request(args) => write_request(f, args),
        }
    }
}

/// ` TARGET for DURATION ticket ID REASON`, each part only when present.
fn write_request(f: &mut fmt::Formatter<'_>, args: &RequestArgs) -> fmt::Result {
    if let Some(target) = &args.target {
        write!(f, " {}", word(&target.to_string()))?;
    }
    if let Some(duration) = args.duration {
        write!(f, " for {duration}")?;
    }
    if let Some(ticket) = &args.ticket {
        write!(f, " ticket {}", word(ticket))?;
    }
    if let Some(reason) = &args.reason {
        write!(f, " {}", words(reason, true))?;
    }
    Ok(())
}

/// One word that reads back as `text`: as it is when it is a plain word (not a keyword, no
/// space, no quote), else in quotes.
pub(super) fn word(text: &str) -> Cow<'_, str> {
    if is_plain(text) && !is_keyword(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("\"{text}\""))
    }
}

/// Free text that reads back as `text`: as it is when it is plain words split by single spaces
/// (and, `after_keywords`, its first word is no keyword, which the grammar would read as one),
/// else in quotes.
fn words(text: &str, after_keywords: bool) -> Cow<'_, str> {
    let plain = text.split(' ').all(is_plain);
    let keyword_first = after_keywords && text.split(' ').next().is_some_and(is_keyword);
    if plain && !keyword_first {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("\"{text}\""))
    }
}

fn is_plain(word: &str) -> bool {
    !word.is_empty()
        && !word
            .chars()
            .any(|c| c.is_whitespace() || QUOTES.contains(&c))
}

fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k))
}
