//! The JSON report: every finding, PASS included, streamed one finding at a time.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::scan::{FindingView, Scan};

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    accounts: usize,
    skipped_accounts: usize,
    pass: usize,
    fail: usize,
    error: usize,
    waived: usize,
}

#[derive(Serialize)]
struct Skipped<'a> {
    id: &'a str,
    name: &'a str,
    state: &'a str,
}

#[derive(Serialize)]
struct Waiver<'a> {
    reason: &'a str,
    owner: &'a str,
    expires: &'a str,
}

#[derive(Serialize)]
struct Finding<'a> {
    id: String,
    rule_id: &'a str,
    status: &'static str,
    severity: &'static str,
    account_id: &'a str,
    account_name: &'a str,
    contact_type: Option<&'static str>,
    title: &'a str,
    message: String,
    evidence: Option<&'a str>,
    remediation: String,
    waiver: Option<Waiver<'a>>,
    compliance: &'a BTreeMap<String, Vec<String>>,
}

fn finding<'a>(view: &FindingView<'a>) -> Finding<'a> {
    Finding {
        id: view.id(),
        rule_id: &view.rule.id,
        status: view.status().as_str(),
        severity: view.severity().label(),
        account_id: &view.account.id,
        account_name: &view.account.name,
        contact_type: view.finding.contact_type.map(|t| t.as_str()),
        title: &view.rule.title,
        message: view.message(),
        evidence: view.evidence(),
        remediation: view.remediation(),
        waiver: view.waiver().map(|w| Waiver {
            reason: &w.reason,
            owner: &w.owner,
            expires: &w.expires,
        }),
        compliance: &view.rule.compliance,
    }
}

/// Writes one top-level `"key": value,` line.
fn head<T: Serialize + ?Sized>(out: &mut dyn Write, key: &str, value: &T) -> io::Result<()> {
    write!(out, "  \"{key}\": ")?;
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out, ",")
}

/// Writes the report; the findings array is streamed, never built in memory.
pub fn write(scan: &Scan, out: &mut dyn Write) -> io::Result<()> {
    let s = scan.summary();
    writeln!(out, "{{")?;
    head(
        out,
        "tool",
        &Tool {
            name: "contactscan",
            version: env!("CARGO_PKG_VERSION"),
        },
    )?;
    head(out, "scanned_at", &scan.scanned_at)?;
    head(out, "source", &scan.source)?;
    head(
        out,
        "summary",
        &Summary {
            accounts: s.accounts,
            skipped_accounts: s.skipped_accounts,
            pass: s.pass,
            fail: s.fail,
            error: s.error,
            waived: s.waived,
        },
    )?;
    let skipped: Vec<Skipped> = scan
        .skipped_accounts()
        .map(|a| Skipped {
            id: &a.id,
            name: &a.name,
            state: &a.state,
        })
        .collect();
    head(out, "skipped_accounts", &skipped[..])?;
    write!(out, "  \"findings\": [")?;
    for (i, view) in scan.views().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, &finding(&view))?;
    }
    if !scan.findings.is_empty() {
        write!(out, "\n  ")?;
    }
    writeln!(out, "]\n}}")
}
