//! What every AWS caller shares: the SDK configuration and clients, the token bucket, retries,
//! the caller's identity, assumed roles and ARNs. The live source, the Security Hub import and
//! `fix` all build on this layer.

pub mod arn;
pub mod bucket;
pub mod config;
pub mod identity;
pub mod retry;
pub mod roles;
