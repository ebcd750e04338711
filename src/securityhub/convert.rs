//! ASFF findings, as the `asff` report builds them, converted field by field to the SDK's
//! `AwsSecurityFinding`: no JSON in between, so a renamed field fails to compile instead of
//! silently emptying.

use std::collections::HashMap;

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance, ComplianceStatus, FindingProviderFields,
    FindingProviderSeverity, Partition, Recommendation, RecordState, Remediation, Resource,
    Severity, SeverityLabel,
};

use crate::error::{Error, Result};
use crate::report::asff::AsffFinding;

/// Converts one finding; a value the SDK does not know (a severity label, a compliance status,
/// a partition, a record state) is an error naming the finding, never a dropped or empty field.
pub fn to_sdk(asff: &AsffFinding<'_>) -> Result<AwsSecurityFinding> {
    let refuse = |what: &str, value: &str| {
        Error::aws(format!(
            "finding {}: {what} {value:?} is not one Security Hub knows",
            asff.id
        ))
    };
    let known = |values: &[&str], what: &str, value: &str| {
        if values.contains(&value) {
            Ok(())
        } else {
            Err(refuse(what, value))
        }
    };
    known(
        SeverityLabel::values(),
        "severity label",
        asff.severity.label,
    )?;
    known(
        ComplianceStatus::values(),
        "compliance status",
        asff.compliance.status,
    )?;
    known(RecordState::values(), "record state", asff.record_state)?;
    let label = SeverityLabel::from(asff.severity.label);
    let resources = asff
        .resources
        .iter()
        .map(|r| {
            known(Partition::values(), "partition", r.partition)?;
            Ok(Resource::builder()
                .r#type(r.kind)
                .id(&r.id)
                .partition(Partition::from(r.partition))
                .region(r.region)
                .build())
        })
        .collect::<Result<Vec<_>>>()?;
    let product_fields: HashMap<String, String> = asff
        .product_fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let remediation = asff.remediation.as_ref().map(|r| {
        Remediation::builder()
            .recommendation(
                Recommendation::builder()
                    .text(&r.recommendation.text)
                    .build(),
            )
            .build()
    });
    Ok(AwsSecurityFinding::builder()
        .schema_version(asff.schema_version)
        .id(&asff.id)
        .product_arn(&asff.product_arn)
        .generator_id(&asff.generator_id)
        .aws_account_id(asff.aws_account_id)
        .set_types(Some(asff.types.to_vec()))
        .created_at(asff.created_at)
        .updated_at(asff.updated_at)
        .severity(Severity::builder().label(label.clone()).build())
        .title(&asff.title)
        .description(&asff.description)
        .set_remediation(remediation)
        .set_product_fields(Some(product_fields))
        .set_resources(Some(resources))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(asff.compliance.status))
                .set_related_requirements(
                    (!asff.compliance.related_requirements.is_empty())
                        .then(|| asff.compliance.related_requirements.to_vec()),
                )
                .build(),
        )
        .finding_provider_fields(
            FindingProviderFields::builder()
                .severity(FindingProviderSeverity::builder().label(label).build())
                .set_types(Some(asff.finding_provider_fields.types.to_vec()))
                .build(),
        )
        .record_state(RecordState::from(asff.record_state))
        .build())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::asff::{
        self, AsffFinding, Compliance as AsffCompliance, FindingProviderFields as AsffProvider,
        Resource as AsffResource, Severity as AsffSeverity,
    };

    fn finding<'a>(types: &'a [String], partition: &'a str) -> AsffFinding<'a> {
        AsffFinding {
            schema_version: "2018-10-08",
            id: format!("{}rule/111111111111/SECURITY", asff::ID_PREFIX),
            product_arn: "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"
                .to_string(),
            generator_id: format!("{}rule", asff::ID_PREFIX),
            aws_account_id: "111111111111",
            types,
            created_at: "2026-11-23T12:00:00Z",
            updated_at: "2026-11-23T12:00:00Z",
            severity: AsffSeverity { label: "MEDIUM" },
            title: "Title".to_string(),
            description: "Description".to_string(),
            remediation: None,
            product_fields: BTreeMap::from([("contactscan/RuleId", "rule".to_string())]),
            resources: [AsffResource {
                kind: "AwsAccount",
                id: "AWS::::Account:111111111111".to_string(),
                partition,
                region: "us-east-1",
            }],
            compliance: AsffCompliance {
                status: "FAILED",
                related_requirements: &[],
            },
            finding_provider_fields: AsffProvider {
                severity: AsffSeverity { label: "MEDIUM" },
                types,
            },
            record_state: "ACTIVE",
        }
    }

    #[test]
    fn every_field_arrives_typed() {
        let types = vec!["Software and Configuration Checks".to_string()];
        let sdk = to_sdk(&finding(&types, "aws-us-gov")).unwrap();
        assert_eq!(sdk.id(), Some("contactscan/rule/111111111111/SECURITY"));
        assert_eq!(sdk.aws_account_id(), Some("111111111111"));
        assert_eq!(sdk.types(), types.as_slice());
        assert_eq!(
            sdk.severity().and_then(|s| s.label()),
            Some(&SeverityLabel::Medium)
        );
        assert_eq!(
            sdk.compliance().and_then(|c| c.status()),
            Some(&ComplianceStatus::Failed)
        );
        assert!(sdk.compliance().unwrap().related_requirements().is_empty());
        assert_eq!(sdk.resources()[0].partition(), Some(&Partition::AwsUsGov));
        assert_eq!(
            sdk.product_fields().unwrap()["contactscan/RuleId"],
            "rule".to_string()
        );
        assert_eq!(sdk.record_state(), Some(&RecordState::Active));
    }

    #[test]
    fn a_value_security_hub_does_not_know_is_an_error_naming_the_finding() {
        let error = to_sdk(&finding(&[], "aws-moon")).unwrap_err().to_string();
        assert!(
            error.contains("contactscan/rule/111111111111/SECURITY") && error.contains("aws-moon"),
            "{error}"
        );
    }
}
