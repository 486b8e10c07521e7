//! `pimbot admin group apply`: a security group by name, created when missing (with a mail
//! nickname derived from the name), its description updated when it differs, and the owners and
//! members named added when they are not there yet. Owners and members not named are left as
//! they are: the command only adds.

use serde_json::{Value, json};

use super::args::{GroupArgs, GroupCommand};
use super::names::id_of;
use super::plan::NEW_ID;
use super::{Change, Names, Result, Step};
use crate::pim::tenant::{Call, Service, Verb};

pub(crate) async fn plan(names: &Names, command: &GroupCommand) -> Result<Vec<Step>> {
    let GroupCommand::Apply(args) = command;
    Ok(vec![step(names, args).await?])
}

/// `Team Alpha!` → `TeamAlpha`: what Graph allows in a mail nickname.
fn mail_nickname(name: &str) -> String {
    let nickname: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .collect();
    if nickname.is_empty() {
        "group".to_owned()
    } else {
        nickname
    }
}

fn reference(id: &str) -> Value {
    json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}") })
}

pub(crate) async fn step(names: &Names, args: &GroupArgs) -> Result<Step> {
    let object = format!("group \"{}\"", args.name);
    let mut owners = Vec::new();
    for owner in &args.owners {
        owners.push(names.user_id(owner).await?);
    }
    let mut members = Vec::new();
    for member in &args.members {
        members.push(names.principal_id(member).await?);
    }
    let Some(current) = names.find_group(&args.name).await? else {
        let mut body = json!({
            "displayName": args.name,
            "mailEnabled": false,
            "mailNickname": mail_nickname(&args.name),
            "securityEnabled": true,
        });
        if let Some(description) = &args.description {
            body["description"] = json!(description);
        }
        if args.role_assignable {
            body["isAssignableToRole"] = json!(true);
        }
        let mut calls = vec![Call::new(Service::Graph, Verb::Post, "groups").body(body)];
        calls.extend(references(NEW_ID, "owners", &owners));
        calls.extend(references(NEW_ID, "members", &members));
        return Ok(Step::new(object, Change::Create, calls));
    };
    let id = id_of(&current);
    let mut calls = Vec::new();
    let mut differs = Vec::new();
    if let Some(description) = &args.description
        && current["description"].as_str() != Some(description.as_str())
    {
        differs.push("description".to_owned());
        calls.push(
            Call::new(Service::Graph, Verb::Patch, format!("groups/{id}"))
                .body(json!({ "description": description })),
        );
    }
    if args.role_assignable && current["isAssignableToRole"] != true {
        return Err(super::invalid(format!(
            "group `{}` exists and is not role-assignable; Graph sets that only when a group is created (create a new group, or drop --role-assignable)",
            args.name
        )));
    }
    for (property, wanted) in [("owners", &owners), ("members", &members)] {
        let have = names
            .api
            .list(
                &Call::new(Service::Graph, Verb::Get, format!("groups/{id}/{property}"))
                    .query("$select", "id"),
            )
            .await?;
        let missing: Vec<String> = wanted
            .iter()
            .filter(|w| {
                !have
                    .iter()
                    .any(|h| h["id"].as_str().is_some_and(|h| h.eq_ignore_ascii_case(w)))
            })
            .cloned()
            .collect();
        if !missing.is_empty() {
            differs.push(format!("{} {property} to add", missing.len()));
            calls.extend(references(&id, property, &missing));
        }
    }
    if calls.is_empty() {
        return Ok(Step::unchanged(object));
    }
    Ok(Step::new(object, Change::Update, calls).because(differs.join(", ")))
}

fn references(group: &str, property: &str, ids: &[String]) -> Vec<Call> {
    ids.iter()
        .map(|id| {
            Call::new(
                Service::Graph,
                Verb::Post,
                format!("groups/{group}/{property}/$ref"),
            )
            .body(reference(id))
        })
        .collect()
}
