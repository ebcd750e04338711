//! Reading live AWS accounts for `scan` and `collect`.

use anyhow::bail;
use contactscan::inventory::Inventory;

use crate::cli::LiveArgs;

/// What a live read yields.
pub struct LiveRead {
    pub inventory: Inventory,
    /// `aws:account:<id>` or `aws:organization:<org id>`.
    pub source: String,
    pub caller_account_id: String,
    pub region: String,
    pub partition: String,
}

/// Reads the caller's account, or the organization with `--org`.
pub fn read(_args: &LiveArgs) -> anyhow::Result<LiveRead> {
    bail!(
        "live AWS scans are not available in this build yet; scan a snapshot with --input SNAPSHOT"
    )
}
