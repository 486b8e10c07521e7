//! Group commit of inbound writes on SQLite: what a slash command, a click's delivery or a Teams
//! message must have on disk before it is acknowledged (its delivery key, audit event and jobs)
//! is handed to one task that writes everything waiting in one transaction, each write in its
//! own savepoint, and answers each caller after the commit. Under load a whole queue of acks
//! costs one `BEGIN IMMEDIATE … COMMIT` instead of one each, and they never wait behind the
//! worker's writes one by one (see `write_turn`): measured in `cargo bench` (acks).

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use crate::service::ports::StoreError;
use crate::store::sql::{InboundWrite, WriteTx};

/// Writes waiting at most: a caller beyond this waits for room (backpressure, not loss).
const QUEUE: usize = 4096;
/// The most writes in one transaction (bounds how long the writer is held).
const BATCH: usize = 512;

type Queued = (InboundWrite, oneshot::Sender<Result<bool, StoreError>>);

/// The handle the store keeps; cloning it shares the one writing task.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Queued>,
}

impl GroupCommit {
    /// Starts the writing task on `writer` (it ends when the last handle is dropped).
    pub(crate) fn start(writer: SqlitePool) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(writer, waiting));
        Self { queue }
    }

    /// Writes `write` in the next batch; `Ok(false)` when its delivery key was seen before.
    pub(crate) async fn write(&self, write: InboundWrite) -> Result<bool, StoreError> {
        let (answer, answered) = oneshot::channel();
        let gone = || StoreError::Unavailable("the SQLite writer has stopped".to_owned());
        self.queue.send((write, answer)).await.map_err(|_| gone())?;
        answered.await.map_err(|_| gone())?
    }
}

async fn write_batches(writer: SqlitePool, mut waiting: mpsc::Receiver<Queued>) {
    while let Some(first) = waiting.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        metrics::histogram!("pimbot_store_group_commit_size").record(batch.len() as f64);
        match write_batch(&writer, &batch).await {
            Ok(outcomes) => {
                for ((_, answer), outcome) in batch.into_iter().zip(outcomes) {
                    let _ = answer.send(outcome);
                }
            }
            Err(error) => {
                let message = error.to_string();
                for (_, answer) in batch {
                    let _ = answer.send(Err(StoreError::Unavailable(message.clone())));
                }
            }
        }
    }
}

/// One transaction for the batch; each write in a savepoint, so one that fails is undone alone
/// and answered with its error. `Err` when the transaction itself fails (nothing was written).
async fn write_batch(
    writer: &SqlitePool,
    batch: &[Queued],
) -> Result<Vec<Result<bool, StoreError>>, StoreError> {
    let mut tx = WriteTx::begin(writer, None).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for (write, _) in batch {
        tx.sql("SAVEPOINT inbound").execute().await?;
        let outcome = tx.write_inbound(write).await;
        if outcome.is_err() {
            tx.sql("ROLLBACK TO inbound").execute().await?;
        }
        tx.sql("RELEASE inbound").execute().await?;
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}
