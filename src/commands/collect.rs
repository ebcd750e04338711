//! `contactscan collect`: read live AWS accounts and write a snapshot.

use crate::cli::CollectArgs;
use crate::commands::staged::Target;
use crate::commands::{live, output};

pub fn run(args: CollectArgs) -> anyhow::Result<u8> {
    // Checked before any AWS call: a sweep must not end at a path that cannot be written.
    let target = Target::check("--output", &args.output, &[])?;
    let live = live::read(&args.live)?;
    output::snapshot_to_file(&live.inventory, &target)?;
    Ok(0)
}
