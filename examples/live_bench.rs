//! Live sweep benchmark (not a test): run it with `bench/live-sweep.sh`.
//!
//! 1. Quota use: a 100-account organization (300 reads) swept through the test proxy emulating
//!    the GetAlternateContact quota (10 requests/s, burst 15, per calling account) at the
//!    default `--max-rps`. The best any central sweep can do is (reads − 15) / 10 seconds;
//!    quota use = that ideal / the measured time.
//! 2. A 1,000-account organization on moto without a quota: the documented shell loop (one
//!    `aws account get-alternate-contact` per account and type, awscli from `.venv/`) next to
//!    `contactscan collect --org --role-name` (each member read with its own credentials).
//!
//! Options: `--bin PATH` (the contactscan binary; default: next to this example's directory),
//! `--quota-accounts N` (100), `--role-accounts N` (1000), `--shell-accounts N` (accounts the
//! shell loop really runs over, 100 by default: it is linear, so the 1,000-account figure is
//! extrapolated unless N = `--role-accounts`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::aws::{build_org, Aws, MEMBER_ROLE};
use support::moto::Moto;
use support::proxy::{Faults, Proxy};

struct Options {
    bin: PathBuf,
    quota_accounts: usize,
    role_accounts: usize,
    shell_accounts: usize,
}

fn options() -> Options {
    let mut options = Options {
        bin: std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("contactscan")))
            .unwrap_or_else(|| PathBuf::from("target/release/contactscan")),
        quota_accounts: 100,
        role_accounts: 1000,
        shell_accounts: 100,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || {
            value
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("{flag} {value}"))
        };
        match flag.as_str() {
            "--bin" => options.bin = PathBuf::from(&value),
            "--quota-accounts" => options.quota_accounts = number(),
            "--role-accounts" => options.role_accounts = number(),
            "--shell-accounts" => options.shell_accounts = number(),
            other => panic!("unknown option {other}"),
        }
    }
    options.shell_accounts = options.shell_accounts.min(options.role_accounts);
    // The commands run in a temporary directory.
    options.bin = std::path::absolute(&options.bin).unwrap_or(options.bin);
    options
}

/// contactscan (or any command) with the test credentials and `endpoint`.
fn aws_env(command: &mut Command, endpoint: &str, dir: &Path) {
    command
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(Stdio::null());
}

fn timed(command: &mut Command) -> (Output, Duration) {
    let start = Instant::now();
    let output = command.output().expect("run the command");
    (output, start.elapsed())
}

fn check(output: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "{what} failed: {stderr}");
    stderr
        .lines()
        .rfind(|l| l.starts_with("contactscan: read ") && l.contains(" in "))
        .unwrap_or("")
        .to_string()
}

fn snapshot_errors(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).expect("read the snapshot");
    text.matches("\"Code\":").count()
}

fn main() {
    let options = options();
    assert!(
        options.bin.exists(),
        "{} does not exist: build it with `cargo build --release`",
        options.bin.display()
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    println!(
        "contactscan live sweep benchmark ({})",
        options.bin.display()
    );
    println!(
        "machine: {} cores; moto 5.2.5",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // 1. Quota use through the quota-emulating proxy.
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    build_org(&aws, options.quota_accounts - 1, 0, true);
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            quota: Some((10.0, 15.0)),
            ..Faults::default()
        },
    );
    let snapshot = dir.path().join("quota.json");
    let mut collect = Command::new(&options.bin);
    aws_env(&mut collect, &proxy.url, dir.path());
    collect
        .args(["collect", "--org", "--output"])
        .arg(&snapshot);
    let (output, elapsed) = timed(&mut collect);
    let summary = check(&output, "collect through the quota proxy");
    let reads = options.quota_accounts * 3;
    let ideal = (reads as f64 - 15.0) / 10.0;
    let counts = proxy.counts();
    println!();
    println!(
        "1. central sweep, {} accounts ({reads} reads), proxy quota 10 rps burst 15, --max-rps 10",
        options.quota_accounts
    );
    println!("   {summary}");
    println!(
        "   wall time {:.2} s (process start to exit); ideal (reads - 15) / 10 = {ideal:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "   quota use {:.1}%; requests seen by the proxy {}, throttled by the quota {}; unreadable slots in the snapshot {}",
        100.0 * ideal / elapsed.as_secs_f64(),
        counts.reads,
        counts.quota_throttled,
        snapshot_errors(&snapshot)
    );
    drop(proxy);
    drop(moto);

    // 2. 1,000 accounts on moto without a quota: the shell loop and --role-name.
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let build = Instant::now();
    let org = build_org(&aws, options.role_accounts - 1, 0, true);
    println!();
    println!(
        "2. {} accounts on moto, no quota (organization built in {:.1} s)",
        options.role_accounts,
        build.elapsed().as_secs_f64()
    );

    let snapshot = dir.path().join("roles.json");
    let mut roles = Command::new(&options.bin);
    aws_env(&mut roles, &moto.url, dir.path());
    roles
        .args(["collect", "--org", "--role-name", MEMBER_ROLE, "--output"])
        .arg(&snapshot);
    let (output, role_time) = timed(&mut roles);
    let summary = check(&output, "collect --role-name");
    println!(
        "   contactscan collect --org --role-name: {:.2} s ({:.0} reads/s); unreadable slots {}",
        role_time.as_secs_f64(),
        (options.role_accounts * 3) as f64 / role_time.as_secs_f64(),
        snapshot_errors(&snapshot)
    );
    println!("   {summary}");

    let aws_cli = support::venv::bin_dir().join("aws");
    let mut ids = vec![support::aws::MANAGEMENT.to_string()];
    ids.extend(org.members.iter().cloned());
    ids.truncate(options.shell_accounts);
    let script = format!(
        "for id in {}; do for t in SECURITY BILLING OPERATIONS; do \
         \"{}\" account get-alternate-contact --account-id \"$id\" --alternate-contact-type \"$t\" \
         --output json > /dev/null 2>&1 || true; done; done",
        ids.join(" "),
        aws_cli.display()
    );
    let mut shell = Command::new("bash");
    aws_env(&mut shell, &moto.url, dir.path());
    shell.args(["-c", &script]);
    let (output, shell_time) = timed(&mut shell);
    assert!(output.status.success(), "the shell loop failed");
    let per_account = shell_time.as_secs_f64() / ids.len() as f64;
    let projected = per_account * options.role_accounts as f64;
    println!(
        "   shell loop (aws account get-alternate-contact x 3 per account): {:.1} s for {} accounts \
         ({:.2} s per call){}",
        shell_time.as_secs_f64(),
        ids.len(),
        per_account / 3.0,
        if ids.len() < options.role_accounts {
            format!(
                "; projected {:.0} s for {} accounts (the loop is sequential: linear)",
                projected, options.role_accounts
            )
        } else {
            String::new()
        }
    );
    println!(
        "   contactscan --role-name is {:.0}x faster than the shell loop; a central sweep at the \
         real quota needs at least {:.1} s",
        projected / role_time.as_secs_f64(),
        (options.role_accounts as f64 * 3.0 - 15.0) / 10.0
    );
}
