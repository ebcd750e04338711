//! contactscan: a compliance scanner for AWS account alternate contacts.
//!
//! Data flows one way: a [`source`] yields an [`inventory::Inventory`]; the [`engine`]
//! evaluates rules on it into [`finding::Finding`]s; the [`policy`] applies waivers and
//! decides the exit status; [`report`] writes them out.

pub mod aws;
pub mod clock;
pub mod config;
pub mod engine;
pub mod error;
pub mod finding;
pub mod fix;
pub mod inventory;
pub mod policy;
pub mod remediation;
pub mod report;
pub mod scan;
pub mod securityhub;
pub mod source;
mod strict;
pub mod waiver;
