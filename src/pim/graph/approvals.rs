//! Deciding PIM approvals on Graph with the approver's own token: Entra roles in beta
//! (`roleManagement/directory/roleAssignmentApprovals/{id}`, `steps`), groups in v1.0
//! (`identityGovernance/privilegedAccess/group/assignmentApprovals/{id}`, `stages`).

use std::time::Instant;

use reqwest::{Method, Url};
use serde_json::json;

use super::GraphClient;
use super::roles::DirectoryTarget;
use crate::pim::approval::{Stage, my_stage, review_result, took_effect};
use crate::service::ports::{Upstream, UpstreamError, UpstreamErrorKind};

const OPERATION: &str = "decideApproval";

impl GraphClient {
    /// The approval's URL and the name of its stages there.
    fn approval_url(&self, target: DirectoryTarget<'_>, approval_id: &str) -> (Url, &'static str) {
        match target {
            DirectoryTarget::Role(_) => (
                self.beta_url(&[
                    "roleManagement",
                    "directory",
                    "roleAssignmentApprovals",
                    approval_id,
                ]),
                "steps",
            ),
            DirectoryTarget::Group(_) => (
                self.url(&[
                    "identityGovernance",
                    "privilegedAccess",
                    "group",
                    "assignmentApprovals",
                    approval_id,
                ]),
                "stages",
            ),
        }
    }

    /// The approval's stages as the caller sees them.
    async fn stages(&self, url: &Url, key: &str) -> Result<Vec<Stage>, UpstreamError> {
        let answer = self.rest.get("approval", url.clone(), &[]).await?;
        Ok(answer.body[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Stage::graph)
            .collect())
    }

    /// Decides the stage assigned to the token's user; after an ambiguous failure the stage is
    /// read again before the decision is sent again.
    pub(crate) async fn decide_approval(
        &self,
        target: DirectoryTarget<'_>,
        approval_id: &str,
        approve: bool,
        justification: &str,
        token: &str,
    ) -> Result<(), UpstreamError> {
        let user = self.as_user(token);
        let (url, key) = self.approval_url(target, approval_id);
        let stage_id = my_stage(Upstream::Graph, &user.stages(&url, key).await?)?;
        let mut stage_url = url.clone();
        if let Ok(mut path) = stage_url.path_segments_mut() {
            path.push(key).push(&stage_id);
        }
        let body = json!({
            "reviewResult": review_result(approve),
            "justification": justification,
        });
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let error = match user
                .rest
                .attempt(
                    OPERATION,
                    Method::PATCH,
                    stage_url.clone(),
                    &[],
                    Some(&body),
                )
                .await
            {
                Ok(_) => return Ok(()),
                Err(error) => error,
            };
            match error.kind {
                UpstreamErrorKind::Throttled { .. } => {}
                UpstreamErrorKind::Unavailable => {
                    let now = user.stages(&url, key).await.map_err(|_| error.clone())?;
                    if took_effect(&now, &stage_id, approve) {
                        return Ok(());
                    }
                }
                _ => return Err(error),
            }
            user.rest
                .pause_before_retry(OPERATION, error, &mut attempt, started)
                .await?;
        }
    }
}
