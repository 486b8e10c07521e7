//! Group commit of inbound writes on SQLite: what a slash command, a click's delivery or a Teams
//! message must have on disk before it is acknowledged (its delivery key, audit event and jobs)
//! is handed to one task that writes everything waiting in one transaction and answers each
//! caller after the commit. A batch costs the same seven statements however many writes it
//! holds (`BEGIN IMMEDIATE`, one multi-row `INSERT` each for delivery keys, audit events and
//! jobs, two for the audit head, `COMMIT`), where each write alone costs six, and each
//! statement is a round trip to the driver's connection thread. The acks never wait behind the
//! worker's writes one by one either (see `write_turn`): measured in `cargo bench` (acks).

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

    /// A handle that tells whether the store still holds this group commit (for tasks that
    /// should end with it).
    pub(crate) fn alive(&self) -> mpsc::WeakSender<Queued> {
        self.queue.downgrade()
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
        let outcomes = write_batch(&writer, &batch).await;
        for ((_, answer), outcome) in batch.into_iter().zip(outcomes) {
            let _ = answer.send(outcome);
        }
    }
}

/// Each write's outcome: the batch in one transaction when it can be; if anything in it fails,
/// nothing of it is kept and each write is tried again alone, so a write that cannot be made
/// fails alone, with its own error.
async fn write_batch(writer: &SqlitePool, batch: &[Queued]) -> Vec<Result<bool, StoreError>> {
    match write_together(writer, batch).await {
        Ok(outcomes) => outcomes,
        Err(error) if batch.len() == 1 => vec![Err(error)],
        Err(error) => {
            tracing::debug!(%error, writes = batch.len(), "a group commit failed; writing each alone");
            let mut outcomes = Vec::with_capacity(batch.len());
            for (write, _) in batch {
                outcomes.push(write_alone(writer, write).await);
            }
            outcomes
        }
    }
}

/// One transaction for the whole batch (see [`WriteTx::write_inbounds`]: a handful of
/// statements, however many writes).
async fn write_together(
    writer: &SqlitePool,
    batch: &[Queued],
) -> Result<Vec<Result<bool, StoreError>>, StoreError> {
    let writes: Vec<&InboundWrite> = batch.iter().map(|(write, _)| write).collect();
    let mut tx = WriteTx::begin(writer, None).await?;
    let new = tx.write_inbounds(&writes).await?;
    tx.commit().await?;
    Ok(new.into_iter().map(Ok).collect())
}

async fn write_alone(writer: &SqlitePool, write: &InboundWrite) -> Result<bool, StoreError> {
    WriteTx::begin(writer, None)
        .await?
        .commit_inbound(write)
        .await
}
