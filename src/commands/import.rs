//! `scan --securityhub-import`: send the scan's findings to Security Hub, one hub per account
//! that imports them, and report what happened.

use std::collections::{BTreeMap, HashSet};

use contactscan::finding::Status;
use contactscan::report::{asff, Options};
use contactscan::scan::Scan;
use contactscan::securityhub::{self, Candidate, Coverage, ImportSummary};
use contactscan::source::aws::config;

use crate::cli::ScanArgs;

/// Imports the findings; returns how many were not accepted (the exit status is 3 if any).
pub fn run(
    args: &ScanArgs,
    scan: &Scan,
    options: &Options,
    known_rules: HashSet<String>,
) -> anyhow::Result<usize> {
    let coverage = Coverage {
        evaluated_rules: scan.rules.iter().map(|r| r.id.clone()).collect(),
        known_rules,
        rules_narrowed: !args.select.is_empty() || !args.ignore.is_empty(),
        // A snapshot or a single-account scan covers the accounts it holds; an --org sweep
        // covers the organization unless --accounts names a part of it.
        named_accounts: if args.input.is_some() || !args.live.org {
            Some(
                scan.inventory
                    .accounts
                    .iter()
                    .map(|a| a.id.clone())
                    .collect(),
            )
        } else if !args.live.accounts.is_empty() {
            Some(args.live.accounts.iter().cloned().collect())
        } else {
            None
        },
        accounts_excluded: !args.live.exclude_accounts.is_empty(),
    };
    let mut by_importer: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    for (status, value) in asff::import_candidates(scan, options) {
        let importer = value["AwsAccountId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        by_importer.entry(importer).or_default().push(Candidate {
            asff: value,
            passed: status == Status::Pass,
        });
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let sdk = config::load(args.live.profile.as_deref(), Some(&scan.region)).await;
        let caller = aws_sdk_sts::Client::new(&sdk)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "no AWS credentials for the Security Hub import: {}",
                    aws_sdk_sts::error::DisplayErrorContext(&e)
                )
            })?
            .account()
            .unwrap_or_default()
            .to_string();
        // Every hub is checked before anything is sent: a pre-flight failure (exit status 2)
        // leaves Security Hub untouched.
        let mut ready = Vec::new();
        let mut unreachable = 0;
        for (account, candidates) in by_importer {
            // With --role-name, each member's hub is its own: one that cannot take findings is
            // reported and makes the run incomplete. Any other failure is a pre-flight error.
            let member = account != caller && args.live.role_name.is_some();
            let client = async {
                let hub_config = securityhub::client_config(
                    &sdk,
                    &account,
                    &caller,
                    args.live.role_name.as_deref(),
                    &scan.partition,
                )
                .await?;
                securityhub::preflight(&hub_config, &scan.region, &account).await
            }
            .await;
            match client {
                Ok(client) => ready.push((account, client, candidates)),
                Err(e) if member => {
                    eprintln!("contactscan: Security Hub of account {account}: {e:#}");
                    unreachable += 1;
                }
                Err(e) => return Err(e),
            }
        }
        let mut total = ImportSummary::default();
        for (account, client, candidates) in ready {
            let product_arn = format!(
                "arn:{}:securityhub:{}:{account}:product/{account}/default",
                scan.partition, scan.region
            );
            let summary = securityhub::import(
                &client,
                &product_arn,
                &scan.scanned_at,
                candidates,
                &coverage,
                args.securityhub_only_failed,
            )
            .await?;
            total.imported += summary.imported;
            total.updated += summary.updated;
            total.resolved += summary.resolved;
            total.archived += summary.archived;
            total.rejected.extend(summary.rejected);
        }
        for (id, error) in &total.rejected {
            eprintln!("contactscan: Security Hub rejected {id}: {error}");
        }
        eprintln!("contactscan: {total}");
        Ok(total.rejected.len() + unreachable)
    })
}
