//! Audit anchors: the head of the chain posted to the audit channels as `audit head: HASH@SEQ`,
//! outside pimbot's database, so a chain shortened or rewritten later fails
//! `pimbot audit verify --anchor`. A head is posted once across replicas: the delivery key
//! `audit-anchor:SEQ:HASH` claims it, and a head that has not moved is not posted again.

use crate::domain::audit::AuditAnchor;
use crate::domain::request::Platform;

use super::transition::line_jobs;
use super::{Service, ServiceError};

/// What an anchor post would say, and where.
struct Post {
    anchor: AuditAnchor,
    key: String,
    line: String,
    platforms: Vec<Platform>,
}

impl Service {
    /// Posts the head through the outbox (the worker's schedule) unless some replica already
    /// did; the anchor when this call claimed it.
    pub async fn anchor_audit_head(&self) -> Result<Option<AuditAnchor>, ServiceError> {
        let Some(post) = self.anchor_post().await? else {
            return Ok(None);
        };
        // The claim and the jobs are one transaction: a claimed anchor is always posted.
        let jobs = line_jobs(&post.platforms, &post.line, self.now());
        if !self.record_effects(Some(&post.key), None, jobs).await? {
            return Ok(None);
        }
        tracing::info!(audit.anchor = %post.anchor, "posting the audit head");
        Ok(Some(post.anchor))
    }

    /// At shutdown, when the worker has stopped: posts the head at once. A platform that does
    /// not answer gets a job instead, which the next replica to run jobs posts.
    pub async fn anchor_audit_head_now(&self) -> Result<Option<AuditAnchor>, ServiceError> {
        let Some(post) = self.anchor_post().await? else {
            return Ok(None);
        };
        if !self.store.first_delivery(&post.key).await? {
            return Ok(None);
        }
        tracing::info!(audit.anchor = %post.anchor, "posting the audit head at shutdown");
        for platform in post.platforms {
            if let Err(error) = self.post_audit_line(platform, &post.line).await {
                tracing::warn!(%error, platform = platform.as_str(), "could not post the audit head; it is queued for the next start");
                self.store
                    .enqueue(line_jobs(&[platform], &post.line, self.now()))
                    .await?;
            }
        }
        Ok(Some(post.anchor))
    }

    /// The head worth posting: none for an empty chain or without an audit channel.
    async fn anchor_post(&self) -> Result<Option<Post>, ServiceError> {
        let anchor = self.store.audit_head().await?;
        let platforms = self.audit_platforms(Platform::Slack);
        if anchor.seq == 0 || platforms.is_empty() {
            return Ok(None);
        }
        Ok(Some(Post {
            key: format!("audit-anchor:{}:{}", anchor.seq, anchor.hash),
            line: format!("audit head: {anchor}"),
            anchor,
            platforms,
        }))
    }
}
