//! Whether a principal holds a current eligibility for what it activates: Entra roles directly
//! or through a role-assignable group it is a member of, at exactly the scope; groups for the
//! access (`member`/`owner`), directly or through a group; Azure roles at or above the scope.

use crate::emulator::Provider;
use crate::emulator::providers::is_at_or_below;
use crate::emulator::state::State;

pub(super) fn holds(
    state: &State,
    provider: Provider,
    principal: &str,
    resource: &str,
    scope: &str,
) -> bool {
    let now = state.now();
    let tenant = &state.tenant;
    let current = |start: chrono::DateTime<chrono::Utc>,
                   end: Option<chrono::DateTime<chrono::Utc>>| {
        start <= now && end.is_none_or(|end| end > now)
    };
    let groups = tenant.transitive_groups(principal);
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let holder = |id: &str, role_assignable_only: bool| {
        same(id, principal)
            || groups
                .iter()
                .any(|g| same(&g.id, id) && (g.is_assignable_to_role || !role_assignable_only))
    };
    let guid = |id: &str| id.rsplit('/').next().unwrap_or(id).to_owned();
    match provider {
        Provider::Role => tenant.eligibilities.iter().any(|e| {
            holder(&e.principal_id, true)
                && same(&e.role_definition_id, resource)
                && same(
                    e.directory_scope_id.trim_end_matches('/'),
                    scope.trim_end_matches('/'),
                )
                && current(e.start_date_time, e.end_date_time)
        }),
        Provider::Group => tenant.group_eligibilities.iter().any(|e| {
            holder(&e.principal_id, false)
                && same(&e.access_id, resource)
                && same(&e.group_id, scope)
                && current(e.start_date_time, e.end_date_time)
        }),
        Provider::Azure => tenant.azure.eligibilities.iter().any(|e| {
            holder(&e.principal_id, false)
                && same(&guid(&e.role_definition_id), &guid(resource))
                && is_at_or_below(scope, &e.scope)
                && current(e.start_date_time, e.end_date_time)
        }),
    }
}
