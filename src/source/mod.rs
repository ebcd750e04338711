//! Where an inventory comes from: a snapshot file (and, for live scans, AWS).

pub mod snapshot;
