//! The Graph rendering of policy rules (`unifiedRoleManagementPolicyRule` and its kinds).

use serde_json::{Value, json};

use super::Expiration;

pub(super) fn subject_set(approver: &Value) -> Value {
    let mut out = approver.clone();
    if let Some(map) = out.as_object_mut() {
        map.entry("isBackup").or_insert(Value::Bool(false));
        map.entry("description").or_insert(Value::Null);
    }
    out
}

pub(super) fn target(caller: &str, level: &str) -> Value {
    json!({
        "caller": caller,
        "operations": ["all"],
        "level": level,
        "inheritableSettings": [],
        "enforcedSettings": [],
    })
}

pub(super) fn expiration_rule(id: &str, rule: &Expiration, caller: &str, level: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
        "id": id,
        "isExpirationRequired": rule.required,
        "maximumDuration": rule.maximum,
        "target": target(caller, level),
    })
}

pub(super) fn enablement_rule(id: &str, enabled: &[String], caller: &str, level: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
        "id": id,
        "enabledRules": enabled,
        "target": target(caller, level),
    })
}

pub(super) fn notification_rules(caller: &str, level: &str) -> Vec<Value> {
    ["Admin", "Requestor", "Approver"]
        .into_iter()
        .map(|recipient| {
            json!({
                "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule",
                "id": format!("Notification_{recipient}_{caller}_{level}"),
                "notificationType": "Email",
                "recipientType": recipient,
                "notificationLevel": "All",
                "isDefaultRecipientsEnabled": true,
                "notificationRecipients": [],
                "target": target(caller, level),
            })
        })
        .collect()
}
