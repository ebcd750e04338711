//! `contactscan scan`: read, evaluate, apply the policy, report, and decide the exit status.

use contactscan::clock;
use contactscan::config::{self, Config};
use contactscan::engine::RuleSet;
use contactscan::policy;
use contactscan::report::Options;
use contactscan::scan::Scan;
use contactscan::source::snapshot;

use crate::cli::ScanArgs;
use crate::commands::{live, output};

pub fn run(args: ScanArgs) -> anyhow::Result<u8> {
    let mut rules = RuleSet::load(args.rules.rules.as_deref())?;
    let config = config::locate(args.config.as_deref())
        .map(|path| config::load(&path, &mut rules))
        .transpose()?;
    rules.select(&args.select, &args.ignore)?;
    let now = clock::now()?;
    let scanned_at = clock::rfc3339(now);
    let mut scan = match &args.input {
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
    let config_path = config.as_ref().map(|c| c.path.clone());
    if let Some(Config { waivers, .. }) = config {
        scan.waivers = waivers;
        let used = policy::apply_waivers(&mut scan, now.date_naive());
        warn_about_waivers(&scan, used);
    }
    let options = Options {
        color: false,
        redact: args.redact,
        include_passed: args.include_passed,
        sarif_anchor: args.sarif_anchor.clone(),
        config_path,
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

fn warn_about_waivers(scan: &Scan, used: policy::WaiverUse) {
    let describe = |i: usize| {
        let w = &scan.waivers[i];
        format!(
            "rules {} on accounts {} (owner {})",
            w.rules.join(","),
            w.accounts.join(","),
            w.owner
        )
    };
    for i in used.expired {
        eprintln!(
            "contactscan: warning: waiver for {} expired on {} and no longer applies",
            describe(i),
            scan.waivers[i].expires
        );
    }
    for i in used.stale {
        eprintln!("contactscan: warning: waiver for {} matched no failing finding: remove it if the issue is fixed", describe(i));
    }
}
