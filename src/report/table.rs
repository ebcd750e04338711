//! The terminal table: FAIL and WAIVED findings grouped by account (the account named once, in
//! its group's header), ERROR findings grouped by cause, and one summary line. It fits the
//! width it is given: messages wrap at word boundaries (never inside an id or an address), and
//! under 80 columns each finding takes a line for its rule and lines for its message.
//! `--statistics` shows counts per rule and status instead.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::finding::{Severity, Status};
use crate::report::redact::Redactor;
use crate::report::Options;
use crate::scan::{FindingView, Scan};

/// Narrower than this, the compact layout.
const WIDE: usize = 80;
/// Where the message starts in the wide layout: indent, label, rule id, type.
const MESSAGE_COLUMN: usize = 2 + 8 + 1 + 34 + 1 + 10 + 1;
/// Accounts named on the line of an ERROR cause before "and N more".
const LISTED_ACCOUNTS: usize = 10;

fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// `text` safe for a terminal: control characters, and the format characters that reorder
/// text (bidi overrides), are shown escaped, not sent.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_format_control(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Unicode format characters that change how text around them is shown: bidi embeddings,
/// overrides and isolates, and the invisible marks.
pub(crate) fn is_format_control(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

fn status_style(status: Status, severity: Severity) -> Style {
    let color = match (status, severity) {
        (Status::Error, _) => AnsiColor::Magenta,
        (Status::Waived, _) => AnsiColor::Cyan,
        (Status::Pass, _) => AnsiColor::Green,
        (_, Severity::Critical | Severity::High) => AnsiColor::Red,
        (_, Severity::Medium) => AnsiColor::Yellow,
        _ => AnsiColor::Blue,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

/// `text` in lines of at most `width` characters, broken at spaces only: a word longer than
/// the width (an id, an address) keeps a line of its own, whole.
fn wrap(text: &str, width: Option<usize>) -> Vec<String> {
    let Some(width) = width else {
        return vec![text.to_string()];
    };
    let width = width.max(20);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Writes `text` from column `indent`, wrapped to the width; the first line continues what
/// is already on the line.
fn write_wrapped(
    out: &mut dyn Write,
    text: &str,
    indent: usize,
    options: &Options,
) -> io::Result<()> {
    let room = options.width.map(|w| w.saturating_sub(indent));
    for (i, line) in wrap(text, room).iter().enumerate() {
        if i > 0 {
            write!(out, "{:indent$}", "")?;
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn label(view: &FindingView<'_>) -> &'static str {
    match (view.status(), view.severity()) {
        (Status::Fail, Severity::Info) => "INFO",
        (Status::Fail, severity) => severity.label(),
        (other, _) => other.as_str(),
    }
}

fn account_header(view: &FindingView<'_>, redactor: &Redactor) -> String {
    if view.account.name.is_empty() {
        view.account.id.clone()
    } else {
        format!(
            "{} {}",
            view.account.id,
            printable(&redactor.name(view.account))
        )
    }
}

fn finding_row(
    out: &mut dyn Write,
    view: &FindingView<'_>,
    redactor: &Redactor,
    options: &Options,
) -> io::Result<()> {
    let style = status_style(view.status(), view.severity());
    let label = paint(options.color, style, &format!("{:<8}", label(view)));
    let contact_type = view.finding.contact_type.map_or("-", |t| t.as_str());
    let message = printable(&super::located(view, redactor.message(view)));
    let compact = options.width.is_some_and(|w| w < WIDE);
    if compact {
        writeln!(out, "  {label} {} {contact_type}", view.rule.id)?;
        write!(out, "    ")?;
        write_wrapped(out, &message, 4, options)?;
    } else {
        write!(out, "  {label} {:<34} {contact_type:<10} ", view.rule.id)?;
        write_wrapped(out, &message, MESSAGE_COLUMN, options)?;
    }
    let indent = if compact { 4 } else { 11 };
    if let Some(waiver) = view.waiver() {
        let note = format!(
            "waived until {} by {}: {}",
            waiver.expires,
            printable(&redactor.text(&waiver.owner)),
            printable(&redactor.text(&waiver.reason))
        );
        write!(out, "{:indent$}", "")?;
        write_wrapped(out, &note, indent, options)?;
    }
    if view.status() == Status::Fail {
        if let Some(fix) = redactor.remediation(view) {
            let room = options.width.map(|w| w.saturating_sub(indent + 2));
            for line in printable_lines(&fix)
                .iter()
                .flat_map(|l| shell_lines(l, room))
            {
                writeln!(out, "{:indent$}{line}", "")?;
            }
        }
    }
    Ok(())
}

/// The lines of `text`, each made safe for a terminal.
fn printable_lines(text: &str) -> Vec<String> {
    text.lines().map(printable).collect()
}

/// A shell command (or `#` comment) in lines of at most `room` characters: a command is broken
/// between words, never inside a quoted value, each line but the last ending with ` \` so
/// that it still pastes as one command.
fn shell_lines(line: &str, room: Option<usize>) -> Vec<String> {
    let Some(room) = room else {
        return vec![line.to_string()];
    };
    if let Some(comment) = line.strip_prefix("# ") {
        return wrap(comment, Some(room.saturating_sub(2)))
            .into_iter()
            .map(|l| format!("# {l}"))
            .collect();
    }
    let mut words = Vec::new();
    let (mut word, mut quote) = (String::new(), None);
    for c in line.chars() {
        match (quote, c) {
            (None, ' ') => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                continue;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        word.push(c);
    }
    words.push(word);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in words.into_iter().filter(|w| !w.is_empty()) {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() + 2 > room {
            current.push_str(" \\");
            lines.push(std::mem::take(&mut current));
            current.push_str("  ");
        } else if !current.is_empty() && !current.ends_with("  ") {
            current.push(' ');
        }
        current.push_str(&word);
    }
    lines.push(current);
    lines
}

/// ERROR findings with one cause: how many, and on which accounts.
struct Cause {
    count: usize,
    accounts: Vec<String>,
}

/// The cause of an ERROR finding with its account's id taken out, so that one cause on many
/// accounts is one line.
fn cause_of(view: &FindingView<'_>, redactor: &Redactor) -> String {
    printable(&super::located(view, redactor.message(view))).replace(&view.account.id, "<account>")
}

/// Writes the table.
pub fn write(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    if options.statistics {
        return statistics(scan, options, out);
    }
    let bold = Style::new().bold();
    let redactor = Redactor::for_scan(scan, options);
    let mut current_account = None;
    let mut causes: BTreeMap<String, Cause> = BTreeMap::new();
    let mut wrote_rows = false;
    for view in scan
        .views()
        .filter(|v| options.filter.shows(v.status(), v.severity()))
    {
        if view.status() == Status::Error {
            let cause = causes.entry(cause_of(&view, &redactor)).or_insert(Cause {
                count: 0,
                accounts: Vec::new(),
            });
            cause.count += 1;
            if cause.accounts.last() != Some(&view.account.id) {
                cause.accounts.push(view.account.id.clone());
            }
            continue;
        }
        if current_account != Some(view.finding.account) {
            current_account = Some(view.finding.account);
            writeln!(
                out,
                "{}",
                paint(options.color, bold, &account_header(&view, &redactor))
            )?;
        }
        finding_row(out, &view, &redactor, options)?;
        wrote_rows = true;
    }
    if !causes.is_empty() {
        if wrote_rows {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{}",
            paint(options.color, bold, "No verdict (ERROR), by cause")
        )?;
        let style = status_style(Status::Error, Severity::Info);
        for (cause, Cause { count, accounts }) in &causes {
            let listed: Vec<&str> = accounts
                .iter()
                .take(LISTED_ACCOUNTS)
                .map(String::as_str)
                .collect();
            let more = accounts.len().saturating_sub(LISTED_ACCOUNTS);
            let text = format!(
                "{count} finding{} on {} account{}: {cause} (accounts: {}{})",
                if *count == 1 { "" } else { "s" },
                accounts.len(),
                if accounts.len() == 1 { "" } else { "s" },
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
            write!(out, "  {} ", paint(options.color, style, "ERROR   "))?;
            write_wrapped(out, &text, 11, options)?;
        }
        wrote_rows = true;
    }
    if wrote_rows {
        writeln!(out)?;
    }
    write_summary(scan, options, out)
}

/// The summary line, wrapped to the width, in bold.
fn write_summary(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let bold = Style::new().bold();
    for line in wrap(&summary_line(scan), options.width) {
        writeln!(out, "{}", paint(options.color, bold, &line))?;
    }
    Ok(())
}

fn summary_line(scan: &Scan) -> String {
    let s = scan.summary();
    let skipped = if s.skipped_accounts > 0 {
        format!(" ({} skipped, not ACTIVE)", s.skipped_accounts)
    } else {
        String::new()
    };
    format!(
        "{} accounts{skipped}, {} rules: {} failed, {} errors, {} waived, {} passed",
        s.accounts,
        scan.rules.len(),
        s.fail,
        s.error,
        s.waived,
        s.pass
    )
}

/// `--statistics`: the count of each status per rule, as ruff's `--statistics` has it.
fn statistics(scan: &Scan, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    const STATUSES: [Status; 4] = [Status::Fail, Status::Error, Status::Waived, Status::Pass];
    let mut counts = vec![[0usize; 4]; scan.rules.len()];
    for view in scan.views() {
        if let Some(column) = STATUSES.iter().position(|s| *s == view.status()) {
            counts[view.finding.rule][column] += 1;
        }
    }
    let bold = Style::new().bold();
    let head = format!(
        "{:<34} {:<8} {:>7} {:>7} {:>7} {:>7}",
        "rule", "severity", "FAIL", "ERROR", "WAIVED", "PASS"
    );
    writeln!(out, "{}", paint(options.color, bold, &head))?;
    for (rule, counts) in scan.rules.iter().zip(&counts) {
        if options
            .filter
            .min_severity
            .is_some_and(|min| rule.severity < min)
        {
            continue;
        }
        writeln!(
            out,
            "{:<34} {:<8} {:>7} {:>7} {:>7} {:>7}",
            rule.id,
            rule.severity.as_str(),
            counts[0],
            counts[1],
            counts[2],
            counts[3]
        )?;
    }
    writeln!(out)?;
    write_summary(scan, options, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_never_inside_a_word() {
        let text = "SECURITY contact email marco.rossi@harborlight-industries.example is personal";
        let lines = wrap(text, Some(24));
        assert_eq!(
            lines,
            [
                "SECURITY contact email",
                "marco.rossi@harborlight-industries.example",
                "is personal"
            ]
        );
        assert!(lines
            .iter()
            .all(|l| l.chars().count() <= 24 || !l.contains(' ')));
        assert_eq!(wrap(text, None), [text]);
    }

    #[test]
    fn commands_wrap_between_words_and_still_paste_as_one() {
        let command = "aws account put-alternate-contact --alternate-contact-type SECURITY \
                       --name 'Security Operations Center' --email-address \"$SECURITY_EMAIL\"";
        let lines = shell_lines(command, Some(40));
        assert!(lines.len() > 2, "{lines:#?}");
        for line in &lines[..lines.len() - 1] {
            assert!(line.ends_with(" \\"), "{line}");
        }
        // The quoted name stays on one line, whole.
        assert!(lines
            .iter()
            .any(|l| l.contains("'Security Operations Center'")));
        let joined: String = lines
            .iter()
            .map(|l| l.trim_end_matches(" \\").trim_start())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(joined, command);
        assert_eq!(shell_lines(command, None), [command]);
    }

    #[test]
    fn bidi_and_control_characters_are_shown_escaped() {
        assert_eq!(printable("a\u{202E}b\u{1b}c"), "a\\u{202e}b\\u{1b}c");
        assert_eq!(printable("Équipe Sécurité"), "Équipe Sécurité");
    }
}
