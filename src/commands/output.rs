//! Writing reports: to standard output, or to a file that appears only when complete.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use contactscan::inventory::Inventory;
use contactscan::report::{self, Format, Options};
use contactscan::scan::Scan;
use contactscan::source::snapshot;

/// Writes `format` to standard output; colour only on a terminal and without NO_COLOR.
pub fn to_stdout(format: Format, scan: &Scan, options: &Options) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let options = Options {
        color: stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        ..options.clone()
    };
    let mut out = BufWriter::new(stdout.lock());
    let written = report::write(format, scan, &options, &mut out).and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the report to standard output"),
    }
}

/// Writes `format` to `path` through a temporary file renamed into place, so a reader never
/// sees a partial report.
pub fn to_file(format: Format, scan: &Scan, options: &Options, path: &Path) -> anyhow::Result<()> {
    atomic_write(path, |out| report::write(format, scan, options, out))
}

/// Writes `text` to `path`, atomically like reports.
pub fn text_to_file(text: &str, path: &Path) -> anyhow::Result<()> {
    atomic_write(path, |out| out.write_all(text.as_bytes()))
}

/// Writes a snapshot of `inventory` to `path`, atomically like reports.
pub fn snapshot_to_file(inventory: &Inventory, path: &Path) -> anyhow::Result<()> {
    atomic_write(path, |out| snapshot::write(inventory, out))
}

fn atomic_write(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let file_name = path
        .file_name()
        .with_context(|| format!("--report path {} names no file", path.display()))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(".{}.partial", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    let result = File::create(&temporary)
        .with_context(|| format!("cannot create {}", path.display()))
        .and_then(|file| {
            let mut out = BufWriter::new(file);
            write(&mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
            std::fs::rename(&temporary, path)
                .with_context(|| format!("cannot move the report into place at {}", path.display()))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
