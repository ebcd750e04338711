//! SARIF 2.1.0 for GitHub code scanning, built with `serde-sarif` and streamed one result at a
//! time.
//!
//! FAIL, ERROR and WAIVED findings are results (WAIVED with an accepted external suppression);
//! PASS has no place in code scanning. GitHub needs one relative file location per result: the
//! location the source gave the finding (a snapshot at the account's entry, a Terraform value
//! where it is written) when that file lies under the working directory, else `--sarif-anchor`,
//! else the config file, else `contactscan.toml`, at line 1. GitHub accepts results on a path that does
//! not exist when they carry fingerprints; `primaryLocationLineHash` is derived from the
//! finding id so that accounts sharing one anchor line stay distinct alerts.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Location as SarifLocation, LogicalLocation, Message,
    MultiformatMessageString, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Suppression, Tool, ToolComponent,
};

use crate::engine::rule::Rule;
use crate::finding::{Severity, Status};
use crate::inventory::Location;
use crate::report::redact::Redactor;
use crate::report::Options;
use crate::scan::{FindingView, Scan};

/// GitHub code scanning ingests at most this many results per run.
pub const MAX_RESULTS: usize = 25_000;
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where results point when no better file is known.
const DEFAULT_ANCHOR: &str = "contactscan.toml";

/// GitHub's `security-severity` score of a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Info => "0.5",
    }
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

/// `security-contact-registered` → `SecurityContactRegistered`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .flat_map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

fn rule_descriptor(rule: &Rule, redactor: &Redactor) -> ReportingDescriptor {
    // Rule documentation can quote contact data too (a failing example).
    let rationale = redactor.text(rule.rationale.trim());
    let fix = crate::remediation::explain(rule);
    let fix = redactor.text(fix.trim());
    let example = redactor.text(rule.example.trim());
    let mut text = vec![if rationale.is_empty() {
        rule.title.clone()
    } else {
        rationale.to_string()
    }];
    let mut markdown = text.clone();
    if !example.is_empty() {
        text.push(format!("Example that fails: {example}"));
        markdown.push(format!("**Example that fails:** `{example}`"));
    }
    if !fix.is_empty() {
        text.push(format!("How to fix: {fix}"));
        markdown.push(format!("**How to fix:**\n\n```\n{fix}\n```"));
    }
    if !rule.compliance.is_empty() {
        let mappings = rule.compliance_lines();
        text.push(format!("Compliance: {}", mappings.join("; ")));
        markdown.push(format!("**Compliance:** {}", mappings.join("; ")));
    }
    let mut properties = BTreeMap::new();
    properties.insert(
        "security-severity".to_string(),
        json!(security_severity(rule.severity)),
    );
    ReportingDescriptor::builder()
        .id(&rule.id)
        .name(pascal_case(&rule.id))
        .short_description(
            MultiformatMessageString::builder()
                .text(&rule.title)
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(text[0].clone())
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(text.join("\n\n"))
                .markdown(markdown.join("\n\n"))
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(rule.severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec!["security".to_string()])
                .additional_properties(properties)
                .build(),
        )
        .build()
}

fn tool(scan: &Scan, redactor: &Redactor) -> Tool {
    let mut driver = ToolComponent::builder()
        .name("contactscan")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(
            scan.rules
                .iter()
                .map(|rule| rule_descriptor(rule, redactor))
                .collect::<Vec<_>>(),
        )
        .build();
    // The crate's `repository` key, once Cargo.toml has one.
    let repository = env!("CARGO_PKG_REPOSITORY");
    driver.information_uri = (!repository.is_empty()).then(|| repository.to_string());
    Tool::builder().driver(driver).build()
}

/// Percent-encodes what a URI path segment may not hold as is.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `path` as a URI relative to `cwd`, when it lies under it.
fn relative_uri(path: &Path, cwd: Option<&Path>) -> Option<String> {
    let climbs = |p: &Path| p.components().any(|c| c == Component::ParentDir);
    let relative: PathBuf = if path.is_absolute() || climbs(path) {
        let cwd = cwd?;
        let absolute = cwd.join(path);
        match absolute.strip_prefix(cwd) {
            Ok(relative) if !climbs(relative) => relative.to_path_buf(),
            // `..`, links: compare the real paths.
            _ => {
                let path = absolute.canonicalize().ok()?;
                let cwd = cwd.canonicalize().ok()?;
                path.strip_prefix(cwd).ok()?.to_path_buf()
            }
        }
    } else {
        path.to_path_buf()
    };
    let mut segments = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => segments.push(encode_segment(part.to_str()?)),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!segments.is_empty()).then(|| segments.join("/"))
}

/// Where results point: the location the source gave a finding, when its file lies under the
/// working directory; else the anchor file (`--sarif-anchor`, else the config file, else
/// `contactscan.toml`) at line 1.
struct Anchor<'s> {
    fallback: String,
    /// The relative URI of each location file of a reported finding (`None`: not under the
    /// working directory).
    uris: HashMap<&'s Path, Option<String>>,
}

/// A result's place: a relative URI, a line and maybe a column.
struct Place<'a> {
    uri: &'a str,
    line: u32,
    column: Option<u32>,
}

impl<'s> Anchor<'s> {
    fn of(scan: &'s Scan, options: &Options) -> Anchor<'s> {
        let cwd = std::env::current_dir().ok();
        let cwd = cwd.as_deref();
        let mut uris = HashMap::new();
        // Findings come a file at a time (a snapshot has one for all): the file just seen is
        // not looked up again.
        let mut last: Option<&Arc<Path>> = None;
        for view in scan.views().filter(|v| v.status() != Status::Pass) {
            for location in [view.location(), view.related_location()]
                .into_iter()
                .flatten()
            {
                if last.is_some_and(|last| Arc::ptr_eq(last, &location.file)) {
                    continue;
                }
                last = Some(&location.file);
                uris.entry(&*location.file)
                    .or_insert_with(|| relative_uri(&location.file, cwd));
            }
        }
        let fallback = [&options.sarif_anchor, &options.config_path]
            .into_iter()
            .flatten()
            .find_map(|path| relative_uri(path, cwd))
            .unwrap_or_else(|| DEFAULT_ANCHOR.to_string());
        Anchor { fallback, uris }
    }

    fn place(&self, location: Option<&Location>) -> Place<'_> {
        let uri = location.and_then(|l| self.uris.get(&*l.file)?.as_deref());
        match (location, uri) {
            (Some(location), Some(uri)) => Place {
                uri,
                line: location.line,
                column: location.column,
            },
            _ => Place {
                uri: &self.fallback,
                line: 1,
                column: None,
            },
        }
    }
}

fn physical(place: &Place<'_>) -> PhysicalLocation {
    let mut region = Region::builder().start_line(i64::from(place.line)).build();
    region.start_column = place.column.map(i64::from);
    PhysicalLocation::builder()
        .artifact_location(ArtifactLocation::builder().uri(place.uri).build())
        .region(region)
        .build()
}

/// 64-bit FNV-1a: small, stable across Rust versions and platforms (unlike `DefaultHasher`).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Which results to keep under GitHub's limit: the most severe first, FAIL before ERROR
/// before WAIVED, in scan order within a rank.
struct Selection {
    /// Findings of a rank above `cutoff` are kept; of rank `cutoff`, the first `take`.
    cutoff: usize,
    take: usize,
    dropped: usize,
}

/// Whether `--min-severity` and `--status` let a finding into the log.
fn shown(view: &FindingView<'_>, options: &Options) -> bool {
    options.filter.shows(view.status(), view.severity())
}

/// The findings the log may hold, in scan order: all but PASS, as `--min-severity` and
/// `--status` let them in. (PASS findings, most of a scan, are passed over before they are
/// looked at.)
fn candidates<'a>(
    scan: &'a Scan,
    options: &'a Options,
) -> impl Iterator<Item = FindingView<'a>> + 'a {
    (scan.findings.iter())
        .filter(|f| f.status != Status::Pass)
        .map(|f| scan.view(f))
        .filter(|v| shown(v, options))
}

/// Rank of a reported finding, 0 the most important; `None` for PASS.
fn rank(severity: Severity, status: Status) -> Option<usize> {
    let status = match status {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Waived => 2,
        Status::Pass => return None,
    };
    let severity = Severity::ALL.iter().position(|s| *s == severity)?;
    Some(severity * 3 + status)
}

impl Selection {
    fn of(scan: &Scan, options: &Options, limit: usize) -> Selection {
        let mut counts = [0usize; Severity::ALL.len() * 3];
        for view in candidates(scan, options) {
            if let Some(rank) = rank(view.severity(), view.status()) {
                counts[rank] += 1;
            }
        }
        let total: usize = counts.iter().sum();
        let mut room = limit;
        for (rank, count) in counts.iter().enumerate() {
            if *count > room {
                return Selection {
                    cutoff: rank,
                    take: room,
                    dropped: total - limit,
                };
            }
            room -= count;
        }
        Selection {
            cutoff: counts.len(),
            take: 0,
            dropped: 0,
        }
    }
}

fn result(view: &FindingView<'_>, anchor: &Anchor<'_>, redactor: &Redactor) -> SarifResult {
    let account = view.account;
    let mut text = redactor.message(view).into_owned();
    if !text.contains(&account.id) {
        text.push_str(&format!(" (account {})", account.id));
    }
    let qualified = match view.finding.contact_type {
        Some(contact_type) => format!("{}/{contact_type}", account.id),
        None => account.id.clone(),
    };
    let location = SarifLocation::builder()
        .physical_location(physical(&anchor.place(view.location())))
        .logical_locations(vec![LogicalLocation::builder()
            .name(&account.id)
            .fully_qualified_name(qualified)
            .kind("resource")
            .build()])
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(
        "primaryLocationLineHash".to_string(),
        format!("{:016x}:1", fnv1a(&view.id())),
    );
    let level = match view.status() {
        Status::Error => ResultLevel::Warning,
        _ => level(view.severity()),
    };
    let mut result = SarifResult::builder()
        .rule_id(&view.rule.id)
        .rule_index(view.finding.rule as i64)
        .level(level)
        .message(Message::builder().text(text).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .build();
    if let Some(declared) = view.related_location() {
        result.related_locations = Some(vec![SarifLocation::builder()
            .id(1)
            .physical_location(physical(&anchor.place(Some(declared))))
            .message(
                Message::builder()
                    .text("where the contact is declared")
                    .build(),
            )
            .build()]);
    }
    if let Some(waiver) = view.waiver() {
        let mut properties = BTreeMap::new();
        properties.insert("owner".to_string(), json!(redactor.text(&waiver.owner)));
        properties.insert("expires".to_string(), json!(waiver.expires));
        result.suppressions = Some(vec![Suppression::builder()
            .kind(json!("external"))
            .status(json!("accepted"))
            .justification(redactor.text(&waiver.reason).into_owned())
            .properties(
                PropertyBag::builder()
                    .additional_properties(properties)
                    .build(),
            )
            .build()]);
    }
    result
}

/// Why the SARIF report of `scan` holds fewer results than it has findings to report, if it
/// does: GitHub's limit.
pub fn warning(scan: &Scan, options: &Options) -> Option<String> {
    let dropped = Selection::of(scan, options, MAX_RESULTS).dropped;
    (dropped > 0).then(|| {
        format!(
            "the SARIF report holds the {MAX_RESULTS} most severe results; {dropped} less severe \
             ones were dropped (GitHub code scanning accepts at most {MAX_RESULTS} per run)"
        )
    })
}

/// Writes the SARIF log; results are streamed, the most severe kept within GitHub's limit.
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    write_limited(scan, options, MAX_RESULTS, out)
}

/// [`write`] with another result limit (tests use a small one).
pub fn write_limited(
    scan: &Scan,
    options: &Options,
    limit: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let selection = Selection::of(scan, options, limit);
    let anchor = Anchor::of(scan, options);
    let redactor = Redactor::for_scan(scan, options);
    write!(
        out,
        "{{\n  \"$schema\": \"{SCHEMA}\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {{\n      \"tool\": "
    )?;
    serde_json::to_writer(&mut *out, &tool(scan, &redactor))?;
    write!(out, ",\n      \"results\": [")?;
    let mut taken = 0;
    let mut first = true;
    for view in candidates(scan, options) {
        let Some(rank) = rank(view.severity(), view.status()) else {
            continue;
        };
        if rank > selection.cutoff || (rank == selection.cutoff && taken == selection.take) {
            continue;
        }
        if rank == selection.cutoff {
            taken += 1;
        }
        out.write_all(if first { b"\n        " } else { b",\n        " })?;
        first = false;
        serde_json::to_writer(&mut *out, &result(&view, &anchor, &redactor))?;
    }
    if !first {
        write!(out, "\n      ")?;
    }
    writeln!(out, "]\n    }}\n  ]\n}}")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{fnv1a, pascal_case, relative_uri};

    #[test]
    fn paths_that_climb_back_under_the_working_directory_are_relative() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("snap.json"), "{}").unwrap();
        let cwd = dir.path();
        assert_eq!(
            relative_uri(Path::new("sub/../snap.json"), Some(cwd)).as_deref(),
            Some("snap.json")
        );
        let name = cwd.file_name().unwrap().to_str().unwrap();
        let climbing = format!("../{name}/snap.json");
        assert_eq!(
            relative_uri(Path::new(&climbing), Some(cwd)).as_deref(),
            Some("snap.json")
        );
        assert_eq!(
            relative_uri(Path::new("../elsewhere.json"), Some(cwd)),
            None
        );
    }

    #[test]
    fn uris_are_relative_to_the_working_directory() {
        let cwd = Path::new("/work/repo");
        assert_eq!(
            relative_uri(Path::new("fixtures/demo org.json"), Some(cwd)).as_deref(),
            Some("fixtures/demo%20org.json")
        );
        assert_eq!(
            relative_uri(Path::new("./a/b.json"), Some(cwd)).as_deref(),
            Some("a/b.json")
        );
        assert_eq!(
            relative_uri(Path::new("/work/repo/snap.json"), Some(cwd)).as_deref(),
            Some("snap.json")
        );
        assert_eq!(relative_uri(Path::new("../snap.json"), Some(cwd)), None);
        assert_eq!(
            relative_uri(Path::new("/elsewhere/snap.json"), Some(cwd)),
            None
        );
    }

    #[test]
    fn names_and_hashes_are_stable() {
        assert_eq!(
            pascal_case("security-contact-registered"),
            "SecurityContactRegistered"
        );
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a("r/111111111111"), fnv1a("r/222222222222"));
    }
}
