//! ASFF findings written as JSON without building them: most of a finding is its rule's (types,
//! requirements, title, severity), pre-rendered once per rule; only the account, the texts and
//! the verdict are written per finding. Byte for byte what serde writes of
//! [`asff::finding`](super::asff) (a test compares every finding of a scan).

use std::borrow::Cow;

use serde::Serialize;

use crate::aws::arn::product_arn;
use crate::finding::Finding;
use crate::report::asff::{
    clip, compliance_status, recommendation, RuleFacts, DESCRIPTION_MAX, ID_PREFIX,
    PRODUCT_FIELD_VALUE_MAX, SCHEMA_VERSION, TITLE_MAX,
};
use crate::report::escape;
use crate::report::redact::Redactor;
use crate::scan::{Importer, Scan};

/// What a rule puts in each of its findings, as JSON.
struct RuleJson {
    /// `{"SchemaVersion":...,"Id":"contactscan/<rule>/`
    start: String,
    /// `,"GeneratorId":"contactscan/<rule>","AwsAccountId":`
    generator: String,
    /// `,"Types":[...],"CreatedAt":...,"UpdatedAt":...,"Severity":{...},"Title":...,"Description":`
    middle: String,
    /// The title, the description of a finding without a message.
    title: String,
    /// The value of `contactscan/RuleId`, as JSON (`None` for a blank id, as `clip` says).
    rule_field: Option<String>,
    /// `,"RelatedRequirements":[...]}` or `}`, then `,"FindingProviderFields":...}`.
    end: String,
}

/// Renders the ASFF findings of one scan.
pub(super) struct AsffJson<'a> {
    scan: &'a Scan,
    redactor: &'a Redactor<'a>,
    rules: Vec<RuleJson>,
    /// The `ProductArn` when one account imports every finding.
    fixed_arn: Option<String>,
    /// `","Partition":...,"Region":...}]`
    resource_end: String,
}

fn json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string(value)
}

/// `,"<key>":<value>` for an object's entry; `key` is a product field name of this file,
/// which holds nothing to escape.
fn push_entry(out: &mut Vec<u8>, first: &mut bool, key: &'static str, value: &str) {
    if !std::mem::take(first) {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    escape::json(out, value);
}

impl<'a> AsffJson<'a> {
    pub(super) fn new(
        scan: &'a Scan,
        facts: &[RuleFacts],
        redactor: &'a Redactor<'a>,
    ) -> serde_json::Result<Self> {
        let at = json(&scan.scanned_at)?;
        let rules = scan
            .rules
            .iter()
            .zip(facts)
            .map(|(rule, facts)| {
                let label = json(rule.severity.label())?;
                let id = json(&format!("{ID_PREFIX}{}/", rule.id))?;
                let title = clip(&rule.title, TITLE_MAX);
                let title = title.map_or_else(|| rule.id.clone(), Cow::into_owned);
                let types = json(&facts.types)?;
                let requirements = if facts.requirements.is_empty() {
                    String::new()
                } else {
                    format!(",\"RelatedRequirements\":{}", json(&facts.requirements)?)
                };
                Ok(RuleJson {
                    start: format!(
                        "{{\"SchemaVersion\":{},\"Id\":{}",
                        json(SCHEMA_VERSION)?,
                        &id[..id.len() - 1]
                    ),
                    generator: format!(
                        ",\"GeneratorId\":{},\"AwsAccountId\":",
                        json(&format!("{ID_PREFIX}{}", rule.id))?
                    ),
                    middle: format!(
                        ",\"Types\":{types},\"CreatedAt\":{at},\"UpdatedAt\":{at},\"Severity\":{{\"Label\":{label}}},\"Title\":{},\"Description\":",
                        json(&title)?
                    ),
                    rule_field: clip(&rule.id, PRODUCT_FIELD_VALUE_MAX)
                        .map(|id| json(&*id))
                        .transpose()?,
                    title,
                    end: format!(
                        "{requirements}}},\"FindingProviderFields\":{{\"Severity\":{{\"Label\":{label}}},\"Types\":{types}}},\"RecordState\":\"ACTIVE\"}}"
                    ),
                })
            })
            .collect::<serde_json::Result<_>>()?;
        Ok(AsffJson {
            scan,
            redactor,
            rules,
            fixed_arn: match &scan.importer {
                Importer::Account(importer) => {
                    Some(json(&product_arn(&scan.partition, &scan.region, importer))?)
                }
                Importer::EachAccount => None,
            },
            resource_end: format!(
                "\",\"Partition\":{},\"Region\":{}}}]",
                json(&scan.partition)?,
                json(&scan.region)?
            ),
        })
    }

    /// Appends `finding` as one JSON object.
    pub(super) fn render(&self, finding: &Finding, out: &mut Vec<u8>) {
        let (scan, redactor) = (self.scan, self.redactor);
        let view = scan.view(finding);
        let rule = &self.rules[finding.rule];
        let account = &view.account.id;
        let importer = scan.importer_of(account);
        // The account is a 12-digit id (the writer leaves out the others): nothing to escape.
        out.extend_from_slice(rule.start.as_bytes());
        out.extend_from_slice(account.as_bytes());
        if let Some(t) = finding.contact_type {
            out.push(b'/');
            out.extend_from_slice(t.as_str().as_bytes());
        }
        out.extend_from_slice(b"\",\"ProductArn\":");
        match &self.fixed_arn {
            Some(arn) => out.extend_from_slice(arn.as_bytes()),
            None => escape::json(out, &product_arn(&scan.partition, &scan.region, importer)),
        }
        out.extend_from_slice(rule.generator.as_bytes());
        escape::json(out, importer);
        out.extend_from_slice(rule.middle.as_bytes());
        let message = redactor.message(&view);
        let description = clip(&message, DESCRIPTION_MAX);
        escape::json(out, description.as_deref().unwrap_or(&rule.title));
        let remediation = redactor.remediation(&view);
        if let Some(text) = remediation.as_deref().and_then(recommendation) {
            out.extend_from_slice(b",\"Remediation\":{\"Recommendation\":{\"Text\":");
            escape::json(out, &text);
            out.extend_from_slice(b"}}");
        }
        // The product fields in the order of their keys, as serde writes the BTreeMap.
        out.extend_from_slice(b",\"ProductFields\":{");
        let first = &mut true;
        let field = |out: &mut Vec<u8>, first: &mut bool, key: &'static str, value: &str| {
            if let Some(value) = clip(value, PRODUCT_FIELD_VALUE_MAX) {
                push_entry(out, first, key, &value);
            }
        };
        // Names, ids and the version need no clipping: they are short and never blank.
        if let Some(t) = finding.contact_type {
            push_entry(out, first, "contactscan/ContactType", t.as_str());
        }
        if let Some(evidence) = redactor.evidence(&view) {
            field(out, first, "contactscan/Evidence", &evidence);
        }
        if let Some(rule_id) = &rule.rule_field {
            if !std::mem::take(first) {
                out.push(b',');
            }
            out.extend_from_slice(b"\"contactscan/RuleId\":");
            out.extend_from_slice(rule_id.as_bytes());
        }
        push_entry(out, first, "contactscan/ScannedAccountId", account);
        field(
            out,
            first,
            "contactscan/ScannedAccountName",
            &redactor.name(view.account),
        );
        push_entry(out, first, "contactscan/Status", view.status().as_str());
        push_entry(
            out,
            first,
            "contactscan/ToolVersion",
            env!("CARGO_PKG_VERSION"),
        );
        if let Some(waiver) = view.waiver() {
            field(out, first, "contactscan/WaiverExpires", &waiver.expires);
            field(
                out,
                first,
                "contactscan/WaiverOwner",
                &redactor.text(&waiver.owner),
            );
            field(
                out,
                first,
                "contactscan/WaiverReason",
                &redactor.text(&waiver.reason),
            );
        }
        out.extend_from_slice(
            b"},\"Resources\":[{\"Type\":\"AwsAccount\",\"Id\":\"AWS::::Account:",
        );
        out.extend_from_slice(account.as_bytes());
        out.extend_from_slice(self.resource_end.as_bytes());
        out.extend_from_slice(b",\"Compliance\":{\"Status\":\"");
        out.extend_from_slice(compliance_status(view.status()).as_bytes());
        out.push(b'"');
        out.extend_from_slice(rule.end.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;
    use crate::report::asff::finding;
    use crate::report::Options;
    use crate::scan::scan_with_demo_config;

    /// The demo organization with its waivers, with and without a management account (one
    /// account imports everything, or each its own).
    fn scans() -> Vec<Scan> {
        let text = std::fs::read("fixtures/demo-org.json").unwrap();
        let mut without_org: serde_json::Value = serde_json::from_slice(&text).unwrap();
        without_org.as_object_mut().unwrap().remove("Organization");
        let without_org = serde_json::to_vec(&without_org).unwrap();
        [text, without_org]
            .iter()
            .map(|text| scan_with_demo_config(text, "eu-west-1"))
            .collect()
    }

    #[test]
    fn every_finding_renders_what_serde_renders() {
        for scan in scans() {
            assert!(scan.findings.iter().any(|f| f.status == Status::Waived));
            for redact in [false, true] {
                let options = Options {
                    redact,
                    ..Options::default()
                };
                let redactor = Redactor::for_scan(&scan, &options);
                let facts: Vec<RuleFacts> = scan.rules.iter().map(RuleFacts::of).collect();
                let writer = AsffJson::new(&scan, &facts, &redactor).unwrap();
                for f in &scan.findings {
                    let expected =
                        serde_json::to_string(&finding(&scan.view(f), &facts[f.rule], &redactor))
                            .unwrap();
                    let mut rendered = Vec::new();
                    writer.render(f, &mut rendered);
                    assert_eq!(String::from_utf8(rendered).unwrap(), expected);
                }
            }
        }
    }
}
