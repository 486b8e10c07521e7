//! pimbot: a chat-ops front door to Microsoft Entra Privileged Identity Management.

pub mod domain;
pub mod secret;
pub mod service;
pub mod store;
