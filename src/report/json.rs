//! The JSON report: every finding, PASS included, streamed one finding at a time.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::value::RawValue;

use crate::engine::rule::{Rule, Scope};
use crate::finding::Status;
use crate::inventory::{is_account_id, Account, ContactType};
use crate::report::escape;
use crate::report::redact::Redactor;
use crate::report::{Options, WaiverView};
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
    name: Option<Cow<'a, str>>,
    state: &'a str,
}

/// A finding as the report holds it. Written by [`render_finding`] (FAIL, ERROR, WAIVED) and
/// [`PassTemplate`] (PASS), which tests check byte for byte against serde's serialisation of
/// this struct.
#[derive(Serialize)]
struct Finding<'a> {
    id: String,
    rule_id: &'a str,
    status: &'static str,
    severity: &'static str,
    account_id: &'a str,
    /// `null` when unknown.
    account_name: Option<Cow<'a, str>>,
    contact_type: Option<&'static str>,
    title: &'a str,
    message: Cow<'a, str>,
    evidence: Option<Cow<'a, str>>,
    /// `null` on PASS findings (there is nothing to fix) and for rules without one.
    remediation: Option<Cow<'a, str>>,
    waiver: Option<WaiverView<'a>>,
    /// Serialised once per rule.
    compliance: &'a RawValue,
}

/// An account's name, redacted with `--redact`; `null` when unknown (`""`).
fn name<'a>(account: &'a Account, redactor: &Redactor) -> Option<Cow<'a, str>> {
    (!account.name.is_empty()).then(|| redactor.name(account))
}

fn finding<'a>(
    view: &FindingView<'a>,
    compliance: &'a RawValue,
    redactor: &'a Redactor,
) -> Finding<'a> {
    Finding {
        id: view.id(),
        rule_id: &view.rule.id,
        status: view.status().as_str(),
        severity: view.severity().label(),
        account_id: &view.account.id,
        account_name: name(view.account, redactor),
        contact_type: view.finding.contact_type.map(|t| t.as_str()),
        title: &view.rule.title,
        message: super::located(view, redactor.message(view)),
        evidence: redactor.evidence(view),
        remediation: redactor.remediation(view),
        waiver: WaiverView::of(view, redactor),
        compliance,
    }
}

/// Appends a FAIL, ERROR or WAIVED finding: byte for byte what serde writes of [`finding`] (a
/// test compares every such finding of two scans), its strings escaped by [`escape::json`].
fn render_finding(finding: &Finding, out: &mut Vec<u8>) -> io::Result<()> {
    let strings = [
        ("{\"id\":", Some(finding.id.as_str())),
        (",\"rule_id\":", Some(finding.rule_id)),
        (",\"status\":", Some(finding.status)),
        (",\"severity\":", Some(finding.severity)),
        (",\"account_id\":", Some(finding.account_id)),
        (",\"account_name\":", finding.account_name.as_deref()),
        (",\"contact_type\":", finding.contact_type),
        (",\"title\":", Some(finding.title)),
        (",\"message\":", Some(&finding.message)),
        (",\"evidence\":", finding.evidence.as_deref()),
        (",\"remediation\":", finding.remediation.as_deref()),
    ];
    for (key, value) in strings {
        out.extend_from_slice(key.as_bytes());
        escape::json_or_null(out, value);
    }
    out.extend_from_slice(b",\"waiver\":");
    serde_json::to_writer(&mut *out, &finding.waiver)?;
    out.extend_from_slice(b",\"compliance\":");
    out.extend_from_slice(finding.compliance.get().as_bytes());
    out.push(b'}');
    Ok(())
}

/// What stands between a PASS finding's account id and its account name.
const BEFORE_NAME: &[u8] = b"\",\"account_name\":";

/// A PASS finding of one rule on one slot kind, pre-rendered: all of it is constant but the
/// account's id and name, so the 2.8 million PASS findings of a 100,000-account scan cost a few
/// copies each instead of a serialisation. Byte for byte what [`finding`] renders (a test
/// checks it).
struct PassTemplate {
    /// `{"id":"<rule>/`
    id_prefix: String,
    /// `[/<TYPE>]","rule_id":...,"account_id":"`
    after_id: String,
    /// `,"contact_type":...,"compliance":{...}}`
    after_name: String,
}

impl PassTemplate {
    fn new(
        rule: &Rule,
        contact_type: Option<&'static str>,
        compliance: &RawValue,
        redactor: &Redactor,
    ) -> serde_json::Result<PassTemplate> {
        let quoted = serde_json::to_string(&rule.id)?;
        let type_suffix = contact_type.map_or(String::new(), |t| format!("/{t}"));
        Ok(PassTemplate {
            id_prefix: format!("{{\"id\":{}/", &quoted[..quoted.len() - 1]),
            after_id: format!(
                "{type_suffix}\",\"rule_id\":{quoted},\"status\":\"PASS\",\"severity\":{},\"account_id\":\"",
                serde_json::to_string(rule.severity.label())?
            ),
            after_name: format!(
                ",\"contact_type\":{},\"title\":{},\"message\":{},\"evidence\":null,\"remediation\":null,\"waiver\":null,\"compliance\":{}}}",
                serde_json::to_string(&contact_type)?,
                serde_json::to_string(&rule.title)?,
                serde_json::to_string(&redactor.text(&rule.title))?,
                compliance.get()
            ),
        })
    }

    fn render(&self, account: &Account, redactor: &Redactor, out: &mut Vec<u8>) {
        // Account ids are twelve digits, nothing to escape, but for Terraform addresses
        // (`module.acct["prod"]...`).
        let mut quoted = Vec::new();
        let id: &[u8] = if is_account_id(&account.id) {
            account.id.as_bytes()
        } else {
            escape::json(&mut quoted, &account.id);
            &quoted[1..quoted.len() - 1]
        };
        out.extend_from_slice(self.id_prefix.as_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(self.after_id.as_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(BEFORE_NAME);
        escape::json_or_null(out, name(account, redactor).as_deref());
        out.extend_from_slice(self.after_name.as_bytes());
    }
}

/// The PASS templates of every rule, indexed by rule, then by contact type index (account-scope
/// rules use the first entry).
fn pass_templates(
    scan: &Scan,
    compliance: &[Box<RawValue>],
    redactor: &Redactor,
) -> serde_json::Result<Vec<[PassTemplate; 3]>> {
    scan.rules
        .iter()
        .zip(compliance)
        .map(|(rule, compliance)| {
            let kind = |t: ContactType| match rule.scope {
                Scope::Contact => Some(t.as_str()),
                Scope::Account => None,
            };
            let [a, b, c] =
                ContactType::ALL.map(|t| PassTemplate::new(rule, kind(t), compliance, redactor));
            Ok([a?, b?, c?])
        })
        .collect()
}

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
            name: name(a, &redactor),
            state: &a.state,
        })
        .collect();
    head(out, "skipped_accounts", &skipped[..])?;
    let compliance: Vec<Box<RawValue>> = scan
        .rules
        .iter()
        .map(|rule| serde_json::value::to_raw_value(&rule.compliance))
        .collect::<Result<_, _>>()?;
    let templates = pass_templates(scan, &compliance, &redactor)?;
    write!(out, "  \"findings\": [")?;
    super::render::write_rendered(&scan.findings, out, |chunk, first, buffer| {
        for (i, f) in chunk.iter().enumerate() {
            buffer.extend_from_slice(if first && i == 0 {
                b"\n    "
            } else {
                b",\n    "
            });
            if f.status == Status::Pass {
                let slot = f.contact_type.map_or(0, ContactType::index);
                templates[f.rule][slot].render(
                    &scan.inventory.accounts[f.account],
                    &redactor,
                    buffer,
                );
            } else {
                let view = scan.view(f);
                render_finding(&finding(&view, &compliance[f.rule], &redactor), buffer)?;
            }
        }
        Ok(())
    })?;
    if !scan.findings.is_empty() {
        write!(out, "\n  ")?;
    }
    writeln!(out, "]\n}}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{demo_scan, scan_of_snapshot};

    /// Accounts whose names need escaping, with contacts that pass and fail.
    const SNAPSHOT: &str = r#"{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [
        {"Id": "111111111111", "Name": "quote \" back \\ <tag> & é \u0007 end", "Email": "root@corp.com",
         "AlternateContacts": [{"AlternateContactType": "SECURITY", "Name": "Security Operations",
           "Title": "SOC", "EmailAddress": "security@corp.com", "PhoneNumber": "+1 206 266 1000"}]},
        {"Id": "222222222222", "AlternateContacts": [{"AlternateContactType": "BILLING",
           "Name": "Finance", "Title": "AP", "EmailAddress": "billing@corp.com",
           "PhoneNumber": "+1 206 266 1001"}, {"AlternateContactType": "OPERATIONS",
           "Name": "Ops", "Title": "Ops", "EmailAddress": "email", "PhoneNumber": "contact"}]}]}"#;

    #[test]
    fn pass_templates_render_what_serde_renders() {
        let scan = scan_of_snapshot(SNAPSHOT.as_bytes());
        for redact in [false, true] {
            let options = Options {
                redact,
                ..Options::default()
            };
            let redactor = Redactor::for_scan(&scan, &options);
            let compliance: Vec<Box<RawValue>> = scan
                .rules
                .iter()
                .map(|rule| serde_json::value::to_raw_value(&rule.compliance).unwrap())
                .collect();
            let templates = pass_templates(&scan, &compliance, &redactor).unwrap();
            let mut passes = 0;
            for f in scan.findings.iter().filter(|f| f.status == Status::Pass) {
                let expected =
                    serde_json::to_vec(&finding(&scan.view(f), &compliance[f.rule], &redactor))
                        .unwrap();
                let mut rendered = Vec::new();
                let slot = f.contact_type.map_or(0, ContactType::index);
                templates[f.rule][slot].render(
                    &scan.inventory.accounts[f.account],
                    &redactor,
                    &mut rendered,
                );
                assert_eq!(
                    String::from_utf8(rendered).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
                passes += 1;
            }
            assert!(passes > 10, "only {passes} PASS findings compared");
        }
    }

    #[test]
    fn findings_that_are_not_pass_render_what_serde_renders() {
        let scans = [demo_scan(), scan_of_snapshot(SNAPSHOT.as_bytes())];
        let mut statuses = std::collections::BTreeSet::new();
        for scan in &scans {
            for redact in [false, true] {
                let options = Options {
                    redact,
                    ..Options::default()
                };
                let redactor = Redactor::for_scan(scan, &options);
                for view in scan.views().filter(|v| v.status() != Status::Pass) {
                    let compliance =
                        serde_json::value::to_raw_value(&view.rule.compliance).unwrap();
                    let finding = finding(&view, &compliance, &redactor);
                    let mut rendered = Vec::new();
                    render_finding(&finding, &mut rendered).unwrap();
                    assert_eq!(
                        String::from_utf8(rendered).unwrap(),
                        serde_json::to_string(&finding).unwrap()
                    );
                    statuses.insert(view.status().as_str());
                }
            }
        }
        assert_eq!(
            statuses.into_iter().collect::<Vec<_>>(),
            ["ERROR", "FAIL", "WAIVED"]
        );
    }
}
