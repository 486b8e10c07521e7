//! Tests of the store: each runs on a fresh SQLite file and, when `DATABASE_URL` names a
//! PostgreSQL server, also on a fresh database there (see [`super::testing`]).

mod audit;
mod group;
mod jobs;
mod requests;
mod sign_ins;
mod small;

use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, TimeZone, Utc};
use sqlx::{AssertSqlSafe, Connection, PgConnection, SqliteConnection};
use tempfile::TempDir;

use super::testing::{drop_test_database, fresh_test_database};
use super::{Backend, connect, migrate};
use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::duration::ElevationDuration;
use crate::domain::request::{Decision, Person, Platform, Request, ShortId, State};
use crate::domain::target::{GroupAccess, GroupMembership, PimResource, ResolvedTarget};
use crate::service::jobs::{Job, Lane, NewJob};
use crate::service::ports::{NewRequest, Store, TransitionWrite};

/// One migrated, empty database and the store on it.
pub(crate) struct TestDb {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) url: String,
    pub(crate) backend: Backend,
    /// Keeps the SQLite file's directory alive.
    _dir: Option<TempDir>,
    /// The PostgreSQL server URL the database was made on, to drop it.
    base: Option<String>,
}

/// A fresh SQLite database, plus a fresh PostgreSQL one when `DATABASE_URL` is set.
pub(crate) async fn test_databases() -> Vec<TestDb> {
    let mut databases = vec![sqlite_db().await];
    #[expect(
        clippy::disallowed_methods,
        reason = "tests choose their database from the environment"
    )]
    let base_url = std::env::var("DATABASE_URL");
    if let Ok(base) = base_url {
        databases.push(postgres_db(&base).await);
    }
    databases
}

async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("pimbot.db").display());
    migrate(&url).await.expect("migrate sqlite");
    TestDb {
        store: connect(&url).await.expect("connect sqlite"),
        url,
        backend: Backend::Sqlite,
        _dir: Some(dir),
        base: None,
    }
}

async fn postgres_db(base: &str) -> TestDb {
    let url = fresh_test_database(base)
        .await
        .expect("create test database");
    migrate(&url).await.expect("migrate postgres");
    TestDb {
        store: connect(&url).await.expect("connect postgres"),
        url,
        backend: Backend::Postgres,
        _dir: None,
        base: Some(base.to_owned()),
    }
}

impl TestDb {
    /// Drops the PostgreSQL database (best-effort; a failed test leaves it behind).
    pub(crate) async fn finish(self) {
        drop(self.store);
        if let Some(base) = &self.base {
            let _ = drop_test_database(base, &self.url).await;
        }
    }

    /// Runs raw SQL on its own connection, bypassing the store.
    pub(crate) async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let mut conn = SqliteConnection::connect(&self.url).await?;
                Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
            }
            Backend::Postgres => {
                let mut conn = PgConnection::connect(&self.url).await?;
                Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
            }
        }
    }

    /// The first column of the first row of a query, as text (NULL is `None`).
    pub(crate) async fn text(&self, sql: &str) -> Option<String> {
        let sql = AssertSqlSafe(sql.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let mut conn = SqliteConnection::connect(&self.url).await.expect("connect");
                sqlx::query_scalar::<_, Option<String>>(sql)
                    .fetch_one(&mut conn)
                    .await
            }
            Backend::Postgres => {
                let mut conn = PgConnection::connect(&self.url).await.expect("connect");
                sqlx::query_scalar::<_, Option<String>>(sql)
                    .fetch_one(&mut conn)
                    .await
            }
        }
        .expect("query")
    }

    pub(crate) fn name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A fixed instant with sub-second digits, so precision is exercised.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 9, 30, 0)
        .single()
        .expect("valid time")
        + Duration::microseconds(123_456)
}

pub(crate) fn person(entra_id: &str, name: &str, chat_id: Option<&str>) -> Person {
    Person {
        entra_id: entra_id.into(),
        display_name: name.to_owned(),
        chat_id: chat_id.map(Into::into),
    }
}

/// A pending request with every optional field filled in.
pub(crate) fn sample_request(requester: &str) -> Request {
    let now = Utc::now();
    Request {
        id: ShortId::new(0),
        version: 0,
        state: State::PendingApproval,
        platform: Platform::Slack,
        requester: person(requester, "Rita Requester", Some("U111")),
        target: ResolvedTarget {
            name: Some("app1-secrets".to_owned()),
            display_name: "App1 Secret Managers".to_owned(),
            scope_display: "membership".to_owned(),
            resource: PimResource::Group(GroupMembership {
                group_id: "group-object-id".to_owned(),
                access: GroupAccess::Member,
            }),
        },
        duration: ElevationDuration::from_minutes(90).expect("duration"),
        ticket: Some("INC-1".to_owned()),
        justification: Some("rotate the secret".to_owned()),
        approvers: vec![
            person("approver-1", "Ann Approver", Some("U222")),
            person("approver-2", "Bob Approver", None),
        ],
        approvals_required: 2,
        decisions: vec![],
        conversation: "C-REQ".into(),
        approval_conversation: "C-APPROVALS".into(),
        mode: Default::default(),
        pim_approval_id: None,
        approval_deadline: now + Duration::hours(4),
        pim_request_id: Some("pim-req-1".to_owned()),
        active_until: Some(now + Duration::hours(6)),
        failure: Some("nothing yet".to_owned()),
        created_at: now,
        updated_at: now,
        extends: None,
        approver_source: None,
        ended_by: None,
    }
}

pub(crate) fn event(kind: &str, request: Option<ShortId>) -> AuditEvent {
    AuditEvent::new(kind, request, AuditActor::system(), "ok")
        .with_detail(serde_json::json!({ "note": "ünïcode ✓", "n": 1 }))
}

/// A sample request for `requester` with an id from the store, its `request.submitted` event
/// and a PostApproval job.
pub(crate) async fn new_request(
    store: &Arc<dyn Store>,
    requester: &str,
    origin: Option<&str>,
) -> NewRequest {
    let request = Request {
        id: store.next_request_id().await.expect("request id"),
        version: 1,
        ..sample_request(requester)
    };
    NewRequest {
        audit: event("request.submitted", Some(request.id)),
        jobs: vec![NewJob::at(
            Job::PostApproval {
                request: request.id,
            },
            t0(),
        )],
        origin: origin.map(str::to_owned),
        request,
    }
}

/// Creates a sample request for `requester`.
pub(crate) async fn create(store: &Arc<dyn Store>, requester: &str) -> Request {
    let new = new_request(store, requester, None).await;
    store.create_request(new).await.expect("create request")
}

/// A transition of `from` recording `approver`'s approval (the request stays pending).
pub(crate) fn approval(from: &Request, approver: &str) -> TransitionWrite {
    let decision = Decision {
        approver: person(approver, "Approver", None),
        approve: true,
        reason: Some("fine".to_owned()),
        at: Utc::now().trunc_subsecs(6),
    };
    let mut request = from.clone();
    request.version = from.version + 1;
    request.decisions.push(decision.clone());
    request.updated_at = Utc::now();
    TransitionWrite {
        request,
        expected_version: from.version,
        decision: Some(decision),
        audit: event("request.approved", Some(from.id)),
        jobs: vec![NewJob::at(Job::UpdateApproval { request: from.id }, t0())],
    }
}
