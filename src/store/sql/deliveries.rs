//! Inbound delivery keys, and the inbound writes that come with them: what a slash command, a
//! click or a Teams message must have on disk before it is acknowledged (its delivery key, audit
//! event and jobs). The dialect may commit such writes together ([`Dialect::grouped`]: SQLite's
//! group commit); each is written here either way.

use chrono::Utc;

use super::{Dialect, On, Sql, SqlStore, WriteTx};
use crate::domain::audit::AuditEvent;
use crate::service::jobs::NewJob;
use crate::service::ports::StoreError;

/// What an inbound request writes before it is acknowledged: with `delivery`, only if the key
/// is new.
#[derive(Debug)]
pub struct InboundWrite {
    pub(crate) delivery: Option<String>,
    pub(crate) audit: Option<AuditEvent>,
    pub(crate) jobs: Vec<NewJob>,
}

/// Records a delivery key; whether it was new.
async fn insert_delivery<D: Dialect>(on: On<'_, D>, key: &str) -> Result<bool, StoreError> {
    let inserted = Sql::new(
        on,
        "INSERT INTO deliveries (key, seen_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(Utc::now())
    .execute()
    .await?;
    Ok(inserted == 1)
}

impl<D: Dialect> WriteTx<D> {
    /// Writes `write` in this transaction; `Ok(false)`, having written nothing, when its
    /// delivery key was seen before.
    pub(crate) async fn write_inbound(&mut self, write: &InboundWrite) -> Result<bool, StoreError> {
        let new = self.record_inbound(write).await?;
        if new {
            self.insert_jobs(&write.jobs).await?;
        }
        Ok(new)
    }

    /// Writes `write` as this transaction's only content and commits it (rolls back, having
    /// written nothing, when its delivery key was seen before); whether the key was new.
    pub(crate) async fn commit_inbound(mut self, write: &InboundWrite) -> Result<bool, StoreError> {
        if !self.write_inbound(write).await? {
            self.rollback().await?;
            return Ok(false);
        }
        self.commit().await?;
        Ok(true)
    }

    /// Writes `write`'s delivery key and audit event, not its jobs (the caller inserts them,
    /// maybe with others'); whether the key was new (`false`: nothing was written).
    pub(crate) async fn record_inbound(
        &mut self,
        write: &InboundWrite,
    ) -> Result<bool, StoreError> {
        if let Some(key) = &write.delivery
            && !insert_delivery(self.on(), key).await?
        {
            return Ok(false);
        }
        if let Some(event) = &write.audit {
            self.append_audit(event).await?;
        }
        Ok(true)
    }
}

impl<D: Dialect> SqlStore<D> {
    pub(crate) async fn first_delivery(&self, key: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        insert_delivery(On::Pool(&self.writer), key).await
    }

    /// Writes `write` with others where the dialect groups inbound writes, else in a
    /// transaction of its own; `Ok(false)`, and nothing written, when its delivery key was seen
    /// before.
    pub(crate) async fn write_inbound(&self, write: InboundWrite) -> Result<bool, StoreError> {
        let write = match D::grouped(self, write).await {
            Ok(done) => return done,
            Err(write) => write,
        };
        self.begin_write().await?.commit_inbound(&write).await
    }
}
