//! Security Hub import: ASFF findings sent with BatchImportFindings, with their lifecycle.
//!
//! - Pre-flight: Security Hub must be enabled in the region (DescribeHub), and the findings'
//!   `AwsAccountId` must be the caller (the default product ARN accepts no other account).
//! - New and changed verdicts are imported; a finding that passes now is re-imported as
//!   PASSED so Security Hub resolves it; findings of this tool that Security Hub holds ACTIVE
//!   but this run reached no verdict for are re-imported ARCHIVED, only when this run covered
//!   them (their rule was evaluated, their account was in scope).
//! - Batches of at most 100 findings and 6 MB, paced at 10 requests/s (burst 30); every
//!   `FailedFindings` entry is checked, transient ones retried, the rest reported.

use std::collections::{HashMap, HashSet};

use anyhow::{anyhow, bail, Context};
use aws_config::SdkConfig;
use aws_sdk_securityhub::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, Compliance, ComplianceStatus,
    FindingProviderFields, FindingProviderSeverity, Recommendation, RecordState, Remediation,
    Resource, Severity, SeverityLabel, StringFilter, StringFilterComparison,
};
use aws_sdk_securityhub::Client;
use serde_json::Value;

use crate::source::aws::bucket::TokenBucket;

/// Findings per BatchImportFindings request (the API's limit).
const BATCH_FINDINGS: usize = 100;
/// Bytes per request (the API's limit is 6 MB; keep a margin for the envelope).
const BATCH_BYTES: usize = 6 * 1000 * 1000 - 64 * 1024;
/// BatchImportFindings quota: 10 requests/s, burst 30.
const IMPORT_RATE: f64 = 10.0;
const IMPORT_BURST: f64 = 30.0;
/// Attempts for findings Security Hub refused with a transient error code.
const TRANSIENT_ATTEMPTS: usize = 4;
/// The GeneratorId prefix of every finding this tool writes.
pub const GENERATOR_PREFIX: &str = "contactscan/";

/// What the run covered, to decide which held findings it may archive.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Rule ids evaluated in this run.
    pub evaluated_rules: HashSet<String>,
    /// Every rule id that exists (built-in and `--rules`), selected or not.
    pub known_rules: HashSet<String>,
    /// `--select`/`--ignore` narrowed the rules: rules that no longer exist are not archived.
    pub rules_narrowed: bool,
    /// `--accounts`: only these accounts' findings may be archived.
    pub named_accounts: Option<HashSet<String>>,
    /// `--exclude-accounts`: the run did not sweep everything, so nothing is archived by account.
    pub accounts_excluded: bool,
}

impl Coverage {
    fn covers(&self, rule_id: &str, account_id: &str) -> bool {
        let rule_covered = self.evaluated_rules.contains(rule_id)
            || (!self.known_rules.contains(rule_id) && !self.rules_narrowed);
        let account_covered = match &self.named_accounts {
            Some(named) => named.contains(account_id),
            None => !self.accounts_excluded,
        };
        rule_covered && account_covered
    }
}

/// One finding of this run, as ASFF JSON, with what the lifecycle needs to know of it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub asff: Value,
    /// The verdict was PASS (Compliance PASSED).
    pub passed: bool,
}

/// The counts the summary line prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Findings Security Hub did not hold before.
    pub imported: usize,
    /// Findings it held, sent again with this run's verdict.
    pub updated: usize,
    /// Held as FAILED (or otherwise not PASSED), PASSED now.
    pub resolved: usize,
    /// Held ACTIVE, no verdict in this run, re-imported ARCHIVED.
    pub archived: usize,
    /// Findings Security Hub refused: (Id, error).
    pub rejected: Vec<(String, String)>,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Security Hub: {} imported, {} updated, {} resolved, {} archived, {} rejected",
            self.imported,
            self.updated,
            self.resolved,
            self.archived,
            self.rejected.len()
        )
    }
}

/// A finding Security Hub holds: its compliance status and the rule and account it is about.
#[derive(Debug, Clone)]
struct Held {
    compliance: Option<String>,
    created_at: Option<String>,
    finding: AwsSecurityFinding,
}

/// Checks that Security Hub is enabled for the caller in the region, and that the caller is
/// the account the findings belong to. A failure is a pre-flight error (exit status 2).
pub async fn preflight(
    config: &SdkConfig,
    region: &str,
    importer_account_id: &str,
) -> anyhow::Result<Client> {
    let client = Client::new(config);
    let caller = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot identify the caller for the Security Hub import: {}",
                DisplayErrorContext(&e)
            )
        })?;
    let caller = caller.account().unwrap_or_default().to_string();
    if caller != importer_account_id {
        bail!(
            "the findings belong to account {importer_account_id}'s Security Hub, but the credentials are of account {caller}: \
             import with credentials of {importer_account_id} (for snapshot scans, the organization's management account)"
        );
    }
    if let Err(e) = client.describe_hub().send().await {
        let code = e.code().unwrap_or("");
        if matches!(code, "InvalidAccessException" | "ResourceNotFoundException") {
            bail!(
                "Security Hub is not enabled in {region} for account {caller}: run `aws securityhub enable-security-hub --region {region}` (or enable it from the organization's Security Hub administrator), then import again"
            );
        }
        bail!(
            "cannot check Security Hub in {region}: {}",
            DisplayErrorContext(&e)
        );
    }
    Ok(client)
}

/// Imports this run's findings and applies the lifecycle; see the module documentation.
/// `only_failed`: PASS findings Security Hub does not hold yet are not sent.
pub async fn import(
    client: &Client,
    product_arn: &str,
    updated_at: &str,
    candidates: Vec<Candidate>,
    coverage: &Coverage,
    only_failed: bool,
) -> anyhow::Result<ImportSummary> {
    let held = held_findings(client, product_arn).await?;
    let mut summary = ImportSummary::default();
    let mut batch: Vec<AwsSecurityFinding> = Vec::new();
    let mut seen = HashSet::new();
    for candidate in candidates {
        let id = candidate.asff["Id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        seen.insert(id.clone());
        let previous = held.get(&id);
        if candidate.passed && previous.is_none() && only_failed {
            continue;
        }
        let mut finding = to_sdk(&candidate.asff).with_context(|| format!("finding {id}"))?;
        match previous {
            None => summary.imported += 1,
            Some(held) => {
                if let Some(created_at) = &held.created_at {
                    finding.created_at = Some(created_at.clone());
                }
                if candidate.passed && held.compliance.as_deref() != Some("PASSED") {
                    summary.resolved += 1;
                } else {
                    summary.updated += 1;
                }
            }
        }
        batch.push(finding);
    }
    for (id, held) in &held {
        if seen.contains(id) || held.finding.record_state() == Some(&RecordState::Archived) {
            continue;
        }
        let rule_id = held
            .finding
            .generator_id()
            .and_then(|g| g.strip_prefix(GENERATOR_PREFIX))
            .unwrap_or_default();
        let account_id = scanned_account(&held.finding);
        if coverage.covers(rule_id, &account_id) {
            let mut archived = held.finding.clone();
            archived.record_state = Some(RecordState::Archived);
            archived.updated_at = Some(updated_at.to_string());
            batch.push(archived);
            summary.archived += 1;
        }
    }
    summary.rejected = send(client, batch).await;
    Ok(summary)
}

/// The scanned account of a held finding: its AwsAccount resource, else its AwsAccountId.
fn scanned_account(finding: &AwsSecurityFinding) -> String {
    finding
        .resources()
        .iter()
        .find_map(|r| r.id().and_then(|id| id.strip_prefix("AWS::::Account:")))
        .or(finding.aws_account_id())
        .unwrap_or_default()
        .to_string()
}

/// The ACTIVE findings of this tool that Security Hub holds, by Id. moto ignores GetFindings
/// filters, so they are applied here too.
async fn held_findings(
    client: &Client,
    product_arn: &str,
) -> anyhow::Result<HashMap<String, Held>> {
    let filter = |value: &str, comparison: StringFilterComparison| {
        StringFilter::builder()
            .value(value)
            .comparison(comparison)
            .build()
    };
    let filters = AwsSecurityFindingFilters::builder()
        .generator_id(filter(GENERATOR_PREFIX, StringFilterComparison::Prefix))
        .product_arn(filter(product_arn, StringFilterComparison::Equals))
        .record_state(filter("ACTIVE", StringFilterComparison::Equals))
        .build();
    let mut pages = client
        .get_findings()
        .filters(filters)
        .max_results(100)
        .into_paginator()
        .send();
    let mut held = HashMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            anyhow!(
                "cannot read the findings Security Hub holds: {}",
                DisplayErrorContext(&e)
            )
        })?;
        for finding in page.findings() {
            let ours = finding
                .generator_id()
                .is_some_and(|g| g.starts_with(GENERATOR_PREFIX))
                && finding.product_arn() == Some(product_arn)
                && finding.record_state() != Some(&RecordState::Archived);
            if let (true, Some(id)) = (ours, finding.id()) {
                held.insert(
                    id.to_string(),
                    Held {
                        compliance: finding
                            .compliance()
                            .and_then(|c| c.status())
                            .map(|s| s.as_str().to_string()),
                        created_at: finding.created_at().map(str::to_string),
                        finding: finding.clone(),
                    },
                );
            }
        }
    }
    Ok(held)
}

/// Sends `findings` in batches within the API's limits and quota; returns what was refused.
async fn send(client: &Client, findings: Vec<AwsSecurityFinding>) -> Vec<(String, String)> {
    let bucket = TokenBucket::new(IMPORT_RATE, IMPORT_BURST);
    let mut pending: Vec<AwsSecurityFinding> = findings;
    let mut rejected = Vec::new();
    for attempt in 1..=TRANSIENT_ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        let mut retry = Vec::new();
        for batch in batches(std::mem::take(&mut pending)) {
            bucket.acquire().await;
            let by_id: HashMap<String, AwsSecurityFinding> = batch
                .iter()
                .map(|f| (f.id().unwrap_or_default().to_string(), f.clone()))
                .collect();
            // A request that fails after the SDK's retries rejects its whole batch: the run is
            // incomplete (exit status 3), and the other batches still go.
            let output = match client
                .batch_import_findings()
                .set_findings(Some(batch))
                .send()
                .await
            {
                Ok(output) => output,
                Err(e) => {
                    let why = format!("BatchImportFindings failed: {}", DisplayErrorContext(&e));
                    rejected.extend(by_id.into_keys().map(|id| (id, why.clone())));
                    continue;
                }
            };
            for failed in output.failed_findings() {
                let id = failed.id().unwrap_or_default().to_string();
                let code = failed.error_code().unwrap_or_default();
                let message = failed.error_message().unwrap_or_default();
                match by_id.get(&id) {
                    Some(finding) if is_transient(code) && attempt < TRANSIENT_ATTEMPTS => {
                        retry.push(finding.clone())
                    }
                    _ => rejected.push((id, format!("{code}: {message}"))),
                }
            }
        }
        pending = retry;
    }
    rejected
}

fn is_transient(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException"
            | "TooManyRequestsException"
            | "InternalException"
            | "InternalError"
            | "ServiceUnavailable"
    ) || code.contains("Throttl")
}

/// Splits findings into requests of at most 100 findings and about 6 MB.
fn batches(findings: Vec<AwsSecurityFinding>) -> Vec<Vec<AwsSecurityFinding>> {
    let mut out: Vec<Vec<AwsSecurityFinding>> = Vec::new();
    let mut bytes = 0;
    for finding in findings {
        let size = approximate_size(&finding);
        let full = out
            .last()
            .is_none_or(|b| b.len() >= BATCH_FINDINGS || bytes + size > BATCH_BYTES);
        if full {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(batch) = out.last_mut() {
            batch.push(finding);
        }
    }
    out
}

/// An upper estimate of a finding's JSON size, from its text fields.
fn approximate_size(finding: &AwsSecurityFinding) -> usize {
    let texts = [
        finding.id(),
        finding.product_arn(),
        finding.generator_id(),
        finding.title(),
        finding.description(),
        finding
            .remediation()
            .and_then(|r| r.recommendation())
            .and_then(|r| r.text()),
    ];
    let product_fields: usize = finding
        .product_fields()
        .map(|m| m.iter().map(|(k, v)| k.len() + v.len() + 8).sum())
        .unwrap_or(0);
    let types: usize = finding.types().iter().map(|t| t.len() * 2 + 8).sum();
    1024 + product_fields + types + texts.iter().flatten().map(|t| t.len() * 2).sum::<usize>()
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn texts(value: &Value, key: &str) -> Option<Vec<String>> {
    value.get(key).and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    })
}

/// Converts one ASFF finding (as the `asff` report writes it) to the SDK's type.
pub fn to_sdk(asff: &Value) -> anyhow::Result<AwsSecurityFinding> {
    let label = |v: &Value| v.get("Severity").and_then(|s| text(s, "Label"));
    let severity = label(asff).ok_or_else(|| anyhow!("no Severity.Label"))?;
    let resources = asff
        .get("Resources")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|r| {
                    Resource::builder()
                        .set_type(text(r, "Type"))
                        .set_id(text(r, "Id"))
                        .set_partition(text(r, "Partition").map(|p| p.as_str().into()))
                        .set_region(text(r, "Region"))
                        .build()
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let compliance = asff.get("Compliance").map(|c| {
        Compliance::builder()
            .set_status(text(c, "Status").map(|s| ComplianceStatus::from(s.as_str())))
            .set_related_requirements(texts(c, "RelatedRequirements"))
            .build()
    });
    let remediation = asff
        .get("Remediation")
        .and_then(|r| r.get("Recommendation"))
        .map(|r| {
            Remediation::builder()
                .recommendation(Recommendation::builder().set_text(text(r, "Text")).build())
                .build()
        });
    let product_fields: Option<HashMap<String, String>> = asff
        .get("ProductFields")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        });
    let provider = FindingProviderFields::builder()
        .severity(
            FindingProviderSeverity::builder()
                .label(SeverityLabel::from(severity.as_str()))
                .build(),
        )
        .set_types(texts(asff, "Types"))
        .build();
    Ok(AwsSecurityFinding::builder()
        .set_schema_version(text(asff, "SchemaVersion"))
        .set_id(text(asff, "Id"))
        .set_product_arn(text(asff, "ProductArn"))
        .set_generator_id(text(asff, "GeneratorId"))
        .set_aws_account_id(text(asff, "AwsAccountId"))
        .set_types(texts(asff, "Types"))
        .set_created_at(text(asff, "CreatedAt"))
        .set_updated_at(text(asff, "UpdatedAt"))
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(severity.as_str()))
                .build(),
        )
        .set_title(text(asff, "Title"))
        .set_description(text(asff, "Description"))
        .set_remediation(remediation)
        .set_product_fields(product_fields)
        .set_resources(Some(resources))
        .set_compliance(compliance)
        .finding_provider_fields(provider)
        .set_record_state(text(asff, "RecordState").map(|s| RecordState::from(s.as_str())))
        .build())
}

/// A Security Hub client for `account`: the caller's own, or, when `account` is another
/// account and a role name is given, through that role in it.
pub async fn client_config(
    config: &SdkConfig,
    account: &str,
    caller: &str,
    role_name: Option<&str>,
    partition: &str,
) -> anyhow::Result<SdkConfig> {
    if account == caller {
        return Ok(config.clone());
    }
    let Some(role) = role_name else {
        bail!("findings of account {account} cannot be imported with the credentials of {caller}");
    };
    let provider = aws_config::sts::AssumeRoleProvider::builder(format!(
        "arn:{partition}:iam::{account}:role/{role}"
    ))
    .session_name("contactscan-securityhub")
    .configure(config)
    .build()
    .await;
    Ok(config
        .to_builder()
        .credentials_provider(aws_sdk_securityhub::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build())
}
