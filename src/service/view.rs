//! What pimbot says, platform-neutral: every word of the approval message and of the notices is
//! written here once. A view is a list of [`Line`]s made of [`Span`]s that say what each piece is
//! (pimbot's words, someone's text to escape, a person to mention, a time, a command to type);
//! the Slack and Teams renderers only turn them into Block Kit or an Adaptive Card, with their own
//! escaping, emphasis and mentions.

mod approval;
mod notice;

use chrono::{DateTime, Utc};

use crate::domain::request::Person;

pub use approval::{ApprovalView, Fact};
pub use notice::{approver_message, requester_message};

/// One piece of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    /// pimbot's own words.
    Words(String),
    /// Text someone typed or a directory holds (a target, a reason, a ticket): escaped by the
    /// renderer, then cut to `max` characters.
    Text {
        text: String,
        max: usize,
    },
    /// The same, emphasised (bold).
    Strong {
        text: String,
        max: usize,
    },
    /// pimbot's words, in italics (`none given`).
    Aside(String),
    /// An identifier shown as code where the platform can (a scope's id).
    Code {
        text: String,
        max: usize,
    },
    /// A person: mentioned where the platform can, else their name.
    Person(Person),
    /// A person's name, never a mention (tallies, the fallback text).
    Name(String),
    /// A time of day, `14:05 UTC`.
    Time(DateTime<Utc>),
    /// A command the reader may type, without the platform's prefix (`extend PIM-12`); Slack
    /// shows `/pim extend PIM-12`.
    Command(String),
    Emoji(Emoji),
}

/// The emoji pimbot puts before a notice; Slack writes its short codes, Teams the characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emoji {
    Approved,
    Denied,
    Failed,
    Unlocked,
    Hourglass,
    AlarmClock,
    Locked,
    Wastebasket,
}

impl Emoji {
    /// Slack's short code.
    pub fn short_code(self) -> &'static str {
        match self {
            Emoji::Approved => ":white_check_mark:",
            Emoji::Denied => ":no_entry:",
            Emoji::Failed => ":x:",
            Emoji::Unlocked => ":unlock:",
            Emoji::Hourglass => ":hourglass:",
            Emoji::AlarmClock => ":alarm_clock:",
            Emoji::Locked => ":lock:",
            Emoji::Wastebasket => ":wastebasket:",
        }
    }

    /// The character itself.
    pub fn character(self) -> &'static str {
        match self {
            Emoji::Approved => "✅",
            Emoji::Denied => "⛔",
            Emoji::Failed => "❌",
            Emoji::Unlocked => "🔓",
            Emoji::Hourglass => "⌛",
            Emoji::AlarmClock => "⏰",
            Emoji::Locked => "🔒",
            Emoji::Wastebasket => "🗑️",
        }
    }
}

/// The most characters of a person's name shown.
pub const NAME_MAX: usize = 80;

/// A line of text, built piece by piece.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line(pub Vec<Span>);

impl Line {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn words(mut self, words: impl Into<String>) -> Self {
        self.0.push(Span::Words(words.into()));
        self
    }

    pub fn text(mut self, text: impl Into<String>, max: usize) -> Self {
        self.0.push(Span::Text {
            text: text.into(),
            max,
        });
        self
    }

    pub fn strong(mut self, text: impl Into<String>, max: usize) -> Self {
        self.0.push(Span::Strong {
            text: text.into(),
            max,
        });
        self
    }

    pub fn aside(mut self, words: impl Into<String>) -> Self {
        self.0.push(Span::Aside(words.into()));
        self
    }

    pub fn code(mut self, text: impl Into<String>, max: usize) -> Self {
        self.0.push(Span::Code {
            text: text.into(),
            max,
        });
        self
    }

    pub fn person(mut self, person: &Person) -> Self {
        self.0.push(Span::Person(person.clone()));
        self
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.0.push(Span::Name(name.into()));
        self
    }

    pub fn time(mut self, at: DateTime<Utc>) -> Self {
        self.0.push(Span::Time(at));
        self
    }

    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.0.push(Span::Command(command.into()));
        self
    }

    pub fn emoji(mut self, emoji: Emoji) -> Self {
        self.0.push(Span::Emoji(emoji));
        self
    }

    /// Appends `other`'s spans.
    pub fn then(mut self, other: Line) -> Self {
        self.0.extend(other.0);
        self
    }

    /// `items` separated by `separator` (pimbot's words).
    pub fn joined(items: impl IntoIterator<Item = Line>, separator: &str) -> Self {
        let mut out = Line::new();
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out = out.words(separator);
            }
            out = out.then(item);
        }
        out
    }

    pub fn spans(&self) -> &[Span] {
        &self.0
    }
}

/// The buttons a message offers; each carries the request id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Deny,
    Extend,
    EndNow,
}

impl Action {
    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Action::Approve => "Approve",
            Action::Deny => "Deny",
            Action::Extend => "Extend",
            Action::EndNow => "End now",
        }
    }
}

/// A message: its lines, and the buttons it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub line: Line,
    pub actions: Vec<Action>,
}

/// `14:05 UTC`.
pub fn hhmm(at: DateTime<Utc>) -> String {
    at.format("%H:%M UTC").to_string()
}

/// At most `max` characters, with an ellipsis when cut (both platforms reject over-long fields).
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_clipped_with_an_ellipsis() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(clip("ééééé", 3), "éé…");
    }

    #[test]
    fn joined_lines_have_the_separator_between_items_only() {
        let line = Line::joined([Line::new().name("Bob"), Line::new().name("Carol")], ", ");
        assert_eq!(
            line.spans(),
            [
                Span::Name("Bob".into()),
                Span::Words(", ".into()),
                Span::Name("Carol".into())
            ]
        );
        assert!(Line::joined(Vec::new(), ", ").spans().is_empty());
    }
}
