//! `contactscan fix --apply` benchmark (not a test): run it with `bench/fix-apply.sh`.
//!
//! An organization of N accounts (100 by default) without any alternate contact, so that an
//! `--enforce` plan writes all 3N slots. The writes go through the test proxy emulating the
//! PutAlternateContact quota (5 requests/s, burst 8, per calling account); the reads are not
//! throttled. The best any writer can do is (writes − 8) / 5 seconds; quota use = that ideal /
//! the measured time of the writes (from the first write to the last answer, as `fix` reports
//! it). Wrong writes: a write that reached moto for a slot the plan does not write or with
//! another value than the desired one, a slot written twice, or a slot that does not hold its
//! desired contact afterwards.
//!
//! Options: `--bin PATH` (the contactscan binary; default: next to this example's directory),
//! `--accounts N` (100).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use support::aws::{Aws, MANAGEMENT};
use support::moto::Moto;
use support::proxy::{Faults, Proxy};

const CONFIG: &str = r#"
[contacts.SECURITY]
name = "Security Operations"
title = "Security Team"
email_address = "security@acmecorp.io"
phone_number = "+1 206 266 1000"

[contacts.BILLING]
name = "Accounts Payable"
title = "Finance"
email_address = "billing@acmecorp.io"
phone_number = "+1 206 266 1001"

[contacts.OPERATIONS]
name = "Cloud Operations"
title = "Operations"
email_address = "cloud-ops@acmecorp.io"
phone_number = "+1 206 266 1002"
"#;

/// The desired address of each type.
const EMAILS: [(&str, &str); 3] = [
    ("SECURITY", "security@acmecorp.io"),
    ("BILLING", "billing@acmecorp.io"),
    ("OPERATIONS", "cloud-ops@acmecorp.io"),
];

fn options() -> (PathBuf, usize) {
    let mut bin = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("contactscan")))
        .unwrap_or_else(|| PathBuf::from("target/release/contactscan"));
    let mut accounts = 100;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--bin" => bin = PathBuf::from(value),
            "--accounts" => accounts = value.parse().expect("--accounts N"),
            other => panic!("unknown option {other}"),
        }
    }
    (std::path::absolute(&bin).unwrap_or(bin), accounts)
}

fn contactscan(bin: &Path, endpoint: &str, dir: &Path) -> Command {
    let mut command = Command::new(bin);
    command
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(Stdio::null());
    command
}

fn main() {
    let (bin, accounts) = options();
    assert!(
        bin.exists(),
        "{} does not exist: build it with `cargo build --release`",
        bin.display()
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("contactscan.toml"), CONFIG).unwrap();
    println!("contactscan fix --apply benchmark ({})", bin.display());
    println!(
        "machine: {} cores; moto 5.2.5",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    aws.create_organization();
    let mut ids = vec![MANAGEMENT.to_string()];
    ids.extend((1..accounts).map(|i| aws.create_account(&format!("bench-{i:04}"))));
    aws.enable_account_trusted_access();
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            write_quota: Some((5.0, 8.0)),
            ..Faults::default()
        },
    );
    let audit = dir.path().join("audit.jsonl");
    let start = Instant::now();
    let output = contactscan(&bin, &proxy.url, dir.path())
        .args(["fix", "--org", "--enforce", "--apply", "--format", "json"])
        .arg("--audit-log")
        .arg(&audit)
        .output()
        .expect("run contactscan fix");
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "fix --apply failed: {stderr}");
    let summary = stderr
        .lines()
        .rfind(|l| l.contains("PutAlternateContact request"))
        .unwrap_or("")
        .to_string();
    // "contactscan: 300 PutAlternateContact requests in 58.7s, ..."
    let apply_seconds: f64 = summary
        .split(" in ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|s| s.parse().ok())
        .expect("the apply summary on stderr");

    let writes = accounts * 3;
    let ideal = (writes as f64 - 8.0) / 5.0;
    let desired: HashMap<&str, &str> = EMAILS.into_iter().collect();
    let forwarded: Vec<_> = proxy.writes().into_iter().filter(|w| w.forwarded).collect();
    let mut per_slot: HashMap<(String, String), usize> = HashMap::new();
    let mut wrong = 0;
    for write in &forwarded {
        *per_slot
            .entry((write.account.clone(), write.contact_type.clone()))
            .or_default() += 1;
        if !ids.contains(&write.account)
            || desired.get(write.contact_type.as_str()) != Some(&write.email.as_str())
        {
            wrong += 1;
        }
    }
    wrong += per_slot.values().filter(|n| **n > 1).count();
    let mut not_held = 0;
    for id in &ids {
        let account = (id != MANAGEMENT).then_some(id.as_str());
        for (t, email) in EMAILS {
            if aws.get_contact(account, t).map(|c| c.email) != Some(email.to_string()) {
                not_held += 1;
            }
        }
    }
    let audit_lines = std::fs::read_to_string(&audit)
        .unwrap_or_default()
        .lines()
        .count();
    let counts = proxy.counts();
    println!();
    println!(
        "fix --org --enforce --apply, {accounts} accounts ({writes} writes), proxy PutAlternateContact quota 5 rps burst 8"
    );
    println!("   {}", summary.trim_start_matches("contactscan: "));
    println!(
        "   writes {apply_seconds:.2} s against the ideal (writes - 8) / 5 = {ideal:.1} s: quota use {:.1}%",
        100.0 * ideal / apply_seconds
    );
    println!(
        "   whole run {:.1} s (the read of {writes} slots at 10/s and the read-backs included)",
        wall.as_secs_f64()
    );
    println!(
        "   writes that reached moto {}, throttled by the emulated quota {}; wrong writes {wrong}; slots not holding their desired contact {not_held}; audit log lines {audit_lines}",
        forwarded.len(),
        counts.quota_throttled
    );
}
