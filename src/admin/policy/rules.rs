//! What `policy set` asks of a policy's end-user rules, and the rule bodies that differ from
//! what PIM has now, in Graph's spelling (`@odata.type`, subject sets) or ARM's (`ruleType`,
//! `UserSet`s). A rule keeps the rest of its current body.

use serde_json::{Value, json};

use crate::domain::duration::ElevationDuration;

/// Graph or ARM spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Graph,
    Arm,
}

/// An approver: a user, or the members of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Approver {
    pub(crate) id: String,
    pub(crate) is_group: bool,
}

impl Approver {
    fn json(&self, dialect: Dialect) -> Value {
        match (dialect, self.is_group) {
            (Dialect::Graph, true) => {
                json!({"@odata.type": "#microsoft.graph.groupMembers", "groupId": self.id})
            }
            (Dialect::Graph, false) => {
                json!({"@odata.type": "#microsoft.graph.singleUser", "userId": self.id})
            }
            (Dialect::Arm, group) => json!({
                "userType": if group { "Group" } else { "User" },
                "id": self.id,
                "isBackup": false,
            }),
        }
    }
}

/// The rules `policy set` was given; `None` leaves a rule alone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Wanted {
    pub(crate) max_duration: Option<ElevationDuration>,
    /// PIM's names (`Justification`, `Ticketing`, `MultiFactorAuthentication`), sorted.
    pub(crate) enabled_rules: Option<Vec<String>>,
    /// Empty: no approval.
    pub(crate) approvers: Option<Vec<Approver>>,
}

fn kind(dialect: Dialect, name: &str) -> (&'static str, String) {
    match dialect {
        Dialect::Graph => (
            "@odata.type",
            format!("#microsoft.graph.unifiedRoleManagementPolicy{name}Rule"),
        ),
        Dialect::Arm => ("ruleType", format!("RoleManagementPolicy{name}Rule")),
    }
}

fn approver_ids(rule: &Value) -> Vec<String> {
    let mut ids: Vec<String> = rule["setting"]["approvalStages"][0]["primaryApprovers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| {
            a["userId"]
                .as_str()
                .or_else(|| a["groupId"].as_str())
                .or_else(|| a["id"].as_str())
        })
        .map(str::to_ascii_lowercase)
        .collect();
    ids.sort();
    ids
}

/// `(rule id, new body, what changed)` for each rule that differs.
pub(crate) fn changes(
    current: &[Value],
    wanted: &Wanted,
    dialect: Dialect,
) -> Vec<(String, Value, String)> {
    let rule = |id: &str, name: &str| {
        current
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or_else(|| {
                let (key, value) = kind(dialect, name);
                json!({ "id": id, key: value })
            })
    };
    let mut out = Vec::new();
    if let Some(max) = wanted.max_duration {
        let id = "Expiration_EndUser_Assignment";
        let mut body = rule(id, "Expiration");
        let now = body["maximumDuration"]
            .as_str()
            .and_then(|d| ElevationDuration::parse(d).ok());
        if now != Some(max) {
            body["maximumDuration"] = json!(max.to_iso8601());
            body["isExpirationRequired"] = json!(true);
            out.push((id.to_owned(), body, format!("maximum {}", max.to_iso8601())));
        }
    }
    if let Some(enabled) = &wanted.enabled_rules {
        let id = "Enablement_EndUser_Assignment";
        let mut body = rule(id, "Enablement");
        let mut now: Vec<String> = body["enabledRules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect();
        now.sort();
        if &now != enabled {
            body["enabledRules"] = json!(enabled);
            let what = if enabled.is_empty() {
                "requires nothing".to_owned()
            } else {
                format!("requires {}", enabled.join(", "))
            };
            out.push((id.to_owned(), body, what));
        }
    }
    if let Some(approvers) = &wanted.approvers {
        let id = "Approval_EndUser_Assignment";
        let mut body = rule(id, "Approval");
        let mut wanted_ids: Vec<String> = approvers
            .iter()
            .map(|a| a.id.to_ascii_lowercase())
            .collect();
        wanted_ids.sort();
        let required = !approvers.is_empty();
        if approver_ids(&body) != wanted_ids || body["setting"]["isApprovalRequired"] != required {
            let sets: Vec<Value> = approvers.iter().map(|a| a.json(dialect)).collect();
            body["setting"]["isApprovalRequired"] = json!(required);
            if body["setting"]["approvalStages"][0].is_object() {
                body["setting"]["approvalStages"][0]["primaryApprovers"] = json!(sets);
            } else {
                body["setting"]["approvalStages"] = json!([{ "primaryApprovers": sets }]);
            }
            let what = if required { "approvers" } else { "no approval" };
            out.push((id.to_owned(), body, what.to_owned()));
        }
    }
    out
}
