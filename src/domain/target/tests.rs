//! Target references: parsing, display, the stored shape and the keys that compare targets.

use super::*;

#[test]
fn every_target_form_parses_and_prints_back() {
    for text in [
        "app1-secrets",
        "role:Global Reader",
        "role:Application Secret Manager@App1",
        "group:KeyVault Readers",
        "group:KeyVault Readers/owner",
        "azure:Contributor@/subscriptions/1/resourceGroups/pim-rg",
    ] {
        let parsed = TargetRef::parse(text).map(|t| t.to_string());
        assert_eq!(parsed.as_deref(), Ok(text));
    }
}

#[test]
fn malformed_targets_are_refused() {
    for text in [
        "role:",
        "role:@x",
        "azure:Contributor",
        "group:/owner",
        "<!channel>",
        "",
    ] {
        assert!(TargetRef::parse(text).is_err(), "{text}");
    }
}

#[test]
fn a_target_stored_in_the_flat_shape_reads_back_as_its_kind() {
    let stored = serde_json::json!({
        "kind": "group", "name": null, "id": "g-1", "display_name": "KeyVault Readers",
        "scope": "owner", "scope_display": "ownership", "access": "owner",
    });
    let target: ResolvedTarget = serde_json::from_value(stored.clone()).expect("reads");
    assert_eq!(
        target.resource,
        PimResource::Group(GroupMembership {
            group_id: "g-1".into(),
            access: GroupAccess::Owner
        })
    );
    assert_eq!(serde_json::to_value(&target).expect("writes"), stored);
    let no_access = serde_json::json!({
        "kind": "group", "name": null, "id": "g-1", "display_name": "G",
        "scope": "admin", "scope_display": "x",
    });
    assert!(serde_json::from_value::<ResolvedTarget>(no_access).is_err());
}

#[test]
fn keys_ignore_case_and_a_trailing_slash_but_not_the_kind_or_scope() {
    let rg = "/subscriptions/1/resourceGroups/pim-rg";
    let id = "/subscriptions/1/providers/Microsoft.Authorization/roleDefinitions/B24988AC";
    assert_eq!(
        TargetKey::new(TargetKind::Azure, id, rg),
        TargetKey::new(
            TargetKind::Azure,
            &id.to_lowercase(),
            &format!("{}/", rg.to_uppercase())
        )
    );
    assert_eq!(
        TargetKey::new(TargetKind::Role, "r", "/"),
        TargetKey::new(TargetKind::Role, "R", "/")
    );
    assert_ne!(
        TargetKey::new(TargetKind::Group, "g", "member"),
        TargetKey::new(TargetKind::Group, "g", "owner")
    );
    assert_ne!(
        TargetKey::new(TargetKind::Role, "r", "/a"),
        TargetKey::new(TargetKind::Azure, "r", "/a")
    );
}
