//! Security Hub import: ASFF findings sent with BatchImportFindings, with their lifecycle.
//!
//! - Pre-flight (`hub.rs`): every hub that will receive findings must be enabled in the region
//!   (DescribeHub), and its credentials must be of the account the findings belong to (the
//!   default product ARN accepts no other); with `--role-name`, each member's hub is reached
//!   through its role. Nothing is sent until every hub has answered.
//! - New and changed verdicts are imported; a finding that passes now is re-imported as
//!   PASSED so Security Hub resolves it; findings of this tool that Security Hub holds ACTIVE
//!   but this run reached no verdict for are re-imported ARCHIVED, only when this run covered
//!   them (`coverage.rs`).
//! - Findings are converted to the SDK's type field by field (`convert.rs`) and sent in batches
//!   of at most 100 findings and 6 MB, paced at 10 requests/s (burst 30); every
//!   `FailedFindings` entry is checked, transient ones retried, the rest reported (`send.rs`).

mod convert;
mod coverage;
mod hub;
mod send;

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_config::SdkConfig;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, RecordState, StringFilter,
    StringFilterComparison,
};
use aws_sdk_securityhub::Client;

pub(crate) use convert::to_sdk;
pub(crate) use coverage::Coverage;

use crate::aws::arn::product_arn;
use crate::aws::error::summarize;
use crate::aws::identity;
use crate::error::{Error, Result};
use crate::finding::Status;
use crate::report::asff::{self, ID_PREFIX};
use crate::report::Options;
use crate::scan::Scan;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `--role-name`: reach each member's hub through this role.
    pub role_name: Option<String>,
    /// `--securityhub-only-failed`: PASS findings Security Hub does not hold yet are not sent.
    pub only_failed: bool,
    /// `--profile`, to name it when its credentials cannot be found.
    pub profile: Option<String>,
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

impl ImportSummary {
    /// Adds another hub's counts.
    fn add(&mut self, other: ImportSummary) {
        self.imported += other.imported;
        self.updated += other.updated;
        self.resolved += other.resolved;
        self.archived += other.archived;
        self.rejected.extend(other.rejected);
    }
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

/// What an import did: its counts, and the member hubs that could not take findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub summary: ImportSummary,
    /// With `--role-name`: members whose hub could not be reached or is not enabled, each with
    /// why, and the number of findings not sent to it.
    pub unreachable: Vec<(String, String, usize)>,
}

impl std::fmt::Display for ImportReport {
    /// The summary, with the findings not sent to unreachable hubs when there were any.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.summary)?;
        let not_sent: usize = self.unreachable.iter().map(|(_, _, n)| n).sum();
        if not_sent > 0 {
            write!(
                f,
                ", {not_sent} not sent ({} hub{} unreachable)",
                self.unreachable.len(),
                if self.unreachable.len() == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

impl ImportReport {
    /// Findings that did not reach Security Hub: refused, or for a hub that was unreachable.
    pub fn not_imported(&self) -> usize {
        self.summary.rejected.len() + self.unreachable.iter().map(|(_, _, n)| n).sum::<usize>()
    }
}

/// One finding of this run, converted, with what the lifecycle needs to know of it.
struct Candidate {
    finding: AwsSecurityFinding,
    /// The verdict was PASS (Compliance PASSED).
    passed: bool,
}

/// A finding Security Hub holds: its compliance status and the rule and account it is about.
#[derive(Debug, Clone)]
struct Held {
    compliance: Option<String>,
    created_at: Option<String>,
    finding: AwsSecurityFinding,
}

/// Imports every finding of `scan` into the hub of the account it belongs to (see the module
/// documentation). `options` are the report options (the import sends findings unredacted:
/// Security Hub is not a public place).
pub async fn import_scan(
    config: &SdkConfig,
    scan: &Scan,
    options: &Options,
    how: &ImportOptions,
) -> Result<ImportReport> {
    let unredacted = Options {
        redact: false,
        ..options.clone()
    };
    let mut by_importer: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    let mut converted = Ok(());
    asff::visit(scan, &unredacted, true, |status, finding| {
        if converted.is_err() {
            return;
        }
        match to_sdk(finding) {
            Ok(sdk) => by_importer
                .entry(finding.aws_account_id.to_string())
                .or_default()
                .push(Candidate {
                    finding: sdk,
                    passed: status == Status::Pass,
                }),
            Err(e) => converted = Err(e),
        }
    });
    converted?;
    let caller = identity::caller(&aws_sdk_sts::Client::new(config), how.profile.as_deref())
        .await?
        .account_id;
    // Every hub is checked before anything is sent: a pre-flight failure (exit status 2)
    // leaves Security Hub untouched.
    let mut report = ImportReport::default();
    let mut ready = Vec::new();
    for (account, candidates) in by_importer {
        // With --role-name, each member's hub is its own: one that cannot take findings is
        // reported and makes the run incomplete. Any other failure is a pre-flight error.
        let member = account != caller && how.role_name.is_some();
        let client = async {
            let hub_config = hub::config_for(
                config,
                &account,
                &caller,
                how.role_name.as_deref(),
                &scan.partition,
            )
            .await?;
            hub::preflight(&hub_config, &scan.region, &account).await
        }
        .await;
        match client {
            Ok(client) => ready.push((account, client, candidates)),
            Err(e) if member => report
                .unreachable
                .push((account, e.to_string(), candidates.len())),
            Err(e) => return Err(e),
        }
    }
    let coverage = Coverage::of(scan);
    for (account, client, candidates) in ready {
        let product_arn = product_arn(&scan.partition, &scan.region, &account);
        let summary = import(
            &client,
            &product_arn,
            &scan.scanned_at,
            candidates,
            &coverage,
            how.only_failed,
        )
        .await?;
        report.summary.add(summary);
    }
    Ok(report)
}

/// Imports one hub's findings and applies the lifecycle.
async fn import(
    client: &Client,
    product_arn: &str,
    updated_at: &str,
    candidates: Vec<Candidate>,
    coverage: &Coverage,
    only_failed: bool,
) -> Result<ImportSummary> {
    let held = held_findings(client, product_arn).await?;
    let mut summary = ImportSummary::default();
    let mut batch: Vec<AwsSecurityFinding> = Vec::new();
    let mut seen = HashSet::new();
    for Candidate {
        mut finding,
        passed,
    } in candidates
    {
        let id = finding.id().unwrap_or_default().to_string();
        let previous = held.get(&id);
        seen.insert(id);
        if passed && previous.is_none() && only_failed {
            continue;
        }
        match previous {
            None => summary.imported += 1,
            Some(held) => {
                if let Some(created_at) = &held.created_at {
                    finding.created_at = Some(created_at.clone());
                }
                if passed && held.compliance.as_deref() != Some("PASSED") {
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
            .and_then(|g| g.strip_prefix(ID_PREFIX))
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
    summary.rejected = send::send(client, batch).await;
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
async fn held_findings(client: &Client, product_arn: &str) -> Result<HashMap<String, Held>> {
    let filter = |value: &str, comparison: StringFilterComparison| {
        StringFilter::builder()
            .value(value)
            .comparison(comparison)
            .build()
    };
    let filters = AwsSecurityFindingFilters::builder()
        .generator_id(filter(ID_PREFIX, StringFilterComparison::Prefix))
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
            Error::aws(format!(
                "cannot read the findings Security Hub holds: {}",
                summarize(&e, "securityhub:GetFindings", None)
            ))
        })?;
        for finding in page.findings() {
            let ours = finding
                .generator_id()
                .is_some_and(|g| g.starts_with(ID_PREFIX))
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
