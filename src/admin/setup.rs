//! `pimbot admin apply --file SETUP.toml`: roles, groups, eligibilities and policies declared in
//! one file, and the pimbot `[[targets]]` that use them. The whole plan is printed first (with
//! placeholders for the ids of objects still to be created), then each section is planned again
//! against the tenant as the sections before it left it, and applied.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::args::{Expiry, GroupArgs, PolicyArgs, Selector, Target};
use super::names::Kind;
use super::plan::{Tally, print_plan, send, summary};
use super::{Change, Names, Result, Step, eligibility, group, invalid, policy, role};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Setup {
    #[serde(default)]
    roles: Vec<RoleEntry>,
    #[serde(default)]
    groups: Vec<GroupEntry>,
    #[serde(default)]
    eligibilities: Vec<EligibilityEntry>,
    #[serde(default)]
    policies: Vec<PolicyEntry>,
    /// pimbot's own `[[targets]]`, printed for `pimbot.toml` (pimbot reads them there).
    #[serde(default)]
    targets: Vec<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleEntry {
    /// A Graph unifiedRoleDefinition body (JSON), relative to the setup file.
    file: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupEntry {
    name: String,
    description: Option<String>,
    #[serde(default)]
    role_assignable: bool,
    #[serde(default)]
    owners: Vec<String>,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EligibilityEntry {
    #[serde(flatten)]
    target: Target,
    principal: String,
    justification: Option<String>,
    duration: Option<String>,
    until: Option<String>,
    #[serde(default)]
    permanent: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyEntry {
    #[serde(flatten)]
    target: Target,
    max_duration: Option<String>,
    require: Option<Vec<String>>,
    approval: Option<Vec<String>>,
}

fn read(file: &Path) -> Result<(Setup, PathBuf)> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| invalid(format!("cannot read {}: {e}", file.display())))?;
    let setup: Setup =
        toml::from_str(&text).map_err(|e| invalid(format!("{}: {e}", file.display())))?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    for (at, e) in setup.eligibilities.iter().enumerate() {
        let t = &e.target;
        let kinds = [t.role.is_some(), t.group.is_some(), t.azure_role.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err(invalid(format!(
                "{}: eligibilities[{at}] needs exactly one of role, group (with access), azure_role (with scope)",
                file.display()
            )));
        }
        let expiries = [e.duration.is_some(), e.until.is_some(), e.permanent];
        if expiries.iter().filter(|k| **k).count() != 1 {
            return Err(invalid(format!(
                "{}: eligibilities[{at}] needs exactly one of duration, until, permanent = true",
                file.display()
            )));
        }
    }
    Ok((setup, dir))
}

/// The four sections, each planned against the tenant as it is now.
async fn plan_section(
    names: &Names,
    setup: &Setup,
    dir: &Path,
    section: usize,
) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    match section {
        0 => {
            for entry in &setup.roles {
                let path = dir.join(&entry.file);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
                let body: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| invalid(format!("{} is not JSON: {e}", path.display())))?;
                let step = role::step(names, &body, &path.display().to_string()).await?;
                if step.change == Change::Create {
                    names.expect(Kind::Role, body["displayName"].as_str().unwrap_or_default());
                }
                steps.push(step);
            }
        }
        1 => {
            for entry in &setup.groups {
                let args = GroupArgs {
                    name: entry.name.clone(),
                    description: entry.description.clone(),
                    role_assignable: entry.role_assignable,
                    owners: entry.owners.clone(),
                    members: entry.members.clone(),
                };
                let step = group::step(names, &args).await?;
                if step.change == Change::Create {
                    names.expect(Kind::Group, &entry.name);
                }
                steps.push(step);
            }
        }
        2 => {
            for e in &setup.eligibilities {
                let selector = Selector {
                    target: e.target.clone(),
                    principal: e.principal.clone(),
                    justification: e.justification.clone(),
                };
                let expiry = Expiry {
                    duration: e.duration.clone(),
                    until: e.until.clone(),
                    permanent: e.permanent,
                };
                steps.push(eligibility::step(names, &selector, Some(&expiry)).await?);
            }
        }
        _ => {
            for p in &setup.policies {
                let args = PolicyArgs {
                    target: p.target.clone(),
                    max_duration: p.max_duration.clone(),
                    require: p.require.clone(),
                    approval: p.approval.clone(),
                };
                steps.push(policy::step(names, &args).await?);
            }
        }
    }
    Ok(steps)
}

const SECTIONS: usize = 4;

pub(crate) async fn apply(names: &Names, file: &Path, dry_run: bool, say: fn(&str)) -> Result<()> {
    let (setup, dir) = read(file)?;
    let mut planned = Vec::new();
    for section in 0..SECTIONS {
        planned.extend(plan_section(names, &setup, &dir, section).await?);
    }
    say(&format!("plan for {}:", file.display()));
    print_plan(&names.api, &planned, say);
    let tally = Tally::of(&planned);
    if dry_run || tally.changes() == 0 {
        say(&summary(tally, dry_run));
        print_targets(&setup, say);
        return Ok(());
    }
    say("applying:");
    let mut done = Tally::default();
    let fresh = Names::new(names.api.clone());
    for section in 0..SECTIONS {
        let steps = plan_section(&fresh, &setup, &dir, section).await?;
        send(&names.api, &steps, say).await?;
        done.add(Tally::of(&steps));
    }
    say(&summary(done, false));
    print_targets(&setup, say);
    Ok(())
}

/// The `[[targets]]` of the setup, for pimbot's configuration.
fn print_targets(setup: &Setup, say: fn(&str)) {
    if setup.targets.is_empty() {
        return;
    }
    say("pimbot [[targets]] for pimbot.toml (then run `pimbot check`):");
    for target in &setup.targets {
        say("[[targets]]");
        say(toml::to_string(target).unwrap_or_default().trim_end());
    }
}
