//! `contactscan collect`: read live AWS accounts and write a snapshot.

use crate::cli::CollectArgs;
use crate::commands::{live, output};

pub fn run(args: CollectArgs) -> anyhow::Result<u8> {
    let live = live::read(&args.live)?;
    output::snapshot_to_file(&live.inventory, &args.output)?;
    Ok(0)
}
