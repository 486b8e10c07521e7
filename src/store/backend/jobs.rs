//! The job queue's SQL, instantiated by [`sql_store!`](super::sql_store) as inherent methods
//! that the `Store` implementation delegates to.
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … LIMIT n $skip_locked) RETURNING …`: on
//! PostgreSQL `FOR UPDATE SKIP LOCKED` lets workers on several replicas take different jobs; on
//! SQLite the statement runs in a `BEGIN IMMEDIATE` transaction, one writer at a time.
//!
//! A claim and a completion do not wait for the disk (`relax_commit`: PostgreSQL's
//! `synchronous_commit = off` for that transaction; other sessions see it at once all the same).
//! Losing one in a database crash only runs the job again, which the outbox allows anyway.

macro_rules! sql_jobs {
    (
        store: $store:ident,
        conn: $conn:ty,
        skip_locked: $skip:literal $(,)?
    ) => {
        impl $store {
            async fn insert_jobs_in(conn: &mut $conn, jobs: &[NewJob]) -> Result<(), StoreError> {
                let now = Utc::now();
                for new in jobs {
                    sqlx::query(
                        "INSERT INTO jobs (kind, payload, run_at, attempts, created_at, request_id) \
                         VALUES ($1, $2, $3, 0, $4, $5)",
                    )
                    .bind(new.job.kind())
                    .bind(rows::job_json(&new.job)?)
                    .bind(new.run_at)
                    .bind(now)
                    .bind(new.job.request().map(|id| id.0))
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error)?;
                }
                Ok(())
            }

            async fn enqueue_jobs(&self, jobs: Vec<NewJob>) -> Result<(), StoreError> {
                if jobs.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write().await?;
                Self::insert_jobs_in(&mut tx, &jobs).await?;
                tx.commit().await.map_err(db_error)
            }

            /// Leases up to `limit` due jobs of `kinds` (every kind when empty).
            async fn claim_leased(
                &self,
                worker: &str,
                now: DateTime<Utc>,
                lease: std::time::Duration,
                limit: u32,
                kinds: &[&str],
            ) -> Result<Vec<ClaimedJob>, StoreError> {
                // The kinds are bound ($5…), never spliced in.
                let of_kinds = if kinds.is_empty() {
                    String::new()
                } else {
                    let placeholders: Vec<String> =
                        (0..kinds.len()).map(|i| format!("${}", i + 5)).collect();
                    format!(" AND kind IN ({})", placeholders.join(", "))
                };
                let sql = format!(
                    "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM jobs \
                     WHERE run_at <= $3 AND (locked_until IS NULL OR locked_until < $3){of_kinds} \
                     ORDER BY run_at, id LIMIT $4{}) \
                     RETURNING id, attempts, payload, run_at, created_at",
                    $skip
                );
                let mut tx = self.begin_write().await?;
                Self::relax_commit(&mut tx).await?;
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(worker)
                    .bind(rows::lease_end(now, lease))
                    .bind(now)
                    .bind(rows::limit(limit));
                for kind in kinds {
                    query = query.bind(*kind);
                }
                let mut leased: Vec<(i64, i32, String, DateTime<Utc>, DateTime<Utc>)> =
                    query.fetch_all(&mut **tx).await.map_err(db_error)?;
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
                        Err(error) => {
                            // Park it so it cannot wedge the queue; an operator must look.
                            tracing::error!(job_id = id, %error, "parking a job that cannot be read");
                            sqlx::query(
                                "UPDATE jobs SET locked_by = NULL, locked_until = NULL, \
                                 run_at = $1, last_error = $2 WHERE id = $3",
                            )
                            .bind(rows::parked_until())
                            .bind(error.to_string())
                            .bind(id)
                            .execute(&mut **tx)
                            .await
                            .map_err(db_error)?;
                        }
                    }
                }
                tx.commit().await.map_err(db_error)?;
                Ok(claimed)
            }

            /// Due and waiting jobs by kind, and when the next one comes due. A read: it
            /// never waits for the writer.
            async fn queued(&self, now: DateTime<Utc>) -> Result<QueueState, StoreError> {
                let due: Vec<(String, i64, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT kind, COUNT(*), MIN(run_at) FROM jobs \
                     WHERE run_at <= $1 AND (locked_until IS NULL OR locked_until < $1) \
                     GROUP BY kind",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                let next: Option<(DateTime<Utc>,)> = sqlx::query_as(
                    "SELECT run_at FROM jobs WHERE locked_until IS NULL OR locked_until < $1 \
                     ORDER BY run_at LIMIT 1",
                )
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(QueueState {
                    oldest_due: due.iter().map(|(_, _, at)| *at).min(),
                    due_by_kind: due
                        .into_iter()
                        .map(|(kind, count, _)| (kind, u64::try_from(count).unwrap_or(0)))
                        .collect(),
                    next_run_at: next.map(|(at,)| at),
                })
            }

            async fn delete_job(&self, id: i64) -> Result<(), StoreError> {
                let mut tx = self.begin_write().await?;
                Self::relax_commit(&mut tx).await?;
                sqlx::query("DELETE FROM jobs WHERE id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_error)?;
                tx.commit().await.map_err(db_error)
            }

            /// Releases a job to run at `run_at`; with `attempts`, records the attempts spent.
            async fn release_job(
                &self,
                id: i64,
                run_at: DateTime<Utc>,
                error: &str,
                attempts: Option<u32>,
            ) -> Result<(), StoreError> {
                let _turn = self.write_turn().await;
                sqlx::query(
                    "UPDATE jobs SET locked_by = NULL, locked_until = NULL, run_at = $1, \
                     last_error = $2, attempts = COALESCE($4, attempts) WHERE id = $3",
                )
                .bind(run_at)
                .bind(error)
                .bind(id)
                .bind(attempts.map(i64::from))
                .execute(&self.writer)
                .await
                .map_err(db_error)?;
                Ok(())
            }
        }
    };
}

pub(crate) use sql_jobs;
