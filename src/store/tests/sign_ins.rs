//! Pending sign-ins (taken once) and kept sign-ins (one per chat user).

use crate::secret::SecretKey;
use crate::service::ports::{PendingSignIn, Sealer, SignIn, SignInPurpose, Verdict};
use crate::vault::TokenVault;

use super::*;

const DIGEST: &str = "5d41402abc4b2a76b9719d911017c592ae2f4c1bb0c2e6e4a5a0f4b8a3b7c1d2";

fn pending(expires_at: DateTime<Utc>) -> PendingSignIn {
    PendingSignIn {
        platform: Platform::Slack,
        chat_user: "U123".to_owned(),
        entra_id: "oid-1".to_owned(),
        sealed_verifier: "v1.k1.sealed-verifier".to_owned(),
        purpose: SignInPurpose::Approve {
            request: ShortId::new(1042),
            decision: Verdict::Approve,
            reason: Some("ünïcode ✓".to_owned()),
        },
        created_at: t0(),
        expires_at,
    }
}

fn sign_in(chat_user: &str, sealed: &str, keep_until: DateTime<Utc>) -> SignIn {
    SignIn {
        platform: Platform::Teams,
        chat_user: chat_user.to_owned(),
        entra_id: "oid-1".to_owned(),
        sealed_refresh_token: sealed.to_owned(),
        scopes: vec![
            "RoleAssignmentSchedule.ReadWrite.Directory".to_owned(),
            "offline_access".to_owned(),
        ],
        signed_in_at: t0(),
        refreshed_at: t0() + Duration::minutes(5),
        keep_until,
    }
}

#[tokio::test]
async fn a_pending_sign_in_is_taken_once() {
    for db in test_databases().await {
        let store = &db.store;
        let saved = pending(t0() + Duration::minutes(10));
        store
            .save_pending_sign_in(DIGEST, &saved)
            .await
            .expect("save");
        let taken = store
            .take_pending_sign_in(DIGEST, t0() + Duration::minutes(1))
            .await
            .expect("take");
        assert_eq!(taken, Some(saved), "{}", db.name());
        let again = store
            .take_pending_sign_in(DIGEST, t0() + Duration::minutes(1))
            .await
            .expect("take again");
        assert_eq!(again, None, "{}", db.name());
        let unknown = store
            .take_pending_sign_in("no-such-digest", t0())
            .await
            .expect("take unknown");
        assert_eq!(unknown, None);
        db.finish().await;
    }
}

#[tokio::test]
async fn of_two_takes_at_once_exactly_one_gets_the_sign_in() {
    for db in test_databases().await {
        for round in 0..5 {
            let digest = format!("{DIGEST}-{round}");
            let saved = pending(t0() + Duration::minutes(10));
            db.store
                .save_pending_sign_in(&digest, &saved)
                .await
                .expect("save");
            let (first, second) = tokio::join!(
                db.store.take_pending_sign_in(&digest, t0()),
                db.store.take_pending_sign_in(&digest, t0()),
            );
            let taken: Vec<PendingSignIn> = [first.expect("take"), second.expect("take")]
                .into_iter()
                .flatten()
                .collect();
            assert_eq!(taken, [saved], "{} round {round}", db.name());
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn an_expired_pending_sign_in_is_refused_and_removed() {
    for db in test_databases().await {
        let store = &db.store;
        let expires = t0() + Duration::minutes(10);
        store
            .save_pending_sign_in(DIGEST, &pending(expires))
            .await
            .expect("save");
        let late = store
            .take_pending_sign_in(DIGEST, expires)
            .await
            .expect("take");
        assert_eq!(late, None, "{}", db.name());
        let left = db
            .text("SELECT CAST(COUNT(*) AS TEXT) FROM sign_in_states")
            .await;
        assert_eq!(left.as_deref(), Some("0"), "{}", db.name());
        db.finish().await;
    }
}

#[tokio::test]
async fn a_sign_in_is_kept_replaced_read_until_keep_until_and_forgotten() {
    for db in test_databases().await {
        let store = &db.store;
        let keep_until = t0() + Duration::days(30);
        assert_eq!(
            store
                .sign_in(Platform::Teams, "29:u", t0())
                .await
                .expect("read"),
            None
        );
        store
            .save_sign_in(&sign_in("29:u", "v1.k1.first", keep_until))
            .await
            .expect("save");
        let replaced = sign_in("29:u", "v1.k1.second", keep_until + Duration::days(1));
        store.save_sign_in(&replaced).await.expect("save again");
        let read = store
            .sign_in(Platform::Teams, "29:u", keep_until)
            .await
            .expect("read");
        assert_eq!(read.as_ref(), Some(&replaced), "{}", db.name());
        assert_eq!(
            store
                .sign_in(Platform::Slack, "29:u", t0())
                .await
                .expect("other platform"),
            None
        );
        let past = store
            .sign_in(Platform::Teams, "29:u", replaced.keep_until)
            .await
            .expect("read at keep_until");
        assert_eq!(past, None, "{}", db.name());

        assert!(
            store
                .forget_sign_in(Platform::Teams, "29:u")
                .await
                .expect("forget")
        );
        assert!(
            !store
                .forget_sign_in(Platform::Teams, "29:u")
                .await
                .expect("forget again")
        );
        assert_eq!(
            store
                .sign_in(Platform::Teams, "29:u", t0())
                .await
                .expect("read"),
            None
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn expired_sign_ins_and_pending_ones_are_purged() {
    for db in test_databases().await {
        let store = &db.store;
        let now = t0() + Duration::days(1);
        store
            .save_pending_sign_in("old", &pending(t0() + Duration::minutes(10)))
            .await
            .expect("save");
        store
            .save_pending_sign_in("fresh", &pending(now + Duration::minutes(10)))
            .await
            .expect("save");
        store
            .save_sign_in(&sign_in("29:gone", "v1.k1.x", now))
            .await
            .expect("save");
        store
            .save_sign_in(&sign_in("29:kept", "v1.k1.y", now + Duration::days(1)))
            .await
            .expect("save");
        assert_eq!(store.purge_expired_sign_ins(now).await.expect("purge"), 2);
        assert_eq!(store.purge_expired_sign_ins(now).await.expect("purge"), 0);
        assert!(
            store
                .take_pending_sign_in("fresh", now)
                .await
                .expect("take")
                .is_some()
        );
        assert!(
            store
                .sign_in(Platform::Teams, "29:kept", now)
                .await
                .expect("read")
                .is_some()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_sealed_refresh_token_is_not_in_the_clear_in_the_database() {
    let vault = TokenVault::new([("k1".to_owned(), SecretKey::new([3; 32]))]).expect("vault");
    let token = "0.AVYA-the-very-secret-refresh-token";
    let context = SignIn::token_context(Platform::Teams, "29:u", "oid-1");
    for db in test_databases().await {
        let sealed = vault.seal(token, &context).expect("seal");
        let keep_until = t0() + Duration::days(30);
        db.store
            .save_sign_in(&sign_in("29:u", &sealed, keep_until))
            .await
            .expect("save");
        let raw = db
            .text("SELECT sealed_refresh_token FROM sign_ins")
            .await
            .expect("a row");
        assert!(!raw.contains("secret-refresh-token"), "{raw}");
        assert!(raw.starts_with("v1.k1."), "{raw}");
        let read = db
            .store
            .sign_in(Platform::Teams, "29:u", t0())
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(
            vault.open(&read.sealed_refresh_token, &context).as_deref(),
            Ok(token)
        );
        db.finish().await;
    }
}
