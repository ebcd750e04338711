//! Findings: one verdict of one rule on one account (and contact type).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::inventory::ContactType;

/// How bad a FAIL is. Lower case in rule files, config and flags; upper case in reports.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Lower-case name, as written in rule files and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Upper-case label, as reports and ASFF carry it.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str() == s)
            .ok_or_else(|| {
                format!("unknown severity {s:?}: expected critical, high, medium, low or info")
            })
    }
}

/// The verdict of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Pass,
    Fail,
    /// The data the rule needs could not be read, or its condition failed to evaluate.
    Error,
    /// A FAIL that a live waiver covers.
    Waived,
}

impl Status {
    /// Upper-case name, as reports carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::Waived => "WAIVED",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an ERROR finding reached no verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCause {
    /// A slot the rule needs could not be read.
    Unreadable,
    /// The rule's condition failed when it ran.
    Rule,
    /// A value the rule reads is not known before it is applied (Terraform).
    Unknown,
}

/// One verdict, kept compact: the rule and account are indices into the scan's rule list and
/// inventory, the text is rendered by reporters through [`crate::scan::FindingView`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Index into the scan's rules.
    pub rule: usize,
    /// Index into the inventory's accounts.
    pub account: usize,
    /// The slot, for contact-scope rules.
    pub contact_type: Option<ContactType>,
    pub status: Status,
    /// FAIL: the evidence, when the rule has any; ERROR: why no verdict could be reached.
    pub detail: Option<Arc<str>>,
    /// ERROR: whether the data or the rule failed.
    pub error_cause: Option<ErrorCause>,
    /// WAIVED: index into the policy's waivers.
    pub waiver: Option<usize>,
}

/// The stable id of a finding: `<rule>/<account>/<TYPE>` or `<rule>/<account>`.
pub fn finding_id(rule_id: &str, account_id: &str, contact_type: Option<ContactType>) -> String {
    match contact_type {
        Some(t) => format!("{rule_id}/{account_id}/{t}"),
        None => format!("{rule_id}/{account_id}"),
    }
}
