//! The audit chain: appending an event inside a write transaction, reading events and the head.

use super::{Dialect, SqlStore, WriteTx};
use crate::domain::audit::{AuditAnchor, AuditEvent, StoredAuditEvent, chain_hash};
use crate::service::ports::StoreError;
use crate::store::rows;

impl<D: Dialect> WriteTx<D> {
    /// Appends one event to the chain; its seq. The first statement takes the `audit_head` row
    /// lock, which serialises appends.
    pub(crate) async fn append_audit(&mut self, event: &AuditEvent) -> Result<i64, StoreError> {
        let (seq, prev_hash): (i64, String) = self
            .sql("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one()
            .await?;
        let canonical = event.canonical(seq);
        let hash = chain_hash(&prev_hash, &canonical);
        self.sql(
            "INSERT INTO audit_events (seq, at, kind, request_id, canonical, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(seq)
        .bind(event.at)
        .bind(&event.kind)
        .bind(event.request_id.map(|id| id.get()))
        .bind(&canonical)
        .bind(&prev_hash)
        .bind(&hash)
        .execute()
        .await?;
        self.sql("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute()
            .await?;
        Ok(seq)
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
