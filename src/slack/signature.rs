//! Slack request signing (v0): the HMAC over the raw body is checked before anything is parsed.

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// How far a request timestamp may be from now, either way (Slack's own rule).
pub const MAX_AGE_SECS: i64 = 300;

const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";
const SIGNATURE_HEADER: &str = "x-slack-signature";

/// Why a request is not from Slack (or is a replay).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Slack signature headers are missing or unreadable")]
    Missing,
    #[error("the Slack request timestamp is more than {MAX_AGE_SECS} s from now")]
    Stale,
    #[error("the Slack signature does not match")]
    Mismatch,
}

impl SignatureError {
    /// The label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing => "missing",
            SignatureError::Stale => "stale",
            SignatureError::Mismatch => "mismatch",
        }
    }
}

/// Checks `x-slack-signature` against every secret (rotation), in constant time.
pub fn verify(
    secrets: &[Secret],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let timestamp = header(TIMESTAMP_HEADER).ok_or(SignatureError::Missing)?;
    let signature = header(SIGNATURE_HEADER).ok_or(SignatureError::Missing)?;
    let ts: i64 = timestamp.parse().map_err(|_| SignatureError::Missing)?;
    let expected = signature
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureError::Mismatch)?;
    if now.abs_diff(ts) > MAX_AGE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let matches = |secret: &Secret| {
        mac(secret.expose(), timestamp, body).is_some_and(|m| m.verify_slice(&expected).is_ok())
    };
    if secrets.iter().any(matches) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The `x-slack-signature` value Slack sends for `body` at `ts` (for tests and tools).
pub fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    let digest = mac(secret, &ts.to_string(), body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("v0={digest}")
}

/// The MAC over `v0:{ts}:{body}`, using the timestamp exactly as sent.
fn mac(secret: &str, ts: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(b"v0:");
    mac.update(ts.as_bytes());
    mac.update(b":");
    mac.update(body);
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;
    const BODY: &[u8] = b"token=x&team_id=T1&user_id=U1&command=%2Fpim&text=help";

    fn headers(ts: i64, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(TIMESTAMP_HEADER, ts.to_string().parse().expect("header"));
        headers.insert(SIGNATURE_HEADER, signature.parse().expect("header"));
        headers
    }

    fn secrets(values: &[&str]) -> Vec<Secret> {
        values.iter().map(|s| Secret::new(*s)).collect()
    }

    #[test]
    fn a_request_signed_with_the_secret_is_accepted() {
        let signed = headers(NOW, &sign("s3cret", NOW, BODY));
        assert_eq!(verify(&secrets(&["s3cret"]), &signed, BODY, NOW), Ok(()));
    }

    #[test]
    fn slacks_documented_example_verifies() {
        // From Slack's "Verifying requests from Slack" guide.
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        let ts = 1_531_420_618;
        assert_eq!(
            sign("8f742231b10e8888abcd99yyyzzz85a5", ts, body),
            signature
        );
        let result = verify(
            &secrets(&["8f742231b10e8888abcd99yyyzzz85a5"]),
            &headers(ts, signature),
            body,
            ts + 10,
        );
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn slack_request_with_stale_timestamp_is_rejected() {
        let ts = NOW - 301;
        let signed = headers(ts, &sign("s3cret", ts, BODY));
        assert_eq!(
            verify(&secrets(&["s3cret"]), &signed, BODY, NOW),
            Err(SignatureError::Stale)
        );
        let future = NOW + 301;
        let signed = headers(future, &sign("s3cret", future, BODY));
        assert_eq!(
            verify(&secrets(&["s3cret"]), &signed, BODY, NOW),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn a_request_299_seconds_old_is_still_accepted() {
        let ts = NOW - 299;
        let signed = headers(ts, &sign("s3cret", ts, BODY));
        assert_eq!(verify(&secrets(&["s3cret"]), &signed, BODY, NOW), Ok(()));
    }

    #[test]
    fn a_request_signed_with_another_secret_is_rejected() {
        let signed = headers(NOW, &sign("not-ours", NOW, BODY));
        assert_eq!(
            verify(&secrets(&["s3cret"]), &signed, BODY, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_second_secret_of_a_rotation_is_accepted() {
        let signed = headers(NOW, &sign("new-secret", NOW, BODY));
        assert_eq!(
            verify(&secrets(&["old-secret", "new-secret"]), &signed, BODY, NOW),
            Ok(())
        );
    }

    #[test]
    fn missing_or_unreadable_headers_are_rejected() {
        let only_signature = {
            let mut h = HeaderMap::new();
            h.insert(
                SIGNATURE_HEADER,
                sign("s3cret", NOW, BODY).parse().expect("header"),
            );
            h
        };
        let only_timestamp = {
            let mut h = HeaderMap::new();
            h.insert(TIMESTAMP_HEADER, NOW.to_string().parse().expect("header"));
            h
        };
        let not_a_number = {
            let mut h = headers(NOW, &sign("s3cret", NOW, BODY));
            h.insert(TIMESTAMP_HEADER, "yesterday".parse().expect("header"));
            h
        };
        for headers in [
            HeaderMap::new(),
            only_signature,
            only_timestamp,
            not_a_number,
        ] {
            assert_eq!(
                verify(&secrets(&["s3cret"]), &headers, BODY, NOW),
                Err(SignatureError::Missing)
            );
        }
    }

    #[test]
    fn a_tampered_body_is_rejected() {
        let signed = headers(NOW, &sign("s3cret", NOW, BODY));
        let tampered = b"token=x&team_id=T1&user_id=U2&command=%2Fpim&text=help";
        assert_eq!(
            verify(&secrets(&["s3cret"]), &signed, tampered, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_malformed_signature_is_a_mismatch() {
        for signature in ["a2114d57", "v1=00", "v0=zz"] {
            assert_eq!(
                verify(&secrets(&["s3cret"]), &headers(NOW, signature), BODY, NOW),
                Err(SignatureError::Mismatch)
            );
        }
    }
}
