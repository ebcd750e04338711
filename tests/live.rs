//! Live AWS reads against moto's server (pinned in tests/moto-requirements.txt, installed into
//! .venv/ on first use), through a fault-injecting proxy where the test needs one. Every test
//! starts its own moto on a free loopback port and builds its AWS state through the API.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use contactscan::engine::RuleSet;
use contactscan::finding::Status;
use contactscan::inventory::{ContactType, Slot};
use contactscan::scan::{AccountScope, Importer, Scan, ScanOptions};
use contactscan::source::aws::{self, LiveOptions, NoProgress, RetryPolicy};
use serde_json::Value;
use support::aws::{build_org, contacts_of, Aws, Contact, MANAGEMENT, MEMBER_ROLE};
use support::moto::Moto;
use support::proxy::{Fault, Faults, Proxy};
use support::runtime;

/// "Now" for every run, so reports are comparable.
const EPOCH: &str = "1795000000";

/// The contactscan binary, pointed at `endpoint` with moto's test credentials, run in `dir`.
fn contactscan(endpoint: &str, dir: &Path) -> Command {
    support::contactscan_command(
        Path::new(env!("CARGO_BIN_EXE_contactscan")),
        endpoint,
        dir,
        EPOCH,
    )
}

/// The outcome of one run.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "not a JSON report ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }
}

fn run(command: &mut Command, args: &[&str]) -> Run {
    let output = command.args(args).output().expect("run contactscan");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).to_string(),
    }
}

/// Runs a scan with a JSON report and returns it; the exit status must be one a finished scan
/// gives (0, 1 or 3).
fn scan_json(endpoint: &str, dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let run = run(&mut contactscan(endpoint, dir), &all);
    assert!(
        [0, 1, 3].contains(&run.code),
        "exit {}; stderr:\n{}",
        run.code,
        run.stderr
    );
    run.json()
}

/// Finding id → status.
fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn status_of(report: &Value, id: &str) -> String {
    statuses(report)
        .remove(id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

fn has_contact(i: usize, contact_type: &str) -> bool {
    contacts_of(i)
        .iter()
        .any(|c| c.contact_type == contact_type)
}

#[test]
fn standalone_scan_reads_the_callers_account_in_its_own_context() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    aws.put_contact(None, &Contact::good("SECURITY"));
    aws.put_contact(
        None,
        &Contact::new(
            "BILLING",
            "Billing",
            "Finance",
            "billing@example.com",
            "+1 206 266 1000",
        ),
    );
    let proxy = Proxy::start(&moto.address, Faults::default());
    let dir = tempfile::tempdir().unwrap();

    let run = run(
        &mut contactscan(&proxy.url, dir.path()),
        &["scan", "--format", "json"],
    );
    assert_eq!(
        run.code, 1,
        "a FAIL at low or above; stderr:\n{}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["source"], format!("aws:account:{MANAGEMENT}"));
    assert_eq!(report["summary"]["accounts"], 1);
    assert_eq!(report["summary"]["error"], 0);
    let id = |rule: &str, t: &str| format!("{rule}/{MANAGEMENT}/{t}");
    assert_eq!(
        status_of(&report, &id("security-contact-registered", "SECURITY")),
        "PASS"
    );
    assert_eq!(
        status_of(&report, &id("contact-registered", "OPERATIONS")),
        "FAIL"
    );
    assert_eq!(
        status_of(&report, &id("contact-registered", "BILLING")),
        "PASS"
    );
    assert_eq!(
        status_of(&report, &id("contact-email-placeholder-domain", "BILLING")),
        "FAIL"
    );
    // Not in an organization: no name, no root email, and the root-email rule does not apply.
    assert_eq!(
        report["findings"][0]["account_name"],
        serde_json::Value::Null
    );
    assert!(!statuses(&report).contains_key(&id("security-contact-not-root-email", "SECURITY")));

    let reads = proxy.reads();
    assert_eq!(reads.len(), 3);
    assert!(reads
        .iter()
        .all(|r| !r.by_account_id && r.account == MANAGEMENT));
    assert!(
        run.stderr.contains("contactscan: read 1 account in"),
        "summary line missing:\n{}",
        run.stderr
    );
}

#[test]
fn organization_sweep_reads_every_active_account_and_skips_suspended_ones() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let org = build_org(&aws, 52, 2, true);
    let proxy = Proxy::start(&moto.address, Faults::default());
    let dir = tempfile::tempdir().unwrap();

    let run = run(
        &mut contactscan(&proxy.url, dir.path()),
        &["scan", "--org", "--format", "json", "--max-rps", "500"],
    );
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert_eq!(report["source"], format!("aws:organization:{}", org.id));
    // 50 active members and the management account; 2 members closed.
    assert_eq!(report["summary"]["accounts"], 51);
    assert_eq!(report["summary"]["skipped_accounts"], 2);
    assert_eq!(report["summary"]["error"], 0);
    let skipped: BTreeSet<&str> = report["skipped_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["state"], "SUSPENDED");
            a["id"].as_str().unwrap()
        })
        .collect();
    let suspended: BTreeSet<&str> = org.suspended.iter().map(String::as_str).collect();
    assert_eq!(skipped, suspended);

    // Verdicts follow the contacts each member was given.
    let statuses = statuses(&report);
    for (i, member) in org.members.iter().enumerate() {
        let security = statuses.get(&format!("security-contact-registered/{member}/SECURITY"));
        if suspended.contains(member.as_str()) {
            assert_eq!(security, None, "a suspended account gets no finding");
            continue;
        }
        let expected = if has_contact(i, "SECURITY") {
            "PASS"
        } else {
            "FAIL"
        };
        assert_eq!(security.map(String::as_str), Some(expected), "member {i}");
        for t in ["BILLING", "OPERATIONS"] {
            let expected = if has_contact(i, t) { "PASS" } else { "FAIL" };
            let got = &statuses[&format!("contact-registered/{member}/{t}")];
            assert_eq!(got, expected, "member {i} {t}");
        }
    }
    for t in ["SECURITY", "BILLING", "OPERATIONS"] {
        let rule = if t == "SECURITY" {
            "security-contact-registered"
        } else {
            "contact-registered"
        };
        assert_eq!(statuses[&format!("{rule}/{MANAGEMENT}/{t}")], "PASS");
    }
    let names: HashMap<&str, &str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["account_id"].as_str().unwrap(),
                f["account_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(names[org.members[0].as_str()], "member-0000");
    assert_eq!(names[MANAGEMENT], "master");

    // The management account is read in its own context, members through Organizations,
    // suspended accounts not at all.
    let reads = proxy.reads();
    assert_eq!(reads.len(), 51 * 3);
    for read in &reads {
        assert_eq!(read.by_account_id, read.account != MANAGEMENT, "{read:?}");
        assert!(!suspended.contains(read.account.as_str()), "{read:?}");
    }
    assert!(
        run.stderr.contains("contactscan: read 51 accounts in"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("2 not active (skipped)"),
        "{}",
        run.stderr
    );
    // Not a terminal: a few progress lines, no bar.
    let progress_lines = run
        .stderr
        .lines()
        .filter(|l| l.contains("/51 accounts ("))
        .count();
    assert!((1..=10).contains(&progress_lines), "{}", run.stderr);
}

#[test]
fn collected_snapshot_gives_the_live_verdicts_errors_included() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let org = build_org(&aws, 20, 1, true);
    let denied = org.members[3].clone();
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            always: vec![(denied.clone(), "SECURITY".to_string(), Fault::Deny)],
            ..Faults::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.json");
    let collected = dir.path().join("collected.json");

    let live = scan_json(
        &proxy.url,
        dir.path(),
        &[
            "--org",
            "--max-rps",
            "500",
            "--save-snapshot",
            saved.to_str().unwrap(),
        ],
    );
    let run_collect = run(
        &mut contactscan(&proxy.url, dir.path()),
        &[
            "collect",
            "--org",
            "--max-rps",
            "500",
            "--output",
            collected.to_str().unwrap(),
        ],
    );
    assert_eq!(run_collect.code, 0, "{}", run_collect.stderr);
    assert_eq!(run_collect.stdout, "");

    let id = format!("security-contact-registered/{denied}/SECURITY");
    assert_eq!(status_of(&live, &id), "ERROR");
    assert_eq!(live["summary"]["error"].as_u64().map(|n| n > 0), Some(true));
    for snapshot in [&saved, &collected] {
        let text = std::fs::read_to_string(snapshot).unwrap();
        assert!(
            text.contains("\"Code\": \"AccessDeniedException\""),
            "{text}"
        );
        let offline = scan_json(
            &proxy.url,
            dir.path(),
            &["--input", snapshot.to_str().unwrap()],
        );
        assert_eq!(
            offline["findings"],
            live["findings"],
            "{}",
            snapshot.display()
        );
        assert_eq!(offline["summary"], live["summary"]);
        assert_eq!(offline["skipped_accounts"], live["skipped_accounts"]);
    }
}

#[test]
fn role_name_reads_each_member_with_its_own_credentials() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    // Trusted access stays off: members read in their own context do not need it.
    let org = build_org(&aws, 12, 1, false);
    let refused = org.members[2].clone();
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            deny_assume_role: vec![refused.clone()],
            ..Faults::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();

    let by_role = scan_json(
        &proxy.url,
        dir.path(),
        &["--org", "--role-name", MEMBER_ROLE],
    );
    assert_eq!(by_role["summary"]["accounts"], 12);

    let reads = proxy.reads();
    assert!(
        reads.iter().all(|r| !r.by_account_id),
        "no read names an account"
    );
    let mut keys: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for read in &reads {
        keys.entry(read.account.as_str())
            .or_default()
            .insert(read.access_key.as_str());
    }
    let expected: BTreeSet<&str> = org
        .members
        .iter()
        .filter(|m| !org.suspended.contains(m) && **m != refused)
        .map(String::as_str)
        .chain([MANAGEMENT])
        .collect();
    assert_eq!(keys.keys().copied().collect::<BTreeSet<_>>(), expected);
    assert_eq!(keys[MANAGEMENT], BTreeSet::from(["testing"]));
    let member_keys: BTreeSet<&str> = keys
        .iter()
        .filter(|(account, _)| **account != MANAGEMENT)
        .map(|(_, k)| {
            assert_eq!(k.len(), 1, "one identity per member");
            *k.iter().next().unwrap()
        })
        .collect();
    assert_eq!(
        member_keys.len(),
        expected.len() - 1,
        "each member its own identity"
    );
    assert!(!member_keys.contains("testing"));

    // The member whose role cannot be assumed is ERROR, and says which role.
    for finding in by_role["findings"].as_array().unwrap() {
        if finding["account_id"] == refused.as_str() {
            assert_eq!(finding["status"], "ERROR", "{finding}");
            let message = finding["message"].as_str().unwrap();
            assert!(message.contains("AccessDenied"), "{message}");
            assert!(
                message.contains(&format!("role/{MEMBER_ROLE}")),
                "{message}"
            );
        }
    }

    // The same verdicts as a central sweep, the refused member aside.
    aws.enable_account_trusted_access();
    let central = scan_json(&proxy.url, dir.path(), &["--org", "--max-rps", "500"]);
    let without = |report: &Value| -> BTreeMap<String, String> {
        statuses(report)
            .into_iter()
            .filter(|(id, _)| !id.contains(&refused))
            .collect()
    };
    assert_eq!(without(&by_role), without(&central));
}

#[test]
fn trusted_access_off_stops_before_reading_and_names_the_fix() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    build_org(&aws, 2, 0, false);
    let proxy = Proxy::start(&moto.address, Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("snapshot.json");

    let scan = run(&mut contactscan(&proxy.url, dir.path()), &["scan", "--org"]);
    let collect = run(
        &mut contactscan(&proxy.url, dir.path()),
        &["collect", "--org", "--output", output.to_str().unwrap()],
    );
    for run in [scan, collect] {
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_eq!(run.stdout, "");
        assert!(
            run.stderr.contains(
                "aws organizations enable-aws-service-access --service-principal account.amazonaws.com"
            ),
            "{}",
            run.stderr
        );
    }
    assert!(!output.exists());
    assert_eq!(proxy.counts().reads, 0);
}

#[test]
fn organization_flags_and_preconditions_are_bad_usage() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let dir = tempfile::tempdir().unwrap();
    let scan = |args: &[&str]| {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        run(&mut contactscan(&moto.url, dir.path()), &all)
    };

    let alone = scan(&["--org"]);
    assert_eq!(alone.code, 2);
    assert!(
        alone.stderr.contains("not a member of an AWS Organization"),
        "{}",
        alone.stderr
    );

    let org = build_org(&aws, 4, 0, true);
    let bad_id = scan(&["--org", "--accounts", "12345"]);
    assert_eq!(bad_id.code, 2);
    assert!(
        bad_id.stderr.contains("expected 12 digits"),
        "{}",
        bad_id.stderr
    );
    let bad_exclude = scan(&["--org", "--exclude-accounts", "not-an-id"]);
    assert_eq!(bad_exclude.code, 2);
    let stranger = scan(&["--org", "--accounts", "999999999999"]);
    assert_eq!(stranger.code, 2);
    assert!(
        stranger
            .stderr
            .contains("999999999999 not in the organization"),
        "{}",
        stranger.stderr
    );

    let two = format!("{},{}", org.members[0], org.members[1]);
    let narrowed = scan(&["--org", "--accounts", &two]).json();
    let accounts: BTreeSet<&str> = narrowed["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        accounts,
        BTreeSet::from([org.members[0].as_str(), org.members[1].as_str()])
    );

    let excluded = scan(&["--org", "--exclude-accounts", MANAGEMENT]).json();
    assert_eq!(excluded["summary"]["accounts"], 4);
    assert!(!excluded.to_string().contains(&format!("/{MANAGEMENT}/")));
}

#[test]
fn throttling_errors_resets_and_slow_answers_do_not_change_verdicts() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    build_org(&aws, 40, 1, true);
    let proxy = Proxy::start(&moto.address, Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let args = ["--org", "--max-rps", "200"];

    let clean = scan_json(&proxy.url, dir.path(), &args);
    assert_eq!(clean["summary"]["error"], 0);
    proxy.set_faults(Faults {
        throttle_percent: 30,
        throttle_attempts: 2,
        fail_once_percent: 5,
        reset_once_percent: 5,
        slow_once_percent: 5,
        slow_by: Duration::from_millis(300),
        ..Faults::default()
    });
    let before = proxy.counts();
    let faulty = scan_json(&proxy.url, dir.path(), &args);
    let counts = proxy.counts();

    assert_eq!(faulty["findings"], clean["findings"]);
    assert_eq!(faulty["summary"], clean["summary"]);
    // The faults did happen: 30% of the 120 reads throttled twice, 5% failed, reset or slowed
    // once each.
    assert_eq!(
        counts.planned_throttled - before.planned_throttled,
        36 * 2,
        "{counts:?}"
    );
    assert_eq!(counts.server_errors - before.server_errors, 6, "{counts:?}");
    assert_eq!(counts.resets - before.resets, 6, "{counts:?}");
    assert_eq!(counts.slowed - before.slowed, 6, "{counts:?}");
}

#[test]
fn quota_emulating_proxy_is_swept_at_the_default_rate_without_errors() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    build_org(&aws, 15, 0, true);
    let proxy = Proxy::start(&moto.address, Faults::default());
    let dir = tempfile::tempdir().unwrap();

    let reference = scan_json(&proxy.url, dir.path(), &["--org", "--max-rps", "500"]);
    proxy.set_faults(Faults {
        quota: Some((10.0, 15.0)),
        ..Faults::default()
    });
    // Default --max-rps: 10 per second, like the quota.
    let paced = scan_json(&proxy.url, dir.path(), &["--org"]);
    assert_eq!(paced["summary"]["error"], 0);
    assert_eq!(paced["findings"], reference["findings"]);
}

/// Library: fast retries, so that reads failing on every attempt finish quickly.
fn quick_options() -> LiveOptions {
    LiveOptions {
        organization: true,
        max_rps: 500.0,
        retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            attempt_timeout: Duration::from_millis(500),
        },
        ..LiveOptions::default()
    }
}

#[test]
fn a_read_that_fails_every_attempt_is_error_never_pass_or_fail() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let org = build_org(&aws, 6, 0, true);
    let m = &org.members;
    // Member i gets contacts_of(i): 0 has all three, 1 lacks SECURITY, 2 has only SECURITY.
    let failing = [
        (
            m[0].clone(),
            "SECURITY",
            Fault::Throttle,
            "TooManyRequestsException",
        ),
        (
            m[1].clone(),
            "SECURITY",
            Fault::ServerError,
            "InternalServerException",
        ),
        (m[2].clone(), "BILLING", Fault::Reset, "ConnectionError"),
        (
            m[3].clone(),
            "OPERATIONS",
            Fault::Slow(Duration::from_secs(3)),
            "RequestTimeout",
        ),
        (
            m[4].clone(),
            "SECURITY",
            Fault::Deny,
            "AccessDeniedException",
        ),
    ];
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            always: failing
                .iter()
                .map(|(a, t, f, _)| (a.clone(), t.to_string(), f.clone()))
                .collect(),
            ..Faults::default()
        },
    );
    let config = support::aws::sdk_config(&proxy.url);
    let read = runtime()
        .block_on(aws::read_with(
            &config,
            &quick_options(),
            &mut NoProgress,
            std::future::pending(),
        ))
        .expect("the sweep finishes");
    assert_eq!(read.source, format!("aws:organization:{}", org.id));
    assert_eq!(read.partition, "aws");
    assert_eq!(read.stats.errors, 5);

    let accounts: HashMap<&str, &contactscan::inventory::Account> = read
        .inventory
        .accounts
        .iter()
        .map(|a| (a.id.as_str(), a))
        .collect();
    for (account, contact_type, _, code) in &failing {
        let t: ContactType = contact_type.parse().unwrap();
        match accounts[account.as_str()].slot(t) {
            Slot::Unreadable { code: got, message } => {
                assert_eq!(got, code, "{account} {contact_type}: {message}");
                if *code != "AccessDeniedException" {
                    assert!(message.contains("gave up after 3 attempts"), "{message}");
                }
            }
            other => panic!("{account} {contact_type}: {other:?}"),
        }
    }
    // Only the failing slots are unreadable; the others read as registered or missing.
    let unreadable = read
        .inventory
        .accounts
        .iter()
        .flat_map(|a| a.slots.iter())
        .filter(|s| matches!(s, Slot::Unreadable { .. }))
        .count();
    assert_eq!(unreadable, failing.len());
    let attempts = |account: &str, t: &str| {
        proxy
            .reads()
            .iter()
            .filter(|r| r.account == account && r.contact_type == t)
            .count()
    };
    assert_eq!(attempts(&m[0], "SECURITY"), 3);
    assert_eq!(
        attempts(&m[4], "SECURITY"),
        1,
        "AccessDenied is not retried"
    );
    assert_eq!(attempts(&m[0], "BILLING"), 1);

    // The engine turns every one of them into ERROR, whatever the rule.
    let rules = RuleSet::load(None).unwrap();
    let options = ScanOptions {
        source: read.source.clone(),
        scanned_at: EPOCH.to_string(),
        region: read.region.clone(),
        importer: Importer::Account(read.caller_account_id.clone()),
        accounts: AccountScope::Everything,
    };
    let scan = Scan::run(read.inventory, rules, options);
    let failing_slots: BTreeSet<(String, String)> = failing
        .iter()
        .map(|(a, t, _, _)| (a.clone(), t.to_string()))
        .collect();
    let mut seen = 0;
    for view in scan.views() {
        let Some(t) = view.finding.contact_type else {
            continue;
        };
        if failing_slots.contains(&(view.account.id.clone(), t.as_str().to_string())) {
            assert_eq!(view.status(), Status::Error, "{}", view.id());
            seen += 1;
        }
    }
    assert!(seen >= failing.len(), "every failing slot has findings");
}

#[test]
fn standalone_library_read_uses_describe_account_when_organizations_answers() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    build_org(&aws, 1, 0, false);
    let config = support::aws::sdk_config(&moto.url);
    let options = LiveOptions::default();
    let read = runtime()
        .block_on(aws::read_with(
            &config,
            &options,
            &mut NoProgress,
            std::future::pending(),
        ))
        .unwrap();
    assert_eq!(read.source, format!("aws:account:{MANAGEMENT}"));
    assert_eq!(read.caller_account_id, MANAGEMENT);
    assert_eq!(read.region, "us-east-1");
    assert!(read.inventory.organization.is_none());
    let account = &read.inventory.accounts[0];
    assert_eq!(account.name, "master");
    assert_eq!(account.email, "master@example.com");
    assert!(account
        .slots
        .iter()
        .all(|s| matches!(s, Slot::Registered(_))));
    assert_eq!(read.stats.requests, 3);
}

#[test]
fn ctrl_c_stops_the_sweep_with_exit_130_and_names_what_was_not_read() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    build_org(&aws, 5, 0, true);
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            hold_reads: true,
            ..Faults::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let child = contactscan(&proxy.url, dir.path())
        .args(["scan", "--org", "--report", &report_arg])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start contactscan");

    // Interrupt once a read is in flight (the proxy holds it unanswered).
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.counts().reads == 0 {
        assert!(Instant::now() < deadline, "no read reached the proxy");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted; not read: 6 of 6 accounts ("),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    assert!(!report.exists(), "no report after an interruption");
}

#[test]
fn an_endpoint_that_dies_mid_sweep_stops_it_with_exit_2_naming_what_was_not_read() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    build_org(&aws, 8, 0, true);
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            hold_reads: true,
            ..Faults::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let child = contactscan(&proxy.url, dir.path())
        .args(["scan", "--org", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start contactscan");
    // Once reads are in flight, the endpoint goes away: connections close, new ones are
    // refused.
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.counts().reads == 0 {
        assert!(Instant::now() < deadline, "no read reached the proxy");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(proxy);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stopped answering"), "{stderr}");
    assert!(stderr.contains("not read: "), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "no report after an endpoint failure"
    );
    for dump in [
        "DispatchFailure",
        "ConnectorError",
        "{ source:",
        "configure AWS credentials",
    ] {
        assert!(!stderr.contains(dump), "{dump} in {stderr}");
    }
}
