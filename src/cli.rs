//! Command-line definitions (clap) and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use contactscan::policy::FailOn;
use contactscan::report::Format;

/// Scan AWS account alternate contacts: Security Hub Account.1 and everything it misses.
#[derive(Debug, Parser)]
#[command(name = "contactscan", version, about, long_about = None)]
#[command(
    after_help = "Exit status: 0 clean, 1 a FAIL at or above --fail-on, 2 bad usage or input \
(no report written), 3 incomplete scan (an ERROR verdict), 130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate the rules on a snapshot and report findings.
    Scan(ScanArgs),
    /// List the rules or explain one.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: id, severity, title.
    List {
        #[command(flatten)]
        rules: RuleSource,
    },
    /// Explain one rule: what it checks, why it matters, a failing example, the fix.
    Explain {
        /// The rule id, as `rules list` shows it.
        id: String,
        #[command(flatten)]
        rules: RuleSource,
    },
}

/// Where rules come from besides the built-in pack.
#[derive(Debug, Args)]
pub struct RuleSource {
    /// Also load every *.toml rule file of this directory.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The snapshot file to scan (contactscan/snapshot/v1).
    #[arg(long, value_name = "SNAPSHOT")]
    pub input: PathBuf,

    #[command(flatten)]
    pub rules: RuleSource,

    /// Only run rules whose id matches one of these globs.
    #[arg(long, value_name = "GLOB,..", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Skip rules whose id matches one of these globs.
    #[arg(long, value_name = "GLOB,..", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Format of the report on standard output: table, json.
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub format: Format,

    /// Also write a report to a file (repeatable): --report json=scan.json.
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub report: Vec<(Format, PathBuf)>,

    /// Exit 1 when a FAIL is at or above this severity: critical, high, medium, low, info, never.
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub fail_on: FailOn,

    /// Do not exit 3 when the scan is incomplete (ERROR verdicts).
    #[arg(long)]
    pub allow_incomplete: bool,
}

fn parse_report(value: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) = value
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH, such as json=scan.json, got {value:?}"))?;
    if path.is_empty() {
        return Err(format!("no path after {format}="));
    }
    Ok((format.parse()?, PathBuf::from(path)))
}
