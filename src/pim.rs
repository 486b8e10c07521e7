//! The Microsoft Graph adapter: tokens, the Graph client and PIM error mapping. Implements the
//! `Directory` and `Pim` ports; must not use `slack`, `teams`, `store` or `app`.
#![expect(
    clippy::result_large_err,
    reason = "UpstreamError is the ports' error type; every call here waits on the network"
)]

pub mod graph;
pub mod token;

pub use graph::{GraphClient, GraphSettings};
pub use token::{
    AzureIdentityTokens, ClientCredentialsTokens, TokenProvider, TokenSettings, token_provider,
};

#[cfg(test)]
mod fake;
