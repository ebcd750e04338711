//! Where an inventory comes from: a snapshot file, live AWS accounts, or a Terraform
//! configuration or plan.

pub mod aws;
pub mod snapshot;
pub mod terraform;
