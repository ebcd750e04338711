//! `contactscan scan`: read, evaluate, report, and decide the exit status.

use contactscan::clock;
use contactscan::engine::RuleSet;
use contactscan::policy;
use contactscan::report::Options;
use contactscan::scan::Scan;
use contactscan::source::snapshot;

use crate::cli::ScanArgs;
use crate::commands::{live, output};

pub fn run(args: ScanArgs) -> anyhow::Result<u8> {
    let mut rules = RuleSet::load(args.rules.rules.as_deref())?;
    rules.select(&args.select, &args.ignore)?;
    let scanned_at = clock::rfc3339(clock::now()?);
    let scan = match &args.input {
        Some(path) => {
            let inventory = snapshot::read(path)?;
            let source = format!("snapshot:{}", path.display());
            Scan::run(source, Some(path.clone()), inventory, rules, scanned_at)
        }
        None => {
            let live = live::read(&args.live)?;
            if let Some(path) = &args.save_snapshot {
                output::snapshot_to_file(&live.inventory, path)?;
            }
            let mut scan = Scan::run(live.source, None, live.inventory, rules, scanned_at);
            scan.importer_account_id = Some(live.caller_account_id);
            scan.region = live.region;
            scan.partition = live.partition;
            scan
        }
    };
    let options = Options {
        color: false,
        redact: args.redact,
        include_passed: args.include_passed,
        sarif_anchor: args.sarif_anchor.clone(),
        config_path: None,
    };
    for (format, path) in &args.report {
        output::to_file(*format, &scan, &options, path)?;
    }
    output::to_stdout(args.format, &scan, &options)?;
    Ok(policy::exit_status(
        &scan,
        args.fail_on,
        args.allow_incomplete,
        0,
    ))
}
