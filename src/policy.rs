//! Policy: what the organization accepts (waivers) and when a run fails (exit status).

use crate::finding::{Severity, Status};
use crate::scan::Scan;

/// An accepted exception: turns matching FAIL findings into WAIVED until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub rules: Vec<String>,
    pub accounts: Vec<String>,
    pub contact_types: Option<Vec<String>>,
    pub reason: String,
    pub owner: String,
    /// `YYYY-MM-DD`; the waiver applies through the end of that day, UTC.
    pub expires: String,
}

/// The threshold of `--fail-on`: FAILs at or above it make the exit status 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    Never,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "never" {
            return Ok(FailOn::Never);
        }
        s.parse().map(FailOn::Severity).map_err(|_| {
            format!("unknown --fail-on value {s:?}: expected critical, high, medium, low, info or never")
        })
    }
}

/// The exit status of a finished scan (see README, "Exit status").
pub fn exit_status(
    scan: &Scan,
    fail_on: FailOn,
    allow_incomplete: bool,
    rejected_imports: usize,
) -> u8 {
    let failing = |threshold: Severity| {
        scan.views()
            .any(|v| v.status() == Status::Fail && v.severity() >= threshold)
    };
    if let FailOn::Severity(threshold) = fail_on {
        if failing(threshold) {
            return 1;
        }
    }
    let incomplete =
        rejected_imports > 0 || scan.findings.iter().any(|f| f.status == Status::Error);
    if incomplete && !allow_incomplete {
        return 3;
    }
    0
}
