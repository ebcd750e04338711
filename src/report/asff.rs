//! AWS Security Finding Format: a JSON array of findings as `BatchImportFindings` takes them,
//! one per line, rendered in parallel chunks from per-rule templates (`asff_render.rs`).
//!
//! FAIL (Compliance FAILED), ERROR (NOT_AVAILABLE) and WAIVED (WARNING, the waiver in
//! ProductFields) are always written; PASS (PASSED) only with `--include-passed`. Findings of
//! accounts without a 12-digit id (Terraform accounts known by address) are left out.
//! Security Hub rejects empty strings, so a text that would be empty is left out (or replaced
//! by a fallback for the fields ASFF requires), and long texts are cut to the documented limits.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::aws::arn::product_arn;
use crate::engine::rule::Rule;
use crate::finding::{Finding, Status};
use crate::inventory::is_account_id;
use crate::report::asff_render::AsffJson;
use crate::report::redact::Redactor;
use crate::report::Options;
use crate::scan::{FindingView, Scan};

/// The prefix of every finding's `Id` and `GeneratorId`: what marks a finding as this tool's.
pub const ID_PREFIX: &str = "contactscan/";
/// The ASFF schema version Security Hub accepts.
pub(super) const SCHEMA_VERSION: &str = "2018-10-08";
/// The `Types` namespace and category of every finding.
const TYPE_PREFIX: &str = "Software and Configuration Checks/Industry and Regulatory Standards";
pub(super) const TITLE_MAX: usize = 256;
pub(super) const DESCRIPTION_MAX: usize = 1024;
const RECOMMENDATION_MAX: usize = 512;
pub(super) const PRODUCT_FIELD_VALUE_MAX: usize = 2048;
/// ASFF allows at most 50 `Types` and 32 `RelatedRequirements`.
const TYPES_MAX: usize = 50;
const REQUIREMENTS_MAX: usize = 32;

/// `Severity` (and `FindingProviderFields.Severity`).
#[derive(Serialize)]
pub struct Severity {
    #[serde(rename = "Label")]
    pub label: &'static str,
}

/// `Remediation.Recommendation`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation {
    pub text: String,
}

/// `Remediation`: the fix as a command.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Remediation {
    pub recommendation: Recommendation,
}

/// The scanned account, as an `AwsAccount` resource.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource<'a> {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub id: String,
    pub partition: &'a str,
    pub region: &'a str,
}

/// `Compliance`: the verdict and the requirements it is evidence for.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Compliance<'a> {
    pub status: &'static str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub related_requirements: &'a [String],
}

/// Severity and Types again: on later imports Security Hub only takes a provider's changes
/// to them from here.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FindingProviderFields<'a> {
    pub severity: Severity,
    pub types: &'a [String],
}

/// One ASFF finding, as `BatchImportFindings` takes it (and the Security Hub import converts
/// it to the SDK's type).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding<'a> {
    pub schema_version: &'static str,
    pub id: String,
    pub product_arn: String,
    pub generator_id: String,
    pub aws_account_id: &'a str,
    pub types: &'a [String],
    pub created_at: &'a str,
    pub updated_at: &'a str,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
    pub product_fields: BTreeMap<&'static str, String>,
    pub resources: [Resource<'a>; 1],
    pub compliance: Compliance<'a>,
    pub finding_provider_fields: FindingProviderFields<'a>,
    pub record_state: &'static str,
}

/// What a rule contributes to every one of its findings, computed once per rule.
pub(super) struct RuleFacts {
    pub(super) types: Vec<String>,
    pub(super) requirements: Vec<String>,
}

impl RuleFacts {
    pub(super) fn of(rule: &Rule) -> RuleFacts {
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
            .filter_map(|requirement| {
                clip(&requirement, PRODUCT_FIELD_VALUE_MAX).map(Cow::into_owned)
            })
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
pub(super) fn clip(text: &str, max: usize) -> Option<Cow<'_, str>> {
    // Printable ASCII at both ends is no whitespace: nearly every text, seen without `trim`'s
    // look at each character it passes.
    let solid = |b: &u8| (b'!'..=b'~').contains(b);
    let bytes = text.as_bytes();
    let text = if bytes.first().is_some_and(solid) && bytes.last().is_some_and(solid) {
        text
    } else {
        text.trim()
    };
    if text.is_empty() {
        return None;
    }
    // A text of at most `max` bytes has at most `max` characters.
    if text.len() <= max {
        return Some(Cow::Borrowed(text));
    }
    match text.char_indices().nth(max) {
        None => Some(Cow::Borrowed(text)),
        Some(_) => {
            let mut cut: String = text.chars().take(max - 1).collect();
            cut.truncate(cut.trim_end().len());
            cut.push('…');
            Some(Cow::Owned(cut))
        }
    }
}

/// A remediation as Security Hub takes it (at most 512 characters): whole, else without its
/// comment lines, else a comment saying where the whole command is. A command is never cut
/// short: that would run something else.
pub(super) fn recommendation(text: &str) -> Option<Cow<'_, str>> {
    let fits =
        |text: &str| text.len() <= RECOMMENDATION_MAX || text.chars().count() <= RECOMMENDATION_MAX;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if fits(text) {
        return Some(Cow::Borrowed(text));
    }
    let commands: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let commands = commands.join("\n");
    if !commands.trim().is_empty() && fits(&commands) {
        return Some(Cow::Owned(commands));
    }
    Some(Cow::Borrowed(
        "# The command is longer than Security Hub allows: `contactscan scan --format json` \
          prints it in full, and `contactscan fix` plans the fix for every account.",
    ))
}

pub(super) fn compliance_status(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASSED",
        Status::Fail => "FAILED",
        Status::Error => "NOT_AVAILABLE",
        Status::Waived => "WARNING",
    }
}

pub(super) fn finding<'a>(
    view: &FindingView<'a>,
    facts: &'a RuleFacts,
    redactor: &Redactor,
) -> AsffFinding<'a> {
    let scan = view.scan;
    let rule = view.rule;
    let account = view.account;
    let importer = scan.importer_of(&account.id);
    let label = view.severity().label();
    let mut fields = BTreeMap::new();
    let mut field = |key: &'static str, value: Cow<'_, str>| {
        if let Some(value) = clip(&value, PRODUCT_FIELD_VALUE_MAX) {
            fields.insert(key, value.into_owned());
        }
    };
    field("contactscan/RuleId", Cow::Borrowed(&rule.id));
    field("contactscan/Status", Cow::Borrowed(view.status().as_str()));
    field("contactscan/ScannedAccountId", Cow::Borrowed(&account.id));
    field("contactscan/ScannedAccountName", redactor.name(account));
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
    let title = clip(&rule.title, TITLE_MAX).map_or_else(|| rule.id.clone(), Cow::into_owned);
    let description = clip(&redactor.message(view), DESCRIPTION_MAX)
        .map_or_else(|| title.clone(), Cow::into_owned);
    let remediation = redactor
        .remediation(view)
        .and_then(|text| recommendation(&text).map(Cow::into_owned))
        .map(|text| Remediation {
            recommendation: Recommendation { text },
        });
    AsffFinding {
        schema_version: SCHEMA_VERSION,
        id: format!("{ID_PREFIX}{}", view.id()),
        product_arn: product_arn(&scan.partition, &scan.region, importer),
        generator_id: format!("{ID_PREFIX}{}", rule.id),
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

/// Calls `visit` with every finding of the scan as ASFF, PASS included only with
/// `include_passed`, and its verdict.
pub fn visit(
    scan: &Scan,
    options: &Options,
    include_passed: bool,
    mut visit: impl FnMut(Status, &AsffFinding<'_>),
) {
    let facts: Vec<RuleFacts> = scan.rules.iter().map(RuleFacts::of).collect();
    let redactor = Redactor::for_scan(scan, options);
    for view in scan
        .views()
        .filter(|v| is_written(scan, v.finding, include_passed))
    {
        visit(
            view.status(),
            &finding(&view, &facts[view.finding.rule], &redactor),
        );
    }
}

/// Whether a finding goes into ASFF: PASS only with `include_passed`, and only findings of
/// accounts with a 12-digit id (ASFF needs one as `AwsAccountId`; a Terraform account known
/// only by its address, created on apply or a provider's, has none yet).
fn is_written(scan: &Scan, finding: &Finding, include_passed: bool) -> bool {
    (finding.status != Status::Pass || include_passed)
        && is_account_id(&scan.inventory.accounts[finding.account].id)
}

/// Writes the JSON array, one finding per line, rendered on every core.
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let facts: Vec<RuleFacts> = scan.rules.iter().map(RuleFacts::of).collect();
    let redactor = Redactor::for_scan(scan, options);
    let findings: Vec<&Finding> = scan
        .findings
        .iter()
        .filter(|f| is_written(scan, f, options.include_passed))
        .collect();
    // Remediations are worked out here, not inside a rendering task (see `Scan::remedies`).
    scan.remedies();
    let writer = AsffJson::new(scan, &facts, &redactor)?;
    out.write_all(b"[")?;
    super::render::write_rendered(&findings, out, |chunk, first, buffer| {
        for (i, f) in chunk.iter().enumerate() {
            buffer.extend_from_slice(if first && i == 0 { b"\n  " } else { b",\n  " });
            writer.render(f, buffer);
        }
        Ok(())
    })?;
    out.write_all(if findings.is_empty() {
        b"]\n"
    } else {
        b"\n]\n"
    })
}

#[cfg(test)]
mod tests {
    use super::{clip, recommendation, RECOMMENDATION_MAX};

    #[test]
    fn a_long_remediation_loses_its_comments_never_a_piece_of_its_command() {
        let command = format!(
            "aws account put-alternate-contact --name '{}'",
            "x".repeat(400)
        );
        let text = format!("# {}\n{command}\n# {}", "w".repeat(60), "y".repeat(60));
        assert_eq!(recommendation(&text).as_deref(), Some(command.as_str()));
        let fits = format!("{command}\n# or: contactscan fix");
        assert_eq!(recommendation(&fits).as_deref(), Some(fits.as_str()));
        let long = format!(
            "aws account put-alternate-contact --name '{}'",
            "x".repeat(600)
        );
        let pointer = recommendation(&long).unwrap();
        assert!(pointer.starts_with("# The command is longer than Security Hub allows"));
        assert!(pointer.chars().count() <= RECOMMENDATION_MAX);
        assert_eq!(recommendation(" \n "), None);
    }

    #[test]
    fn clip_cuts_on_a_char_boundary_and_drops_blanks() {
        assert_eq!(clip("  ", 5), None);
        assert_eq!(clip("abc", 3).as_deref(), Some("abc"));
        assert_eq!(clip("ééééé", 4).as_deref(), Some("ééé…"));
        assert_eq!(clip("ab   cdef", 6).as_deref(), Some("ab…"));
    }
}
