//! Activate mode's sign-in on Slack: no request without one, another account or a used, forged
//! or expired link refused, a revoked sign-in renewed while the request waits, and the kept
//! refresh token sealed, readable after a key rotation and forgotten by `logout`.

use reqwest::StatusCode;

use crate::activate::{
    ALICE, BOB, FRANK, log_in, no_redirects, self_requests, sign_in, sign_in_link, start,
};

#[tokio::test]
async fn a_request_without_a_sign_in_is_not_made_and_the_requester_gets_a_link() {
    let app = start().await;
    app.slash(
        "UALICE",
        "request groups-admin for 1h ticket INC-7 cleaning up",
    )
    .await;
    app.wait_for_response("UALICE", "needs your Microsoft sign-in first")
        .await;
    sign_in_link(&app, "UALICE", 1).await;
    assert!(self_requests(&app.emulator).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn another_account_a_replayed_a_forged_or_an_expired_state_is_refused() {
    let app = start().await;
    app.slash("UALICE", "login").await;
    let state = sign_in_link(&app, "UALICE", 1).await;
    let (status, page) = sign_in(&app, &state, BOB, true).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("another Microsoft account"), "{page}");
    let events = app.store.audit_events(0, 1000).await.expect("audit");
    assert!(
        events
            .iter()
            .any(|e| e.canonical.contains("\"auth.sign_in_mismatch\"")),
        "the mismatch is audited"
    );
    // The link was used: it does not work a second time.
    let replay = no_redirects()
        .get(format!("{}/auth/start?state={state}", app.base_url))
        .send()
        .await
        .expect("start");
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let forged = no_redirects()
        .get(format!(
            "{}/auth/callback?state=forged&code=abc",
            app.base_url
        ))
        .send()
        .await
        .expect("callback");
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    // Nothing was kept: a request still asks for a sign-in.
    app.slash(
        "UALICE",
        "request groups-admin for 1h ticket INC-7 cleaning up",
    )
    .await;
    app.wait_for_response("UALICE", "needs your Microsoft sign-in first")
        .await;

    // A link older than 10 minutes no longer works.
    app.slash("UALICE", "login").await;
    let stale = sign_in_link(&app, "UALICE", 3).await;
    app.advance_clock(std::time::Duration::from_secs(11 * 60));
    let expired = no_redirects()
        .get(format!("{}/auth/start?state={stale}", app.base_url))
        .send()
        .await
        .expect("start");
    assert_eq!(expired.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_sign_in_asks_for_a_new_one_and_the_request_waits_for_it() {
    let app = start().await;
    log_in(&app, "UFRANK", FRANK, true).await;
    app.emulator.revoke_sign_ins(FRANK);
    app.slash(
        "UFRANK",
        "request security-reader for 1h reading the audit logs",
    )
    .await;
    app.wait_for_response("UFRANK", "goes to PIM as you").await;
    let state = sign_in_link(&app, "UFRANK", 2).await;
    app.wait_for_dm("UFRANK", "needs your own Microsoft sign-in")
        .await;
    assert!(
        self_requests(&app.emulator).is_empty(),
        "nothing sent to PIM yet"
    );
    let (status, page) = sign_in(&app, &state, FRANK, true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    app.wait_for_dm("UFRANK", "active").await;
    app.stop().await;
}

#[tokio::test]
async fn a_kept_refresh_token_is_sealed_survives_a_key_rotation_and_logout_forgets_it() {
    let app = start().await;
    log_in(&app, "UALICE", ALICE, true).await;
    let kept = app
        .store
        .sign_in(
            pimbot::domain::request::Platform::Slack,
            "UALICE",
            chrono::Utc::now(),
        )
        .await
        .expect("read")
        .expect("kept");
    assert!(kept.sealed_refresh_token.starts_with("v1.k1."));
    assert_eq!(kept.entra_id, ALICE);
    // The key of the configuration opens it, also once a newer key is added in front (rotation);
    // without it, it is unreadable.
    use pimbot::secret::SecretKey;
    use pimbot::service::ports::{Sealer, SignIn};
    use pimbot::vault::TokenVault;
    let context = SignIn::token_context(pimbot::domain::request::Platform::Slack, "UALICE", ALICE);
    let k1 = SecretKey::new(*b"0123456789abcdef0123456789abcdef");
    let k2 = SecretKey::new([7u8; 32]);
    let rotated =
        TokenVault::new([("k2".to_owned(), k2.clone()), ("k1".to_owned(), k1)]).expect("ring");
    let token = rotated
        .open(&kept.sealed_refresh_token, &context)
        .expect("opens after a rotation");
    assert!(!token.is_empty());
    assert!(
        !kept.sealed_refresh_token.contains(&token),
        "the database never holds the token in the clear"
    );
    let without = TokenVault::new([("k2".to_owned(), k2)]).expect("ring");
    assert!(without.open(&kept.sealed_refresh_token, &context).is_err());
    let resealed = rotated.seal(&token, &context).expect("seal");
    assert!(resealed.starts_with("v1.k2."), "the newest key seals");
    app.slash("UALICE", "logout").await;
    app.wait_for_response("UALICE", "Signed out").await;
    let gone = app
        .store
        .sign_in(
            pimbot::domain::request::Platform::Slack,
            "UALICE",
            chrono::Utc::now(),
        )
        .await
        .expect("read");
    assert!(gone.is_none());
    app.stop().await;
}
