//! What every AWS caller shares: the SDK configuration and clients, the token bucket, retries,
//! the caller's identity, assumed roles and ARNs. The live source, the Security Hub import and
//! `fix` all build on this layer.

pub(crate) mod arn;
pub(crate) mod bucket;
pub mod config;
pub mod error;
pub(crate) mod identity;
pub(crate) mod retry;
pub(crate) mod roles;
