//! The core of pimbot: requests and their lifecycle, targets, durations, policy, the command grammar
//! and audit events. Pure: no I/O, and nothing from the rest of the crate (no axum, sqlx, reqwest).

pub mod audit;
pub mod authorization;
pub mod command;
pub mod duration;
pub mod ids;
pub mod mode;
pub mod policy;
pub mod refusal;
pub mod request;
pub mod target;

#[cfg(test)]
mod properties;
