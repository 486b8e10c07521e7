//! placeholder
pub struct GraphClient;
pub struct GraphSettings;
