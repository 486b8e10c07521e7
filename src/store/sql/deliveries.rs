//! Inbound delivery keys, and the inbound writes that come with them: what a slash command, a
//! click or a Teams message must have on disk before it is acknowledged (its delivery key, audit
//! event and jobs). The dialect may commit such writes together ([`Dialect::grouped`]: SQLite's
//! group commit); each is written here either way.

use std::borrow::Borrow;
use std::collections::HashSet;

use chrono::Utc;
use sqlx::AssertSqlSafe;

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

/// Rows of one `INSERT INTO deliveries`: two parameters each.
const ROWS_PER_INSERT: usize = 500;

/// Records delivery keys (distinct); those that were new.
async fn insert_deliveries<D: Dialect>(
    tx: &mut WriteTx<D>,
    keys: &[&str],
) -> Result<HashSet<String>, StoreError> {
    let now = Utc::now();
    let mut new = HashSet::with_capacity(keys.len());
    for chunk in keys.chunks(ROWS_PER_INSERT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|row| format!("(${}, ${})", row * 2 + 1, row * 2 + 2))
            .collect();
        let mut insert = tx.sql(AssertSqlSafe(format!(
            "INSERT INTO deliveries (key, seen_at) VALUES {} \
             ON CONFLICT (key) DO NOTHING RETURNING key",
            values.join(", ")
        )));
        for key in chunk {
            insert = insert.bind(*key).bind(now);
        }
        let inserted: Vec<(String,)> = insert.fetch_all().await?;
        new.extend(inserted.into_iter().map(|(key,)| key));
    }
    Ok(new)
}

/// Records a delivery key outside a transaction; whether it was new.
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
        let new = self.write_inbounds(std::slice::from_ref(write)).await?;
        Ok(new.first().copied().unwrap_or(false))
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

    /// Writes `writes` in this transaction, in order, in a handful of statements however many
    /// there are (a group commit's whole batch): their delivery keys in one `INSERT`, their
    /// audit events in one append, their jobs in one `INSERT`. Whether each was new: `false`,
    /// and nothing of it written, when its key was seen before, in an earlier transaction or
    /// earlier in `writes`.
    pub(crate) async fn write_inbounds<W: Borrow<InboundWrite>>(
        &mut self,
        writes: &[W],
    ) -> Result<Vec<bool>, StoreError> {
        let mut first_of_key = HashSet::with_capacity(writes.len());
        let candidates: Vec<bool> = writes
            .iter()
            .map(|write| match &write.borrow().delivery {
                Some(key) => first_of_key.insert(key.as_str()),
                None => true,
            })
            .collect();
        let keys: Vec<&str> = writes
            .iter()
            .zip(&candidates)
            .filter_map(|(write, &candidate)| {
                write.borrow().delivery.as_deref().filter(|_| candidate)
            })
            .collect();
        let new_keys = if keys.is_empty() {
            HashSet::new()
        } else {
            insert_deliveries(self, &keys).await?
        };
        let new: Vec<bool> = writes
            .iter()
            .zip(candidates)
            .map(|(write, candidate)| {
                candidate
                    && write
                        .borrow()
                        .delivery
                        .as_ref()
                        .is_none_or(|key| new_keys.contains(key))
            })
            .collect();
        let kept = || {
            writes
                .iter()
                .zip(&new)
                .filter(|(_, new)| **new)
                .map(|(write, _)| write.borrow())
        };
        let events: Vec<&AuditEvent> = kept().filter_map(|write| write.audit.as_ref()).collect();
        self.append_audits(&events).await?;
        let jobs: Vec<&NewJob> = kept().flat_map(|write| &write.jobs).collect();
        self.insert_jobs(&jobs).await?;
        Ok(new)
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
