//! Use cases over ports: submit, decide, activate, end, list, status. Uses `domain`; knows nothing of
//! Slack, Teams, HTTP, SQL or Graph wire formats (those live in the adapters behind the ports).

pub mod jobs;
pub mod notice;
pub mod ports;
