//! pimbot: chat-ops front door to Microsoft Entra PIM.

pub mod emulator;
