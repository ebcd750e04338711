//! JUnit XML for auditors and CI test views: one test suite per rule, one test case per account
//! (and contact type), every finding included: a passing test case is evidence too.
//!
//! FAIL is a `<failure>` (type = severity) saying what is wrong and how to fix it, ERROR an
//! `<error>`, WAIVED a `<skipped>` with the waiver's reason. A rule's compliance mappings are
//! `<properties>` of its suite: junit-10.xsd allows none on a test case.
//!
//! Written with quick-xml, the XML writer under quick-junit, rather than with quick-junit's
//! `Report`: that holds every test case in memory (2.8 million for 100,000 accounts) and
//! writes a `skipped` attribute on `<testsuites>` that junit-10.xsd rejects. Text that holds
//! control characters still goes through quick-junit's `XmlString`, which drops what XML
//! cannot carry (control characters, ANSI escapes); quick-xml escapes the rest (a failing
//! case's texts through [`escape::xml`], which escapes as quick-xml does, faster). Test cases
//! are rendered in parallel chunks and written in order, so memory holds a few chunks, never a
//! suite.

use std::borrow::Cow;
use std::io::{self, Write};

use chrono::DateTime;
use quick_junit::XmlString;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use rayon::prelude::*;

use crate::finding::Status;
use crate::inventory::{Account, ContactType};
use crate::report::escape;
use crate::report::redact::Redactor;
use crate::report::Options;
use crate::scan::{FindingView, Scan};

/// Indentation of a suite, of its children, and of a test case's children.
const SUITE: &[u8] = b"\n    ";
const IN_SUITE: &[u8] = b"\n        ";
const IN_CASE: &[u8] = b"\n            ";

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

/// What a suite needs of a finding to write its test case, read in one pass over the
/// findings: a rule's findings lie spread over the whole scan, among every account's findings
/// of the other rules, and walking them there for the 2.4 million passing cases of a
/// 100,000-account scan waits on memory more than it writes.
#[derive(Clone, Copy)]
struct Case {
    /// Index into the scan's findings.
    finding: u32,
    /// Index into the inventory's accounts.
    account: u32,
    contact_type: Option<ContactType>,
    status: Status,
}

/// The start of an account's test case names, `<account id>[ <account name>]`, fit for XML,
/// as text and escaped for an attribute: made once per account, not once per test case.
struct CasePrefix {
    text: String,
    escaped: String,
}

impl CasePrefix {
    fn of(account: &Account, redactor: &Redactor) -> CasePrefix {
        let name = redactor.name(account);
        let name = xml_text(&name);
        let mut text = account.id.clone();
        if !name.is_empty() {
            text.push(' ');
            text.push_str(&name);
        }
        let escaped = quick_xml::escape::escape(&text).into_owned();
        CasePrefix { text, escaped }
    }

    /// The test case name: `<account id> <account name> <TYPE>`, unique within its rule.
    fn case_name(&self, contact_type: Option<ContactType>) -> String {
        match contact_type {
            Some(t) => format!("{} {t}", self.text),
            None => self.text.clone(),
        }
    }
}

/// Text fit for XML 1.0: without ANSI escapes (dropped by quick-junit's `XmlString`), control
/// characters, and the characters XML 1.0 does not allow (U+FFFE, U+FFFF); Rust strings hold no
/// lone surrogates. Text with nothing to drop, nearly all of it, is handed back as it is:
/// `XmlString`'s scan for escape sequences costs more than the rest of a test case.
fn xml_text(text: &str) -> Cow<'_, str> {
    if is_printable_ascii(text.as_bytes()) || is_plain_xml(text) {
        return Cow::Borrowed(text);
    }
    let mut text = XmlString::new(text).into_string();
    text.retain(is_xml_char);
    Cow::Owned(text)
}

/// Whether `bytes` are all printable ASCII or newlines; a block at a time, without stopping
/// at each byte, so that the compiler checks many bytes per instruction.
fn is_printable_ascii(bytes: &[u8]) -> bool {
    bytes.chunks(64).all(|block| {
        block
            .iter()
            .fold(true, |ok, &b| ok & escape::is_printable_or_newline(b))
    })
}

/// Whether XML takes `text` as it is, with nothing to drop (what [`xml_text`] checks once
/// `text` is known not to be all printable ASCII).
fn is_plain_xml(text: &str) -> bool {
    text.chars().all(|c| c == '\n' || is_plain_xml_char(c))
}

/// A character XML 1.0 allows (`Char` in the XML 1.0 grammar).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A character that needs nothing done before quick-xml escapes it.
fn is_plain_xml_char(c: char) -> bool {
    is_xml_char(c) && !c.is_control()
}

fn indent<W: Write>(writer: &mut Writer<W>, indentation: &[u8]) -> io::Result<()> {
    writer.get_mut().write_all(indentation)
}

/// What a non-passing test case carries: its element, and the attributes and text of it.
struct Outcome {
    element: &'static str,
    message: String,
    kind: Option<&'static str>,
    description: String,
}

/// What a failure's "How to fix" says: the remediation, else where the rule explains itself.
fn how_to_fix<'t>(view: &FindingView<'_>, redactor: &'t Redactor) -> Cow<'t, str> {
    redactor
        .remediation(view)
        .unwrap_or_else(|| Cow::Owned(format!("see `contactscan rules explain {}`", view.rule.id)))
}

fn outcome(view: &FindingView<'_>, redactor: &Redactor) -> Option<Outcome> {
    let message = || super::located(view, redactor.message(view)).into_owned();
    match view.status() {
        Status::Pass => None,
        Status::Fail => {
            let message = message();
            let fix = how_to_fix(view, redactor);
            Some(Outcome {
                element: "failure",
                description: format!("{message}\n\nHow to fix: {fix}"),
                message,
                kind: Some(view.severity().label()),
            })
        }
        Status::Error => {
            let message = message();
            Some(Outcome {
                element: "error",
                description: format!(
                    "{message}\n\nNo verdict was reached: this is neither a pass nor a failure. \
                     Fix the cause above (often a scanning role without \
                     account:GetAlternateContact) and scan again."
                ),
                message,
                kind: Some(view.severity().label()),
            })
        }
        Status::Waived => {
            let (reason, description) = match view.waiver() {
                Some(waiver) => {
                    let reason = redactor.text(&waiver.reason).into_owned();
                    let description = format!(
                        "Waived until {} by {}: {reason}\n\nFinding: {}",
                        waiver.expires,
                        redactor.text(&waiver.owner),
                        message()
                    );
                    (reason, description)
                }
                None => ("waived".to_string(), message()),
            };
            Some(Outcome {
                element: "skipped",
                message: reason,
                kind: None,
                description,
            })
        }
    }
}

/// The test cases of one rule, split around what changes from one case to the next: the 2.8
/// million cases of a 100,000-account scan cost a few copies each. A passing case is
/// `<testcase name="..." classname="<rule>"/>`; a failing one adds its `<failure>`. Byte for
/// byte what [`write_case`] writes (a test checks it).
struct CaseTemplate {
    before_name: String,
    after_name: String,
    before_failure: String,
}

impl CaseTemplate {
    fn new(rule_id: &str) -> CaseTemplate {
        let classname = quick_xml::escape::escape(rule_id);
        let in_case = String::from_utf8_lossy(IN_CASE);
        CaseTemplate {
            before_name: format!("{}<testcase name=\"", String::from_utf8_lossy(IN_SUITE)),
            after_name: format!("\" classname=\"{classname}\"/>"),
            before_failure: format!("\" classname=\"{classname}\">{in_case}<failure message=\""),
        }
    }

    /// Appends `<testcase name="` and the name of the case of an account (its escaped
    /// [`CasePrefix`]) and contact type.
    fn name(&self, case_prefix: &str, contact_type: Option<ContactType>, out: &mut Vec<u8>) {
        out.extend_from_slice(self.before_name.as_bytes());
        out.extend_from_slice(case_prefix.as_bytes());
        if let Some(contact_type) = contact_type {
            out.push(b' ');
            out.extend_from_slice(contact_type.as_str().as_bytes());
        }
    }

    /// Appends a passing case.
    fn pass(&self, case_prefix: &str, contact_type: Option<ContactType>, out: &mut Vec<u8>) {
        self.name(case_prefix, contact_type, out);
        out.extend_from_slice(self.after_name.as_bytes());
    }

    /// Appends a failing case whose texts XML takes as they are (nearly all), escaping each
    /// once; `false`, and nothing appended, when a text holds something to drop.
    fn failure(
        &self,
        view: &FindingView<'_>,
        case_prefix: &str,
        redactor: &Redactor,
        out: &mut Vec<u8>,
    ) -> bool {
        let message = super::located(view, redactor.message(view));
        let fix = how_to_fix(view, redactor);
        let start = out.len();
        self.name(case_prefix, view.finding.contact_type, out);
        out.extend_from_slice(self.before_failure.as_bytes());
        let escaped = out.len();
        // The texts are checked as they are escaped: a look at the bytes they hold.
        let message_plain = escape::xml(out, &message) || is_plain_xml(&message);
        let escaped = escaped..out.len();
        out.extend_from_slice(b"\" type=\"");
        out.extend_from_slice(view.severity().label().as_bytes());
        out.extend_from_slice(b"\">");
        out.extend_from_within(escaped);
        out.extend_from_slice(b"\n\nHow to fix: ");
        let fix_plain = escape::xml(out, &fix) || is_plain_xml(&fix);
        if !(message_plain && fix_plain) {
            out.truncate(start);
            return false;
        }
        out.extend_from_slice(b"</failure>");
        out.extend_from_slice(IN_SUITE);
        out.extend_from_slice(b"</testcase>");
        true
    }
}

/// Writes one test case named `name`.
fn write_case<W: Write>(
    writer: &mut Writer<W>,
    view: &FindingView<'_>,
    name: &str,
    redactor: &Redactor,
) -> io::Result<()> {
    let mut case = BytesStart::new("testcase");
    case.push_attribute(("name", name));
    case.push_attribute(("classname", view.rule.id.as_str()));
    indent(writer, IN_SUITE)?;
    let Some(outcome) = outcome(view, redactor) else {
        return writer.write_event(Event::Empty(case));
    };
    writer.write_event(Event::Start(case))?;
    let message = xml_text(&outcome.message);
    let mut element = BytesStart::new(outcome.element);
    element.push_attribute(("message", message.as_ref()));
    if let Some(kind) = outcome.kind {
        element.push_attribute(("type", kind));
    }
    indent(writer, IN_CASE)?;
    writer.write_event(Event::Start(element))?;
    writer.write_event(Event::Text(BytesText::new(&xml_text(&outcome.description))))?;
    writer.write_event(Event::End(BytesEnd::new(outcome.element)))?;
    indent(writer, IN_SUITE)?;
    writer.write_event(Event::End(BytesEnd::new("testcase")))
}

/// Writes one rule's suite: its start tag and properties, then its test cases chunk by chunk.
fn write_suite(
    scan: &Scan,
    index: usize,
    cases: &[Case],
    counts: Counts,
    case_prefixes: &[CasePrefix],
    redactor: &Redactor,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rule = &scan.rules[index];
    let mut writer = Writer::new(&mut *out);
    let mut suite = BytesStart::new("testsuite");
    let rule_id = xml_text(&rule.id);
    suite.push_attribute(("name", rule_id.as_ref()));
    for (key, value) in [
        ("tests", counts.tests),
        ("skipped", counts.skipped),
        ("errors", counts.errors),
        ("failures", counts.failures),
    ] {
        suite.push_attribute((key, value.to_string().as_str()));
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(&scan.scanned_at) {
        let timestamp = time.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string();
        suite.push_attribute(("timestamp", timestamp.as_str()));
    }
    indent(&mut writer, SUITE)?;
    writer.write_event(Event::Start(suite))?;
    indent(&mut writer, IN_SUITE)?;
    writer.write_event(Event::Start(BytesStart::new("properties")))?;
    let severity = [("severity", rule.severity.label()), ("title", &rule.title)];
    let mappings = rule
        .compliance
        .iter()
        .flat_map(|(framework, ids)| ids.iter().map(move |id| (framework.as_str(), id.as_str())));
    for (name, value) in severity.into_iter().chain(mappings) {
        let (name, value) = (xml_text(name), xml_text(value));
        let mut property = BytesStart::new("property");
        property.push_attribute(("name", name.as_ref()));
        property.push_attribute(("value", value.as_ref()));
        indent(&mut writer, IN_CASE)?;
        writer.write_event(Event::Empty(property))?;
    }
    indent(&mut writer, IN_SUITE)?;
    writer.write_event(Event::End(BytesEnd::new("properties")))?;
    let template = CaseTemplate::new(&rule.id);
    super::render::write_rendered(cases, &mut *out, |chunk, _, buffer| {
        // Texts worked out already are looked up first for the failing cases, one after the
        // other: a suite reads one finding's texts in about fifteen, each a cache miss, and
        // lookups that do not wait on each other overlap their misses where rendering each
        // case waited on its own.
        if redactor.shares_texts() {
            for case in chunk.iter().filter(|case| case.status == Status::Fail) {
                let view = scan.view(&scan.findings[case.finding as usize]);
                std::hint::black_box((redactor.message(&view), redactor.remediation(&view)));
            }
        }
        for case in chunk {
            let prefix = &case_prefixes[case.account as usize];
            if case.status == Status::Pass {
                template.pass(&prefix.escaped, case.contact_type, buffer);
                continue;
            }
            let view = scan.view(&scan.findings[case.finding as usize]);
            if case.status != Status::Fail
                || !template.failure(&view, &prefix.escaped, redactor, buffer)
            {
                let name = prefix.case_name(case.contact_type);
                write_case(&mut Writer::new(&mut *buffer), &view, &name, redactor)?;
            }
        }
        Ok(())
    })?;
    let mut writer = Writer::new(out);
    indent(&mut writer, SUITE)?;
    writer.write_event(Event::End(BytesEnd::new("testsuite")))
}

/// An index as a [`Case`] holds it.
fn to_u32(index: usize) -> io::Result<u32> {
    u32::try_from(index).map_err(|_| io::Error::other("more than 4 billion findings"))
}

/// Writes the report, a few chunks of test cases in memory at a time.
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let redactor = Redactor::for_scan(scan, options);
    let mut per_rule = vec![(Vec::new(), Counts::default()); scan.rules.len()];
    let mut total = Counts::default();
    for (index, finding) in scan.findings.iter().enumerate() {
        let (cases, counts): &mut (Vec<Case>, Counts) = &mut per_rule[finding.rule];
        cases.push(Case {
            finding: to_u32(index)?,
            account: to_u32(finding.account)?,
            contact_type: finding.contact_type,
            status: finding.status,
        });
        counts.add(finding.status);
        total.add(finding.status);
    }
    // Each account's case-name prefix made fit for XML once, not once per test case.
    let case_prefixes: Vec<CasePrefix> = scan
        .inventory
        .accounts
        .par_iter()
        .map(|account| CasePrefix::of(account, &redactor))
        .collect();
    let mut writer = Writer::new(&mut *out);
    writer
        .get_mut()
        .write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    // junit-10.xsd has no `skipped` on <testsuites>: skipped cases count in each suite only.
    let mut root = BytesStart::new("testsuites");
    root.push_attribute(("name", "contactscan"));
    for (key, value) in [
        ("tests", total.tests),
        ("failures", total.failures),
        ("errors", total.errors),
    ] {
        root.push_attribute((key, value.to_string().as_str()));
    }
    writer.write_event(Event::Start(root))?;
    for (index, (cases, counts)) in per_rule.iter().enumerate() {
        write_suite(
            scan,
            index,
            cases,
            *counts,
            &case_prefixes,
            &redactor,
            &mut *out,
        )?;
    }
    let mut writer = Writer::new(out);
    writer.get_mut().write_all(b"\n")?;
    writer.write_event(Event::End(BytesEnd::new("testsuites")))?;
    writer.get_mut().write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan_of_snapshot;

    #[test]
    fn xml_text_hands_back_only_what_xml_string_would_keep() {
        for text in [
            "plain text, é, 日本語, <tag> & \"quoted\"",
            "two\nlines",
            "tab\tand carriage\rreturn",
            "\u{1b}[31mred\u{1b}[0m and a bell \u{7}",
            "C1 \u{9b}31m and delete \u{7f}",
            "not characters \u{fffe}\u{ffff} end",
        ] {
            let mut expected = XmlString::new(text).into_string();
            expected.retain(is_xml_char);
            assert_eq!(xml_text(text), expected, "{text:?}");
        }
        assert!(matches!(xml_text("two\nlines é"), Cow::Borrowed(_)));
        // A character to drop beyond the first block of 64 bytes is still found.
        let long = format!("{}\u{7}{}", "a".repeat(100), "b".repeat(100));
        assert_eq!(
            xml_text(&long),
            format!("{}{}", "a".repeat(100), "b".repeat(100))
        );
        assert!(!is_printable_ascii(
            format!("{}\u{1b}", "a".repeat(64)).as_bytes()
        ));
        assert!(is_printable_ascii("a\n~ ".repeat(40).as_bytes()));
    }

    #[test]
    fn case_template_renders_what_the_xml_writer_writes() {
        let text = r#"{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [
            {"Id": "111111111111", "Name": "quote \" ' <tag> & é \u001b[31m red \u0007",
             "AlternateContacts": [{"AlternateContactType": "SECURITY", "Name": "SOC",
               "Title": "SOC", "EmailAddress": "soc@corp.com", "PhoneNumber": "+1 206 266 1000"}]},
            {"Id": "333333333333", "Name": "fails <&> \"quoted\"",
             "AlternateContacts": [{"AlternateContactType": "SECURITY", "Name": "John Doe",
               "Title": "", "EmailAddress": "john.o'neil@gmail.com", "PhoneNumber": "+1 206 555 0100"},
               {"AlternateContactType": "BILLING", "Name": "Bill \u001b[31m red",
               "Title": "AP", "EmailAddress": "billing@example.com", "PhoneNumber": "123"}]},
            {"Id": "222222222222"}]}"#;
        let scan = scan_of_snapshot(text.as_bytes());
        let options = Options::default();
        let redactor = Redactor::for_scan(&scan, &options);
        let (mut passes, mut failures, mut fallbacks) = (0, 0, 0);
        for f in scan.findings.iter() {
            let view = scan.view(f);
            let prefix = CasePrefix::of(view.account, &redactor);
            let name = prefix.case_name(f.contact_type);
            let mut written = Vec::new();
            write_case(&mut Writer::new(&mut written), &view, &name, &redactor).unwrap();
            let template = CaseTemplate::new(&view.rule.id);
            let mut rendered = Vec::new();
            match f.status {
                Status::Pass => {
                    template.pass(&prefix.escaped, f.contact_type, &mut rendered);
                    passes += 1;
                }
                Status::Fail
                    if template.failure(&view, &prefix.escaped, &redactor, &mut rendered) =>
                {
                    failures += 1
                }
                Status::Fail => {
                    assert!(rendered.is_empty());
                    fallbacks += 1;
                    continue;
                }
                _ => continue,
            }
            assert_eq!(
                String::from_utf8(rendered).unwrap(),
                String::from_utf8(written).unwrap()
            );
        }
        assert!(passes > 5, "only {passes} PASS findings compared");
        assert!(failures > 5, "only {failures} FAIL findings compared");
        assert!(
            fallbacks > 0,
            "no FAIL finding with a control character in its message"
        );
    }

    /// Each suite's name, `tests` attribute and number of test cases, in report order.
    fn suites(report: &[u8]) -> Vec<(String, usize, usize)> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_reader(report);
        let mut suites = Vec::new();
        let mut buffer = Vec::new();
        loop {
            match reader.read_event_into(&mut buffer).unwrap() {
                Event::Start(e) if e.name().as_ref() == b"testsuite" => {
                    // Rule ids and counts: nothing escaped.
                    let attribute = |key: &[u8]| {
                        let value = e.try_get_attribute(key).unwrap().unwrap().value;
                        String::from_utf8(value.into_owned()).unwrap()
                    };
                    suites.push((attribute(b"name"), attribute(b"tests").parse().unwrap(), 0));
                }
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                    suites.last_mut().unwrap().2 += 1;
                }
                Event::Eof => return suites,
                _ => {}
            }
            buffer.clear();
        }
    }

    #[test]
    fn every_rule_has_its_suite_in_order_with_its_cases_even_when_some_have_none() {
        let mut scan = crate::scan::demo_scan();
        // Rules without findings at the start, in the middle and at the end.
        let last = scan.rules.len() - 1;
        scan.findings.retain(|f| ![0, 3, 4, last].contains(&f.rule));
        let mut report = Vec::new();
        write(&scan, &Options::default(), &mut report).unwrap();
        let expected: Vec<(String, usize, usize)> = (0..scan.rules.len())
            .map(|rule| {
                let cases = scan.findings.iter().filter(|f| f.rule == rule).count();
                (scan.rules[rule].id.clone(), cases, cases)
            })
            .collect();
        assert_eq!(suites(&report), expected);
        assert!(expected.iter().filter(|(_, tests, _)| *tests == 0).count() == 4);
        // A scan without findings still has every suite, empty.
        scan.findings.clear();
        let mut report = Vec::new();
        write(&scan, &Options::default(), &mut report).unwrap();
        assert_eq!(suites(&report).len(), scan.rules.len());
        assert!(suites(&report)
            .iter()
            .all(|(_, tests, cases)| tests + cases == 0));
    }
}
