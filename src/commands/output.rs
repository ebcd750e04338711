//! Writing to standard output (reports, text), and whole files through [`Staged`].

use std::io::{self, BufWriter, IsTerminal, Write};

use anyhow::Context;
use contactscan::inventory::Inventory;
use contactscan::report::{self, Format, Options};
use contactscan::scan::Scan;
use contactscan::source::snapshot;

use crate::commands::interrupt::{self, Guarded};
use crate::commands::staged::{Staged, Target};
use crate::commands::ui;

/// Writes `format` to standard output; colour only on a terminal and without NO_COLOR.
pub fn to_stdout(format: Format, scan: &Scan, options: &Options) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let options = Options {
        color: ui::color(stdout.is_terminal()),
        width: width(stdout.is_terminal()),
        ..options.clone()
    };
    let mut out = Guarded(BufWriter::new(stdout.lock()));
    let written = report::write(format, scan, &options, &mut out).and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) if interrupt::is_stop(&e) => Err(interrupt::stopped(
            "the report on standard output is incomplete",
        )),
        other => other.context("cannot write the report to standard output"),
    }
}

/// The width the table fits: `COLUMNS` when set, else the terminal's; `None` (no wrapping)
/// when standard output is not a terminal and `COLUMNS` is not set.
fn width(is_terminal: bool) -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0);
    columns.or_else(|| {
        is_terminal
            .then(terminal_size::terminal_size)
            .flatten()
            .map(|(w, _)| usize::from(w.0))
    })
}

/// Prints `text` to standard output; a reader that stopped early (`| head`) is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// Writes a snapshot of `inventory` to `target`, complete or not at all.
pub fn snapshot_to_file(inventory: &Inventory, target: &Target) -> anyhow::Result<()> {
    let mut staged = Staged::default();
    staged.write(target, |out| snapshot::write(inventory, out))?;
    staged.commit()?.finish();
    Ok(())
}

/// Writes `text` to `target`, complete or not at all.
pub fn text_to_file(text: &str, target: &Target) -> anyhow::Result<()> {
    let mut staged = Staged::default();
    staged.write(target, |out| out.write_all(text.as_bytes()))?;
    staged.commit()?.finish();
    Ok(())
}
