//! The plan (and what an apply did) as a table for people or JSON for scripts.

use std::io::{self, Write};

use serde::Serialize;

use crate::fix::apply::{ApplyReport, Outcome};
use crate::fix::plan::{Item, Plan};
use crate::inventory::{AlternateContact, Inventory};

/// What the plan was made from, for its heading.
pub struct Heading<'a> {
    /// `snapshot:<path>`, `aws:account:<id>` or `aws:organization:<id>`.
    pub source: &'a str,
    /// RFC 3339.
    pub planned_at: &'a str,
    /// The plan is about to be applied (not a dry run).
    pub applying: bool,
}

/// A value safe for a terminal and visible when blank: quoted, control characters escaped.
fn shown(value: &str) -> String {
    format!("{value:?}")
}

/// Text safe for a terminal: control characters (escape sequences) shown escaped, not sent.
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

fn outcome_of(report: Option<&ApplyReport>, index: usize) -> Option<&Outcome> {
    report?
        .outcomes
        .iter()
        .find(|(i, _)| *i == index)
        .map(|(_, o)| o)
}

/// Writes the plan as a table: each account, each type with its action and why, and the
/// fields a create or an update writes (old → new).
pub fn write_table(
    plan: &Plan,
    inventory: &Inventory,
    heading: &Heading<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let summary = plan.summary();
    writeln!(
        out,
        "contactscan fix ({}) of {}: {} to create, {} to update, {} unchanged, {} skipped",
        plan.scope.as_str(),
        heading.source,
        summary.create,
        summary.update,
        summary.unchanged,
        summary.skipped
    )?;
    let mut current = None;
    for item in &plan.items {
        let account = &inventory.accounts[item.account];
        if current != Some(item.account) {
            current = Some(item.account);
            let name = if account.name.is_empty() {
                String::new()
            } else {
                format!(" {}", printable(&account.name))
            };
            writeln!(out, "\n{}{name}", account.id)?;
        }
        let from = item
            .source
            .filter(|_| item.action.writes())
            .map_or(String::new(), |s| format!(" (from {s})"));
        writeln!(
            out,
            "  {:<10} {:<9}  {}{from}",
            item.contact_type.as_str(),
            item.action.as_str(),
            printable(&item.reason)
        )?;
        if item.action.writes() {
            for (field, old, new) in item.changes() {
                let old = if item.before.is_some() {
                    format!("{} → ", shown(old))
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "               {:<13} {old}{}",
                    field.api_name(),
                    shown(new)
                )?;
            }
        }
    }
    writeln!(out)?;
    let changes = summary.create + summary.update;
    let plural = if changes == 1 { "" } else { "s" };
    if changes == 0 {
        writeln!(out, "Nothing to change.")
    } else if heading.applying {
        writeln!(
            out,
            "Applying the {changes} change{plural} above (PutAlternateContact, each read back and compared):"
        )
    } else {
        writeln!(
            out,
            "Dry run: nothing was written. `contactscan fix --apply` writes the {changes} change{plural} above."
        )
    }
}

/// Writes what an apply did: each write's outcome, then the counts.
pub fn write_outcomes(
    plan: &Plan,
    inventory: &Inventory,
    report: &ApplyReport,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out)?;
    for (index, outcome) in &report.outcomes {
        let item = &plan.items[*index];
        let detail = outcome.detail().map_or(String::new(), |d| format!(": {d}"));
        writeln!(
            out,
            "{} {:<10} {}{}",
            inventory.accounts[item.account].id,
            item.contact_type.as_str(),
            outcome.as_str().replace('_', " "),
            printable(&detail)
        )?;
    }
    let total = report.outcomes.len();
    writeln!(
        out,
        "\nApplied and verified {} of {total} change{}; {} failed, {} read back different, {} \
         not verified, {} not applied{}.",
        report.count("applied"),
        if total == 1 { "" } else { "s" },
        report.count("failed"),
        report.count("mismatch"),
        report.count("unverified"),
        report.count("not_applied"),
        if report.interrupted {
            " (interrupted)"
        } else {
            ""
        }
    )
}

#[derive(Serialize)]
struct Change<'a> {
    field: &'static str,
    old: Option<&'a str>,
    new: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    account_id: &'a str,
    account_name: Option<&'a str>,
    contact_type: &'static str,
    action: &'static str,
    reason: &'a str,
    desired_from: Option<String>,
    before: Option<&'a AlternateContact>,
    after: Option<&'a AlternateContact>,
    changes: Vec<Change<'a>>,
    /// After `--apply`, for the items that write.
    outcome: Option<&'static str>,
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonSummary {
    create: usize,
    update: usize,
    unchanged: usize,
    skipped: usize,
}

#[derive(Serialize)]
struct Applied<'a> {
    caller: &'a str,
    applied: usize,
    failed: usize,
    mismatch: usize,
    unverified: usize,
    not_applied: usize,
    interrupted: bool,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonPlan<'a> {
    tool: Tool,
    planned_at: &'a str,
    source: &'a str,
    scope: &'static str,
    summary: JsonSummary,
    items: Vec<JsonItem<'a>>,
    /// `null` for a dry run.
    apply: Option<Applied<'a>>,
}

fn json_item<'a>(
    index: usize,
    item: &'a Item,
    inventory: &'a Inventory,
    report: Option<&ApplyReport>,
) -> JsonItem<'a> {
    let account = &inventory.accounts[item.account];
    let outcome = outcome_of(report, index);
    JsonItem {
        account_id: &account.id,
        account_name: (!account.name.is_empty()).then_some(account.name.as_str()),
        contact_type: item.contact_type.as_str(),
        action: item.action.as_str(),
        reason: &item.reason,
        desired_from: item.source.map(|s| s.to_string()),
        before: item.before.as_ref(),
        after: item.after.as_ref(),
        changes: if item.action.writes() {
            item.changes()
                .into_iter()
                .map(|(field, old, new)| Change {
                    field: field.api_name(),
                    old: item.before.is_some().then_some(old),
                    new,
                })
                .collect()
        } else {
            Vec::new()
        },
        outcome: outcome.map(Outcome::as_str),
        error: outcome.and_then(Outcome::detail),
    }
}

/// Writes the plan as one JSON document (every key present; `null` where it does not apply).
pub fn write_json(
    plan: &Plan,
    inventory: &Inventory,
    heading: &Heading<'_>,
    report: Option<&ApplyReport>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let summary = plan.summary();
    let document = JsonPlan {
        tool: Tool {
            name: "contactscan",
            version: env!("CARGO_PKG_VERSION"),
        },
        planned_at: heading.planned_at,
        source: heading.source,
        scope: plan.scope.as_str(),
        summary: JsonSummary {
            create: summary.create,
            update: summary.update,
            unchanged: summary.unchanged,
            skipped: summary.skipped,
        },
        items: plan
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| json_item(i, item, inventory, report))
            .collect(),
        apply: report.map(|r| Applied {
            caller: &r.caller_arn,
            applied: r.count("applied"),
            failed: r.count("failed"),
            mismatch: r.count("mismatch"),
            unverified: r.count("unverified"),
            not_applied: r.count("not_applied"),
            interrupted: r.interrupted,
        }),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// Names the plan's items `items` as `<account id> <TYPE>`, for messages.
pub fn describe_writes<'a>(
    plan: &'a Plan,
    inventory: &'a Inventory,
    items: impl Iterator<Item = usize> + 'a,
) -> impl Iterator<Item = String> + 'a {
    items.map(move |i| {
        let item = &plan.items[i];
        format!(
            "{} {}",
            inventory.accounts[item.account].id, item.contact_type
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shown_quoted_and_escaped() {
        assert_eq!(shown("Security Operations"), "\"Security Operations\"");
        assert_eq!(shown("a\u{1b}[2J"), "\"a\\u{1b}[2J\"");
        assert_eq!(shown(""), "\"\"");
    }
}
