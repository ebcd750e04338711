//! The project-local Python virtualenv `.venv/` with the pinned packages of
//! `tests/moto-requirements.txt`, installed once even when test binaries and threads ask for it
//! at the same time (an exclusive lock on `.venv/.install.lock`).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Requirements installed in the virtualenv, relative to the crate root.
pub const REQUIREMENTS: &str = "tests/moto-requirements.txt";

/// The virtualenv's `bin/` directory, installing the requirements first when they changed.
/// `CONTACTSCAN_PYTHON` names the interpreter that creates it (default `python3`).
pub fn bin_dir() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(install)
}

fn install() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join(".venv");
    let bin = venv.join("bin");
    let requirements_path = root.join(REQUIREMENTS);
    let requirements = fs::read_to_string(&requirements_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", requirements_path.display()));
    fs::create_dir_all(&venv).unwrap_or_else(|e| panic!("cannot create {}: {e}", venv.display()));
    let lock = File::create(venv.join(".install.lock")).expect("cannot create the install lock");
    // Held until the end of this function: other processes wait here while one installs.
    lock.lock().expect("cannot lock .venv/.install.lock");
    let marker = venv.join(".installed-requirements");
    let installed = fs::read_to_string(&marker).unwrap_or_default();
    if installed == requirements && bin.join("moto_server").exists() {
        return bin;
    }
    let python = std::env::var("CONTACTSCAN_PYTHON").unwrap_or_else(|_| "python3".to_string());
    eprintln!(
        "test support: installing {REQUIREMENTS} into {} ...",
        venv.display()
    );
    run(Command::new(&python).arg("-m").arg("venv").arg(&venv));
    run(Command::new(bin.join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements_path));
    fs::write(&marker, &requirements).expect("cannot write the install marker");
    bin
}

fn run(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(status.success(), "{command:?} failed: {status}");
}
