//! What pimbot tells people, platform-neutral; the chat adapters render it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A direct message to the requester about their request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// Approved; activation follows.
    Approved {
        by: Vec<String>,
    },
    /// The assignment exists until `until`.
    Active {
        until: DateTime<Utc>,
    },
    Denied {
        by: String,
        reason: String,
    },
    /// PIM refused or the retries ran out; `reason` is for the user.
    Failed {
        reason: String,
    },
    /// Nobody decided in time.
    Expired,
    /// The elevation ends at `until`, soon (`defaults.end_warning` before); the requester may end
    /// it now.
    EndingSoon {
        until: DateTime<Utc>,
    },
    /// The elevation is over (`early` when someone ended it).
    Ended {
        early: bool,
        by: Option<String>,
    },
    Cancelled,
}

/// A message to the approvers of a pending request, beside the approval message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApproverNotice {
    /// Halfway to the deadline and still undecided.
    Reminder,
    /// The deadline passed without a decision.
    Expired,
}

/// An answer to a command, shown where it was typed (only to the person who typed it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// Markdown-ish text: `*bold*`, `` `code` ``, bullet lines.
    pub text: String,
    /// A link shown after the text (a sign-in link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
}

/// A link as people see it: `label`, opening `url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            link: None,
        }
    }

    pub fn with_link(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.link = Some(Link {
            label: label.into(),
            url: url.into(),
        });
        self
    }
}

/// The answer to an Approve or Deny, and whether the decision was recorded (a refusal is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub reply: Reply,
    pub recorded: bool,
}
