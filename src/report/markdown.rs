//! A Markdown summary for a GitHub Actions job summary or a merge-request comment: counts by
//! status and severity, then the FAIL, ERROR and WAIVED findings in one table per rule, most
//! severe rule first. Past 50 rows a rule's table continues in a collapsed `<details>` block;
//! past 1,000 rows the rest is only counted (job summaries and comments are limited to about
//! 1 MB; the JSON, SARIF and JUnit reports list everything).

use std::io::{self, Write};

use crate::finding::{Severity, Status};
use crate::report::redact::Redactor;
use crate::report::table::is_format_control;
use crate::report::Options;
use crate::scan::{FindingView, Scan};

/// Rows shown per rule before the `<details>` block.
const VISIBLE_ROWS: usize = 50;
/// Rows listed per rule in all.
const LISTED_ROWS: usize = 1_000;
/// The statuses the summary lists, in column order.
const LISTED: [Status; 3] = [Status::Fail, Status::Error, Status::Waived];

/// Escapes text for a table cell or a line of prose: no table breaks, no HTML, no emphasis
/// from redaction stars or strike-through, no mentions (`@all` notifies a whole GitLab group),
/// no links made of bare URLs, no reordering by bidi controls, one line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("&#64;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            // Escape sequences, other controls and bidi overrides are shown, not passed on.
            c if c.is_control() || is_format_control(c) => {
                out.push_str(&c.escape_unicode().to_string())
            }
            c => out.push(c),
        }
    }
    out.replace("://", "&#58;//").replace("www.", "www&#46;")
}

/// The fix of a rule's first FAIL finding as a collapsed shell block (every finding's own is in
/// the JSON report). The fence is longer than any run of backticks in the command.
fn how_to_fix(fix: &str) -> String {
    let longest_run = fix.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest_run + 1).max(3));
    format!(
        "\n<details><summary>How to fix (the first account's command)</summary>\n\n{fence}sh\n{fix}\n{fence}\n\nEvery finding's own command is in the JSON report (`remediation`); \
         `contactscan fix` plans them all.\n\n</details>\n"
    )
}

/// Whether a finding is a row: FAIL, ERROR or WAIVED, and shown by `--min-severity`/`--status`.
fn listed(view: &FindingView<'_>, options: &Options) -> bool {
    column(view.status()).is_some() && options.filter.shows(view.status(), view.severity())
}

fn column(status: Status) -> Option<usize> {
    LISTED.iter().position(|s| *s == status)
}

fn row(view: &FindingView<'_>, redactor: &Redactor) -> String {
    let account = if view.account.name.is_empty() {
        view.account.id.clone()
    } else {
        format!("{} {}", view.account.id, redactor.name(view.account))
    };
    let mut message = redactor.message(view).into_owned();
    if let Some(waiver) = view.waiver() {
        message.push_str(&format!(
            " (waived until {} by {}: {})",
            waiver.expires,
            redactor.text(&waiver.owner),
            redactor.text(&waiver.reason)
        ));
    }
    format!(
        "| {} | {} | {} | {} |",
        escape(&account),
        view.finding.contact_type.map_or("-", |t| t.as_str()),
        view.status(),
        escape(&message)
    )
}

const TABLE_HEAD: &str = "| Account | Type | Status | Message |\n|---|---|---|---|";

/// The size a summary keeps within: GitHub's job summary takes at most 1 MiB.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Room kept for the closing lines.
const CLOSING_BYTES: usize = 512;

/// A writer that counts what went through it.
struct Counted<'w> {
    out: &'w mut dyn Write,
    written: usize,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.written += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes the summary, within [`MAX_BYTES`].
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    write_capped(scan, options, MAX_BYTES, out)
}

/// [`write`] within `max_bytes` (tests use a small one): rows that would not fit are counted
/// in a closing line instead.
pub fn write_capped(
    scan: &Scan,
    options: &Options,
    max_bytes: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let out = &mut Counted { out, written: 0 };
    let room = max_bytes.saturating_sub(CLOSING_BYTES);
    let mut left_out = 0;
    let redactor = Redactor::for_scan(scan, options);
    let summary = scan.summary();
    let mut by_severity = [[0usize; LISTED.len()]; Severity::ALL.len()];
    let mut per_rule = vec![0usize; scan.rules.len()];
    for view in scan.views() {
        if let Some(col) = column(view.status()) {
            let sev = Severity::ALL
                .iter()
                .position(|s| *s == view.severity())
                .unwrap_or(0);
            by_severity[sev][col] += 1;
            if listed(&view, options) {
                per_rule[view.finding.rule] += 1;
            }
        }
    }

    writeln!(
        out,
        "# contactscan: {} failed, {} errors, {} waived, {} passed\n",
        summary.fail, summary.error, summary.waived, summary.pass
    )?;
    let skipped = if summary.skipped_accounts > 0 {
        format!(" ({} skipped, not ACTIVE)", summary.skipped_accounts)
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} accounts{skipped} scanned with {} rules from {} at {}.\n",
        summary.accounts,
        scan.rules.len(),
        escape(&scan.source),
        scan.scanned_at
    )?;
    writeln!(out, "| Status | Findings |\n|---|---:|")?;
    for (status, count) in [
        (Status::Fail, summary.fail),
        (Status::Error, summary.error),
        (Status::Waived, summary.waived),
        (Status::Pass, summary.pass),
    ] {
        writeln!(out, "| {status} | {count} |")?;
    }
    writeln!(
        out,
        "\n| Severity | FAIL | ERROR | WAIVED |\n|---|---:|---:|---:|"
    )?;
    for (severity, counts) in Severity::ALL.iter().zip(&by_severity) {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            severity.label(),
            counts[0],
            counts[1],
            counts[2]
        )?;
    }

    let mut rules: Vec<usize> = (0..scan.rules.len()).filter(|i| per_rule[*i] > 0).collect();
    if rules.is_empty() {
        return writeln!(out, "\nNo FAIL, ERROR or WAIVED findings.");
    }
    rules.sort_by_key(|i| std::cmp::Reverse(scan.rules[*i].severity));
    writeln!(out, "\n## Findings by rule")?;
    for index in rules {
        let rule = &scan.rules[index];
        let count = per_rule[index];
        writeln!(
            out,
            "\n### {} `{}` ({count})\n\n{}\n\n{TABLE_HEAD}",
            rule.severity.label(),
            rule.id,
            escape(&rule.title)
        )?;
        let views = scan
            .views()
            .filter(|v| v.finding.rule == index && listed(v, options));
        for (n, view) in views.take(LISTED_ROWS).enumerate() {
            if n == VISIBLE_ROWS {
                writeln!(
                    out,
                    "\n<details><summary>{} more</summary>\n\n{TABLE_HEAD}",
                    count - VISIBLE_ROWS
                )?;
            }
            let row = row(&view, &redactor);
            if out.written + row.len() + 1 > room {
                left_out += 1;
                continue;
            }
            writeln!(out, "{row}")?;
        }
        if count > LISTED_ROWS {
            writeln!(
                out,
                "\n{} more not listed here: the JSON, SARIF and JUnit reports list every finding.",
                count - LISTED_ROWS
            )?;
        }
        if count > VISIBLE_ROWS {
            writeln!(out, "\n</details>")?;
        }
        let first_fail = scan
            .views()
            .find(|v| v.finding.rule == index && v.status() == Status::Fail);
        if let Some(fix) = first_fail.and_then(|v| redactor.remediation(&v)) {
            let block = how_to_fix(&fix);
            if out.written + block.len() <= room {
                out.write_all(block.as_bytes())?;
            }
        }
    }
    if left_out > 0 {
        writeln!(
            out,
            "\n{left_out} more findings are left out: the summary keeps within {} KiB (what a \
             GitHub job summary takes); the JSON, SARIF and JUnit reports list every finding.",
            max_bytes / 1024
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn cells_stay_in_one_cell() {
        assert_eq!(escape("a|b\nc\r\nd"), "a\\|b<br>c<br>d");
        assert_eq!(
            escape("s******y@x <y>"),
            "s\\*\\*\\*\\*\\*\\*y&#64;x &lt;y&gt;"
        );
    }

    #[test]
    fn mentions_links_strike_through_and_bidi_are_neutralised() {
        assert_eq!(escape("@all @group"), "&#64;all &#64;group");
        assert_eq!(
            escape("see https://evil.example and www.evil.example"),
            "see https&#58;//evil.example and www&#46;evil.example"
        );
        assert_eq!(escape("~~gone~~"), "\\~\\~gone\\~\\~");
        assert_eq!(escape("a\u{202E}b\u{2066}c"), "a\\u{202e}b\\u{2066}c");
    }
}
