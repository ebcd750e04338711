//! `contactscan scan`: read, evaluate, apply the policy, report, and decide the exit status.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use contactscan::aws::config as aws_config;
use contactscan::clock;
use contactscan::config::{self, Config};
use contactscan::engine::RuleSet;
use contactscan::policy;
use contactscan::report::{self, Format, Options};
use contactscan::scan::{AccountScope, Importer, Scan, ScanOptions};
use contactscan::source::snapshot;

use crate::cli::ScanArgs;
use crate::commands::{import, live, output};

pub fn run(args: ScanArgs) -> anyhow::Result<u8> {
    if let Some(path) = repeated_report_path(&args.report) {
        anyhow::bail!(
            "--report names {} twice; give each report its own file",
            path.display()
        );
    }
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
            let region = snapshot_region(args.live.region.as_deref(), args.live.profile.as_deref());
            let options = ScanOptions::for_snapshot(path, &inventory, region, scanned_at);
            Scan::run(inventory, rules, options)
        }
        None => {
            let live = live::read(&args.live)?;
            if let Some(path) = &args.save_snapshot {
                output::snapshot_to_file(&live.inventory, path)?;
            }
            let options = ScanOptions {
                source: live.source,
                scanned_at,
                region: live.region,
                // With --role-name each member imports its own findings; else the caller
                // imports all.
                importer: match args.live.role_name {
                    Some(_) => Importer::EachAccount,
                    None => Importer::Account(live.caller_account_id),
                },
                accounts: if args.live.org {
                    AccountScope::of_sweep(&args.live.accounts, &args.live.exclude_accounts)
                } else {
                    AccountScope::of_inventory(&live.inventory)
                },
            };
            Scan::run(live.inventory, rules, options)
        }
    };
    let config_path = config.as_ref().map(|c| c.path.clone());
    if let Some(Config {
        waivers, contacts, ..
    }) = config
    {
        if let Some(contacts) = contacts {
            scan.set_desired_contacts(contacts);
        }
        let used = policy::apply_waivers(&mut scan, waivers, now.date_naive());
        warn_about_waivers(&scan, used);
    }
    let options = Options {
        color: false,
        redact: args.redact,
        include_passed: args.include_passed,
        sarif_anchor: args.sarif_anchor.clone(),
        config_path,
    };
    let formats = args.report.iter().map(|(format, _)| *format);
    let mut warnings: Vec<String> = std::iter::once(args.format)
        .chain(formats)
        .filter_map(|format| report::warning(format, &scan))
        .collect();
    warnings.sort();
    warnings.dedup();
    for warning in warnings {
        eprintln!("contactscan: warning: {warning}");
    }
    // Reports are staged first and moved into place last: a run that fails on the way (a
    // report that cannot be written, an import pre-flight) leaves no report behind.
    let mut staged = output::Staged::default();
    staged.reports(&args.report, &scan, &options)?;
    let not_imported = if args.securityhub_import {
        import::run(&args, &scan, &options)?
    } else {
        0
    };
    // Standard output before the files move into place: if it cannot be written, the run
    // fails with no report file left behind.
    output::to_stdout(args.format, &scan, &options)?;
    staged.commit()?;
    Ok(policy::exit_status(
        &scan,
        args.fail_on,
        args.allow_incomplete,
        not_imported,
    ))
}

/// The AWS region reports of a snapshot scan name (ASFF, the Security Hub import): `--region`,
/// else the AWS configuration (environment, then the profile), else us-east-1.
fn snapshot_region(flag: Option<&str>, profile: Option<&str>) -> String {
    flag.map(str::to_string)
        .filter(|r| !r.trim().is_empty())
        .or_else(|| aws_config::configured_region(profile))
        .unwrap_or_else(|| aws_config::DEFAULT_REGION.to_string())
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

/// A path two `--report` options name (they would overwrite each other), however written.
fn repeated_report_path(reports: &[(Format, PathBuf)]) -> Option<&Path> {
    let mut seen = HashSet::new();
    reports
        .iter()
        .map(|(_, path)| path.as_path())
        .find(|path| !seen.insert(output::same_file_key(path)))
}
