//! `scan --securityhub-import`: send the scan's findings to Security Hub and say what happened.

use contactscan::aws::config;
use contactscan::report::Options;
use contactscan::scan::Scan;
use contactscan::securityhub::{self, ImportOptions};

use crate::cli::ScanArgs;
use crate::commands::ui;

/// Imports the findings; returns how many did not reach Security Hub (the exit status is 3 if
/// any).
pub fn run(args: &ScanArgs, scan: &Scan, options: &Options) -> anyhow::Result<usize> {
    let how = ImportOptions {
        role_name: args.live.role_name.clone(),
        only_failed: args.securityhub_only_failed,
        profile: args.live.profile.clone(),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(async {
        let sdk = config::load(args.live.profile.as_deref(), Some(&scan.region)).await;
        securityhub::import_scan(&sdk, scan, options, &how).await
    })?;
    for (account, why, findings) in &report.unreachable {
        ui::warn(&format!(
            "Security Hub of account {account}: {why}; {findings} finding{} not sent",
            if *findings == 1 { "" } else { "s" }
        ));
    }
    for (id, error) in &report.summary.rejected {
        ui::warn(&format!("Security Hub rejected {id}: {error}"));
    }
    ui::note(&report.to_string());
    Ok(report.not_imported())
}
