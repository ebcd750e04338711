//! Reading the accounts for `scan`, `collect`, `init` and `fix`: live (a thin adapter from the
//! command line to [`contactscan::source::aws`], with progress, warnings and the summary on
//! stderr), or from a snapshot narrowed by the same `--accounts` flags.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use contactscan::inventory::{narrow, Inventory};
use contactscan::source::aws::{self, LiveOptions, LiveRead};
use contactscan::source::snapshot;

use crate::cli::LiveArgs;
use crate::commands::{interrupt, progress, ui};

/// Reads the caller's account, or the organization with `--org`; Ctrl-C stops it with
/// [`contactscan::error::Interrupted`].
pub fn read(args: &LiveArgs) -> anyhow::Result<LiveRead> {
    let options = LiveOptions {
        organization: args.org,
        accounts: args.accounts.clone(),
        exclude_accounts: args.exclude_accounts.clone(),
        role_name: args.role_name.clone(),
        profile: args.profile.clone(),
        region: args.region.clone(),
        max_rps: args.max_rps,
        ..LiveOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut progress = progress::Stderr::new(args.org && ui::progress());
    let read = runtime.block_on(aws::read(&options, &mut progress, interrupt::signalled()));
    // Do not wait for requests an interruption left in flight.
    runtime.shutdown_timeout(Duration::from_millis(500));
    let read = read?;
    for warning in &read.warnings {
        ui::warn(warning);
    }
    ui::note(&read.stats.to_string());
    Ok(read)
}

/// Reads the snapshot at `path`, narrowed by `--accounts` and `--exclude-accounts` as a sweep
/// would be (warnings on stderr).
pub fn snapshot(path: &Path, args: &LiveArgs) -> anyhow::Result<Inventory> {
    let mut inventory = snapshot::read(path)?;
    let (accounts, warnings) = narrow(
        std::mem::take(&mut inventory.accounts),
        &args.accounts,
        &args.exclude_accounts,
        "the snapshot",
    )?;
    inventory.accounts = accounts;
    for warning in warnings {
        ui::warn(&warning);
    }
    Ok(inventory)
}
