//! The library's errors: bad input (files, flags, rules, config), interruptions, AWS failures.

use std::fmt;

/// Bad input: names the source (file or flag), the place in it and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file path or the flag that was wrong.
    pub source_name: String,
    /// Where in it: `line 3, column 7`, a JSON path, a TOML key; empty when the whole input.
    pub place: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl InputError {
    /// An error about `source_name` at `place`.
    pub fn new(
        source_name: impl Into<String>,
        place: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        InputError {
            source_name: source_name.into(),
            place: place.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.place.is_empty() {
            write!(f, "{}: {}", self.source_name, self.message)
        } else {
            write!(f, "{}: {}: {}", self.source_name, self.place, self.message)
        }
    }
}

impl std::error::Error for InputError {}

/// The run was interrupted (Ctrl-C, SIGTERM) before it was done: exit status 130, no report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    /// What was not done, for the message on stderr: `not read: 6 of 10 accounts (...)`.
    pub not_done: String,
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interrupted; {}; no report was written", self.not_done)
    }
}

impl std::error::Error for Interrupted {}

/// Every error of the library. Each one means the run could not be done as asked: exit status 2,
/// except [`Error::Interrupted`] (130).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: a file, a flag, a rule, the config.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Ctrl-C before the run could finish.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// An AWS call the run depends on failed, or a pre-flight check did not pass; the message
    /// says what to do.
    #[error("{0}")]
    Aws(String),
    /// A file or stream could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being read or written.
        what: String,
        source: std::io::Error,
    },
}

impl Error {
    /// An [`Error::Aws`] with this message.
    pub fn aws(message: impl Into<String>) -> Self {
        Error::Aws(message.into())
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
