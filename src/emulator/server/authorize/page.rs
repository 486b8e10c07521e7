//! The sign-in and error pages: plain, self-contained HTML forms, no script.

use std::fmt::Write as _;

use crate::emulator::tenant::User;

/// What the sign-in form shows.
pub(super) struct SignInPage<'a> {
    pub(super) tenant: &'a str,
    /// The tenant's enabled users.
    pub(super) users: &'a [&'a User],
    /// `login_hint`: a UPN or object id to preselect.
    pub(super) hint: Option<&'a str>,
    /// Authentication contexts the `claims` parameter asks for.
    pub(super) acrs: &'a [String],
    /// Every query parameter, carried to the POST as hidden fields.
    pub(super) hidden: &'a [(String, String)],
}

/// HTML-escapes text for element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:32rem;margin:2rem auto}}fieldset{{margin:1rem 0}}</style>\n\
         </head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

pub(super) fn sign_in(page: &SignInPage<'_>) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "<h1>Sign in</h1>");
    let _ = writeln!(
        body,
        "<form method=\"post\" action=\"/{}/oauth2/v2.0/authorize\">",
        escape(page.tenant)
    );
    for (name, value) in page.hidden {
        if ["user", "mfa", "acrs", "cancel", "signin"].contains(&name.as_str()) {
            continue;
        }
        let _ = writeln!(
            body,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        );
    }
    let _ = writeln!(body, "<fieldset>\n<legend>Account</legend>");
    for user in page.users {
        let hinted = page.hint.is_some_and(|h| {
            h.eq_ignore_ascii_case(&user.id) || h.eq_ignore_ascii_case(&user.user_principal_name)
        });
        let checked = if hinted { " checked" } else { "" };
        let _ = writeln!(
            body,
            "<label><input type=\"radio\" name=\"user\" value=\"{}\"{checked}> {} ({})</label><br>",
            escape(&user.id),
            escape(&user.display_name),
            escape(&user.user_principal_name)
        );
    }
    let _ = writeln!(
        body,
        "</fieldset>\n<fieldset>\n<legend>Authentication</legend>"
    );
    let _ = writeln!(
        body,
        "<label><input type=\"checkbox\" name=\"mfa\" value=\"on\"> completed MFA</label><br>"
    );
    for context in page.acrs {
        let _ = writeln!(
            body,
            "<label><input type=\"checkbox\" name=\"acrs\" value=\"{0}\"> satisfied authentication context {0}</label><br>",
            escape(context)
        );
    }
    let _ = writeln!(body, "</fieldset>");
    let _ = writeln!(
        body,
        "<button type=\"submit\" name=\"signin\" value=\"on\">Sign in</button>\n\
         <button type=\"submit\" name=\"cancel\" value=\"on\">Cancel</button>\n</form>"
    );
    document("Sign in to your account", &body)
}

pub(super) fn error(message: &str) -> String {
    let body = format!(
        "<h1>Sorry, but we're having trouble signing you in.</h1>\n<p id=\"error\">{}</p>\n",
        escape(message)
    );
    document("Sign in error", &body)
}
