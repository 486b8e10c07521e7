//! Directory reads: users, groups, owners, members and a user's transitive groups.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::emulator::odata::{GraphError, Query, Shape};
use crate::emulator::tenant::{Group, ServicePrincipal, Tenant, User};
use crate::emulator::{Emulator, Provider};

const USER_PROPS: &[&str] = &[
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "jobTitle",
    "businessPhones",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "accountEnabled",
    "userType",
];
/// Graph's default user projection: note that `accountEnabled` is only returned when selected.
const USER_DEFAULTS: &[&str] = &[
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "jobTitle",
    "businessPhones",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
];
const GROUP_PROPS: &[&str] = &[
    "id",
    "displayName",
    "description",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "isAssignableToRole",
    "groupTypes",
    "visibility",
];
const MIXED_DEFAULTS: &[&str] = &[
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "jobTitle",
    "businessPhones",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "appId",
    "appDisplayName",
    "servicePrincipalType",
    "description",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "isAssignableToRole",
    "groupTypes",
    "visibility",
];

pub(super) const USER: Shape = Shape {
    type_name: "user",
    known: USER_PROPS,
    defaults: Some(USER_DEFAULTS),
};
pub(super) const GROUP: Shape = Shape {
    type_name: "group",
    known: GROUP_PROPS,
    defaults: None,
};
/// `directoryObject` collections mix users, groups and service principals, so `$select` is lenient.
pub(super) const DIRECTORY_OBJECT: Shape = Shape {
    type_name: "directoryObject",
    known: &[],
    defaults: Some(MIXED_DEFAULTS),
};

pub(super) async fn list_users(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&["mail", "userPrincipalName", "displayName", "id"])?;
    let items = emulator.lock().tenant.users.iter().map(user_json).collect();
    Ok(Json(query.collection("users", items, USER)?))
}

pub(super) async fn get_user(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    let user = emulator
        .lock()
        .tenant
        .user(&id)
        .map(user_json)
        .ok_or_else(|| GraphError::not_found(&id))?;
    Ok(Json(query.entity("users/$entity", user, USER)?))
}

pub(super) async fn user_groups(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&["displayName", "id"])?;
    let items = {
        let state = emulator.lock();
        let user = state
            .tenant
            .user(&id)
            .ok_or_else(|| GraphError::not_found(&id))?;
        let mut groups = state.tenant.transitive_groups(&user.id);
        let active_pim = state.current(Provider::Group).filter(|a| {
            a.role_definition_id == "member" && a.principal_id.eq_ignore_ascii_case(&user.id)
        });
        for assignment in active_pim {
            let group = assignment
                .directory_scope_id
                .as_deref()
                .and_then(|g| state.tenant.group(g));
            if let Some(group) = group.filter(|g| !groups.iter().any(|known| known.id == g.id)) {
                groups.push(group);
            }
        }
        groups.into_iter().map(typed_group).collect()
    };
    Ok(Json(query.collection("groups", items, GROUP)?))
}

pub(super) async fn list_groups(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&["displayName", "mailNickname", "id"])?;
    let items = emulator
        .lock()
        .tenant
        .groups
        .iter()
        .map(group_json)
        .collect();
    Ok(Json(query.collection("groups", items, GROUP)?))
}

pub(super) async fn get_group(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    let group = emulator
        .lock()
        .tenant
        .group(&id)
        .map(group_json)
        .ok_or_else(|| GraphError::not_found(&id))?;
    Ok(Json(query.entity("groups/$entity", group, GROUP)?))
}

pub(super) async fn group_owners(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    related(&emulator, &id, &query, "owner", |g| &g.owners)
}

pub(super) async fn group_members(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    related(&emulator, &id, &query, "member", |g| &g.members)
}

fn related(
    emulator: &Emulator,
    id: &str,
    query: &Query,
    access: &str,
    pick: impl Fn(&Group) -> &Vec<String>,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&["id", "displayName", "mail", "userPrincipalName"])?;
    let items = {
        let state = emulator.lock();
        let group = state
            .tenant
            .group(id)
            .ok_or_else(|| GraphError::not_found(id))?;
        // Active PIM memberships and ownerships show like permanent ones until they expire.
        let pim: Vec<&String> = state
            .current(Provider::Group)
            .filter(|a| {
                a.role_definition_id == access
                    && a.directory_scope_id.as_deref() == Some(group.id.as_str())
            })
            .map(|a| &a.principal_id)
            .collect();
        pick(group)
            .iter()
            .chain(pim)
            .filter_map(|member| directory_object(&state.tenant, member))
            .collect()
    };
    Ok(Json(query.collection(
        "directoryObjects",
        items,
        DIRECTORY_OBJECT,
    )?))
}

/// A user, group or service principal with its `@odata.type`, as `directoryObject` collections return it.
pub(super) fn directory_object(tenant: &Tenant, id: &str) -> Option<Value> {
    if let Some(user) = tenant.users.iter().find(|u| u.id.eq_ignore_ascii_case(id)) {
        return Some(with_type(user_json(user), "#microsoft.graph.user"));
    }
    if let Some(group) = tenant.group(id) {
        return Some(typed_group(group));
    }
    tenant
        .service_principal(id)
        .map(|sp| with_type(sp_json(sp), "#microsoft.graph.servicePrincipal"))
}

fn typed_group(group: &Group) -> Value {
    with_type(group_json(group), "#microsoft.graph.group")
}

fn with_type(mut value: Value, odata_type: &str) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.insert("@odata.type".into(), Value::String(odata_type.to_owned()));
    }
    value
}

fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "displayName": user.display_name,
        "givenName": user.given_name,
        "surname": user.surname,
        "mail": user.mail,
        "userPrincipalName": user.user_principal_name,
        "jobTitle": user.job_title,
        "businessPhones": [],
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": null,
        "accountEnabled": user.account_enabled,
        "userType": "Member",
    })
}

fn group_json(group: &Group) -> Value {
    json!({
        "id": group.id,
        "displayName": group.display_name,
        "description": group.description,
        "mail": null,
        "mailEnabled": false,
        "mailNickname": group.mail_nickname,
        "securityEnabled": true,
        "isAssignableToRole": group.is_assignable_to_role,
        "groupTypes": [],
        "visibility": "Private",
    })
}

fn sp_json(sp: &ServicePrincipal) -> Value {
    json!({
        "id": sp.id,
        "appId": sp.app_id,
        "displayName": sp.display_name,
        "appDisplayName": sp.display_name,
        "servicePrincipalType": "Application",
        "accountEnabled": true,
    })
}
