//! Where an inventory comes from: a snapshot file, or live AWS accounts.

pub mod aws;
pub mod snapshot;
