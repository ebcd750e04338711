//! Reporters: one file per format, each writing a finished [`Scan`] to a stream.
//!
//! Every reporter streams: it writes findings as it walks them, holding at most a chunk of
//! test cases (JUnit) or a few counters, never a second copy of the findings.

pub mod asff;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod redact;
mod render;
pub mod sarif;
pub mod table;

use std::io::{self, Write};
use std::str::FromStr;

use crate::scan::{FindingView, Scan};

/// Options reporters honour.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Whether the stream is a terminal that shows colour (table only).
    pub color: bool,
    /// Mask email local parts and phone digits (`--redact`).
    pub redact: bool,
    /// ASFF: also emit PASS findings (`--include-passed`).
    pub include_passed: bool,
    /// SARIF: the file results point at when the snapshot is not under the working directory
    /// (`--sarif-anchor`).
    pub sarif_anchor: Option<std::path::PathBuf>,
    /// The config file of the run, the SARIF anchor's fallback.
    pub config_path: Option<std::path::PathBuf>,
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
}

impl Format {
    /// The names `--format` and `--report` accept.
    pub const NAMES: &'static str = "table, json, asff, sarif, junit, markdown";
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
            other => Err(format!(
                "unknown format {other:?}: expected one of {}",
                Format::NAMES
            )),
        }
    }
}

/// A finding's message with where its value is written (` (at main.tf:12:28)`) in a
/// Terraform scan, for the formats that name the place in text (JSON, JUnit, the table);
/// other sources' messages are left as they are.
pub(crate) fn located(view: &FindingView<'_>, message: String) -> String {
    let at = view
        .location()
        .filter(|_| view.scan.source.starts_with("terraform:"));
    match at {
        Some(at) => {
            let column = at.column.map_or(String::new(), |c| format!(":{c}"));
            format!("{message} (at {}:{}{column})", at.file.display(), at.line)
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
    match format {
        Format::Table => table::write(scan, options, out),
        Format::Json => json::write(scan, options, out),
        Format::Asff => asff::write(scan, options, out),
        Format::Sarif => sarif::write(scan, options, out),
        Format::Junit => junit::write(scan, options, out),
        Format::Markdown => markdown::write(scan, options, out),
    }
}
