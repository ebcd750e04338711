//! Writing reports: to standard output, or to a file that appears only when complete.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

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

/// Prints `text` to standard output; a reader that stopped early (`| head`) is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// Files written under a temporary name, moved into place together by [`Staged::commit`]:
/// a reader never sees a partial file, and a run that fails later leaves none behind.
#[derive(Default)]
pub struct Staged {
    files: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    /// Writes each `(format, path)` report to a temporary file beside its path, the reports
    /// side by side on their own threads (they are independent, and JUnit is long).
    pub fn reports(
        &mut self,
        reports: &[(Format, PathBuf)],
        scan: &Scan,
        options: &Options,
    ) -> anyhow::Result<()> {
        let temporaries: Vec<PathBuf> = reports
            .iter()
            .map(|(_, path)| temporary_path(path))
            .collect::<anyhow::Result<_>>()?;
        // Registered first, so that they are removed on failure too.
        self.files.extend(
            temporaries
                .iter()
                .cloned()
                .zip(reports.iter().map(|(_, p)| p.clone())),
        );
        std::thread::scope(|threads| {
            let handles: Vec<_> = reports
                .iter()
                .zip(&temporaries)
                .map(|((format, path), temporary)| {
                    threads.spawn(move || {
                        write_file(temporary, path, |out| {
                            report::write(*format, scan, options, out)
                        })
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|handle| {
                handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("a report writer failed"))?
            })
        })
    }

    fn stage(
        &mut self,
        path: &Path,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> anyhow::Result<()> {
        let temporary = temporary_path(path)?;
        self.files.push((temporary.clone(), path.to_path_buf()));
        write_file(&temporary, path, write)
    }

    /// Moves every staged file into place; if one cannot be, those already moved are removed
    /// again: the run reports nothing rather than part.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let files = std::mem::take(&mut self.files);
        for (i, (temporary, path)) in files.iter().enumerate() {
            if let Err(e) = std::fs::rename(temporary, path) {
                for (_, moved) in &files[..i] {
                    let _ = std::fs::remove_file(moved);
                }
                self.files = files[i..].to_vec();
                return Err(e)
                    .with_context(|| format!("cannot move {} into place", path.display()));
            }
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (temporary, _) in &self.files {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// What tells two report paths apart: the real directory and the file name, so that
/// `out.json` and `./sub/../out.json` are the same file.
pub fn same_file_key(path: &Path) -> PathBuf {
    let directory = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let directory = directory
        .canonicalize()
        .unwrap_or_else(|_| directory.to_path_buf());
    directory.join(path.file_name().unwrap_or_default())
}

/// `.<name>.<pid>.partial` beside `path`.
fn temporary_path(path: &Path) -> anyhow::Result<PathBuf> {
    let file_name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(".{}.partial", std::process::id()));
    Ok(path.with_file_name(temporary_name))
}

/// Writes `temporary` (errors name `path`, the file the user asked for).
fn write_file(
    temporary: &Path,
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let file =
        File::create(temporary).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = BufWriter::new(file);
    write(&mut out)
        .and_then(|()| out.flush())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes `text` to `path`, atomically like reports.
pub fn text_to_file(text: &str, path: &Path) -> anyhow::Result<()> {
    let mut staged = Staged::default();
    staged.stage(path, |out| out.write_all(text.as_bytes()))?;
    staged.commit()
}

/// Writes a snapshot of `inventory` to `path`, atomically like reports.
pub fn snapshot_to_file(inventory: &Inventory, path: &Path) -> anyhow::Result<()> {
    let mut staged = Staged::default();
    staged.stage(path, |out| snapshot::write(inventory, out))?;
    staged.commit()
}
