//! Use cases over ports: submit, decide, activate, end, list, status. Uses `domain`; knows nothing of
//! Slack, Teams, HTTP, SQL or Graph wire formats (those live in the adapters behind the ports).

pub mod jobs;
pub mod notice;
pub mod ports;
mod settings;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::domain::request::{Platform, ShortId};
use jobs::{ClaimedJob, InboundCommand};
use notice::Reply;
use ports::{Chat, Directory, Pim, Store, StoreError, UpstreamError};
pub use settings::{ApproverRef, Defaults, Settings, TargetSettings};

/// A use case that could not run. Refusals are not errors: they are answered as a [`Reply`].
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database is down: the caller should answer "try again shortly"; nothing was written.
    #[error("pimbot's database is unavailable; try again shortly")]
    Unavailable(#[from] StoreError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

/// The use cases, wired to their ports.
pub struct Service {
    store: Arc<dyn Store>,
    directory: Arc<dyn Directory>,
    pim: Arc<dyn Pim>,
    chats: Vec<Arc<dyn Chat>>,
    settings: Settings,
    /// Wakes the worker when a job is enqueued, so replies do not wait for the next poll.
    jobs_ready: Arc<Notify>,
}

impl Service {
    pub fn new(
        store: Arc<dyn Store>,
        directory: Arc<dyn Directory>,
        pim: Arc<dyn Pim>,
        chats: Vec<Arc<dyn Chat>>,
        settings: Settings,
    ) -> Self {
        Self {
            store,
            directory,
            pim,
            chats,
            settings,
            jobs_ready: Arc::new(Notify::new()),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn jobs_ready(&self) -> Arc<Notify> {
        self.jobs_ready.clone()
    }

    /// Takes a chat command: answers at once (help, usage errors, "working on it") and leaves the
    /// slow part to a job that answers through `command.reply_to`.
    pub async fn accept_command(&self, command: InboundCommand) -> Result<Reply, ServiceError> {
        todo!("{command:?}")
    }

    /// A request form was opened (`form_ref`); fills it with the user's eligible targets later.
    pub async fn open_request_form(
        &self,
        platform: Platform,
        chat_user: &str,
        form_ref: &str,
    ) -> Result<(), ServiceError> {
        todo!("{platform:?} {chat_user} {form_ref}")
    }

    /// An approver clicked Approve or Deny (or typed it). Only reads and writes the database, so it
    /// answers within the platform's deadline; the answer is for the clicker only.
    pub async fn decide(
        &self,
        platform: Platform,
        chat_user: &str,
        id: ShortId,
        approve: bool,
        reason: Option<String>,
    ) -> Result<Reply, ServiceError> {
        todo!("{platform:?} {chat_user} {id} {approve} {reason:?}")
    }

    /// Records an inbound delivery id; `false` when it is a retry already handled.
    pub async fn first_delivery(&self, key: &str) -> Result<bool, ServiceError> {
        Ok(self.store.first_delivery(key).await?)
    }

    /// Runs one job (the worker calls this).
    pub async fn run_job(&self, job: &ClaimedJob) -> Result<(), ServiceError> {
        todo!("{job:?}")
    }
}
