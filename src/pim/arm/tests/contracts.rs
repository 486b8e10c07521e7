//! Every published ARM example in `shared/contracts/arm-pim-examples` is accounted for: the
//! responses pimbot reads parse into its types; the rest are named as not read in `assign` mode.

use super::grant;
use crate::pim::fake::contract_examples;

/// Approvals (2021-01-01-preview) and cancel are delegated flows `assign` mode does not call.
const NOT_READ: [&str; 4] = [
    "CancelRoleAssignmentScheduleRequestByName.json",
    "GetRoleAssignmentApprovalById.json",
    "GetRoleAssignmentApprovalSteps.json",
    "PatchRoleAssignmentApprovalStepById.json",
];

#[test]
fn every_arm_example_response_parses_into_what_pimbot_reads() {
    use crate::pim::arm::reads::{InstanceProperties, Resource};
    let mut skip = NOT_READ.to_vec();
    skip.push("_sources.json");
    let mut read = 0;
    for (name, example) in contract_examples("arm-pim-examples", &skip) {
        read += 1;
        let (_, response) = example["responses"]
            .as_object()
            .and_then(|r| r.iter().next())
            .map(|(status, body)| (status.clone(), body["body"].clone()))
            .expect("a response");
        match name.as_str() {
            "GetRoleEligibilityScheduleInstancesByScope.json"
            | "GetRoleEligibilitySchedulesByScope.json" => {
                let value = response["value"].as_array().cloned().unwrap_or_default();
                assert!(!value.is_empty(), "{name}");
                for item in value {
                    let parsed: Resource<InstanceProperties> =
                        serde_json::from_value(item).unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert!(
                        parsed.properties.scope.starts_with("/subscriptions/"),
                        "{name}"
                    );
                }
            }
            "GetRoleAssignmentScheduleRequestByName.json"
            | "PutRoleAssignmentScheduleRequest.json" => {
                let mut properties = response["properties"].clone();
                properties["id"] = response["name"].clone();
                let receipt = crate::pim::receipt::receipt(
                    &properties,
                    None,
                    grant().duration,
                    chrono::Utc::now(),
                );
                assert!(
                    !receipt.status.is_empty() && receipt.status != "Unknown",
                    "{name}"
                );
            }
            "GetRoleManagementPolicyByName.json" => {
                let rules = response["properties"]["effectiveRules"]
                    .as_array()
                    .expect("rules");
                crate::pim::rules::from_rules(rules).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            other => panic!("{other}: a new example; read it or name it in NOT_READ"),
        }
    }
    assert_eq!(read, 5, "examples pimbot reads");
}
