//! Who signed in, from the id token of the code redemption. The token came straight from the
//! token endpoint over TLS, in answer to a request that authenticated pimbot's client, so its
//! TLS origin stands in for a signature check (OpenID Connect Core 1.0 §3.1.3.7, step 6); the
//! audience and the tenant are still checked.

use serde_json::Value;

use crate::service::ports::SignInError;

/// The claims pimbot reads.
#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct IdClaims {
    pub(super) oid: String,
    pub(super) tid: String,
    pub(super) name: Option<String>,
    /// A string, or an array of them.
    aud: Value,
}

fn refused(message: String) -> SignInError {
    SignInError::Refused {
        code: None,
        message,
    }
}

/// The claims of `token`, when it was issued to `client_id` in `tenant_id`.
pub(super) fn read(token: &str, client_id: &str, tenant_id: &str) -> Result<IdClaims, SignInError> {
    let claims = jsonwebtoken::dangerous::insecure_decode_claims::<IdClaims>(token)
        .map_err(|e| refused(format!("the id token is not readable: {e}")))?;
    let audiences: Vec<&str> = match &claims.aud {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.iter().any(|a| a.eq_ignore_ascii_case(client_id)) {
        return Err(refused(format!(
            "the id token was issued to another application ({})",
            audiences.join(", ")
        )));
    }
    if !claims.tid.eq_ignore_ascii_case(tenant_id) {
        return Err(refused(format!(
            "the sign-in is in tenant {}, not in pimbot's tenant {tenant_id}",
            claims.tid
        )));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn token(claims: &Value) -> String {
        let key = jsonwebtoken::EncodingKey::from_secret(b"test");
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), claims, &key).expect("jwt")
    }

    #[test]
    fn an_id_token_for_another_app_or_tenant_is_refused() {
        let good = json!({"aud": "app", "tid": "T-1", "oid": "u-1", "name": "Alice"});
        let claims = read(&token(&good), "APP", "t-1").expect("same app and tenant");
        assert_eq!(
            (claims.oid.as_str(), claims.name.as_deref()),
            ("u-1", Some("Alice"))
        );
        let listed = json!({"aud": ["other", "app"], "tid": "t-1", "oid": "u-1"});
        assert!(read(&token(&listed), "app", "t-1").is_ok());
        let other_app = json!({"aud": "other", "tid": "t-1", "oid": "u-1"});
        assert!(matches!(
            read(&token(&other_app), "app", "t-1"),
            Err(SignInError::Refused { message, .. }) if message.contains("another application")
        ));
        let other_tenant = json!({"aud": "app", "tid": "t-2", "oid": "u-1"});
        assert!(matches!(
            read(&token(&other_tenant), "app", "t-1"),
            Err(SignInError::Refused { message, .. }) if message.contains("tenant t-2")
        ));
        assert!(read("not a jwt", "app", "t-1").is_err());
    }
}
