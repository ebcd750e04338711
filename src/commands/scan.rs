//! `contactscan scan`: read, evaluate, apply the policy, report, and decide the exit status.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use contactscan::aws::config as aws_config;
use contactscan::clock;
use contactscan::config::{self, Config};
use contactscan::engine::RuleSet;
use contactscan::policy;
use contactscan::report::redact::Redactor;
use contactscan::report::texts::SharedTexts;
use contactscan::report::{self, Filter, Format, Options};
use contactscan::scan::{AccountScope, Importer, Scan, ScanOptions};
use contactscan::source::terraform;

use crate::cli::ScanArgs;
use crate::commands::staged::{self, input_key, Staged, Target};
use crate::commands::{import, interrupt, live, output, ui};

pub fn run(args: ScanArgs) -> anyhow::Result<u8> {
    let config_path = config::locate(args.config.as_deref());
    match &config_path {
        // A file from a parent directory sets the policy: say so.
        Some(path) if args.config.is_none() && path.is_absolute() => {
            ui::note(&format!("config: {}", path.display()))
        }
        Some(path) => ui::verbose(&format!("config: {}", path.display())),
        None => {
            ui::verbose("config: none (no contactscan.toml from here up to the repository root)")
        }
    }
    // Every file the run writes is checked before anything is read or called.
    let outputs = Outputs::check(&args, config_path.as_deref())?;
    let mut rules = RuleSet::load(args.rules.rules.as_deref())?;
    let config = config_path
        .map(|path| config::load(&path, &mut rules))
        .transpose()?;
    rules.select(&args.select, &args.ignore)?;
    ui::verbose(&format!("rules: {} to run", rules.rules.len()));
    let now = clock::now()?;
    let scanned_at = clock::rfc3339(now);
    let mut scan = match (&args.input, &args.terraform.terraform) {
        (_, Some(path)) => {
            if args.securityhub_import {
                anyhow::bail!(
                    "--securityhub-import cannot import a Terraform scan: its findings are about \
                     contacts not applied yet, and accounts the configuration creates have no id \
                     before apply; import the findings of a live scan after `terraform apply`"
                );
            }
            let request = terraform::Request {
                path: path.clone(),
                dir: args.terraform.terraform_dir.clone(),
                given: terraform::Given {
                    var_files: args.terraform.var_file.clone(),
                    vars: args.terraform.var.clone(),
                },
            };
            let (inventory, warnings) = terraform::read(&request)?;
            for warning in warnings {
                ui::warn(&warning);
            }
            let region = snapshot_region(args.live.region.as_deref(), None);
            // Each account is its own: ASFF is written only for accounts whose id is known.
            let options = ScanOptions {
                source: format!("terraform:{}", path.display()),
                scanned_at,
                region,
                importer: Importer::EachAccount,
                accounts: AccountScope::of_inventory(&inventory),
            };
            Scan::run(inventory, rules, options)
        }
        (Some(path), None) => {
            let inventory = live::snapshot(path, &args.live)?;
            let region = snapshot_region(args.live.region.as_deref(), args.live.profile.as_deref());
            let options = ScanOptions::for_snapshot(path, &inventory, region, scanned_at);
            Scan::run(inventory, rules, options)
        }
        (None, None) => {
            let live = live::read(&args.live)?;
            if let Some(target) = &outputs.snapshot {
                output::snapshot_to_file(&live.inventory, target)?;
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
    interrupt::check("not evaluated: every finding")?;
    ui::verbose(&format!(
        "{}: {} accounts, {} findings",
        scan.source,
        scan.inventory.accounts.len(),
        scan.findings.len()
    ));
    let config_path = config.as_ref().map(|c| c.path.clone());
    if let Some(Config {
        waivers, contacts, ..
    }) = config
    {
        if let Some(contacts) = contacts {
            scan.set_desired_contacts(contacts);
        }
        let used = policy::apply_waivers(&mut scan, waivers, now.date_naive());
        warn_about_waivers(&scan, used, args.redact);
    }
    // The standard output, the report files and the import show the same texts: with two or
    // more of them, the texts are worked out once instead of once each.
    // (The import sends unredacted texts: with --redact it works out its own.)
    let consumers =
        1 + outputs.reports.len() + usize::from(args.securityhub_import && !args.redact);
    let texts = (consumers >= 2)
        .then(|| SharedTexts::of(&scan, args.redact).map(Arc::new))
        .flatten();
    let options = Options {
        color: false,
        redact: args.redact,
        include_passed: args.include_passed,
        sarif_anchor: args.sarif_anchor.clone(),
        config_path,
        filter: Filter {
            min_severity: args.min_severity,
            statuses: (!args.status.is_empty()).then(|| args.status.clone()),
        },
        statistics: args.statistics,
        width: None,
        texts,
    };
    let formats = outputs.reports.iter().map(|(format, _)| *format);
    let mut warnings: Vec<String> = std::iter::once(outputs.stdout)
        .chain(formats)
        .filter_map(|format| report::warning(format, &scan, &options))
        .collect();
    warnings.sort();
    warnings.dedup();
    for warning in warnings {
        ui::warn(&warning);
    }
    let not_imported = if args.securityhub_import {
        write_and_import(&args, &outputs, &scan, &options)?
    } else {
        write(&outputs, &scan, &options)?;
        0
    };
    for (format, target) in &outputs.reports {
        ui::verbose(&format!("wrote {} ({format:?})", target.path.display()));
    }
    let status = policy::exit_status(&scan, args.fail_on, args.allow_incomplete, not_imported);
    // The process ends here: its memory goes back with it. Freeing the findings and texts one
    // allocation at a time first would add a tenth of the run on a large organization.
    std::mem::forget((scan, options));
    Ok(status)
}

/// Writes the report files and, at the same time, the report on standard output, whose last
/// bytes wait until the files are in place: a run that fails on the way leaves no file and
/// standard output cut short of its end; if standard output fails, the files are put back.
/// (Written one after the other, the files and standard output left a core idle part of the
/// time.)
fn write(outputs: &Outputs, scan: &Scan, options: &Options) -> anyhow::Result<()> {
    std::thread::scope(|threads| {
        // Made here, the sender goes if this thread panics: standard output then ends short
        // instead of waiting for word forever.
        let (files_in_place, may_end) = std::sync::mpsc::channel();
        let printing = threads.spawn(move || {
            output::to_stdout_ending_when(outputs.stdout, scan, options, || {
                may_end.recv() == Ok(true)
            })
        });
        let mut staged = Staged::default();
        let committed = staged
            .reports(&outputs.reports, scan, options)
            .and_then(|()| interrupt::check("not written: the reports"))
            .and_then(|()| staged.commit());
        // Standard output may have stopped already (a reader gone): then nobody listens.
        let _ = files_in_place.send(committed.is_ok());
        let printed = (printing.join())
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the report on standard output failed")));
        let committed = committed.inspect_err(|_| {
            ui::warn("the report on standard output stops short of its end: the run failed")
        })?;
        match printed {
            Ok(()) => {
                committed.finish();
                Ok(())
            }
            Err(e) => {
                committed.rollback();
                Err(e)
            }
        }
    })
}

/// Writes the report files, imports the findings into Security Hub, moves the files into place
/// and writes standard output last, putting the files back if it cannot be written: a run that
/// fails on the way leaves no report behind and nothing on standard output. The number of
/// findings not imported.
fn write_and_import(
    args: &ScanArgs,
    outputs: &Outputs,
    scan: &Scan,
    options: &Options,
) -> anyhow::Result<usize> {
    let mut staged = Staged::default();
    staged.reports(&outputs.reports, scan, options)?;
    let not_imported = import::run(args, scan, options)?;
    interrupt::check("not written: the reports")?;
    let committed = staged.commit()?;
    if let Err(e) = output::to_stdout(outputs.stdout, scan, options) {
        committed.rollback();
        return Err(e);
    }
    committed.finish();
    Ok(not_imported)
}

/// What the run writes: the report on standard output, the report files and the snapshot.
struct Outputs {
    /// `--format`, or the format of a `--report FORMAT=-`.
    stdout: Format,
    reports: Vec<(Format, Target)>,
    snapshot: Option<Target>,
}

impl Outputs {
    /// Checks every target against the inputs (the snapshot, the config, the rule files) and
    /// each other.
    fn check(args: &ScanArgs, config: Option<&Path>) -> anyhow::Result<Outputs> {
        let mut inputs: Vec<PathBuf> = [args.input.as_deref(), config]
            .into_iter()
            .flatten()
            .filter_map(input_key)
            .collect();
        if let Some(dir) = &args.rules.rules {
            if let Ok(entries) = std::fs::read_dir(dir) {
                inputs.extend(entries.flatten().filter_map(|e| input_key(&e.path())));
            }
        }
        // Terraform: the plan or every file under the root module (local modules, tfvars), the
        // HCL beside a plan, the variable files.
        let terraform = &args.terraform;
        for path in terraform.terraform.iter().chain(&terraform.terraform_dir) {
            staged::files_under(path, &mut inputs);
        }
        inputs.extend(terraform.var_file.iter().filter_map(|p| input_key(p)));
        let mut stdout = None;
        let mut reports = Vec::new();
        for (format, path) in &args.report {
            if path.as_os_str() == "-" {
                if stdout.replace(*format).is_some() {
                    bail!(
                        "--report: two reports name standard output (`-`); give the others a file"
                    );
                }
            } else {
                reports.push((*format, Target::check("--report", path, &inputs)?));
            }
        }
        let snapshot = args
            .save_snapshot
            .as_deref()
            .map(|path| Target::check("--save-snapshot", path, &inputs))
            .transpose()?;
        let mut all: Vec<&Target> = reports.iter().map(|(_, t)| t).collect();
        all.extend(&snapshot);
        staged::distinct(&all)?;
        Ok(Outputs {
            stdout: stdout.unwrap_or(args.format),
            reports,
            snapshot,
        })
    }
}

/// The AWS region reports of a snapshot scan name (ASFF, the Security Hub import): `--region`,
/// else the AWS configuration (environment, then the profile), else us-east-1.
fn snapshot_region(flag: Option<&str>, profile: Option<&str>) -> String {
    flag.map(str::to_string)
        .filter(|r| !r.trim().is_empty())
        .or_else(|| aws_config::configured_region(profile))
        .unwrap_or_else(|| aws_config::DEFAULT_REGION.to_string())
}

/// Warns about expired and stale waivers; with `--redact`, their owners' addresses masked as
/// in the reports.
fn warn_about_waivers(scan: &Scan, used: policy::WaiverUse, redact: bool) {
    let redactor = Redactor::new(
        redact,
        scan.inventory.accounts.iter().map(|a| a.id.as_str()),
    );
    let describe = |i: usize| {
        let w = &scan.waivers[i];
        format!(
            "rules {} on accounts {} (owner {})",
            w.rules.join(","),
            w.accounts.join(","),
            redactor.text(&w.owner)
        )
    };
    for i in used.expired {
        ui::warn(&format!(
            "waiver for {} expired on {} and no longer applies",
            describe(i),
            scan.waivers[i].expires
        ));
    }
    for i in used.stale {
        ui::warn(&format!(
            "waiver for {} matched no failing finding: remove it if the issue is fixed",
            describe(i)
        ));
    }
}
