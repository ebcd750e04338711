//! The JSON report: every finding, PASS included, streamed one finding at a time.

use std::borrow::Cow;
use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::finding::Status;
use crate::report::redact::Redactor;
use crate::report::Options;
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
    reason: Cow<'a, str>,
    owner: Cow<'a, str>,
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
    evidence: Option<Cow<'a, str>>,
    /// `null` on PASS findings: there is nothing to fix.
    remediation: Option<String>,
    waiver: Option<Waiver<'a>>,
    /// Serialised once per rule.
    compliance: &'a RawValue,
}

fn finding<'a>(
    view: &FindingView<'a>,
    compliance: &'a RawValue,
    redactor: &Redactor,
) -> Finding<'a> {
    Finding {
        id: view.id(),
        rule_id: &view.rule.id,
        status: view.status().as_str(),
        severity: view.severity().label(),
        account_id: &view.account.id,
        account_name: &view.account.name,
        contact_type: view.finding.contact_type.map(|t| t.as_str()),
        title: &view.rule.title,
        message: redactor.string(view.message()),
        evidence: view.evidence().map(|e| redactor.text(e)),
        remediation: (view.status() != Status::Pass).then(|| redactor.string(view.remediation())),
        waiver: view.waiver().map(|w| Waiver {
            reason: redactor.text(&w.reason),
            owner: redactor.text(&w.owner),
            expires: &w.expires,
        }),
        compliance,
    }
}

/// Findings one thread renders at a time.
const FINDINGS_PER_CHUNK: usize = 4096;

/// Writes one top-level `"key": value,` line.
fn head<T: Serialize + ?Sized>(out: &mut dyn Write, key: &str, value: &T) -> io::Result<()> {
    write!(out, "  \"{key}\": ")?;
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out, ",")
}

/// Writes the report; the findings array is streamed, never built in memory.
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let redactor = Redactor::for_scan(scan, options);
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
    let compliance: Vec<Box<RawValue>> = scan
        .rules
        .iter()
        .map(|rule| serde_json::value::to_raw_value(&rule.compliance))
        .collect::<Result<_, _>>()?;
    write!(out, "  \"findings\": [")?;
    // Findings are rendered in parallel, a batch of chunks at a time, and written in order.
    let batch = FINDINGS_PER_CHUNK * rayon::current_num_threads();
    for (b, findings) in scan.findings.chunks(batch).enumerate() {
        let rendered: Vec<io::Result<Vec<u8>>> = findings
            .par_chunks(FINDINGS_PER_CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut buffer = Vec::with_capacity(chunk.len() * 512);
                for (i, f) in chunk.iter().enumerate() {
                    let first = b == 0 && c == 0 && i == 0;
                    buffer.extend_from_slice(if first { b"\n    " } else { b",\n    " });
                    let compliance = &compliance[f.rule];
                    serde_json::to_writer(
                        &mut buffer,
                        &finding(&scan.view(f), compliance, &redactor),
                    )?;
                }
                Ok(buffer)
            })
            .collect();
        for buffer in rendered {
            out.write_all(&buffer?)?;
        }
    }
    if !scan.findings.is_empty() {
        write!(out, "\n  ")?;
    }
    writeln!(out, "]\n}}")
}
