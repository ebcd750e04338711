//! Heuristics: pure functions over contact values, registered into CEL by
//! [`crate::engine::functions`]. Each comes as a test and an evidence function. Word lists live in
//! `rules/data/` and are embedded at build time.

pub mod domain;
pub mod email;
pub mod names;
pub mod person;
pub mod phone;
mod translit;

/// Parses an embedded word list: one entry per line, `#` starts a comment, lower-cased.
pub(crate) fn word_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim().to_lowercase())
        .filter(|line| !line.is_empty())
        .collect()
}
