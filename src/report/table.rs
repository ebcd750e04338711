//! The terminal table: FAIL, ERROR and WAIVED findings grouped by account, and one summary line.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::finding::{Severity, Status};
use crate::report::redact::Redactor;
use crate::report::Options;
use crate::scan::Scan;

fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// `text` safe for a terminal: control characters (escape sequences that could clear the
/// screen or forge rows, from account names or contact values) are shown escaped, not sent.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn status_style(status: Status, severity: Severity) -> Style {
    let color = match (status, severity) {
        (Status::Error, _) => AnsiColor::Magenta,
        (Status::Waived, _) => AnsiColor::Cyan,
        (_, Severity::Critical | Severity::High) => AnsiColor::Red,
        (_, Severity::Medium) => AnsiColor::Yellow,
        _ => AnsiColor::Blue,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

/// Writes the table.
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let color = options.color;
    let redactor = Redactor::for_scan(scan, options);
    let bold = Style::new().bold();
    let mut current_account = None;
    for view in scan.views().filter(|v| v.status() != Status::Pass) {
        if current_account != Some(view.finding.account) {
            current_account = Some(view.finding.account);
            let name = if view.account.name.is_empty() {
                String::new()
            } else {
                format!(" {}", printable(&view.account.name))
            };
            writeln!(
                out,
                "{}",
                paint(color, bold, &format!("{}{name}", view.account.id))
            )?;
        }
        let label = match (view.status(), view.severity()) {
            (Status::Fail, Severity::Info) => "INFO",
            (Status::Fail, severity) => severity.label(),
            (other, _) => other.as_str(),
        };
        let label = format!("{label:<8}");
        writeln!(
            out,
            "  {} {:<34} {:<10} {}",
            paint(color, status_style(view.status(), view.severity()), &label),
            view.rule.id,
            view.finding.contact_type.map_or("-", |t| t.as_str()),
            printable(&super::located(&view, redactor.message(&view)))
        )?;
        if let Some(waiver) = view.waiver() {
            writeln!(
                out,
                "           waived until {} by {}: {}",
                waiver.expires,
                printable(&redactor.text(&waiver.owner)),
                printable(&redactor.text(&waiver.reason))
            )?;
        }
    }
    let s = scan.summary();
    let skipped = if s.skipped_accounts > 0 {
        format!(" ({} skipped, not ACTIVE)", s.skipped_accounts)
    } else {
        String::new()
    };
    let line = format!(
        "{} accounts{skipped}, {} rules: {} failed, {} errors, {} waived, {} passed",
        s.accounts,
        scan.rules.len(),
        s.fail,
        s.error,
        s.waived,
        s.pass
    );
    if current_account.is_some() {
        writeln!(out)?;
    }
    writeln!(out, "{}", paint(color, bold, &line))
}
