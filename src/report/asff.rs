//! AWS Security Finding Format: a JSON array of findings as `BatchImportFindings` takes them,
//! streamed one finding at a time.
//!
//! FAIL (Compliance FAILED), ERROR (NOT_AVAILABLE) and WAIVED (WARNING, the waiver in
//! ProductFields) are always written; PASS (PASSED) only with `--include-passed`.
//! Security Hub rejects empty strings, so a text that would be empty is left out (or replaced
//! by a fallback for the fields ASFF requires), and long texts are cut to the documented limits.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::engine::rule::Rule;
use crate::finding::Status;
use crate::report::redact::Redactor;
use crate::report::Options;
use crate::scan::{FindingView, Scan};

/// The ASFF schema version Security Hub accepts.
const SCHEMA_VERSION: &str = "2018-10-08";
/// The `Types` namespace and category of every finding.
const TYPE_PREFIX: &str = "Software and Configuration Checks/Industry and Regulatory Standards";
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;
const RECOMMENDATION_MAX: usize = 512;
const PRODUCT_FIELD_VALUE_MAX: usize = 2048;
/// ASFF allows at most 50 `Types` and 32 `RelatedRequirements`.
const TYPES_MAX: usize = 50;
const REQUIREMENTS_MAX: usize = 32;

#[derive(Serialize)]
struct Severity {
    #[serde(rename = "Label")]
    label: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Recommendation {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Remediation {
    recommendation: Recommendation,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Resource<'a> {
    #[serde(rename = "Type")]
    kind: &'static str,
    id: String,
    partition: &'a str,
    region: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Compliance<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    related_requirements: &'a [String],
}

/// Severity and Types again: on later imports Security Hub only takes a provider's changes
/// to them from here.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FindingProviderFields<'a> {
    severity: Severity,
    types: &'a [String],
}

/// One ASFF finding, as `BatchImportFindings` takes it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Finding<'a> {
    schema_version: &'static str,
    id: String,
    product_arn: String,
    generator_id: String,
    aws_account_id: &'a str,
    types: &'a [String],
    created_at: &'a str,
    updated_at: &'a str,
    severity: Severity,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<Remediation>,
    product_fields: BTreeMap<&'static str, String>,
    resources: [Resource<'a>; 1],
    compliance: Compliance<'a>,
    finding_provider_fields: FindingProviderFields<'a>,
    record_state: &'static str,
}

/// What a rule contributes to every one of its findings, computed once per rule.
struct RuleFacts {
    types: Vec<String>,
    requirements: Vec<String>,
}

impl RuleFacts {
    fn of(rule: &Rule) -> RuleFacts {
        let mut types: Vec<String> = rule
            .compliance
            .keys()
            .filter_map(|framework| standard(framework))
            .map(|standard| format!("{TYPE_PREFIX}/{standard}"))
            .collect();
        types.sort();
        types.dedup();
        types.truncate(TYPES_MAX);
        if types.is_empty() {
            types.push(TYPE_PREFIX.to_string());
        }
        let mut requirements: Vec<String> = rule
            .compliance
            .iter()
            .flat_map(|(framework, ids)| ids.iter().map(move |id| format!("{framework} {id}")))
            .filter_map(|requirement| clip(&requirement, PRODUCT_FIELD_VALUE_MAX))
            .collect();
        requirements.truncate(REQUIREMENTS_MAX);
        RuleFacts {
            types,
            requirements,
        }
    }
}

/// The `Types` classifier of a compliance framework: Security Hub's own spelling where it has
/// one, else the framework's name (without `/`, which separates type levels). `None` for an
/// AWS Config rule mapping, which names a check, not a standard.
fn standard(framework: &str) -> Option<String> {
    if framework == "AWS Config" {
        None
    } else if framework == "AWS Foundational Security Best Practices" {
        Some("AWS-Foundational-Security-Best-Practices".to_string())
    } else if framework.starts_with("CIS AWS Foundations Benchmark") {
        Some("CIS AWS Foundations Benchmark".to_string())
    } else {
        Some(framework.replace('/', "-"))
    }
}

/// `text` trimmed and cut to `max` characters (an ellipsis marks the cut); `None` when blank.
fn clip(text: &str, max: usize) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.char_indices().nth(max) {
        None => Some(text.to_string()),
        Some(_) => {
            let mut cut: String = text.chars().take(max - 1).collect();
            cut.truncate(cut.trim_end().len());
            cut.push('…');
            Some(cut)
        }
    }
}

fn compliance_status(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASSED",
        Status::Fail => "FAILED",
        Status::Error => "NOT_AVAILABLE",
        Status::Waived => "WARNING",
    }
}

/// Whether ASFF carries a finding of this status.
fn emitted(status: Status, options: &Options) -> bool {
    status != Status::Pass || options.include_passed
}

fn finding<'a>(view: &FindingView<'a>, facts: &'a RuleFacts, redactor: &Redactor) -> Finding<'a> {
    let scan = view.scan;
    let rule = view.rule;
    let account = view.account;
    let importer = scan.importer_account_id.as_deref().unwrap_or(&account.id);
    let label = view.severity().label();
    let mut fields = BTreeMap::new();
    let mut field = |key: &'static str, value: Cow<'_, str>| {
        if let Some(value) = clip(&value, PRODUCT_FIELD_VALUE_MAX) {
            fields.insert(key, value);
        }
    };
    field("contactscan/RuleId", Cow::Borrowed(&rule.id));
    field("contactscan/Status", Cow::Borrowed(view.status().as_str()));
    field("contactscan/ScannedAccountId", Cow::Borrowed(&account.id));
    field(
        "contactscan/ScannedAccountName",
        Cow::Borrowed(&account.name),
    );
    if let Some(contact_type) = view.finding.contact_type {
        field(
            "contactscan/ContactType",
            Cow::Borrowed(contact_type.as_str()),
        );
    }
    if let Some(evidence) = redactor.evidence(view) {
        field("contactscan/Evidence", evidence);
    }
    if let Some(waiver) = view.waiver() {
        field("contactscan/WaiverReason", redactor.text(&waiver.reason));
        field("contactscan/WaiverOwner", redactor.text(&waiver.owner));
        field("contactscan/WaiverExpires", Cow::Borrowed(&waiver.expires));
    }
    field(
        "contactscan/ToolVersion",
        Cow::Borrowed(env!("CARGO_PKG_VERSION")),
    );
    let title = clip(&rule.title, TITLE_MAX).unwrap_or_else(|| rule.id.clone());
    let description =
        clip(&redactor.message(view), DESCRIPTION_MAX).unwrap_or_else(|| title.clone());
    let remediation =
        clip(&redactor.remediation(view), RECOMMENDATION_MAX).map(|text| Remediation {
            recommendation: Recommendation { text },
        });
    Finding {
        schema_version: SCHEMA_VERSION,
        id: format!("contactscan/{}", view.id()),
        product_arn: format!(
            "arn:{}:securityhub:{}:{importer}:product/{importer}/default",
            scan.partition, scan.region
        ),
        generator_id: format!("contactscan/{}", rule.id),
        aws_account_id: importer,
        types: &facts.types,
        created_at: &scan.scanned_at,
        updated_at: &scan.scanned_at,
        severity: Severity { label },
        title,
        description,
        remediation,
        product_fields: fields,
        resources: [Resource {
            kind: "AwsAccount",
            id: format!("AWS::::Account:{}", account.id),
            partition: &scan.partition,
            region: &scan.region,
        }],
        compliance: Compliance {
            status: compliance_status(view.status()),
            related_requirements: &facts.requirements,
        },
        finding_provider_fields: FindingProviderFields {
            severity: Severity { label },
            types: &facts.types,
        },
        record_state: "ACTIVE",
    }
}

/// Every finding of the scan as ASFF JSON, PASS included, with its verdict: what the
/// Security Hub import sends (it decides itself which PASS findings to send).
pub fn import_candidates(scan: &Scan, options: &Options) -> Vec<(Status, serde_json::Value)> {
    let facts: Vec<RuleFacts> = scan.rules.iter().map(RuleFacts::of).collect();
    let redactor = Redactor::for_scan(scan, options);
    scan.views()
        .filter_map(|view| {
            let finding = finding(&view, &facts[view.finding.rule], &redactor);
            serde_json::to_value(finding)
                .ok()
                .map(|value| (view.status(), value))
        })
        .collect()
}

/// Writes the JSON array, one finding per line.
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let facts: Vec<RuleFacts> = scan.rules.iter().map(RuleFacts::of).collect();
    let redactor = Redactor::for_scan(scan, options);
    out.write_all(b"[")?;
    let mut first = true;
    for view in scan.views().filter(|v| emitted(v.status(), options)) {
        out.write_all(if first { b"\n  " } else { b",\n  " })?;
        first = false;
        serde_json::to_writer(
            &mut *out,
            &finding(&view, &facts[view.finding.rule], &redactor),
        )?;
    }
    out.write_all(if first { b"]\n" } else { b"\n]\n" })
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_cuts_on_a_char_boundary_and_drops_blanks() {
        assert_eq!(clip("  ", 5), None);
        assert_eq!(clip("abc", 3).as_deref(), Some("abc"));
        assert_eq!(clip("ééééé", 4).as_deref(), Some("ééé…"));
        assert_eq!(clip("ab   cdef", 6).as_deref(), Some("ab…"));
    }
}
