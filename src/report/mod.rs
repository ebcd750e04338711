//! Reporters: one file per format, each writing a finished [`Scan`] to a stream.
//!
//! Every reporter streams: it writes findings as it walks them, holding at most a chunk of
//! test cases (JUnit) or a few counters, never a second copy of the findings. When a run
//! writes several reports, their findings' texts are worked out once for all ([`texts`]).

pub mod asff;
mod asff_render;
mod escape;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod ocsf;
pub mod redact;
mod render;
pub mod sarif;
pub(crate) mod table;
pub mod texts;

use std::borrow::Cow;
use std::io::{self, Write};
use std::str::FromStr;

use serde::Serialize;

use crate::finding::{Severity, Status};
use crate::report::redact::Redactor;
use crate::scan::{FindingView, Scan};

/// Options reporters honour.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Whether the stream is a terminal that shows colour (table only).
    pub color: bool,
    /// Mask email local parts and phone digits (`--redact`).
    pub redact: bool,
    /// ASFF and OCSF: also emit PASS findings (`--include-passed`).
    pub include_passed: bool,
    /// SARIF: the file results point at when the snapshot is not under the working directory
    /// (`--sarif-anchor`).
    pub sarif_anchor: Option<std::path::PathBuf>,
    /// The config file of the run, the SARIF anchor's fallback.
    pub config_path: Option<std::path::PathBuf>,
    /// What the table, Markdown and SARIF show (`--min-severity`, `--status`).
    pub filter: Filter,
    /// The table shows counts per rule and status instead of findings (`--statistics`).
    pub statistics: bool,
    /// The width the table fits (a terminal's, or `COLUMNS`); `None`: lines are not wrapped.
    pub width: Option<usize>,
    /// The findings' texts, when the run worked them out once for several reports.
    pub texts: Option<std::sync::Arc<texts::SharedTexts>>,
}

/// Which findings the formats for people show (`--min-severity`, `--status`); the exit status
/// and the formats for machines are not affected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only findings of rules at or above this severity.
    pub min_severity: Option<Severity>,
    /// Only these statuses; FAIL, ERROR and WAIVED when `None`.
    pub statuses: Option<Vec<Status>>,
}

impl Filter {
    /// Whether a finding of this status and severity is shown.
    pub fn shows(&self, status: Status, severity: Severity) -> bool {
        let status_shown = match &self.statuses {
            Some(statuses) => statuses.contains(&status),
            None => status != Status::Pass,
        };
        status_shown && self.min_severity.is_none_or(|min| severity >= min)
    }
}

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Terminal table of FAIL, ERROR and WAIVED findings.
    Table,
    /// Every finding, PASS included.
    Json,
    /// AWS Security Finding Format, for Security Hub's BatchImportFindings.
    Asff,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML, one test suite per rule.
    Junit,
    /// Markdown summary, for a job summary or a merge-request comment.
    Markdown,
    /// OCSF Compliance Findings as a JSON array, for Security Lake and SIEMs.
    Ocsf,
    /// OCSF Compliance Findings, one event a line.
    OcsfJsonl,
}

impl Format {
    /// The names `--format` and `--report` accept.
    pub const NAMES: &'static str = "table, json, asff, sarif, junit, markdown, ocsf, ocsf-jsonl";
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "asff" => Ok(Format::Asff),
            "sarif" => Ok(Format::Sarif),
            "junit" => Ok(Format::Junit),
            "markdown" => Ok(Format::Markdown),
            "ocsf" => Ok(Format::Ocsf),
            "ocsf-jsonl" => Ok(Format::OcsfJsonl),
            other => Err(format!(
                "unknown format {other:?}: expected one of {}",
                Format::NAMES
            )),
        }
    }
}

/// What a report of `scan` in `format` leaves out, for a warning before it is written.
pub fn warning(format: Format, scan: &Scan, options: &Options) -> Option<String> {
    match format {
        Format::Sarif => sarif::warning(scan, options),
        _ => None,
    }
}

/// A WAIVED finding's waiver as the JSON and OCSF reports carry it, redacted as asked.
#[derive(Serialize)]
pub(crate) struct WaiverView<'a> {
    reason: Cow<'a, str>,
    owner: Cow<'a, str>,
    expires: &'a str,
}

impl<'a> WaiverView<'a> {
    /// The waiver of `view`, if it has one.
    pub(crate) fn of(view: &FindingView<'a>, redactor: &Redactor) -> Option<Self> {
        view.waiver().map(|w| WaiverView {
            reason: redactor.text(&w.reason),
            owner: redactor.text(&w.owner),
            expires: &w.expires,
        })
    }
}

/// A finding's message with where its value is written (` (at main.tf:12:28)`) in a
/// Terraform scan, for the formats that name the place in text (JSON, JUnit, the table);
/// other sources' messages are left as they are.
pub(crate) fn located<'m>(view: &FindingView<'_>, message: Cow<'m, str>) -> Cow<'m, str> {
    // Only a Terraform source has places to name: other findings skip looking one up.
    let terraform = view.scan.source.starts_with("terraform:");
    let at = terraform.then(|| view.location()).flatten();
    match at {
        Some(at) => {
            let column = at.column.map_or(String::new(), |c| format!(":{c}"));
            Cow::Owned(format!(
                "{message} (at {}:{}{column})",
                at.file.display(),
                at.line
            ))
        }
        None => message,
    }
}

/// Writes `scan` in `format` to `out`.
pub fn write(
    format: Format,
    scan: &Scan,
    options: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Remediation commands are worked out once, here, before any writer renders findings in
    // parallel (see `Scan::remedies`).
    scan.remedies();
    match format {
        Format::Table => table::write(scan, options, out),
        Format::Json => json::write(scan, options, out),
        Format::Asff => asff::write(scan, options, out),
        Format::Sarif => sarif::write(scan, options, out),
        Format::Junit => junit::write(scan, options, out),
        Format::Markdown => markdown::write(scan, options, out),
        Format::Ocsf => ocsf::write(scan, options, false, out),
        Format::OcsfJsonl => ocsf::write(scan, options, true, out),
    }
}
