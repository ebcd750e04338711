//! Policy: waivers turn accepted FAILs into WAIVED, and the verdicts decide the exit status.

use chrono::NaiveDate;

use crate::finding::{Severity, Status};
use crate::scan::Scan;
use crate::waiver::Waiver;

/// What applying waivers found worth a warning (indices into the scan's waivers).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WaiverUse {
    /// Live waivers that matched no FAIL in this run.
    pub stale: Vec<usize>,
    /// Waivers past their last day: they no longer apply.
    pub expired: Vec<usize>,
}

/// Gives `scan` its waivers and turns each FAIL that a live one covers into WAIVED; PASS and
/// ERROR are never waived.
pub fn apply_waivers(scan: &mut Scan, waivers: Vec<Waiver>, today: NaiveDate) -> WaiverUse {
    scan.waivers = waivers;
    let live: Vec<bool> = scan.waivers.iter().map(|w| w.is_live(today)).collect();
    let mut used = vec![false; scan.waivers.len()];
    for finding in scan
        .findings
        .iter_mut()
        .filter(|f| f.status == Status::Fail)
    {
        let rule = &scan.rules[finding.rule];
        let account_id = &scan.inventory.accounts[finding.account].id;
        for (i, waiver) in scan.waivers.iter().enumerate() {
            if live[i] && waiver.covers(rule, account_id, finding.contact_type) {
                used[i] = true;
                if finding.waiver.is_none() {
                    finding.status = Status::Waived;
                    finding.waiver = Some(i);
                }
            }
        }
    }
    let mut report = WaiverUse::default();
    for (i, waiver) in scan.waivers.iter().enumerate() {
        // A waiver whose rules did not run (--select, --ignore) says nothing about this run.
        let ran = scan.rules.iter().any(|r| waiver.rule_globs.is_match(&r.id));
        if !live[i] {
            report.expired.push(i);
        } else if !used[i] && ran {
            report.stale.push(i);
        }
    }
    report
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
