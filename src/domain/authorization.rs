//! Who may do what to a request: decided here, in one pure function, and nowhere else.

use super::refusal::Refusal;
use super::request::{Request, State};

/// Something a person wants to do to an existing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Approve or deny.
    Decide,
    /// Withdraw while pending.
    Cancel,
    /// End an active elevation early.
    End,
}

/// Whether the person with Entra id `actor` may take `action` on `request` now.
pub fn authorize(request: &Request, actor: &str, action: Action) -> Result<(), Refusal> {
    let id = request.id.to_string();
    let is_requester = request.requester.entra_id == actor;
    let already = || Refusal::AlreadyDecided {
        id: id.clone(),
        state: request.state.to_string(),
    };
    match action {
        Action::Decide => {
            if is_requester {
                return Err(Refusal::OwnRequest);
            }
            if !request.is_approver(actor) {
                return Err(Refusal::NotAnApprover(id));
            }
            if request.state != State::PendingApproval {
                return Err(already());
            }
            if request.approvals().any(|d| d.approver.entra_id == actor) {
                return Err(Refusal::AlreadyApproved(id));
            }
            Ok(())
        }
        Action::Cancel => {
            if !is_requester {
                return Err(Refusal::NotYours(id));
            }
            if request.state != State::PendingApproval {
                return Err(already());
            }
            Ok(())
        }
        Action::End => {
            // Approvers may also end an elevation they granted: owners can take access back.
            if !is_requester && !request.is_approver(actor) {
                return Err(Refusal::NotYours(id));
            }
            // An `ending` request passes: the transition answers that it is already ending.
            if !request.state.holds_assignment() {
                return Err(Refusal::AlreadyDecided {
                    id,
                    state: format!("{} (only active elevations can be ended)", request.state),
                });
            }
            Ok(())
        }
    }
}
