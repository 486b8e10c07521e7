//! The audit chain: appending events inside a write transaction, reading events and the head.

use std::borrow::Borrow;

use sqlx::AssertSqlSafe;

use super::{Dialect, SqlStore, WriteTx};
use crate::domain::audit::{AuditAnchor, AuditEvent, StoredAuditEvent, chain_hash};
use crate::service::ports::StoreError;
use crate::store::rows;

/// Rows of one `INSERT INTO audit_events`: seven parameters each, far below either database's
/// limit.
const ROWS_PER_INSERT: usize = 200;

/// The `INSERT` of `rows` events, numbered `$1…`.
fn insert_statement(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let params: Vec<String> = (1..=7).map(|n| format!("${}", row * 7 + n)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO audit_events (seq, at, kind, request_id, canonical, prev_hash, hash) \
         VALUES {}",
        values.join(", ")
    )
}

/// An event with its place in the chain.
struct Chained<'e> {
    event: &'e AuditEvent,
    seq: i64,
    canonical: String,
    prev_hash: String,
    hash: String,
}

impl<D: Dialect> WriteTx<D> {
    /// Appends one event to the chain.
    pub(crate) async fn append_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        self.append_audits(std::slice::from_ref(event)).await
    }

    /// Appends `events` to the chain in order, in three statements however many there are
    /// (a group commit's whole batch): the first takes the `audit_head` row lock, which
    /// serialises appends, and reserves their seqs; the chain is computed here; the rows go in
    /// as few `INSERT`s as they fit in; the last moves the head's hash.
    pub(crate) async fn append_audits<E: Borrow<AuditEvent>>(
        &mut self,
        events: &[E],
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let count = i64::try_from(events.len()).expect("a batch of events fits an i64");
        let (last_seq, mut prev_hash): (i64, String) = self
            .sql("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
            .bind(count)
            .fetch_one()
            .await?;
        let mut chained = Vec::with_capacity(events.len());
        for (seq, event) in (last_seq - count + 1..).zip(events) {
            let event = event.borrow();
            let canonical = event.canonical(seq);
            let hash = chain_hash(&prev_hash, &canonical);
            let prev = std::mem::replace(&mut prev_hash, hash.clone());
            chained.push(Chained {
                event,
                seq,
                canonical,
                prev_hash: prev,
                hash,
            });
        }
        for chunk in chained.chunks(ROWS_PER_INSERT) {
            let mut insert = self.sql(AssertSqlSafe(insert_statement(chunk.len())));
            for row in chunk {
                insert = insert
                    .bind(row.seq)
                    .bind(row.event.at)
                    .bind(&row.event.kind)
                    .bind(row.event.request_id.map(|id| id.get()))
                    .bind(&row.canonical)
                    .bind(&row.prev_hash)
                    .bind(&row.hash);
            }
            insert.execute().await?;
        }
        self.sql("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev_hash)
            .execute()
            .await?;
        Ok(())
    }
}
impl<D: Dialect> SqlStore<D> {
    pub(crate) async fn audit_events(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        let found: Vec<(i64, String, String, String)> = self
            .read(
                "SELECT seq, canonical, prev_hash, hash FROM audit_events \
                 WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after_seq)
            .bind(rows::limit(limit))
            .fetch_all()
            .await?;
        Ok(found
            .into_iter()
            .map(|(seq, canonical, prev_hash, hash)| StoredAuditEvent {
                seq,
                canonical,
                prev_hash,
                hash,
            })
            .collect())
    }

    pub(crate) async fn audit_head(&self) -> Result<AuditAnchor, StoreError> {
        let (seq, hash): (i64, String) = self
            .read("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one()
            .await?;
        Ok(AuditAnchor { seq, hash })
    }
}
