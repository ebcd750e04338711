//! `contactscan scan`: read, evaluate, report, and decide the exit status.

use contactscan::clock;
use contactscan::engine::RuleSet;
use contactscan::policy;
use contactscan::scan::Scan;
use contactscan::source::snapshot;

use crate::cli::ScanArgs;
use crate::commands::output;

pub fn run(args: ScanArgs) -> anyhow::Result<u8> {
    let mut rules = RuleSet::load(args.rules.rules.as_deref())?;
    rules.select(&args.select, &args.ignore)?;
    let scanned_at = clock::rfc3339(clock::now()?);
    let inventory = snapshot::read(&args.input)?;
    let source = format!("snapshot:{}", args.input.display());
    let scan = Scan::run(
        source,
        Some(args.input.clone()),
        inventory,
        rules,
        scanned_at,
    );
    for (format, path) in &args.report {
        output::to_file(*format, &scan, path)?;
    }
    output::to_stdout(args.format, &scan)?;
    Ok(policy::exit_status(
        &scan,
        args.fail_on,
        args.allow_incomplete,
        0,
    ))
}
