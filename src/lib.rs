//! pimbot: a chat-ops front door to Microsoft Entra Privileged Identity Management.

pub mod audit;
pub mod domain;
pub mod emulator;
pub mod http;
pub mod secret;
pub mod service;
pub mod worker;
