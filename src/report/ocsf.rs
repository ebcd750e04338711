//! OCSF 1.x Compliance Findings (class 2003), the format of AWS's new Security Hub, Amazon
//! Security Lake and most SIEMs: a JSON array (`ocsf`) or one event a line (`ocsf-jsonl`).
//!
//! Carries what ASFF carries: FAIL (compliance status Fail), ERROR (Unknown, with the reason in
//! `status_detail`), WAIVED (Warning, the waiver in `unmapped`); PASS (Pass) only with
//! `--include-passed`, and only for accounts with an AWS account id (a Terraform account not
//! created yet has none). The finding's uid is its ASFF `Id`, so both formats name a finding
//! alike.

use std::borrow::Cow;
use std::io::{self, Write};

use chrono::DateTime;
use serde::Serialize;

use crate::finding::{Severity, Status};
use crate::inventory::is_account_id;
use crate::report::asff::ID_PREFIX;
use crate::report::redact::Redactor;
use crate::report::{Options, WaiverView};
use crate::scan::{FindingView, Scan};

/// The OCSF schema version the events follow.
const OCSF_VERSION: &str = "1.5.0";
/// Compliance Finding, in the Findings category.
const CLASS_UID: u32 = 2003;
const CATEGORY_UID: u32 = 2;
/// Activity "Create": each scan reports its verdicts afresh.
const ACTIVITY_ID: u32 = 1;
/// The OCSF account type "AWS Account".
const AWS_ACCOUNT_TYPE_ID: u32 = 10;

/// OCSF `severity_id` and its caption.
fn severity(severity: Severity) -> (u8, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// OCSF `compliance.status_id` and its caption.
fn compliance_status(status: Status) -> (u8, &'static str) {
    match status {
        Status::Pass => (1, "Pass"),
        Status::Waived => (2, "Warning"),
        Status::Fail => (3, "Fail"),
        Status::Error => (0, "Unknown"),
    }
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Metadata {
    version: &'static str,
    product: Product,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: String,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    desc: Option<String>,
    types: [&'a str; 1],
}

#[derive(Serialize)]
struct Compliance<'a> {
    control: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    standards: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    requirements: Vec<String>,
    status_id: u8,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_detail: Option<String>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: Cow<'a, str>,
    #[serde(rename = "type")]
    kind: &'static str,
    type_id: u32,
}

#[derive(Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    region: &'a str,
    account: Account<'a>,
}

#[derive(Serialize)]
struct Resource<'a> {
    uid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: Cow<'a, str>,
    region: &'a str,
    cloud_partition: &'a str,
}

#[derive(Serialize)]
struct Remediation {
    desc: String,
}

/// What OCSF has no attribute for.
#[derive(Serialize)]
struct Unmapped<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver: Option<WaiverView<'a>>,
}

/// One Compliance Finding event.
#[derive(Serialize)]
struct Event<'a> {
    class_uid: u32,
    class_name: &'static str,
    category_uid: u32,
    category_name: &'static str,
    activity_id: u32,
    activity_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    time: i64,
    time_dt: &'a str,
    severity_id: u8,
    severity: &'static str,
    status_id: u8,
    status: &'static str,
    message: String,
    metadata: Metadata,
    finding_info: FindingInfo<'a>,
    compliance: Compliance<'a>,
    cloud: Cloud<'a>,
    resources: [Resource<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<Remediation>,
    unmapped: Unmapped<'a>,
}

fn event<'a>(view: &FindingView<'a>, time: i64, redactor: &'a Redactor) -> Event<'a> {
    let (scan, rule, account) = (view.scan, view.rule, view.account);
    let (severity_id, severity) = severity(view.severity());
    let (status_id, status) = compliance_status(view.status());
    let message = redactor.message(view).into_owned();
    // An AWS Config rule names a check, not a standard.
    let standards: Vec<&str> = rule
        .compliance
        .keys()
        .map(String::as_str)
        .filter(|framework| *framework != "AWS Config")
        .collect();
    let requirements: Vec<String> = rule
        .compliance
        .iter()
        .flat_map(|(framework, ids)| ids.iter().map(move |id| format!("{framework} {id}")))
        .collect();
    Event {
        class_uid: CLASS_UID,
        class_name: "Compliance Finding",
        category_uid: CATEGORY_UID,
        category_name: "Findings",
        activity_id: ACTIVITY_ID,
        activity_name: "Create",
        type_uid: CLASS_UID * 100 + ACTIVITY_ID,
        type_name: "Compliance Finding: Create",
        time,
        time_dt: &scan.scanned_at,
        severity_id,
        severity,
        // The finding's workflow status: every event reports a verdict afresh.
        status_id: 1,
        status: "New",
        metadata: Metadata {
            version: OCSF_VERSION,
            product: Product {
                name: "contactscan",
                vendor_name: "contactscan",
                version: env!("CARGO_PKG_VERSION"),
            },
        },
        finding_info: FindingInfo {
            uid: format!("{ID_PREFIX}{}", view.id()),
            title: &rule.title,
            desc: (view.status() != Status::Pass).then(|| message.clone()),
            types: [&rule.id],
        },
        compliance: Compliance {
            control: &rule.id,
            standards,
            requirements,
            status_id,
            status,
            status_detail: (view.status() == Status::Error).then(|| message.clone()),
        },
        cloud: Cloud {
            provider: "AWS",
            region: &scan.region,
            account: Account {
                uid: &account.id,
                name: redactor.name(account),
                kind: "AWS Account",
                type_id: AWS_ACCOUNT_TYPE_ID,
            },
        },
        resources: [Resource {
            uid: format!("AWS::::Account:{}", account.id),
            kind: "AwsAccount",
            name: redactor.name(account),
            region: &scan.region,
            cloud_partition: &scan.partition,
        }],
        remediation: redactor
            .remediation(view)
            .filter(|text| !text.trim().is_empty())
            .map(|desc| Remediation {
                desc: desc.into_owned(),
            }),
        unmapped: Unmapped {
            rule_id: &rule.id,
            contact_type: view.finding.contact_type.map(|t| t.as_str()),
            evidence: redactor.evidence(view),
            waiver: WaiverView::of(view, redactor),
        },
        message,
    }
}

/// Writes the events as a JSON array (one event a line) or, with `lines`, as JSON Lines.
pub fn write(scan: &Scan, options: &Options, lines: bool, out: &mut dyn Write) -> io::Result<()> {
    let time = DateTime::parse_from_rfc3339(&scan.scanned_at)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("scan time {:?}: {e}", scan.scanned_at),
            )
        })?;
    let redactor = Redactor::for_scan(scan, options);
    let mut first = true;
    if !lines {
        out.write_all(b"[")?;
    }
    // As ASFF: an account is an AWS account id; a Terraform account not created yet has none.
    for view in scan
        .views()
        .filter(|v| v.status() != Status::Pass || options.include_passed)
        .filter(|v| is_account_id(&v.account.id))
    {
        if !lines {
            out.write_all(if first { b"\n  " } else { b",\n  " })?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &event(&view, time, &redactor))?;
        if lines {
            out.write_all(b"\n")?;
        }
    }
    if !lines {
        out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
    }
    Ok(())
}
