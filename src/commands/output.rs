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
    to_stdout_ending_when(format, scan, options, || true)
}

/// [`to_stdout`], but the report's last bytes wait for `may_end`, which says whether the run
/// succeeded: if not, the report stays cut short of its end (no JSON or XML parser takes it),
/// never a complete-looking report of a failed run.
pub fn to_stdout_ending_when(
    format: Format,
    scan: &Scan,
    options: &Options,
    may_end: impl FnOnce() -> bool,
) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let options = Options {
        color: ui::color(stdout.is_terminal()),
        width: width(stdout.is_terminal()),
        ..options.clone()
    };
    let mut out = Guarded(BufWriter::new(HeldTail::new(stdout.lock())));
    let written = report::write(format, scan, &options, &mut out)
        .and_then(|()| out.flush())
        .and_then(|()| match may_end() {
            true => out.0.get_mut().end(),
            false => Ok(()),
        });
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) if interrupt::is_stop(&e) => Err(interrupt::stopped(
            "the report on standard output is incomplete",
        )),
        other => other.context("cannot write the report to standard output"),
    }
}

/// Bytes of a report on standard output held back until the run may end it: enough to
/// leave any report without its closing brackets or tags, and its summary line.
const HELD_BACK: usize = 256;

/// A writer that passes on all but the last [`HELD_BACK`] bytes written to it until
/// [`HeldTail::end`].
struct HeldTail<W: Write> {
    inner: W,
    tail: Vec<u8>,
}

impl<W: Write> HeldTail<W> {
    fn new(inner: W) -> Self {
        HeldTail {
            inner,
            tail: Vec::with_capacity(2 * HELD_BACK),
        }
    }

    /// Writes the bytes held back, and flushes.
    fn end(&mut self) -> io::Result<()> {
        self.inner.write_all(&self.tail)?;
        self.tail.clear();
        self.inner.flush()
    }
}

impl<W: Write> Write for HeldTail<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let passed_on = (self.tail.len() + buf.len()).saturating_sub(HELD_BACK);
        let from_tail = passed_on.min(self.tail.len());
        self.inner.write_all(&self.tail[..from_tail])?;
        self.tail.drain(..from_tail);
        let (now, later) = buf.split_at(passed_on - from_tail);
        self.inner.write_all(now)?;
        self.tail.extend_from_slice(later);
        Ok(buf.len())
    }

    /// Flushes what was passed on; the bytes held back stay.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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
