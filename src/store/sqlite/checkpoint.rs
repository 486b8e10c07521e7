//! WAL checkpoints off the write path. In WAL mode SQLite copies committed pages back into the
//! database file (a checkpoint) when the WAL passes `wal_autocheckpoint` pages (1,000 by
//! default), on the connection whose commit crossed it: here the one writer connection, so
//! every ack queued behind that commit waited for a copy of up to 4 MB and two fsyncs (the
//! tail of the ack latency in `cargo bench`).
//!
//! Instead a task of its own, on a connection of its own, runs a `PASSIVE` checkpoint, which
//! takes no lock a writer needs, every [`INTERVAL`] while the store is open. The writer keeps
//! its own threshold as the backstop, raised to [`WRITER_THRESHOLD`]: under a write load that
//! never pauses, the WAL can only be rewound by the writer, and when it gets there the task has
//! copied nearly all of it already.

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};
use tokio::sync::mpsc::WeakSender;

/// How often the task copies what was committed since its last pass.
const INTERVAL: Duration = Duration::from_millis(100);

/// The writer's own `wal_autocheckpoint`, in pages (40 MB of 4 KiB pages).
pub(super) const WRITER_THRESHOLD: u32 = 10_000;

/// Starts the task; it ends when `alive` can no longer be upgraded (the store was dropped).
pub(super) fn start<T: Send + 'static>(options: SqliteConnectOptions, alive: WeakSender<T>) {
    tokio::spawn(async move {
        let mut connection: Option<SqliteConnection> = None;
        let mut ticks = tokio::time::interval(INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if alive.upgrade().is_none() {
                return;
            }
            if let Err(error) = checkpoint(&mut connection, &options).await {
                // The writer's backstop still checkpoints; try again next interval.
                tracing::debug!(%error, "a background WAL checkpoint failed");
                connection = None;
            }
        }
    });
}

/// One `PASSIVE` checkpoint, connecting first if needed.
async fn checkpoint(
    connection: &mut Option<SqliteConnection>,
    options: &SqliteConnectOptions,
) -> Result<(), sqlx::Error> {
    let connection = match connection {
        Some(connection) => connection,
        None => connection.insert(options.connect().await?),
    };
    // A partial copy (a reader still needs older pages) is finished by a later pass.
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(connection)
        .await?;
    Ok(())
}
