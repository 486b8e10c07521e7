//! The request form's logic, free of I/O: what the modal carries in `private_metadata`, and reading
//! a submission field by field (free text stays as written) into the `request` it asks, checked
//! against what the form offered. The service checks everything again; this only puts errors on
//! the right field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::payload::ViewState;
use crate::domain::command::{Field, RequestArgs, RequestFields};
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

/// The `block_id` of a form field.
fn block(field: Field) -> &'static str {
    match field {
        Field::Target => TARGET,
        Field::Duration => DURATION,
        Field::Ticket => TICKET,
        Field::Justification => JUSTIFICATION,
    }
}

/// Reads a submission field by field and checks it against what the form offered: the request
/// it asks, or an error on each field that needs one.
pub(crate) fn validate(
    state: &ViewState,
    metadata: &FormMetadata,
) -> Result<RequestArgs, FieldErrors> {
    let fields = RequestFields {
        target: state.text(TARGET, TARGET),
        duration: state.text(DURATION, DURATION),
        ticket: state.text(TICKET, TICKET),
        justification: state.text(JUSTIFICATION, JUSTIFICATION),
    };
    let (mut args, read_errors) = fields.read_each();
    let mut errors: FieldErrors = read_errors
        .into_iter()
        .map(|(field, message)| (block(field), message))
        .collect();
    let limits = fields
        .target
        .as_deref()
        .and_then(|k| metadata.targets.iter().find(|t| t.key == k));
    if fields.target.is_some() && limits.is_none() && !metadata.partial {
        errors.insert(
            TARGET,
            "That target is not offered any more: close the form and open it again.".into(),
        );
    }
    match args.duration {
        None if !errors.contains_key(DURATION) => {
            args.duration = limits.and_then(|l| ElevationDuration::from_minutes(l.default));
        }
        None => {}
        Some(requested) => {
            let maximum = limits.and_then(|l| ElevationDuration::from_minutes(l.max));
            if let Some(maximum) = maximum.filter(|m| requested > *m) {
                let refusal = Refusal::OverMaximum { requested, maximum };
                errors.insert(DURATION, refusal.to_string());
            }
        }
    }
    if args.ticket.is_none() && limits.is_some_and(|l| l.ticket) {
        errors.insert(TICKET, "This target requires a ticket id.".into());
    }
    if args.reason.is_none() && limits.is_some_and(|l| l.justification) {
        errors.insert(
            JUSTIFICATION,
            "This target requires a justification: say why you need it.".into(),
        );
    }
    if errors.is_empty() {
        Ok(args)
    } else {
        Err(errors)
    }
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
