//! Reporters: one file per format, each writing a finished [`Scan`] to a stream.
//!
//! Every reporter streams: it writes findings as it walks them, holding at most a chunk of
//! test cases (JUnit) or a few counters, never a second copy of the findings.

pub mod asff;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod ocsf;
pub(crate) mod redact;
mod render;
pub mod sarif;
pub(crate) mod table;

use std::io::{self, Write};
use std::str::FromStr;

use crate::scan::Scan;

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
pub fn warning(format: Format, scan: &Scan) -> Option<String> {
    match format {
        Format::Sarif => sarif::warning(scan),
        _ => None,
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
        Format::Ocsf => ocsf::write(scan, options, false, out),
        Format::OcsfJsonl => ocsf::write(scan, options, true, out),
    }
}
