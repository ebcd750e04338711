//! JUnit XML for auditors and CI test views: one test suite per rule, one test case per account
//! (and contact type), every finding included: a passing test case is evidence too.
//!
//! FAIL is a `<failure>` (type = severity) saying what is wrong and how to fix it, ERROR an
//! `<error>`, WAIVED a `<skipped>` with the waiver's reason. A rule's compliance mappings are
//! `<properties>` of its suite: junit-10.xsd allows none on a test case.
//!
//! Written with `quick-junit`, whose `Report` holds every test case in memory (about 2.8 million
//! for 100,000 accounts, well over a gigabyte). So the report is streamed in pieces, each
//! serialized by quick-junit and spliced in: the root start tag (from a report with the totals
//! and no suites), each suite's start tag and properties (from a suite with its counts and no
//! test cases), then its test cases in chunks of [`CHUNK`]. The root's `skipped` attribute is
//! removed after writing: quick-junit 0.8 writes one on `<testsuites>` and junit-10.xsd rejects
//! it. A streaming XML writer (quick-xml) would make the splicing unnecessary.

use std::io::{self, Write};

use chrono::DateTime;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use rayon::prelude::*;

use crate::finding::{Finding, Status};
use crate::report::redact::Redactor;
use crate::report::Options;
use crate::scan::{FindingView, Scan};

/// Test cases serialized at a time: memory holds one chunk, not a suite.
const CHUNK: usize = 10_000;
/// quick-junit's indentation of a `<testsuite>` element.
const SUITE_INDENT: &str = "\n    ";

/// Test counts of a suite or of the whole report.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        self.tests += 1;
        match status {
            Status::Pass => {}
            Status::Fail => self.failures += 1,
            Status::Error => self.errors += 1,
            Status::Waived => self.skipped += 1,
        }
    }
}

fn serialize(report: &Report) -> io::Result<String> {
    report.to_string().map_err(io::Error::other)
}

/// The test case name: `<account id> <account name> <TYPE>`, unique within its rule.
fn case_name(view: &FindingView<'_>) -> String {
    let mut name = view.account.id.clone();
    for part in [
        view.account.name.as_str(),
        view.finding.contact_type.map_or("", |t| t.as_str()),
    ] {
        if !part.is_empty() {
            name.push(' ');
            name.push_str(part);
        }
    }
    name
}

fn test_case(view: &FindingView<'_>, redactor: &Redactor) -> TestCase {
    let rule = view.rule;
    let message = || redactor.string(view.message());
    let status = match view.status() {
        Status::Pass => TestCaseStatus::success(),
        Status::Fail => {
            let message = message();
            let remediation = redactor.string(view.remediation());
            let fix = if remediation.trim().is_empty() {
                format!("see `contactscan rules explain {}`", rule.id)
            } else {
                remediation
            };
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type(view.severity().label())
                .set_description(format!("{message}\n\nHow to fix: {fix}"))
                .set_message(message);
            status
        }
        Status::Error => {
            let message = message();
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_type(view.severity().label())
                .set_description(format!(
                    "{message}\n\nNo verdict was reached: this is neither a pass nor a failure. \
                     Fix the cause above (often a scanning role without \
                     account:GetAlternateContact) and scan again."
                ))
                .set_message(message);
            status
        }
        Status::Waived => {
            let mut status = TestCaseStatus::skipped();
            if let Some(waiver) = view.waiver() {
                let reason = redactor.text(&waiver.reason);
                status
                    .set_description(format!(
                        "Waived until {} by {}: {reason}\n\nFinding: {}",
                        waiver.expires,
                        redactor.text(&waiver.owner),
                        message()
                    ))
                    .set_message(reason.into_owned());
            }
            status
        }
    };
    let mut case = TestCase::new(case_name(view), status);
    case.set_classname(&rule.id);
    case
}

/// A report holding one suite, the way quick-junit serializes a suite.
fn one_suite(suite: TestSuite) -> io::Result<String> {
    let mut report = Report::new("contactscan");
    report.add_test_suite(suite);
    serialize(&report)
}

/// Splits serialized XML at its first `<tag ...>` element: what comes before it, its start tag,
/// and its content up to the last `</tag>` (trailing whitespace trimmed).
fn element<'x>(xml: &'x str, tag: &str) -> io::Result<(&'x str, &'x str, &'x str)> {
    let start = xml.find(&format!("<{tag} "));
    let start_end = start.and_then(|at| xml[at..].find('>').map(|end| at + end + 1));
    let close = xml.rfind(&format!("</{tag}>"));
    match (start, start_end, close) {
        (Some(start), Some(start_end), Some(close)) if start_end <= close => Ok((
            &xml[..start],
            &xml[start..start_end],
            xml[start_end..close].trim_end(),
        )),
        _ => Err(io::Error::other(format!(
            "unexpected JUnit XML from quick-junit: no <{tag}> element with an end tag"
        ))),
    }
}

/// Writes one rule's suite: its start tag and properties, then its test cases chunk by chunk.
fn write_suite(
    scan: &Scan,
    index: usize,
    counts: Counts,
    redactor: &Redactor,
    chunk_size: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rule = &scan.rules[index];
    let mut head = TestSuite::new(&rule.id);
    if let Ok(time) = DateTime::parse_from_rfc3339(&scan.scanned_at) {
        head.set_timestamp(time);
    }
    head.add_property(Property::new("severity", rule.severity.label()));
    head.add_property(Property::new("title", &rule.title));
    for (framework, ids) in &rule.compliance {
        head.add_properties(ids.iter().map(|id| Property::new(framework, id)));
    }
    // The counts of the test cases that follow in chunks.
    head.tests = counts.tests;
    head.failures = counts.failures;
    head.errors = counts.errors;
    head.skipped = counts.skipped;
    let xml = one_suite(head)?;
    let (_, start, properties) = element(&xml, "testsuite")?;
    write!(out, "{SUITE_INDENT}{start}{properties}")?;
    // Chunks are serialized in parallel, a batch of them at a time, and written in order.
    let findings: Vec<&Finding> = scan.findings.iter().filter(|f| f.rule == index).collect();
    for batch in findings.chunks(chunk_size * rayon::current_num_threads()) {
        let serialized: Vec<io::Result<String>> = batch
            .par_chunks(chunk_size)
            .map(|chunk| {
                let mut suite = TestSuite::new(&rule.id);
                suite.add_test_cases(chunk.iter().map(|f| test_case(&scan.view(f), redactor)));
                let xml = one_suite(suite)?;
                Ok(element(&xml, "testsuite")?.2.to_string())
            })
            .collect();
        for cases in serialized {
            out.write_all(cases?.as_bytes())?;
        }
    }
    write!(out, "{SUITE_INDENT}</testsuite>")
}

/// Writes the report, one chunk of test cases in memory at a time.
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    write_chunked(scan, options, CHUNK, out)
}

fn write_chunked(
    scan: &Scan,
    options: &Options,
    chunk_size: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let redactor = Redactor::for_scan(scan, options);
    let mut per_rule = vec![Counts::default(); scan.rules.len()];
    let mut total = Counts::default();
    for finding in &scan.findings {
        per_rule[finding.rule].add(finding.status);
        total.add(finding.status);
    }
    let mut root = Report::new("contactscan");
    root.tests = total.tests;
    root.failures = total.failures;
    root.errors = total.errors;
    root.skipped = total.skipped;
    let xml = serialize(&root)?;
    let (declaration, start, _) = element(&xml, "testsuites")?;
    // junit-10.xsd has no `skipped` on <testsuites>: drop the one quick-junit 0.8 writes.
    let skipped = format!(" skipped=\"{}\"", total.skipped);
    write!(out, "{declaration}{}", start.replacen(&skipped, "", 1))?;
    for (index, counts) in per_rule.iter().enumerate() {
        write_suite(scan, index, *counts, &redactor, chunk_size, out)?;
    }
    writeln!(out, "\n</testsuites>")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{write_chunked, CHUNK};
    use crate::engine::RuleSet;
    use crate::report::Options;
    use crate::scan::Scan;
    use crate::source::snapshot;

    #[test]
    fn chunks_splice_into_the_same_document() {
        let path = Path::new("fixtures/demo-org.json");
        let scan = Scan::run(
            "snapshot:demo".to_string(),
            None,
            snapshot::read(path).unwrap(),
            RuleSet::load(None).unwrap(),
            "2026-11-23T12:00:00Z".to_string(),
        );
        let render = |chunk_size| {
            let mut out = Vec::new();
            write_chunked(&scan, &Options::default(), chunk_size, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let whole = render(CHUNK);
        assert_eq!(render(2), whole);
        assert_eq!(render(1), whole);
        assert!(whole.starts_with("<?xml"));
        assert!(whole.ends_with("    </testsuite>\n</testsuites>\n"));
    }
}
