//! What the command says on stderr besides errors, as `-q`/`-v`, `--color` and
//! `--no-progress` ask: set once from the command line, read by every command.

use std::sync::OnceLock;

use clap::ValueEnum;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    #[default]
    Auto,
    Always,
    Never,
}

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `-q`: errors only (and the report).
    Quiet,
    /// Warnings, summaries and progress.
    Normal,
    /// `-v`: also which files were used and what each step did.
    Verbose,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    level: Level,
    color: Color,
    progress: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Sets what the rest of the run says (once, from the command line).
pub fn init(quiet: bool, verbose: bool, color: Color, no_progress: bool) {
    let level = if quiet {
        Level::Quiet
    } else if verbose {
        Level::Verbose
    } else {
        Level::Normal
    };
    let _ = SETTINGS.set(Settings {
        level,
        color,
        progress: !no_progress && level > Level::Quiet,
    });
}

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or(Settings {
        level: Level::Normal,
        color: Color::Auto,
        progress: true,
    })
}

/// A warning (`contactscan: warning: ...`), unless `-q`.
pub fn warn(message: &str) {
    if settings().level >= Level::Normal {
        eprintln!("contactscan: warning: {message}");
    }
}

/// A summary or a note (`contactscan: ...`), unless `-q`.
pub fn note(message: &str) {
    if settings().level >= Level::Normal {
        eprintln!("contactscan: {message}");
    }
}

/// A detail only `-v` shows.
pub fn verbose(message: &str) {
    if settings().level >= Level::Verbose {
        eprintln!("contactscan: {message}");
    }
}

/// Whether progress is shown (not with `-q` or `--no-progress`).
pub fn progress() -> bool {
    settings().progress
}

/// Whether a stream that `is_terminal` gets colour: `--color`, then CLICOLOR_FORCE and
/// NO_COLOR (https://no-color.org, https://bixense.com/clicolors).
pub fn color(is_terminal: bool) -> bool {
    match settings().color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
            set("CLICOLOR_FORCE") || (is_terminal && std::env::var_os("NO_COLOR").is_none())
        }
    }
}
