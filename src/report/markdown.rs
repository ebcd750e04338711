//! A Markdown summary for a GitHub Actions job summary or a merge-request comment: counts by
//! status and severity, then the FAIL, ERROR and WAIVED findings in one table per rule, most
//! severe rule first. Past 50 rows a rule's table continues in a collapsed `<details>` block;
//! past 1,000 rows the rest is only counted (job summaries and comments are limited to about
//! 1 MB; the JSON, SARIF and JUnit reports list everything).

use std::io::{self, Write};

use crate::finding::{Severity, Status};
use crate::report::redact::Redactor;
use crate::report::Options;
use crate::scan::{FindingView, Scan};

/// Rows shown per rule before the `<details>` block.
const VISIBLE_ROWS: usize = 50;
/// Rows listed per rule in all.
const LISTED_ROWS: usize = 1_000;
/// The statuses the summary lists, in column order.
const LISTED: [Status; 3] = [Status::Fail, Status::Error, Status::Waived];

/// Escapes text for a table cell or a line of prose: no table breaks, no HTML, no emphasis
/// from redaction stars, one line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            // Escape sequences and other controls are shown, not passed to a renderer.
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
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
        format!("{} {}", view.account.id, view.account.name)
    };
    let mut message = redactor.message(view);
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

/// Writes the summary.
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
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
            writeln!(out, "{}", row(&view, &redactor))?;
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
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn cells_stay_in_one_cell() {
        assert_eq!(escape("a|b\nc\r\nd"), "a\\|b<br>c<br>d");
        assert_eq!(escape("s******y@x <y>"), "s\\*\\*\\*\\*\\*\\*y@x &lt;y&gt;");
    }
}
