//! Every published Graph example in `shared/contracts/graph-pim-examples` is accounted for: the
//! responses pimbot reads parse into its types; the rest are named as not read in `assign` mode.

use chrono::Utc;
use serde_json::Value;

use crate::domain::duration::ElevationDuration;
use crate::pim::fake::contract_examples;
use crate::pim::graph::groups::GroupInstance;
use crate::pim::graph::odata::User;
use crate::pim::graph::roles::ScheduleInstance;
use crate::pim::receipt::receipt;
use crate::pim::rules;

/// Approvals, self-activation and cancel are delegated (user-token) flows; `assign` mode does
/// not call them.
const NOT_READ: [&str; 5] = [
    "cancelRoleAssignmentScheduleRequest.json",
    "getApproval.json",
    "updateApprovalStage.json",
    "createRoleAssignmentScheduleRequest.selfActivate.json",
    "createPrivilegedAccessGroupAssignmentScheduleRequest.selfActivate.json",
];

fn items<T: serde::de::DeserializeOwned>(body: &Value) -> Vec<T> {
    let value = body["value"].as_array().cloned().unwrap_or_default();
    assert!(!value.is_empty(), "an example list with items");
    value
        .into_iter()
        .map(|item| serde_json::from_value(item).expect("parses into pimbot's type"))
        .collect()
}

#[test]
fn every_graph_example_response_parses_into_what_pimbot_reads() {
    let mut read = 0;
    for (name, example) in contract_examples("graph-pim-examples", &NOT_READ) {
        let body = &example["response"]["body"];
        read += 1;
        match name.as_str() {
            n if n.contains("AssignmentScheduleRequest.adminAssign") => {
                let duration = ElevationDuration::from_minutes(60).expect("valid");
                let receipt = receipt(body, None, duration, Utc::now());
                assert!(!receipt.pim_request_id.is_empty(), "{name}");
                assert_eq!(receipt.status, "Provisioned", "{name}");
                assert!(receipt.end.is_some(), "{name}");
            }
            "listGroupOwners.json" => {
                let owners: Vec<User> = items(body);
                assert!(owners.iter().any(User::is_user), "{name}");
            }
            "listPrivilegedAccessGroupEligibilitySchedules.json" => {
                let _: Vec<GroupInstance> = items(body);
            }
            "roleEligibilityScheduleInstances.filterByCurrentUser.json" => {
                let _: Vec<ScheduleInstance> = items(body);
            }
            n if n.contains("expandPolicyRules") => {
                let assignments: Vec<Value> = items(body);
                let rules = assignments[0]["policy"]["rules"].as_array().expect("rules");
                let policy = rules::from_rules(rules).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(policy.max_duration.is_some(), "{name}: {policy:?}");
            }
            n if n.starts_with("listRoleManagementPolicyAssignments") => {
                let assignments: Vec<Value> = items(body);
                assert!(
                    assignments.iter().all(|a| a["policyId"].is_string()),
                    "{name}"
                );
            }
            other => panic!("{other}: a new example; read it or name it in NOT_READ"),
        }
    }
    assert_eq!(read, 9, "examples pimbot reads");
}
