//! OData details: string literals in `$filter`, GUID detection, and the Graph wire types.

use crate::service::ports::{DirectoryGroup, DirectoryUser};

/// The fields pimbot reads of a user.
pub(super) const USER_SELECT: &str = "id,displayName,mail,userPrincipalName,accountEnabled";

/// `'value'` with embedded quotes doubled, for `$filter`.
pub(super) fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Whether `text` is a GUID (8-4-4-4-12 hex digits), i.e. an object or template id.
pub(super) fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A Graph `user` (or a directory object that may be one).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct User {
    #[serde(rename = "@odata.type")]
    pub(super) odata_type: Option<String>,
    pub(super) id: String,
    pub(super) display_name: Option<String>,
    pub(super) mail: Option<String>,
    pub(super) user_principal_name: Option<String>,
    /// Absent means unknown; pimbot treats unknown as disabled, never as an approver.
    pub(super) account_enabled: Option<bool>,
}

impl User {
    /// Whether a directory object from `owners`/`members` is a user (not a service principal,
    /// device or nested group). Plain `/users` answers carry no type and are users.
    pub(super) fn is_user(&self) -> bool {
        self.odata_type
            .as_deref()
            .is_none_or(|t| t == "#microsoft.graph.user")
    }
}

impl From<User> for DirectoryUser {
    fn from(user: User) -> Self {
        Self {
            display_name: user.display_name.unwrap_or_else(|| user.id.clone()),
            id: user.id,
            mail: user.mail,
            user_principal_name: user.user_principal_name,
            account_enabled: user.account_enabled.unwrap_or(false),
        }
    }
}

/// A Graph `group`, an `application` or a `unifiedRoleDefinition`: id and name.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Named {
    pub(super) id: String,
    pub(super) display_name: Option<String>,
}

impl From<Named> for DirectoryGroup {
    fn from(group: Named) -> Self {
        Self {
            display_name: group.display_name.unwrap_or_else(|| group.id.clone()),
            id: group.id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_in_filter_literals_are_doubled() {
        assert_eq!(literal("o'brien@contoso.com"), "'o''brien@contoso.com'");
        assert_eq!(literal("plain"), "'plain'");
    }

    proptest::proptest! {
        /// Whatever a user typed (a name, an e-mail), the filter Graph reads compares with
        /// exactly that text: a quote cannot end the literal and add a clause.
        #[test]
        fn any_text_stays_one_literal(name: String, other: String) {
            let filter = format!(
                "displayName eq {} and id eq {}",
                literal(&name),
                literal(&other)
            );
            let parsed = crate::emulator::filter::Filter::parse(&filter);
            let Ok(parsed) = parsed else {
                return Err(proptest::test_runner::TestCaseError::fail(format!("{filter:?}: {parsed:?}")));
            };
            proptest::prop_assert_eq!(parsed.required("displayName"), Some(name.as_str()));
            proptest::prop_assert_eq!(parsed.required("id"), Some(other.as_str()));
        }
    }

    #[test]
    fn only_the_8_4_4_4_12_hex_form_is_a_guid() {
        assert!(is_guid("62e90394-69f5-4237-9190-012177145e10"));
        assert!(is_guid("62E90394-69F5-4237-9190-012177145E10"));
        assert!(!is_guid("Global Reader"));
        assert!(!is_guid("62e90394-69f5-4237-9190-012177145e1"));
        assert!(!is_guid("62e90394x69f5-4237-9190-012177145e10"));
        assert!(!is_guid("g2e90394-69f5-4237-9190-012177145e10"));
    }
}
