//! The request form's inputs, read field by field into a `request` (Slack's modal and Teams' card
//! share the four fields). The target is one of pimbot's own keys; the duration is read as a
//! duration; the ticket and the justification are taken exactly as written, never as grammar.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{RequestArgs, parse_target, render};
use crate::domain::duration::ElevationDuration;

/// One input of the request form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Target,
    Duration,
    Ticket,
    Justification,
}

/// What is wrong with each input that cannot be read, in the form's order; the messages are for
/// the person filling it in.
pub type FieldErrors = BTreeMap<Field, String>;

/// The form's inputs as submitted: trimmed, a blank one as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFields {
    /// The chosen target's key, in the grammar's words (`role:"Security Reader"@/`).
    pub target: Option<String>,
    pub duration: Option<String>,
    pub ticket: Option<String>,
    pub justification: Option<String>,
}

impl RequestFields {
    /// Each input read on its own: what could be read, and what is wrong with the rest (the
    /// inputs that could not be read are `None` in the arguments).
    pub fn read_each(&self) -> (RequestArgs, FieldErrors) {
        let mut errors = FieldErrors::new();
        let target = match self.target.as_deref().map(parse_target) {
            None => {
                errors.insert(Field::Target, "Choose what you need.".into());
                None
            }
            Some(Err(error)) => {
                errors.insert(Field::Target, error.to_string());
                None
            }
            Some(Ok(target)) => Some(target),
        };
        let duration = match self.duration.as_deref().map(ElevationDuration::parse) {
            Some(Err(error)) => {
                errors.insert(Field::Duration, error.to_string());
                None
            }
            read => read.and_then(Result::ok),
        };
        let args = RequestArgs {
            target,
            duration,
            ticket: self.ticket.clone(),
            reason: self.justification.clone(),
        };
        (args, errors)
    }

    /// The inputs as a `request`, or what is wrong with each that cannot be read.
    pub fn read(&self) -> Result<RequestArgs, FieldErrors> {
        match self.read_each() {
            (args, errors) if errors.is_empty() => Ok(args),
            (_, errors) => Err(errors),
        }
    }

    /// The inputs as submitted, in the grammar's words, for the audit trail of a submission that
    /// could not be read.
    pub fn text(&self) -> String {
        let mut text = String::from("request");
        let parts = [
            ("", &self.target),
            ("for ", &self.duration),
            ("ticket ", &self.ticket),
            ("", &self.justification),
        ];
        for (keyword, value) in parts {
            if let Some(value) = value {
                let _ = write!(text, " {keyword}{}", render::word(value));
            }
        }
        text
    }
}
