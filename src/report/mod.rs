//! Reporters: one file per format, each writing a finished [`Scan`] to a stream.

pub mod json;
pub mod table;

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
    Table,
    Json,
}

impl Format {
    /// The names `--format` and `--report` accept.
    pub const NAMES: &'static str = "table, json";
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format {other:?}: expected one of {}",
                Format::NAMES
            )),
        }
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
        Format::Json => json::write(scan, out),
    }
}
