//! The job queue (the outbox): inserting jobs inside a write transaction, claiming them with a
//! lease, releasing, renewing and removing them, and what waits.
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … LIMIT n)[ FOR UPDATE SKIP LOCKED] RETURNING …`
//! (see [`Dialect::SKIP_LOCKED`]). A claim and a completion do not wait for the disk
//! ([`Dialect::RELAX_COMMIT`]; other sessions see them at once all the same): losing one in a
//! database crash only runs the job again, which the outbox allows anyway.

use std::borrow::Borrow;

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{Dialect, SqlStore, WriteTx};
use crate::service::jobs::{ClaimedJob, Lane, NewJob, QueueState};
use crate::service::ports::StoreError;
use crate::store::rows;

/// `id, attempts, payload, run_at, created_at` of a leased job.
type LeasedRow = (i64, i32, String, DateTime<Utc>, DateTime<Utc>);

/// The most due jobs a lane's gauge counts: a deeper queue reads as this many, so that reading
/// the gauges (every `poll_interval` while the worker is busy) walks at most this many index
/// entries per lane instead of the whole of a flooded queue (300,000 jobs: 280 ms a read).
pub(crate) const QUEUE_COUNT_CAP: u32 = 10_000;

/// Rows of one `INSERT INTO jobs`: five parameters each, far below either database's limit.
const ROWS_PER_INSERT: usize = 200;

/// `INSERT INTO jobs … VALUES (…), (…)` of `rows` rows, bound five parameters a row.
fn insert_statement(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let p = row * 5;
            format!(
                "(${}, ${}, ${}, 0, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5
            )
        })
        .collect();
    format!(
        "INSERT INTO jobs (kind, payload, run_at, attempts, created_at, request_id) VALUES {}",
        values.join(", ")
    )
}

/// The claim of up to `$4` jobs due at `$3` for `$1` until `$2`; with `of_lane`, only of the
/// lane bound as `$5` (the `lane` column the database derives from `kind`, indexed with
/// `run_at`: the claim reads that lane's due jobs in order and stops at `$4`).
fn claim_statement<D: Dialect>(of_lane: bool) -> String {
    let lane = if of_lane { " AND lane = $5" } else { "" };
    format!(
        "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM jobs \
         WHERE run_at <= $3 AND (locked_until IS NULL OR locked_until < $3){lane} \
         ORDER BY run_at, id LIMIT $4{}) \
         RETURNING id, attempts, payload, run_at, created_at",
        D::SKIP_LOCKED
    )
}

impl<D: Dialect> WriteTx<D> {
    /// Inserts `jobs`, up to [`ROWS_PER_INSERT`] in one statement: a group commit of many
    /// acks costs one statement, not one per job (each statement is a round trip to the
    /// driver's connection thread on SQLite).
    pub(crate) async fn insert_jobs<J: Borrow<NewJob>>(
        &mut self,
        jobs: &[J],
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        for chunk in jobs.chunks(ROWS_PER_INSERT) {
            let mut insert = self.sql(AssertSqlSafe(insert_statement(chunk.len())));
            for new in chunk {
                let new = new.borrow();
                insert = insert
                    .bind(new.job.kind())
                    .bind(rows::job_json(&new.job)?)
                    .bind(new.run_at)
                    .bind(now)
                    .bind(new.job.request().map(|id| id.get()));
            }
            insert.execute().await?;
        }
        Ok(())
    }

    /// Parks a job that cannot be read, so it cannot wedge the queue; an operator must look.
    async fn park_job(&mut self, id: i64, error: &StoreError) -> Result<(), StoreError> {
        tracing::error!(job_id = id, %error, "parking a job that cannot be read");
        self.sql(
            "UPDATE jobs SET locked_by = NULL, locked_until = NULL, \
             run_at = $1, last_error = $2 WHERE id = $3",
        )
        .bind(rows::parked_until())
        .bind(error.to_string())
        .bind(id)
        .execute()
        .await?;
        Ok(())
    }
}

impl<D: Dialect> SqlStore<D> {
    /// Leases up to `limit` due jobs of `lane` (of every lane when `None`).
    pub(crate) async fn claim_leased(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
        lane: Option<Lane>,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let mut tx = self.begin_write().await?;
        tx.relax_commit().await?;
        let mut claim = tx
            .sql(AssertSqlSafe(claim_statement::<D>(lane.is_some())))
            .bind(worker)
            .bind(rows::lease_end(now, lease))
            .bind(now)
            .bind(rows::limit(limit));
        if let Some(lane) = lane {
            claim = claim.bind(lane.as_str());
        }
        let mut leased: Vec<LeasedRow> = claim.fetch_all().await?;
        leased.sort_by_key(|(id, _, _, run_at, _)| (*run_at, *id));
        let mut claimed = Vec::with_capacity(leased.len());
        for (id, attempts, payload, _, created_at) in leased {
            match rows::job_from_payload(id, &payload) {
                Ok(job) => claimed.push(ClaimedJob {
                    id,
                    attempts: rows::attempts(attempts),
                    job,
                    created_at,
                }),
                Err(error) => tx.park_job(id, &error).await?,
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Due and waiting jobs per lane (each count read up to [`QUEUE_COUNT_CAP`]), and when
    /// the next one comes due. A read: it never waits for the writer.
    pub(crate) async fn queue_state(&self, now: DateTime<Utc>) -> Result<QueueState, StoreError> {
        let mut due_by_lane = Vec::with_capacity(Lane::ALL.len());
        let mut oldest_due: Option<DateTime<Utc>> = None;
        for lane in Lane::ALL {
            let (count, oldest): (i64, Option<DateTime<Utc>>) = self
                .read(AssertSqlSafe(format!(
                    "SELECT COUNT(*), MIN(run_at) FROM (SELECT run_at FROM jobs \
                     WHERE lane = $1 AND run_at <= $2 \
                     AND (locked_until IS NULL OR locked_until < $2) \
                     ORDER BY run_at LIMIT {QUEUE_COUNT_CAP}) due"
                )))
                .bind(lane.as_str())
                .bind(now)
                .fetch_one()
                .await?;
            due_by_lane.push((lane, u64::try_from(count).unwrap_or(0)));
            oldest_due = match (oldest_due, oldest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let next: Option<(DateTime<Utc>,)> = self
            .read(
                "SELECT run_at FROM jobs WHERE locked_until IS NULL OR locked_until < $1 \
                 ORDER BY run_at LIMIT 1",
            )
            .bind(now)
            .fetch_optional()
            .await?;
        Ok(QueueState {
            due_by_lane,
            oldest_due,
            next_run_at: next.map(|(at,)| at),
        })
    }

    pub(crate) async fn complete_job(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        tx.relax_commit().await?;
        tx.sql("DELETE FROM jobs WHERE id = $1")
            .bind(id)
            .execute()
            .await?;
        tx.commit().await
    }

    /// Releases a job to run at `run_at`; with `attempts`, records the attempts spent.
    pub(crate) async fn release_job(
        &self,
        id: i64,
        run_at: DateTime<Utc>,
        error: &str,
        attempts: Option<u32>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        self.write(
            "UPDATE jobs SET locked_by = NULL, locked_until = NULL, run_at = $1, \
             last_error = $2, attempts = COALESCE($4, attempts) WHERE id = $3",
        )
        .bind(run_at)
        .bind(error)
        .bind(id)
        .bind(attempts.map(i64::from))
        .execute()
        .await?;
        Ok(())
    }

    pub(crate) async fn renew_lease(
        &self,
        id: i64,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let renewed = self
            .write("UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3")
            .bind(until)
            .bind(id)
            .bind(worker)
            .execute()
            .await?;
        Ok(renewed == 1)
    }
}
