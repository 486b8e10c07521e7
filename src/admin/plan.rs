//! A plan: one step per object (a role, a group, an eligibility, a policy), what would change,
//! and the exact calls that make the change; printed, then (unless a dry run) carried out.

use serde_json::Value;

use super::Result;
use crate::pim::TenantApi;
use crate::pim::tenant::Call;

/// Stands for the id Graph gives an object created by an earlier call of the same step (a new
/// group, before its owners are added): known only once that call is answered.
pub(crate) const NEW_ID: &str = "NEW_OBJECT_ID";

/// What a step does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Create,
    Update,
    Remove,
    Unchanged,
}

impl Change {
    fn planned(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Remove => "remove",
            Change::Unchanged => "unchanged",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Change::Create => "created",
            Change::Update => "updated",
            Change::Remove => "removed",
            Change::Unchanged => "unchanged",
        }
    }
}

/// One object of the plan.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// `role "Application Secret Manager"`, `eligibility of Team for … on App1`.
    pub(crate) object: String,
    pub(crate) change: Change,
    /// Why (for an update: what differs); shown after the change.
    pub(crate) detail: Option<String>,
    pub(crate) calls: Vec<Call>,
}

impl Step {
    pub(crate) fn unchanged(object: impl Into<String>) -> Self {
        Self {
            object: object.into(),
            change: Change::Unchanged,
            detail: None,
            calls: Vec::new(),
        }
    }

    pub(crate) fn new(object: impl Into<String>, change: Change, calls: Vec<Call>) -> Self {
        Self {
            object: object.into(),
            change,
            detail: None,
            calls,
        }
    }

    pub(crate) fn because(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// How many steps of each kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) create: usize,
    pub(crate) update: usize,
    pub(crate) remove: usize,
    pub(crate) unchanged: usize,
}

impl Tally {
    pub(crate) fn of(steps: &[Step]) -> Self {
        let mut tally = Self::default();
        for step in steps {
            match step.change {
                Change::Create => tally.create += 1,
                Change::Update => tally.update += 1,
                Change::Remove => tally.remove += 1,
                Change::Unchanged => tally.unchanged += 1,
            }
        }
        tally
    }

    pub(crate) fn add(&mut self, other: Tally) {
        self.create += other.create;
        self.update += other.update;
        self.remove += other.remove;
        self.unchanged += other.unchanged;
    }

    pub(crate) fn changes(self) -> usize {
        self.create + self.update + self.remove
    }
}

/// Prints each step and its calls (`METHOD URL` and the JSON body).
pub(crate) fn print_plan(api: &TenantApi, steps: &[Step], say: fn(&str)) {
    for step in steps {
        let detail = step
            .detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        say(&format!(
            "{}: {}{detail}",
            step.object,
            step.change.planned()
        ));
        for call in &step.calls {
            say(&format!("  {} {}", call.verb.as_str(), api.url(call)));
            if let Some(body) = &call.body {
                say(&format!("    {body}"));
            }
        }
    }
}

/// The summary line of a dry run or a run.
pub(crate) fn summary(tally: Tally, dry_run: bool) -> String {
    if tally.changes() == 0 {
        return format!(
            "nothing to change: {} object(s) already as declared",
            tally.unchanged
        );
    }
    let counts = format!(
        "{} to create, {} to update, {} to remove, {} unchanged",
        tally.create, tally.update, tally.remove, tally.unchanged
    );
    if dry_run {
        format!("dry run: {counts}; nothing was sent")
    } else {
        counts
            .replace("to create", "created")
            .replace("to update", "updated")
            .replace("to remove", "removed")
    }
}

/// Prints the plan; unless `dry_run`, sends each step's calls in order. The tally of the steps.
pub(crate) async fn carry_out(
    api: &TenantApi,
    steps: Vec<Step>,
    dry_run: bool,
    say: fn(&str),
) -> Result<Tally> {
    print_plan(api, &steps, say);
    let tally = Tally::of(&steps);
    if !dry_run {
        send(api, &steps, say).await?;
    }
    say(&summary(tally, dry_run));
    Ok(tally)
}

/// Sends every call of every step; a new object's id replaces [`NEW_ID`] in the calls after it.
pub(crate) async fn send(api: &TenantApi, steps: &[Step], say: fn(&str)) -> Result<()> {
    for step in steps.iter().filter(|s| s.change != Change::Unchanged) {
        let mut new_id: Option<String> = None;
        for call in &step.calls {
            let call = match &new_id {
                Some(id) => with_id(call, id),
                None => call.clone(),
            };
            let answer = api.send(&call).await?;
            if new_id.is_none()
                && let Some(id) = answer.get("id").and_then(Value::as_str)
            {
                new_id = Some(id.to_owned());
            }
        }
        say(&format!("{}: {}", step.object, step.change.done()));
    }
    Ok(())
}

fn with_id(call: &Call, id: &str) -> Call {
    let mut call = call.clone();
    call.path = call.path.replace(NEW_ID, id);
    if let Some(body) = &call.body
        && let Ok(body) = serde_json::from_str(&body.to_string().replace(NEW_ID, id))
    {
        call.body = Some(body);
    }
    call
}
