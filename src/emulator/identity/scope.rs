//! Delegated scopes as the v2.0 endpoint reads them: `{resource}/{name}` or a bare Graph name,
//! plus the OpenID Connect scopes that name no resource.

/// The resource APIs the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    /// Microsoft Graph (`/v1.0`, `/beta`).
    Graph,
    /// Azure Resource Manager (`…/providers/Microsoft.Authorization/…`).
    Arm,
}

const OIDC: [&str; 4] = ["openid", "profile", "email", "offline_access"];
const GRAPH: &str = "https://graph.microsoft.com";
/// ARM's hosts in the four clouds, and its legacy resource id.
const ARM_HOSTS: [&str; 4] = [
    "management.azure.com",
    "management.core.windows.net",
    "management.usgovcloudapi.net",
    "management.chinacloudapi.cn",
];

/// The scopes of one resource within a scope string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceScopes {
    pub(crate) resource: Resource,
    /// The token's `aud`: the resource URI as the client wrote it.
    pub(crate) audience: String,
    /// The scope names (`scp`), without the resource prefix.
    pub(crate) names: Vec<String>,
}

impl ResourceScopes {
    /// The granted scopes as the token response's `scope` lists them.
    pub(crate) fn granted(&self) -> String {
        self.names
            .iter()
            .map(|n| format!("{}/{n}", self.audience))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Whether `scope` has `offline_access` (a refresh token is wanted).
pub(crate) fn wants_refresh(scope: &str) -> bool {
    scope
        .split_whitespace()
        .any(|s| s.eq_ignore_ascii_case("offline_access"))
}

/// The OpenID Connect scopes of `scope`, in order.
pub(crate) fn oidc(scope: &str) -> Vec<&str> {
    scope
        .split_whitespace()
        .filter(|s| OIDC.iter().any(|o| o.eq_ignore_ascii_case(s)))
        .collect()
}

fn classify(scope: &str) -> Option<(Resource, String, String)> {
    if OIDC.iter().any(|o| o.eq_ignore_ascii_case(scope)) {
        return None;
    }
    match scope.rsplit_once('/') {
        Some((prefix, name)) if prefix.contains("://") => {
            let host = prefix.split("://").nth(1).unwrap_or_default();
            let host = host.split('/').next().unwrap_or_default();
            let arm = name.eq_ignore_ascii_case("user_impersonation")
                || ARM_HOSTS.iter().any(|h| host.eq_ignore_ascii_case(h));
            let resource = if arm { Resource::Arm } else { Resource::Graph };
            Some((
                resource,
                prefix.trim_end_matches('/').to_owned(),
                name.to_owned(),
            ))
        }
        _ => Some((Resource::Graph, GRAPH.to_owned(), scope.to_owned())),
    }
}

/// The resource scopes of `scope` grouped by resource, in the order the resources first
/// appear.
pub(crate) fn resources(scope: &str) -> Vec<ResourceScopes> {
    let mut out: Vec<ResourceScopes> = Vec::new();
    for (resource, audience, name) in scope.split_whitespace().filter_map(classify) {
        match out.iter_mut().find(|r| r.resource == resource) {
            Some(found) => {
                if !found.names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                    found.names.push(name);
                }
            }
            None => out.push(ResourceScopes {
                resource,
                audience,
                names: vec![name],
            }),
        }
    }
    out
}

/// `.default` in a delegated request means what the app was consented: for ARM that is
/// `user_impersonation`; for Graph, the Graph scopes of the original sign-in.
pub(crate) fn expand_default(wanted: &mut ResourceScopes, sign_in_scope: &str) {
    if !wanted.names.iter().any(|n| n == ".default") {
        return;
    }
    let names = match wanted.resource {
        Resource::Arm => vec!["user_impersonation".to_owned()],
        Resource::Graph => resources(sign_in_scope)
            .into_iter()
            .find(|r| r.resource == Resource::Graph)
            .map(|r| r.names.into_iter().filter(|n| n != ".default").collect())
            .unwrap_or_default(),
    };
    wanted.names = names;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_group_by_resource_and_user_impersonation_is_arm() {
        let scope = "openid offline_access https://graph.microsoft.com/RoleAssignmentSchedule.ReadWrite.Directory User.Read https://management.azure.com/user_impersonation";
        let found = resources(scope);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].resource, Resource::Graph);
        assert_eq!(found[0].audience, GRAPH);
        assert_eq!(
            found[0].names,
            ["RoleAssignmentSchedule.ReadWrite.Directory", "User.Read"]
        );
        assert_eq!(found[1].resource, Resource::Arm);
        assert_eq!(found[1].audience, "https://management.azure.com");
        let local = resources("http://127.0.0.1:9/user_impersonation");
        assert_eq!(local[0].resource, Resource::Arm);
        assert!(wants_refresh(scope));
        assert_eq!(oidc(scope), ["openid", "offline_access"]);
    }
}
