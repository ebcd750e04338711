//! Sending findings: BatchImportFindings in batches within the API's limits and quota, with
//! transient refusals retried.

use std::collections::HashMap;

use aws_sdk_securityhub::types::AwsSecurityFinding;
use aws_sdk_securityhub::Client;

use crate::aws::bucket::TokenBucket;
use crate::aws::error::summarize;

/// Findings per BatchImportFindings request (the API's limit).
const BATCH_FINDINGS: usize = 100;
/// Bytes per request (the API's limit is 6 MB; keep a margin for the envelope).
const BATCH_BYTES: usize = 6 * 1000 * 1000 - 64 * 1024;
/// BatchImportFindings quota: 10 requests/s, burst 30.
const IMPORT_RATE: f64 = 10.0;
const IMPORT_BURST: f64 = 30.0;
/// Attempts for findings Security Hub refused with a transient error code.
const TRANSIENT_ATTEMPTS: usize = 4;

/// Sends `findings` in batches within the API's limits and quota; returns what was refused.
pub(crate) async fn send(
    client: &Client,
    findings: Vec<AwsSecurityFinding>,
) -> Vec<(String, String)> {
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
                    let why = summarize(&e, "securityhub:BatchImportFindings", None);
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
