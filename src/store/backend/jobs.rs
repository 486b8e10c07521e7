//! The job queue's SQL, instantiated by [`sql_store!`](super::sql_store) as inherent methods
//! that the `Store` implementation delegates to.
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … LIMIT n $skip_locked) RETURNING …`: on
//! PostgreSQL `FOR UPDATE SKIP LOCKED` lets workers on several replicas take different jobs; on
//! SQLite the statement runs in a `BEGIN IMMEDIATE` transaction, one writer at a time.

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

            async fn claim_leased(
                &self,
                worker: &str,
                now: DateTime<Utc>,
                lease: std::time::Duration,
                limit: u32,
            ) -> Result<Vec<ClaimedJob>, StoreError> {
                let mut tx = self.begin_write().await?;
                let mut leased: Vec<(i64, i32, String, DateTime<Utc>)> = sqlx::query_as(concat!(
                    "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM jobs \
                     WHERE run_at <= $3 AND (locked_until IS NULL OR locked_until < $3) \
                     ORDER BY run_at, id LIMIT $4",
                    $skip,
                    ") RETURNING id, attempts, payload, run_at"
                ))
                .bind(worker)
                .bind(rows::lease_end(now, lease))
                .bind(now)
                .bind(rows::limit(limit))
                .fetch_all(&mut *tx)
                .await
                .map_err(db_error)?;
                leased.sort_by_key(|(id, _, _, run_at)| (*run_at, *id));
                let mut claimed = Vec::with_capacity(leased.len());
                for (id, attempts, payload, _) in leased {
                    match rows::job_from_payload(id, &payload) {
                        Ok(job) => claimed.push(ClaimedJob {
                            id,
                            attempts: rows::attempts(attempts),
                            job,
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
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                        }
                    }
                }
                tx.commit().await.map_err(db_error)?;
                Ok(claimed)
            }

            async fn delete_job(&self, id: i64) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM jobs WHERE id = $1")
                    .bind(id)
                    .execute(&self.writer)
                    .await
                    .map_err(db_error)?;
                Ok(())
            }

            async fn release_job(
                &self,
                id: i64,
                run_at: DateTime<Utc>,
                error: &str,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE jobs SET locked_by = NULL, locked_until = NULL, run_at = $1, \
                     last_error = $2 WHERE id = $3",
                )
                .bind(run_at)
                .bind(error)
                .bind(id)
                .execute(&self.writer)
                .await
                .map_err(db_error)?;
                Ok(())
            }
        }
    };
}

pub(crate) use sql_jobs;
