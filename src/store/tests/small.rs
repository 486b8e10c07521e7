//! Deliveries, cached identities, approval messages, migrations, URLs and ping.

use crate::service::ports::{CachedIdentity, DirectoryUser, MessageRef, StoreError};

use super::*;

#[tokio::test]
async fn a_delivery_key_is_first_only_once() {
    for db in test_databases().await {
        assert!(
            db.store.first_delivery("slack:Ev1").await.expect("first"),
            "{}",
            db.name()
        );
        assert!(
            !db.store.first_delivery("slack:Ev1").await.expect("again"),
            "{}",
            db.name()
        );
        assert!(db.store.first_delivery("slack:Ev2").await.expect("other"));
        db.finish().await;
    }
}

fn identity(chat_id: &str, entra_id: &str, name: &str) -> CachedIdentity {
    CachedIdentity {
        platform: Platform::Teams,
        chat_id: chat_id.to_owned(),
        user: DirectoryUser {
            id: entra_id.to_owned(),
            display_name: name.to_owned(),
            mail: Some(format!("{name}@example.com")),
            user_principal_name: None,
            account_enabled: true,
        },
        fetched_at: t0(),
    }
}

#[tokio::test]
async fn a_saved_identity_is_replaced_by_the_next_save() {
    for db in test_databases().await {
        let store = &db.store;
        assert_eq!(
            store
                .identity(Platform::Teams, "29:abc")
                .await
                .expect("read"),
            None
        );
        let first = identity("29:abc", "entra-1", "ann");
        store.save_identity(&first).await.expect("save");
        let read = store
            .identity(Platform::Teams, "29:abc")
            .await
            .expect("read");
        assert_eq!(read.as_ref(), Some(&first), "{}", db.name());
        assert_eq!(
            store
                .identity(Platform::Slack, "29:abc")
                .await
                .expect("read"),
            None
        );

        let mut second = identity("29:abc", "entra-2", "bob");
        second.fetched_at = t0() + Duration::hours(1);
        store.save_identity(&second).await.expect("save again");
        let read = store
            .identity(Platform::Teams, "29:abc")
            .await
            .expect("read");
        assert_eq!(read, Some(second), "{}", db.name());
        let entra = db.text("SELECT entra_id FROM identities").await;
        assert_eq!(entra.as_deref(), Some("entra-2"));
        db.finish().await;
    }
}

#[tokio::test]
async fn the_chat_users_of_an_entra_account_are_listed_per_platform() {
    for db in test_databases().await {
        let store = &db.store;
        for (chat_id, entra) in [
            ("29:b", "entra-1"),
            ("29:a", "entra-1"),
            ("29:c", "entra-2"),
        ] {
            store
                .save_identity(&identity(chat_id, entra, "ann"))
                .await
                .expect("save");
        }
        let listed = store
            .identities_of(Platform::Teams, "entra-1")
            .await
            .expect("read");
        let chat_ids: Vec<&str> = listed.iter().map(|i| i.chat_id.as_str()).collect();
        assert_eq!(chat_ids, ["29:a", "29:b"], "{}", db.name());
        let elsewhere = store
            .identities_of(Platform::Slack, "entra-1")
            .await
            .expect("read");
        assert!(elsewhere.is_empty(), "{}", db.name());
        db.finish().await;
    }
}

#[tokio::test]
async fn a_saved_approval_message_is_replaced_by_the_next_save() {
    for db in test_databases().await {
        let store = &db.store;
        let request = create(store, "requester-1").await;
        assert_eq!(
            store
                .message(request.id, Platform::Slack)
                .await
                .expect("read"),
            None
        );
        let first = MessageRef {
            conversation: "C1".to_owned(),
            message_id: "1.0001".to_owned(),
        };
        store
            .save_message(request.id, Platform::Slack, &first)
            .await
            .expect("save");
        let second = MessageRef {
            conversation: "C2".to_owned(),
            message_id: "2.0002".to_owned(),
        };
        store
            .save_message(request.id, Platform::Slack, &second)
            .await
            .expect("save again");
        let read = store
            .message(request.id, Platform::Slack)
            .await
            .expect("read");
        assert_eq!(read, Some(second), "{}", db.name());
        assert_eq!(
            store
                .message(request.id, Platform::Teams)
                .await
                .expect("read"),
            None
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn migrations_run_again_change_nothing() {
    for db in test_databases().await {
        let request = create(&db.store, "requester-1").await;
        migrate(&db.url).await.expect("second run");
        migrate(&db.url).await.expect("third run");
        let read = db.store.request(request.id).await.expect("read");
        assert_eq!(read, Some(request), "{}", db.name());
        let head = db.text("SELECT CAST(seq AS TEXT) FROM audit_head").await;
        assert_eq!(
            head.as_deref(),
            Some("1"),
            "{}: audit head not reset",
            db.name()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn the_database_answers_ping() {
    for db in test_databases().await {
        db.store.ping().await.expect("ping");
        db.finish().await;
    }
}

#[tokio::test]
async fn connecting_to_a_missing_sqlite_file_creates_it_without_migrating() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("new.db");
    let url = format!("sqlite://{}", path.display());
    let store = connect(&url).await.expect("connect");
    assert!(path.exists());
    store.ping().await.expect("ping");
    let unmigrated = store.request(ShortId::new(1)).await;
    assert!(
        matches!(unmigrated, Err(StoreError::Unavailable(_))),
        "{unmigrated:?}"
    );
    migrate(&url).await.expect("migrate");
    assert_eq!(store.request(ShortId::new(1)).await.expect("read"), None);
}

#[tokio::test]
async fn a_sqlite_store_uses_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let store = crate::store::SqliteStore::connect(&url)
        .await
        .expect("connect");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
    let keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .expect("pragma");
    assert_eq!(keys, 1);
}

#[tokio::test]
async fn an_unknown_database_url_is_refused() {
    for url in ["mysql://h/db", "pimbot.db", ""] {
        let result = connect(url).await;
        assert!(matches!(result, Err(StoreError::Unavailable(_))), "{url}");
    }
    assert_eq!(
        Backend::of_url("sqlite://pimbot.db").ok(),
        Some(Backend::Sqlite)
    );
    assert_eq!(
        Backend::of_url("postgresql://h/db").ok(),
        Some(Backend::Postgres)
    );
    assert_eq!(
        Backend::of_url("postgres://h/db").ok(),
        Some(Backend::Postgres)
    );
}

#[test]
fn a_url_is_shown_without_its_password() {
    use crate::store::redact;
    assert_eq!(
        redact("postgres://u:secret@h:5432/db"),
        "postgres://u:***@h:5432/db"
    );
    assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    assert_eq!(redact("sqlite://pimbot.db"), "sqlite://pimbot.db");
}
