//! Reporters: one file per format, each writing a finished [`Scan`] to a stream.
//!
//! Every reporter streams: it writes findings as it walks them, holding at most a chunk of
//! test cases (JUnit) or a few counters, never a second copy of the findings.

pub mod asff;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod redact;
pub mod sarif;
pub mod table;

use std::io::{self, Write};
use std::str::FromStr;

use rayon::prelude::*;

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

/// Items one thread renders at a time in [`write_rendered`].
const ITEMS_PER_CHUNK: usize = 4096;

/// Renders `items` in parallel, a chunk per task, and writes the chunks in order to `out`; the
/// next batch of chunks renders while the previous one is written. `render` gets a chunk and
/// whether it is the first, and appends its bytes to the buffer it is given.
pub(crate) fn write_rendered<T: Sync>(
    items: &[T],
    out: &mut dyn Write,
    render: impl Fn(&[T], bool, &mut Vec<u8>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let batch = ITEMS_PER_CHUNK * rayon::current_num_threads();
    let mut rendered: Vec<io::Result<Vec<u8>>> = Vec::new();
    for (b, batch) in items.chunks(batch).enumerate() {
        let previous = std::mem::take(&mut rendered);
        let mut next = Vec::new();
        let written = rayon::in_place_scope(|scope| {
            scope.spawn(|_| {
                next = batch
                    .par_chunks(ITEMS_PER_CHUNK)
                    .enumerate()
                    .map(|(c, chunk)| {
                        let mut buffer = Vec::with_capacity(chunk.len() * 256);
                        render(chunk, b == 0 && c == 0, &mut buffer).map(|()| buffer)
                    })
                    .collect();
            });
            write_buffers(&mut *out, previous)
        });
        written?;
        rendered = next;
    }
    write_buffers(out, rendered)
}

fn write_buffers(out: &mut dyn Write, buffers: Vec<io::Result<Vec<u8>>>) -> io::Result<()> {
    for buffer in buffers {
        out.write_all(&buffer?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{write_rendered, ITEMS_PER_CHUNK};

    #[test]
    fn rendered_chunks_are_written_in_order_once() {
        let items: Vec<usize> =
            (0..3 * ITEMS_PER_CHUNK * rayon::current_num_threads() + 5).collect();
        let mut out = Vec::new();
        write_rendered(&items, &mut out, |chunk, first, buffer| {
            if first {
                buffer.extend_from_slice(b"first\n");
            }
            for item in chunk {
                buffer.extend_from_slice(format!("{item}\n").as_bytes());
            }
            Ok(())
        })
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("first"));
        let numbers: Vec<usize> = lines.map(|l| l.parse().unwrap()).collect();
        assert_eq!(numbers, items);
        assert_eq!(text.matches("first").count(), 1);
    }

    #[test]
    fn a_failing_chunk_fails_the_write() {
        let items: Vec<usize> = (0..2 * ITEMS_PER_CHUNK).collect();
        let result = write_rendered(&items, &mut Vec::new(), |chunk, _, _| {
            if chunk[0] == ITEMS_PER_CHUNK {
                Err(std::io::Error::other("disk full"))
            } else {
                Ok(())
            }
        });
        assert_eq!(result.unwrap_err().to_string(), "disk full");
    }
}
