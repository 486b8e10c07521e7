//! The request form's logic, free of I/O: what the modal carries in `private_metadata`, checking a
//! submission against what the form offered, and turning it into the command text the service
//! parses. The service checks everything again; this only puts errors on the right field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::payload::ViewState;
use crate::domain::duration::ElevationDuration;
use crate::domain::refusal::Refusal;
use crate::service::ports::EligibleTarget;

/// Slack's limits on a static select and on `private_metadata`.
const MAX_OPTIONS: usize = 100;
const MAX_OPTION_VALUE: usize = 150;
const MAX_METADATA: usize = 3000;

/// `block_id`s (and `action_id`s) of the request form's inputs.
pub(crate) const TARGET: &str = "target";
pub(crate) const DURATION: &str = "duration";
pub(crate) const TICKET: &str = "ticket";
pub(crate) const JUSTIFICATION: &str = "justification";

/// What travels with the form: the channel it was opened from and each offered target's limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FormMetadata {
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub(crate) channel: Option<String>,
    #[serde(rename = "t", default)]
    pub(crate) targets: Vec<FormTarget>,
    /// Some offered targets did not fit: a submission of those is left to the service to check.
    #[serde(rename = "p", default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) partial: bool,
}

/// One offered target's limits, in short field names to fit Slack's 3000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FormTarget {
    #[serde(rename = "k")]
    pub(crate) key: String,
    /// Maximum, in minutes.
    #[serde(rename = "m")]
    pub(crate) max: u32,
    /// Default, in minutes.
    #[serde(rename = "d")]
    pub(crate) default: u32,
    #[serde(rename = "t", default)]
    pub(crate) ticket: bool,
    #[serde(rename = "j", default)]
    pub(crate) justification: bool,
}

impl FormMetadata {
    /// The targets the form can offer (Slack's limits) and the metadata describing them.
    pub(crate) fn offer<'a>(
        channel: Option<&str>,
        targets: &'a [EligibleTarget],
    ) -> (Vec<&'a EligibleTarget>, FormMetadata) {
        let offered: Vec<&EligibleTarget> = targets
            .iter()
            .filter(|t| !t.key.is_empty() && t.key.len() <= MAX_OPTION_VALUE)
            .take(MAX_OPTIONS)
            .collect();
        let mut metadata = FormMetadata {
            channel: channel.map(Into::into),
            targets: Vec::new(),
            partial: false,
        };
        for target in &offered {
            metadata.targets.push(FormTarget {
                key: target.key.clone(),
                max: target.max_duration.minutes(),
                default: target.default_duration.minutes(),
                ticket: target.require_ticket,
                justification: target.require_justification,
            });
            if metadata.encode().len() > MAX_METADATA - 10 {
                metadata.targets.pop();
                metadata.partial = true;
                break;
            }
        }
        (offered, metadata)
    }

    pub(crate) fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Unreadable metadata reads as "nothing known", which the checks treat as partial.
    pub(crate) fn decode(text: &str) -> FormMetadata {
        serde_json::from_str(text).unwrap_or(FormMetadata {
            partial: true,
            ..FormMetadata::default()
        })
    }
}

/// Field errors by `block_id`, as `response_action: errors` wants them.
pub(crate) type FieldErrors = BTreeMap<&'static str, String>;

/// A checked submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormRequest {
    pub(crate) key: String,
    pub(crate) duration: Option<ElevationDuration>,
    pub(crate) ticket: Option<String>,
    pub(crate) justification: Option<String>,
}

/// Checks a submission against what the form offered.
pub(crate) fn validate(
    state: &ViewState,
    metadata: &FormMetadata,
) -> Result<FormRequest, FieldErrors> {
    let mut errors = FieldErrors::new();
    let key = state.text(TARGET, TARGET);
    let duration = state.text(DURATION, DURATION);
    let ticket = state.text(TICKET, TICKET);
    let justification = state.text(JUSTIFICATION, JUSTIFICATION);
    let limits = key
        .as_deref()
        .and_then(|k| metadata.targets.iter().find(|t| t.key == k));
    match (&key, limits) {
        (None, _) => {
            errors.insert(TARGET, "Choose what you need.".into());
        }
        (Some(_), None) if !metadata.partial => {
            errors.insert(
                TARGET,
                "That target is not offered any more: close the form and open it again.".into(),
            );
        }
        _ => {}
    }
    let duration = match duration.as_deref().map(ElevationDuration::parse) {
        None => limits.and_then(|l| ElevationDuration::from_minutes(l.default)),
        Some(Err(e)) => {
            errors.insert(DURATION, e.to_string());
            None
        }
        Some(Ok(requested)) => {
            let maximum = limits.and_then(|l| ElevationDuration::from_minutes(l.max));
            if let Some(maximum) = maximum.filter(|m| requested > *m) {
                let refusal = Refusal::OverMaximum { requested, maximum };
                errors.insert(DURATION, refusal.to_string());
            }
            Some(requested)
        }
    };
    match &ticket {
        None if limits.is_some_and(|l| l.ticket) => {
            errors.insert(TICKET, "This target requires a ticket id.".into());
        }
        Some(t) if t.contains(is_quote) => {
            errors.insert(TICKET, "A ticket id cannot contain quotes.".into());
        }
        _ => {}
    }
    match justification.as_deref() {
        None if limits.is_some_and(|l| l.justification) => {
            errors.insert(
                JUSTIFICATION,
                "This target requires a justification: say why you need it.".into(),
            );
        }
        Some(j) if j.eq_ignore_ascii_case("for") || j.eq_ignore_ascii_case("ticket") => {
            errors.insert(JUSTIFICATION, "Say a little more about why.".into());
        }
        _ => {}
    }
    match key {
        Some(key) if errors.is_empty() => Ok(FormRequest {
            key,
            duration,
            ticket,
            justification,
        }),
        _ => Err(errors),
    }
}

impl FormRequest {
    /// `request <key> for <duration> ticket <ticket> "<justification>"`, quoted so that the
    /// grammar reads back exactly these parts (a reason starting with `for` stays a reason).
    pub(crate) fn command_text(&self) -> String {
        let mut text = format!("request {}", self.key);
        if let Some(duration) = self.duration {
            text.push_str(&format!(" for {duration}"));
        }
        if let Some(ticket) = &self.ticket {
            if ticket.contains(char::is_whitespace) {
                text.push_str(&format!(" ticket \"{ticket}\""));
            } else {
                text.push_str(&format!(" ticket {ticket}"));
            }
        }
        if let Some(justification) = &self.justification {
            let unquoted: String = justification
                .chars()
                .map(|c| if is_quote(c) { '\'' } else { c })
                .collect();
            text.push_str(&format!(" \"{unquoted}\""));
        }
        text
    }
}

/// The quote characters the command tokenizer treats as quotes.
fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201c}' | '\u{201d}')
}

/// The service's `form_ref` for a Slack modal: the view id, and the channel the form was opened
/// from (a `views.update` replaces `private_metadata`, so the channel must travel with the ref).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormRef {
    pub(crate) view_id: String,
    pub(crate) channel: Option<String>,
}

impl FormRef {
    pub(crate) fn parse(text: &str) -> FormRef {
        match text.split_once('/') {
            Some((view_id, channel)) if !channel.is_empty() => FormRef {
                view_id: view_id.into(),
                channel: Some(channel.into()),
            },
            _ => FormRef {
                view_id: text.trim_end_matches('/').into(),
                channel: None,
            },
        }
    }
}

impl std::fmt::Display for FormRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.channel {
            Some(channel) => write!(f, "{}/{channel}", self.view_id),
            None => f.write_str(&self.view_id),
        }
    }
}

#[cfg(test)]
mod tests;
