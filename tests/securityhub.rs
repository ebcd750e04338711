//! The Security Hub import against moto's server: pre-flight, first import, resolution of fixed
//! findings, archiving of out-of-scope ones, narrow runs, rejected findings.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_securityhub::types::{AwsSecurityFinding, RecordState};
use support::aws::{build_org, Aws, Contact, MANAGEMENT};
use support::moto::Moto;
use support::proxy::{Faults, Proxy};
use support::runtime;
use tempfile::TempDir;

const EPOCH: &str = "1795000000";

struct Run {
    code: i32,
    stderr: String,
}

/// Runs contactscan against `endpoint` with moto's credentials, nothing from the machine.
fn contactscan(endpoint: &str, dir: &Path, args: &[&str]) -> Run {
    contactscan_at(endpoint, dir, args, EPOCH)
}

fn hub(aws: &Aws) -> aws_sdk_securityhub::Client {
    aws_sdk_securityhub::Client::new(&aws.config)
}

fn enable_security_hub(aws: &Aws) {
    runtime()
        .block_on(hub(aws).enable_security_hub().send())
        .expect("EnableSecurityHub");
}

/// The findings of this tool Security Hub holds, by Id (moto ignores filters: filter here).
fn held(aws: &Aws) -> BTreeMap<String, AwsSecurityFinding> {
    let client = hub(aws);
    runtime().block_on(async {
        let mut pages = client
            .get_findings()
            .max_results(100)
            .into_paginator()
            .send();
        let mut held = BTreeMap::new();
        while let Some(page) = pages.next().await {
            for finding in page.expect("GetFindings").findings() {
                if finding
                    .generator_id()
                    .is_some_and(|g| g.starts_with("contactscan/"))
                {
                    held.insert(finding.id().unwrap().to_string(), finding.clone());
                }
            }
        }
        held
    })
}

fn compliance(finding: &AwsSecurityFinding) -> &str {
    finding
        .compliance()
        .and_then(|c| c.status())
        .map_or("", |s| s.as_str())
}

fn active(finding: &AwsSecurityFinding) -> bool {
    finding.record_state() != Some(&RecordState::Archived)
}

fn registered_id(account: &str) -> String {
    format!("contactscan/security-contact-registered/{account}/SECURITY")
}

#[test]
fn import_resolves_fixed_findings_and_archives_out_of_scope_ones() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let org = build_org(&aws, 6, 0, true);
    enable_security_hub(&aws);
    let dir = TempDir::new().unwrap();
    let sweep = ["scan", "--org", "--securityhub-import", "--format", "json"];

    let first = contactscan(&moto.url, dir.path(), &sweep);
    assert!([0, 1, 3].contains(&first.code), "{}", first.stderr);
    assert!(first.stderr.contains("Security Hub:"), "{}", first.stderr);
    let after_first = held(&aws);
    assert!(!after_first.is_empty());
    for finding in after_first.values() {
        assert_eq!(finding.aws_account_id(), Some(MANAGEMENT));
        assert!(active(finding));
    }
    // A member without a SECURITY contact fails Account.1.
    let missing: Vec<&String> = org
        .members
        .iter()
        .filter(|m| compliance(&after_first[&registered_id(m)]) == "FAILED")
        .collect();
    assert!(
        !missing.is_empty(),
        "the fixture has a member without a SECURITY contact"
    );
    let fixed = missing[0].clone();

    // Fix the contact: the same Id comes back PASSED, with a newer UpdatedAt, CreatedAt kept.
    aws.put_contact(Some(&fixed), &Contact::good("SECURITY"));
    let dir_later = TempDir::new().unwrap();
    let rerun = {
        let mut args = sweep.to_vec();
        args.push("--allow-incomplete");
        contactscan_at(&moto.url, dir_later.path(), &args, "1795003600")
    };
    assert!([0, 1].contains(&rerun.code), "{}", rerun.stderr);
    assert!(rerun.stderr.contains("resolved"), "{}", rerun.stderr);
    let after_fix = held(&aws);
    let resolved = &after_fix[&registered_id(&fixed)];
    assert_eq!(compliance(resolved), "PASSED");
    assert_eq!(
        resolved.created_at(),
        after_first[&registered_id(&fixed)].created_at()
    );
    assert!(resolved.updated_at() > after_first[&registered_id(&fixed)].updated_at());

    // Close a member: it is skipped, so its findings are archived by a full sweep.
    let dropped = org.members.last().unwrap().clone();
    aws.close_account(&dropped);
    let third = contactscan_at(&moto.url, dir_later.path(), &sweep, "1795007200");
    assert!([0, 1, 3].contains(&third.code), "{}", third.stderr);
    let after_drop = held(&aws);
    let of_dropped: Vec<&AwsSecurityFinding> = after_drop
        .iter()
        .filter(|(id, _)| id.contains(&format!("/{dropped}")))
        .map(|(_, f)| f)
        .collect();
    assert!(!of_dropped.is_empty());
    assert!(
        of_dropped.iter().all(|f| !active(f)),
        "findings of a closed account stay ACTIVE"
    );
    assert!(
        third
            .stderr
            .contains(&format!("{} archived", of_dropped.len())),
        "{}",
        third.stderr
    );
    // Others stay ACTIVE.
    assert!(active(&after_drop[&registered_id(&fixed)]));
}

/// The same, with "now" at `epoch` (re-runs need a later time).
fn contactscan_at(endpoint: &str, dir: &Path, args: &[&str], epoch: &str) -> Run {
    let output = support::contactscan_command(
        Path::new(env!("CARGO_BIN_EXE_contactscan")),
        endpoint,
        dir,
        epoch,
    )
    .args(args)
    .output()
    .expect("run contactscan");
    Run {
        code: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn a_narrow_run_never_archives_what_a_broad_run_found() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let org = build_org(&aws, 3, 0, true);
    enable_security_hub(&aws);
    let dir = TempDir::new().unwrap();
    let full = contactscan(
        &moto.url,
        dir.path(),
        &["scan", "--org", "--securityhub-import"],
    );
    assert!([0, 1, 3].contains(&full.code), "{}", full.stderr);
    let dropped = org.members[0].clone();
    aws.close_account(&dropped);
    let narrow = contactscan_at(
        &moto.url,
        dir.path(),
        &[
            "scan",
            "--org",
            "--securityhub-import",
            "--select",
            "security-contact-registered",
        ],
        "1795003600",
    );
    assert!([0, 1, 3].contains(&narrow.code), "{}", narrow.stderr);
    let after = held(&aws);
    for (id, finding) in after
        .iter()
        .filter(|(id, _)| id.contains(&format!("/{dropped}")))
    {
        let selected = id.starts_with("contactscan/security-contact-registered/");
        assert_eq!(
            !active(finding),
            selected,
            "{id}: only the selected rule's findings are archived"
        );
    }
    // --accounts names what may be archived: another account's findings stay.
    let other = org.members[1].clone();
    aws.close_account(&other);
    let named = contactscan_at(
        &moto.url,
        dir.path(),
        &[
            "scan",
            "--org",
            "--securityhub-import",
            "--accounts",
            &org.members[2],
        ],
        "1795007200",
    );
    assert!([0, 1, 3].contains(&named.code), "{}", named.stderr);
    let after_named = held(&aws);
    assert!(after_named
        .iter()
        .filter(|(id, _)| id.contains(&format!("/{other}")))
        .all(|(_, f)| active(f)));
}

#[test]
fn only_failed_skips_new_pass_findings() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    build_org(&aws, 2, 0, true);
    enable_security_hub(&aws);
    let dir = TempDir::new().unwrap();
    let run = contactscan(
        &moto.url,
        dir.path(),
        &[
            "scan",
            "--org",
            "--securityhub-import",
            "--securityhub-only-failed",
        ],
    );
    assert!([0, 1, 3].contains(&run.code), "{}", run.stderr);
    let held = held(&aws);
    assert!(!held.is_empty());
    assert!(held.values().all(|f| compliance(f) != "PASSED"));
}

#[test]
fn security_hub_disabled_is_exit_2_with_the_fix() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    aws.put_contact(None, &Contact::good("SECURITY"));
    let dir = TempDir::new().unwrap();
    let report = dir.path().join("r.json");
    let report_arg = format!("json={}", report.display());
    let run = contactscan(
        &moto.url,
        dir.path(),
        &["scan", "--securityhub-import", "--report", &report_arg],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("aws securityhub enable-security-hub --region us-east-1"),
        "{}",
        run.stderr
    );
    assert!(!report.exists());
}

#[test]
fn snapshot_findings_for_another_account_are_refused_up_front() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    enable_security_hub(&aws);
    let dir = TempDir::new().unwrap();
    let demo = std::fs::canonicalize("fixtures/demo-org.json").unwrap();
    let run = contactscan(
        &moto.url,
        dir.path(),
        &[
            "scan",
            "--input",
            demo.to_str().unwrap(),
            "--securityhub-import",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("111111111111"), "{}", run.stderr);
}

#[test]
fn a_rejected_finding_makes_the_run_incomplete_and_is_named() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    aws.put_contact(None, &Contact::good("SECURITY"));
    aws.put_contact(None, &Contact::good("BILLING"));
    aws.put_contact(None, &Contact::good("OPERATIONS"));
    enable_security_hub(&aws);
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            reject_first_import: true,
            ..Faults::default()
        },
    );
    let dir = TempDir::new().unwrap();
    let run = contactscan(&proxy.url, dir.path(), &["scan", "--securityhub-import"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("Security Hub rejected contactscan/"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1 rejected"), "{}", run.stderr);
}

/// Security Hub as seen from `member`, through the role moto creates in every new account.
fn member_hub(aws: &Aws, member: &str) -> aws_sdk_securityhub::Client {
    let provider = runtime().block_on(
        aws_config::sts::AssumeRoleProvider::builder(format!(
            "arn:aws:iam::{member}:role/{}",
            support::aws::MEMBER_ROLE
        ))
        .session_name("test")
        .configure(&aws.config)
        .build(),
    );
    let config = aws
        .config
        .to_builder()
        .credentials_provider(aws_sdk_securityhub::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build();
    aws_sdk_securityhub::Client::new(&config)
}

#[test]
fn with_a_role_name_each_member_imports_into_its_own_hub() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let org = build_org(&aws, 2, 0, true);
    enable_security_hub(&aws);
    let (enabled, disabled) = (&org.members[0], &org.members[1]);
    runtime()
        .block_on(member_hub(&aws, enabled).enable_security_hub().send())
        .expect("EnableSecurityHub in a member");
    let dir = TempDir::new().unwrap();
    let run = contactscan(
        &moto.url,
        dir.path(),
        &[
            "scan",
            "--org",
            "--role-name",
            support::aws::MEMBER_ROLE,
            "--securityhub-import",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(
        run.code, 3,
        "a member whose hub is off makes the run incomplete: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("Security Hub of account {disabled}")),
        "{}",
        run.stderr
    );
    let enabled_hub = member_hub(&aws, enabled);
    let in_member: Vec<AwsSecurityFinding> = runtime().block_on(async {
        enabled_hub
            .get_findings()
            .max_results(100)
            .send()
            .await
            .expect("GetFindings in a member")
            .findings()
            .to_vec()
    });
    let ours: Vec<&AwsSecurityFinding> = in_member
        .iter()
        .filter(|f| {
            f.generator_id()
                .is_some_and(|g| g.starts_with("contactscan/"))
        })
        .collect();
    assert!(!ours.is_empty());
    assert!(ours
        .iter()
        .all(|f| f.aws_account_id() == Some(enabled.as_str())));
    // The management account's own findings go to the caller's hub.
    assert!(held(&aws)
        .values()
        .all(|f| f.aws_account_id() == Some(MANAGEMENT)));
    assert!(held(&aws).contains_key(&registered_id(MANAGEMENT)));
}
