//! Files the run writes (reports, snapshots, the starter config), checked before any work and
//! written so that nothing is destroyed: each goes to a new file with a random name in its
//! target's directory (created exclusively, never through a symlink), and all move into place
//! together. A target that exists and is not a regular file, or that is one of the run's
//! inputs, is refused up front; a failed commit restores what it replaced and removes only
//! what it created.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use contactscan::report::{self, Format, Options};
use contactscan::scan::Scan;
use tempfile::NamedTempFile;

use crate::commands::interrupt::{self, Guarded};

/// A file the run will write, checked.
#[derive(Debug, Clone)]
pub struct Target {
    /// As the user gave it.
    pub path: PathBuf,
    /// Its directory ("." for a bare name).
    directory: PathBuf,
    /// The directory's real path joined with the file name: what tells two targets apart.
    key: PathBuf,
}

impl Target {
    /// Checks that `path` (given with `flag`) can be written: its directory exists and takes
    /// new files, and it is not a directory, a device, a FIFO or a symlink, nor one of
    /// `inputs` (real paths of the files the run reads).
    pub fn check(flag: &str, path: &Path, inputs: &[PathBuf]) -> anyhow::Result<Target> {
        let name = path.file_name().with_context(|| {
            format!("{flag} {}: names no file; give a file path", path.display())
        })?;
        let directory = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let real_directory = directory.canonicalize().with_context(|| {
            format!(
                "{flag} {}: the directory {} does not exist; create it first",
                path.display(),
                directory.display()
            )
        })?;
        if let Ok(metadata) = std::fs::symlink_metadata(path) {
            if !metadata.file_type().is_file() {
                bail!(
                    "{flag} {}: it exists and is not a regular file (a directory, a link, a \
                     device or a pipe); name a file to write (`-` for standard output)",
                    path.display()
                );
            }
        }
        let key = real_directory.join(name);
        if inputs.contains(&key) {
            bail!(
                "{flag} {}: it is also an input of this run; write the report to another file",
                path.display()
            );
        }
        NamedTempFile::new_in(&directory).with_context(|| {
            format!(
                "{flag} {}: cannot create a file in {}",
                path.display(),
                directory.display()
            )
        })?;
        Ok(Target {
            path: path.to_path_buf(),
            directory,
            key,
        })
    }
}

/// The real path of an input file, to compare with targets.
pub fn input_key(path: &Path) -> Option<PathBuf> {
    path.canonicalize().ok()
}

/// Directories an input tree is not searched in: tools' caches, not inputs.
const SKIPPED_DIRECTORIES: [&str; 2] = [".git", ".terraform"];
/// Files of an input tree taken into account, at most (a root module is a few dozen).
const MAX_TREE_FILES: usize = 10_000;

/// Adds the real paths of `path` (a file) or of every file under it (a directory) to
/// `inputs`.
pub fn files_under(path: &Path, inputs: &mut Vec<PathBuf>) {
    let mut pending = vec![path.to_path_buf()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        seen += 1;
        if seen > MAX_TREE_FILES {
            return;
        }
        match std::fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_dir() => {
                let skipped = path
                    .file_name()
                    .is_some_and(|n| SKIPPED_DIRECTORIES.iter().any(|s| n == *s));
                if let (false, Ok(entries)) = (skipped, std::fs::read_dir(&path)) {
                    pending.extend(entries.flatten().map(|e| e.path()));
                }
            }
            Ok(_) => inputs.extend(input_key(&path)),
            Err(_) => {}
        }
    }
}

/// Files written to temporary files beside their targets, moved into place together by
/// [`Staged::commit`]; dropped uncommitted, the temporary files go.
#[derive(Default)]
pub struct Staged {
    files: Vec<(NamedTempFile, Target)>,
}

impl Staged {
    /// Writes a file for `target` with `write`, under a temporary name.
    pub fn write(
        &mut self,
        target: &Target,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> anyhow::Result<()> {
        let file = write_temporary(target, write)?;
        self.files.push((file, target.clone()));
        Ok(())
    }

    /// Writes each `(format, target)` report, side by side on their own threads (they are
    /// independent, and JUnit is long).
    pub fn reports(
        &mut self,
        reports: &[(Format, Target)],
        scan: &Scan,
        options: &Options,
    ) -> anyhow::Result<()> {
        let written: Vec<anyhow::Result<NamedTempFile>> = std::thread::scope(|threads| {
            let handles: Vec<_> = reports
                .iter()
                .map(|(format, target)| {
                    threads.spawn(move || {
                        write_temporary(target, |out| report::write(*format, scan, options, out))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a report writer failed")))
                })
                .collect()
        });
        for (file, (_, target)) in written.into_iter().zip(reports) {
            self.files.push((file?, target.clone()));
        }
        Ok(())
    }

    /// Moves every file into place. If one cannot be, those already moved are undone (the
    /// files they replaced restored, the new ones removed): the run writes all or nothing.
    pub fn commit(self) -> anyhow::Result<Committed> {
        let mut committed = Committed::default();
        for (file, target) in self.files {
            // A hard link keeps what the target held, to restore it if the run fails later.
            let backup = if target.path.exists() {
                let backup = tempfile::Builder::new()
                    .prefix(".contactscan-backup")
                    .tempfile_in(&target.directory)
                    .and_then(|b| b.into_temp_path().keep().map_err(io::Error::from));
                match backup.and_then(|b| {
                    std::fs::remove_file(&b)?;
                    std::fs::hard_link(&target.path, &b)
                        .or_else(|_| std::fs::copy(&target.path, &b).map(drop))
                        .map(|()| b)
                }) {
                    Ok(backup) => Some(backup),
                    Err(e) => {
                        committed.rollback();
                        return Err(e).with_context(|| {
                            format!(
                                "cannot keep a copy of {} to replace it",
                                target.path.display()
                            )
                        });
                    }
                }
            } else {
                None
            };
            if let Err(e) = file.persist(&target.path) {
                if let Some(backup) = backup {
                    let _ = std::fs::remove_file(backup);
                }
                committed.rollback();
                return Err(e.error)
                    .with_context(|| format!("cannot move {} into place", target.path.display()));
            }
            committed.moved.push((target.path, backup));
        }
        Ok(committed)
    }
}

/// Files moved into place, each with the copy of what it replaced until the run is over.
#[derive(Default)]
pub struct Committed {
    moved: Vec<(PathBuf, Option<PathBuf>)>,
}

impl Committed {
    /// Undoes the commit: restores the files replaced, removes the files created.
    pub fn rollback(self) {
        for (path, backup) in self.moved.into_iter().rev() {
            match backup {
                Some(backup) => {
                    let _ = std::fs::rename(backup, &path);
                }
                None => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }

    /// Keeps the new files and drops the copies of the old ones.
    pub fn finish(self) {
        for backup in self.moved.into_iter().filter_map(|(_, backup)| backup) {
            let _ = std::fs::remove_file(backup);
        }
    }
}

/// Writes a new temporary file in `target`'s directory (errors name the target).
fn write_temporary(
    target: &Target,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<NamedTempFile> {
    let path = target.path.display();
    let file = tempfile::Builder::new()
        .prefix(".contactscan-")
        .suffix(".partial")
        .tempfile_in(&target.directory)
        .with_context(|| format!("cannot create a file beside {path}"))?;
    let mut out = Guarded(BufWriter::new(file));
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if interrupt::is_stop(&e) => {
            return Err(interrupt::stopped(&format!("not written: {path}")));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot write {path}")),
    }
    out.0
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {path}: {}", e.error()))
}

/// Refuses two targets that are the same file, however written.
pub fn distinct(targets: &[&Target]) -> anyhow::Result<()> {
    for (i, target) in targets.iter().enumerate() {
        if targets[..i].iter().any(|t| t.key == target.key) {
            bail!(
                "{} is named twice; give each report its own file",
                target.path.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(staged: &mut Staged, target: &Target, text: &str) {
        staged
            .write(target, |out| out.write_all(text.as_bytes()))
            .unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_failed_commit_restores_what_it_replaced_and_removes_what_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("a.json");
        std::fs::write(&old, "old A").unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let a = Target::check("--report", &old, &[]).unwrap();
        let c = Target::check("--report", &dir.path().join("c.json"), &[]).unwrap();
        let b = Target::check("--report", &sub.join("b.json"), &[]).unwrap();
        let mut staged = Staged::default();
        stage(&mut staged, &a, "new A");
        stage(&mut staged, &c, "new C");
        stage(&mut staged, &b, "new B");
        // The third file cannot move into place: its directory went away.
        std::fs::remove_dir_all(&sub).unwrap();
        assert!(staged.commit().is_err());
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "old A");
        assert_eq!(names(dir.path()), ["a.json"]);
    }

    #[test]
    fn a_commit_rolled_back_after_standard_output_failed_leaves_the_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("a.json");
        std::fs::write(&old, "old A").unwrap();
        let a = Target::check("--report", &old, &[]).unwrap();
        let b = Target::check("--report", &dir.path().join("b.json"), &[]).unwrap();
        let mut staged = Staged::default();
        stage(&mut staged, &a, "new A");
        stage(&mut staged, &b, "new B");
        let committed = staged.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "new A");
        committed.rollback();
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "old A");
        assert_eq!(names(dir.path()), ["a.json"]);

        let mut staged = Staged::default();
        stage(&mut staged, &a, "new A");
        staged.commit().unwrap().finish();
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "new A");
        assert_eq!(
            names(dir.path()),
            ["a.json"],
            "no copy of the old file is left"
        );
    }
}
