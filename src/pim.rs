//! The PIM adapter: tokens, the Graph client (directory, Entra roles, PIM for Groups), the ARM
//! client (Azure resources), their shared HTTP plumbing and error mapping, and the provider router
//! with its caches. Implements the `Directory` and `Pim` ports; must not use `slack`, `teams`,
//! `store` or `app`.
#![expect(
    clippy::result_large_err,
    reason = "UpstreamError is the ports' error type; every call here waits on the network"
)]

mod approval;
pub mod arm;
mod cache;
pub mod graph;
mod providers;
mod receipt;
mod rest;
mod rules;
mod self_service;
pub mod sign_in;
pub mod tenant;
pub mod token;

pub use arm::{ArmClient, ArmSettings};
pub use cache::CachedDirectory;
pub use graph::{GraphClient, GraphSettings};
pub use providers::PimProviders;
pub use rest::ApiSettings;
pub use sign_in::{EntraSignIn, SignInSettings};
pub use tenant::TenantApi;
pub use token::{
    AzureIdentityTokens, ClientCredentialsTokens, CredentialKind, TokenProvider, TokenSettings,
    credential_tokens, token_provider,
};

#[cfg(test)]
mod fake;
