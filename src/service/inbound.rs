//! What a chat adapter hands to [`Service::accept_command`](super::Service::accept_command): who
//! sent a command and where, and the command, read once at the edge. Typed text goes through the
//! grammar here ([`Inbound::typed`]); a form or a button hands over the command it built
//! ([`Inbound::built`]), which no grammar reads again.

use crate::domain::command::{self, Command, ParseError};
use crate::domain::request::Platform;

/// Who sent a command, from where, and where its answers go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub platform: Platform,
    /// Slack user id, or the Entra object id of a Teams user.
    pub chat_user: String,
    /// Their Slack team id or Teams tenant id (with `chat_user`, who the limits count).
    pub workspace: String,
    /// Where it was sent.
    pub conversation: String,
    /// Where to answer (Slack: a `response_url` or a DM).
    pub reply_to: String,
}

impl Envelope {
    /// Who sent it, as the per-user limits count.
    pub fn sender(&self) -> super::Sender {
        super::Sender {
            platform: self.platform,
            workspace: self.workspace.clone(),
            user: self.chat_user.clone(),
        }
    }
}

/// A chat command as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub envelope: Envelope,
    /// As typed, or as the form or button asked it in the grammar's words (for the audit trail).
    pub text: String,
    /// What it asks; input that could not be read keeps why, which is the answer.
    pub command: Result<Command, ParseError>,
}

impl Inbound {
    /// Text a person typed as a command (the platform's wrapping removed), read by the grammar
    /// here, the one time it is read.
    pub fn typed(envelope: Envelope, text: String) -> Self {
        let command = command::parse(&text);
        Self {
            envelope,
            text,
            command,
        }
    }

    /// A command a form or a button built, field by field.
    pub fn built(envelope: Envelope, command: Command) -> Self {
        Self {
            envelope,
            text: command.to_string(),
            command: Ok(command),
        }
    }

    /// Input from a form that could not be read: `text` shows what was sent, `error` is the
    /// answer.
    pub fn unreadable(envelope: Envelope, text: String, error: ParseError) -> Self {
        Self {
            envelope,
            text,
            command: Err(error),
        }
    }

    /// Whether it asks for the request form instead (`request` without a target).
    pub fn opens_form(&self) -> bool {
        self.command.as_ref().is_ok_and(Command::opens_form)
    }
}
