//! Command-line definitions (clap) and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use contactscan::finding::{Severity, Status};
use contactscan::policy::FailOn;
use contactscan::report::Format;

use crate::commands::ui::Color;

/// Scan AWS account alternate contacts: Security Hub Account.1 and everything it misses.
#[derive(Debug, Parser)]
#[command(name = "contactscan", version, about, long_about = None)]
#[command(
    after_help = "Exit status: 0 clean, 1 a FAIL at or above --fail-on, 2 bad usage or input \
(no report written), 3 incomplete scan (an ERROR verdict, or a finding Security Hub refused), \
130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Say nothing on stderr but errors (no warnings, summaries or progress).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also say which files were used and what each step did.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Colour in the table: auto (a terminal, unless NO_COLOR; CLICOLOR_FORCE forces it),
    /// always, never.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    pub color: Color,

    /// No progress bar or progress lines.
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate the rules on a snapshot, live AWS accounts or a Terraform configuration, and
    /// report findings.
    Scan(Box<ScanArgs>),
    /// Read alternate contacts from AWS and write them to a snapshot file (evidence, offline scans).
    Collect(CollectArgs),
    /// Write a commented starter contactscan.toml for this organization.
    Init(InitArgs),
    /// Plan the desired contacts of contactscan.toml ([contacts]) and, with --apply, write them.
    Fix(FixArgs),
    /// List the rules, explain one, or run their test cases.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Print a shell completion script: `contactscan completions bash > /etc/bash_completion.d/contactscan`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `contactscan man > contactscan.1`.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: id, severity, title.
    List {
        #[command(flatten)]
        rules: RuleSource,
    },
    /// Explain one rule: what it checks, why it matters, a failing example, the fix. Without
    /// an id: the variables and functions rule conditions can use.
    Explain {
        /// The rule id, as `rules list` shows it.
        id: Option<String>,
        #[command(flatten)]
        rules: RuleSource,
    },
    /// Run the [[tests]] cases of the rule files of DIR (default: the built-in rules); exit 1
    /// when a case fails.
    Test {
        /// A directory of *.toml rule files.
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Where rules come from besides the built-in pack.
#[derive(Debug, Args)]
pub struct RuleSource {
    /// Also load every *.toml rule file of this directory.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

/// How to read live AWS accounts (credentials and region from the default AWS chain).
#[derive(Debug, Clone, Args)]
pub struct LiveArgs {
    /// Sweep the whole AWS Organization (run from the management account or a delegated admin).
    #[arg(long)]
    pub org: bool,

    /// With --org or a snapshot: only these account ids.
    #[arg(long, value_name = "ID,..", value_delimiter = ',')]
    pub accounts: Vec<String>,

    /// With --org or a snapshot: skip these account ids.
    #[arg(long, value_name = "ID,..", value_delimiter = ',')]
    pub exclude_accounts: Vec<String>,

    /// With --org: assume this role in each member and read it with the member's own credentials.
    #[arg(long, value_name = "ROLE", requires = "org")]
    pub role_name: Option<String>,

    /// AWS profile to use (else the default credential chain), wherever AWS is called.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// AWS region of the API calls and of Security Hub (else the AWS configuration, else us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// GetAlternateContact requests per second per calling account (AWS quota: 10, burst 15).
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    pub max_rps: f64,
}

/// Scanning Terraform before it is applied.
#[derive(Debug, Clone, Args)]
pub struct TerraformArgs {
    /// Scan a Terraform root module directory, or a plan from `terraform show -json plan.out`.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["input", "org", "role_name", "profile", "max_rps", "save_snapshot", "accounts", "exclude_accounts"])]
    pub terraform: Option<PathBuf>,

    /// With a plan: the configuration's root module, so findings point at the HCL.
    #[arg(long, value_name = "DIR", requires = "terraform")]
    pub terraform_dir: Option<PathBuf>,

    /// A .tfvars file of variable values (repeatable; after terraform.tfvars and *.auto.tfvars).
    #[arg(long, value_name = "FILE", requires = "terraform")]
    pub var_file: Vec<PathBuf>,

    /// A variable value, NAME=VALUE (repeatable; after every --var-file).
    #[arg(long, value_name = "NAME=VALUE", requires = "terraform", value_parser = parse_var)]
    pub var: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub live: LiveArgs,

    /// The snapshot file to write.
    #[arg(long, value_name = "SNAPSHOT")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Read the organization from this snapshot instead of live AWS accounts (`-`: standard
    /// input).
    #[arg(long, value_name = "SNAPSHOT", conflicts_with_all = ["org", "role_name", "profile"])]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub live: LiveArgs,

    /// Where to write the config.
    #[arg(long, value_name = "FILE", default_value = "contactscan.toml")]
    pub output: PathBuf,

    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Scan this snapshot file (contactscan/snapshot/v1; `-`: standard input) instead of live
    /// AWS accounts.
    #[arg(long, value_name = "SNAPSHOT", conflicts_with_all = ["org", "role_name", "save_snapshot"])]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub live: LiveArgs,

    #[command(flatten)]
    pub terraform: TerraformArgs,

    /// Live scans: also write what was read to this snapshot file (evidence for auditors).
    #[arg(long, value_name = "SNAPSHOT")]
    pub save_snapshot: Option<PathBuf>,

    #[command(flatten)]
    pub rules: RuleSource,

    /// Only run rules whose id matches one of these globs.
    #[arg(long, value_name = "GLOB,..", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Skip rules whose id matches one of these globs.
    #[arg(long, value_name = "GLOB,..", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Config file with rule overrides and waivers (default: the first contactscan.toml from
    /// here up to the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Format of the report on standard output: table, json, asff, sarif, junit, markdown, ocsf,
    /// ocsf-jsonl.
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub format: Format,

    /// Also write a report to a file (repeatable): --report json=scan.json; `-` is standard
    /// output (in place of --format).
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub report: Vec<(Format, PathBuf)>,

    /// Mask email local parts and phone digits in every report (s******y@corp.com).
    #[arg(long)]
    pub redact: bool,

    /// SARIF: the file results point at when the snapshot is not under the working directory.
    #[arg(long, value_name = "PATH")]
    pub sarif_anchor: Option<PathBuf>,

    /// ASFF and OCSF: include PASS findings, so Security Hub and data lakes see fixed ones.
    #[arg(long)]
    pub include_passed: bool,

    /// Import the findings into AWS Security Hub (BatchImportFindings), keeping them current:
    /// fixed ones resolved, out-of-scope ones archived.
    #[arg(long)]
    pub securityhub_import: bool,

    /// With --securityhub-import: do not send PASS findings Security Hub does not hold yet.
    #[arg(long, requires = "securityhub_import")]
    pub securityhub_only_failed: bool,

    /// Exit 1 when a FAIL is at or above this severity: critical, high, medium, low, info, never.
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub fail_on: FailOn,

    /// Do not exit 3 when the scan is incomplete (ERROR verdicts, findings Security Hub refused).
    #[arg(long)]
    pub allow_incomplete: bool,

    /// The table, Markdown and SARIF show only findings of rules at or above this severity
    /// (the exit status is not affected).
    #[arg(long, value_name = "SEVERITY")]
    pub min_severity: Option<Severity>,

    /// The table, Markdown and SARIF show only these statuses: fail, error, waived, pass
    /// (default: fail,error,waived; the exit status is not affected).
    #[arg(long, value_name = "STATUS,..", value_delimiter = ',', value_parser = parse_status)]
    pub status: Vec<Status>,

    /// The table shows the count of each status per rule instead of the findings.
    #[arg(long)]
    pub statistics: bool,
}

fn parse_status(value: &str) -> Result<Status, String> {
    match value {
        "fail" => Ok(Status::Fail),
        "error" => Ok(Status::Error),
        "waived" => Ok(Status::Waived),
        "pass" => Ok(Status::Pass),
        other => Err(format!(
            "unknown status {other:?}: expected fail, error, waived or pass"
        )),
    }
}

fn parse_var(value: &str) -> Result<(String, String), String> {
    let (name, value) = value.split_once('=').ok_or_else(|| {
        format!("expected NAME=VALUE, such as security_email=soc@corp.com, got {value:?}")
    })?;
    if name.is_empty() {
        return Err(format!("no variable name before ={value}"));
    }
    Ok((name.to_string(), value.to_string()))
}

/// How `fix` prints its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Table,
    Json,
}

/// What `fix --emit` prints instead of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// `aws_account_alternate_contact` resources with `import` blocks for existing contacts.
    Terraform,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 nothing to change (or everything applied and verified), 1 the \
plan has changes (dry run), 2 bad input or a desired contact that would itself fail a rule \
(nothing written), 3 some writes failed or did not read back, 130 interrupted."
)]
pub struct FixArgs {
    /// Plan from this snapshot instead of live AWS accounts (a plan only: --apply reads live).
    #[arg(long, value_name = "SNAPSHOT", conflicts_with_all = ["org", "role_name", "profile", "apply"])]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub live: LiveArgs,

    #[command(flatten)]
    pub rules: RuleSource,

    /// Config file with the desired contacts (default: the first contactscan.toml from here up
    /// to the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Make every slot equal its desired contact (default: only slots that fail an enabled rule).
    #[arg(long)]
    pub enforce: bool,

    /// Write the plan with PutAlternateContact, reading each write back to compare.
    #[arg(long)]
    pub apply: bool,

    /// With --apply: append one JSON line per write to this file, as each write finishes.
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,

    /// Format of the plan on standard output: table, json.
    #[arg(long, value_name = "FORMAT", value_enum, default_value = "table")]
    pub format: PlanFormat,

    /// Print the desired contacts as code instead of a plan: terraform.
    #[arg(long, value_name = "FORMAT", value_enum, conflicts_with = "apply")]
    pub emit: Option<Emit>,
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
