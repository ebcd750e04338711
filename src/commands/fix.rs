//! `contactscan fix`: plan the desired contacts of contactscan.toml on a snapshot or the live
//! organization, print the plan (or Terraform), and with `--apply` write it.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::Duration;

use anyhow::{bail, Context};
use aws_config::SdkConfig;
use contactscan::aws::config as aws_setup;
use contactscan::clock;
use contactscan::config;
use contactscan::engine::RuleSet;
use contactscan::fix::apply::{self, ApplyOptions, ApplyReport};
use contactscan::fix::audit::AuditLog;
use contactscan::fix::desired::Placement;
use contactscan::fix::plan::{self, Plan, PlanInput, Scope};
use contactscan::fix::render::{self, Heading};
use contactscan::fix::terraform;
use contactscan::inventory::Inventory;
use contactscan::source::aws::{self, LiveOptions, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{FixArgs, PlanFormat};
use crate::commands::staged::{self, Target};
use crate::commands::{interrupt, live, output, progress, ui};

/// What was read, and from where.
struct Read {
    inventory: Inventory,
    source: String,
    /// The account a Terraform provider (or the apply) runs as, when known.
    own_account: Option<String>,
    placements: Option<HashMap<String, Placement>>,
    /// The SDK configuration and region of a live read.
    live: Option<(SdkConfig, String)>,
}

pub fn run(args: FixArgs) -> anyhow::Result<u8> {
    if args.audit_log.is_some() && !args.apply {
        bail!("--audit-log records the writes of --apply; a dry run writes nothing");
    }
    let mut rules = RuleSet::load(args.rules.rules.as_deref())?;
    let Some(path) = config::locate(args.config.as_deref()) else {
        bail!(
            "no contactscan.toml: `contactscan fix` sets the contacts it declares; add \
             [contacts.SECURITY] (and BILLING, OPERATIONS) with name, title, email_address and \
             phone_number, or name the file with --config"
        );
    };
    // Checked before any AWS call, against the run's inputs; the log is appended to, so an
    // existing log is kept.
    if let Some(log) = &args.audit_log {
        let mut inputs: Vec<_> = [Some(path.as_path()), args.input.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(staged::input_key)
            .collect();
        if let Some(dir) = &args.rules.rules {
            staged::files_under(dir, &mut inputs);
        }
        Target::check("--audit-log", log, &inputs)?;
    }
    let loaded = config::load(&path, &mut rules)?;
    let Some(desired) = loaded.contacts.filter(|d| !d.is_empty()) else {
        bail!(
            "{}: no [contacts]: declare the desired contacts ([contacts.SECURITY] and the \
             others, with name, title, email_address and phone_number) for `contactscan fix` \
             to set",
            path.display()
        );
    };
    let now = clock::now()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let read = match &args.input {
        Some(path) => {
            let inventory = live::snapshot(path, &args.live)?;
            let own_account = own_account_of_snapshot(&inventory);
            Read {
                inventory,
                source: format!("snapshot:{}", path.display()),
                own_account,
                placements: None,
                live: None,
            }
        }
        None => {
            let read = runtime.block_on(read_live(&args, desired.selects_by_ou()));
            read?
        }
    };
    let scope = if args.enforce || args.emit.is_some() {
        Scope::Enforce
    } else {
        Scope::Repair
    };
    let plan = plan::plan(&PlanInput {
        inventory: &read.inventory,
        rules: &rules,
        desired: &desired,
        placements: read.placements.as_ref(),
        waivers: &loaded.waivers,
        today: now.date_naive(),
        scope,
    })?;
    if !plan.refusals.is_empty() {
        for refusal in &plan.refusals {
            eprintln!("contactscan: error: {refusal}");
        }
        bail!(
            "the plan is refused before any write: {} verdict{} would be FAIL after it (above); \
             change [contacts] in {} (an override for these accounts), or the rule's params",
            plan.refusals.len(),
            if plan.refusals.len() == 1 { "" } else { "s" },
            path.display()
        );
    }
    if args.emit.is_some() {
        let text = terraform::emit(&plan, &read.inventory, read.own_account.as_deref());
        output::print(&text)?;
        return Ok(0);
    }
    let heading_time = clock::rfc3339(now);
    let heading = Heading {
        source: &read.source,
        planned_at: &heading_time,
        applying: args.apply && plan.has_changes(),
    };
    if !heading.applying {
        print_plan(&plan, &read.inventory, &heading, None, args.format)?;
        // A dry run exits 1 when the plan has changes; an apply with nothing to do, 0.
        return Ok(u8::from(plan.has_changes() && !args.apply));
    }
    let Some((config, region)) = &read.live else {
        bail!("--apply needs a live read; --input plans only");
    };
    if args.format == PlanFormat::Table {
        // People see the plan before the writes begin.
        print_plan(&plan, &read.inventory, &heading, None, args.format)?;
    }
    let mut audit = args
        .audit_log
        .as_ref()
        .map(|path| -> anyhow::Result<AuditLog> {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open the audit log {}", path.display()))?;
            Ok(AuditLog::new(Box::new(file), path.display().to_string()))
        })
        .transpose()?;
    let options = ApplyOptions::new(region, args.live.role_name.clone());
    let mut progress = Writes::new(plan.changes().count() as u64);
    let report = runtime.block_on(apply::apply(
        config,
        &read.inventory,
        &plan,
        &options,
        audit.as_mut(),
        &mut progress,
        interrupt::signalled(),
    ));
    drop(progress);
    runtime.shutdown_timeout(Duration::from_millis(500));
    let report = report?;
    match args.format {
        PlanFormat::Table => print_outcomes(&plan, &read.inventory, &report)?,
        PlanFormat::Json => {
            print_plan(&plan, &read.inventory, &heading, Some(&report), args.format)?
        }
    }
    Ok(exit_status(&plan, &read.inventory, &report))
}

/// The exit status of an apply, saying on stderr what was not done.
fn exit_status(plan: &Plan, inventory: &Inventory, report: &ApplyReport) -> u8 {
    let named = |outcome: &str| -> Vec<String> {
        let items = report
            .outcomes
            .iter()
            .filter(|(_, o)| o.as_str() == outcome)
            .map(|(i, _)| *i);
        render::describe_writes(plan, inventory, items).collect()
    };
    if let Some(error) = &report.audit_error {
        let applied = named("applied");
        eprintln!(
            "contactscan: error: the audit log could not be written ({error}); no write started \
             after that. Applied: {} ({}); not all of them are in the log. Run again to \
             finish: a second apply plans only what is still to change",
            applied.len(),
            list(&applied)
        );
        return 3;
    }
    if report.interrupted {
        let applied = named("applied");
        let not_applied = named("not_applied");
        eprintln!(
            "contactscan: interrupted; applied {} of {} change{} ({}); not applied: {} ({})",
            applied.len(),
            report.outcomes.len(),
            if report.outcomes.len() == 1 { "" } else { "s" },
            list(&applied),
            not_applied.len(),
            list(&not_applied)
        );
        return 130;
    }
    eprintln!(
        "contactscan: {} PutAlternateContact request{} in {:.1}s, {} retr{} ({} throttled)",
        report.requests,
        if report.requests == 1 { "" } else { "s" },
        report.elapsed.as_secs_f64(),
        report.retries,
        if report.retries == 1 { "y" } else { "ies" },
        report.throttled
    );
    if report.complete() {
        0
    } else {
        3
    }
}

/// Up to ten names, then how many more.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    let mut shown: Vec<String> = names.iter().take(10).cloned().collect();
    if names.len() > 10 {
        shown.push(format!("and {} more", names.len() - 10));
    }
    shown.join(", ")
}

fn print_plan(
    plan: &Plan,
    inventory: &Inventory,
    heading: &Heading<'_>,
    report: Option<&ApplyReport>,
    format: PlanFormat,
) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = match format {
        PlanFormat::Table => render::write_table(plan, inventory, heading, &mut out),
        PlanFormat::Json => render::write_json(plan, inventory, heading, report, &mut out),
    };
    flushed(written.and_then(|()| out.flush()))
}

/// After an apply in table form: the outcome of each write.
fn print_outcomes(plan: &Plan, inventory: &Inventory, report: &ApplyReport) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = render::write_outcomes(plan, inventory, report, &mut out);
    flushed(written.and_then(|()| out.flush()))
}

/// A write to standard output; a reader that stopped early (`| head`) is not an error.
fn flushed(written: io::Result<()>) -> anyhow::Result<()> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// Reads the organization (or the caller's account) as `scan` does, and where each account
/// sits when the config selects by OU.
async fn read_live(args: &FixArgs, selects_by_ou: bool) -> anyhow::Result<Read> {
    let options = LiveOptions {
        organization: args.live.org,
        accounts: args.live.accounts.clone(),
        exclude_accounts: args.live.exclude_accounts.clone(),
        role_name: args.live.role_name.clone(),
        profile: args.live.profile.clone(),
        region: args.live.region.clone(),
        max_rps: args.live.max_rps,
        ..LiveOptions::default()
    };
    let config = tokio::select! {
        biased;
        () = interrupt::signalled() => return Err(interrupted_before_reading()),
        config = aws_setup::load(options.profile.as_deref(), options.region.as_deref()) => config,
    };
    let mut progress = progress::Stderr::new(args.live.org && ui::progress());
    let live = aws::read_with(&config, &options, &mut progress, interrupt::signalled()).await?;
    drop(progress);
    for warning in &live.warnings {
        ui::warn(warning);
    }
    ui::note(&live.stats.to_string());
    let placements = if selects_by_ou {
        let clients = aws_setup::Clients::new(&config, &live.region, &Default::default());
        let ids: Vec<String> = live
            .inventory
            .accounts
            .iter()
            .map(|a| a.id.clone())
            .collect();
        let placements = tokio::select! {
            biased;
            () = interrupt::signalled() => return Err(interrupted_before_reading()),
            placements = aws::placements(&clients.organizations, &ids) => placements?,
        };
        Some(placements)
    } else {
        None
    };
    Ok(Read {
        own_account: Some(live.caller_account_id.clone()),
        source: live.source,
        placements,
        live: Some((config, live.region)),
        inventory: live.inventory,
    })
}

fn interrupted_before_reading() -> anyhow::Error {
    interrupt::stopped(
        "not read: the organization (interrupted before the plan); nothing was written",
    )
}

/// The account a snapshot's writes and Terraform run as: its management account, else its only
/// account.
fn own_account_of_snapshot(inventory: &Inventory) -> Option<String> {
    match &inventory.organization {
        Some(org) if !org.management_account_id.is_empty() => {
            Some(org.management_account_id.clone())
        }
        _ if inventory.accounts.len() == 1 => Some(inventory.accounts[0].id.clone()),
        _ => None,
    }
}

/// Progress of the writes on stderr: a bar on a terminal, nothing elsewhere.
struct Writes {
    bar: Option<ProgressBar>,
}

impl Writes {
    fn new(total: u64) -> Writes {
        let bar = (std::io::stderr().is_terminal() && total > 0).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} writing contacts {bar:30} {pos}/{len} {elapsed} (eta {eta})",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Writes { bar }
    }
}

impl Progress for Writes {
    fn account_done(&mut self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn finished(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
