//! `contactscan rules list | explain ID`: the rule documentation, generated from the rule files.

use std::path::Path;

use anyhow::bail;
use contactscan::engine::functions;
use contactscan::engine::rule::Rule;
use contactscan::engine::variables;
use contactscan::engine::{rule_test, RuleSet, BUILT_IN_ORIGIN};

use crate::cli::RuleSource;
use crate::commands::output;

pub fn list(source: &RuleSource) -> anyhow::Result<u8> {
    let set = RuleSet::load(source.rules.as_deref())?;
    let width = set.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let lines: String = set
        .rules
        .iter()
        .map(|rule| {
            format!(
                "{:<width$}  {:<8}  {}\n",
                rule.id,
                rule.severity.as_str(),
                rule.title
            )
        })
        .collect();
    output::print(&lines)?;
    Ok(0)
}

/// Runs the test cases of the rules of `dir` (the built-in rules without it); 1 when one fails.
pub fn test(dir: Option<&Path>) -> anyhow::Result<u8> {
    let mut set = RuleSet::load(dir)?;
    let results = rule_test::run(&mut set, |rule| {
        dir.is_none() == rule.origin.starts_with(BUILT_IN_ORIGIN)
    });
    let mut out = String::new();
    for result in &results {
        if let Some(failure) = &result.failure {
            out.push_str(&format!(
                "FAIL {} ({}): case {:?}: {failure}\n",
                result.rule_id, result.origin, result.case,
            ));
        }
    }
    let tested: Vec<&str> = set
        .rules
        .iter()
        .filter(|r| dir.is_none() == r.origin.starts_with(BUILT_IN_ORIGIN))
        .map(|r| r.id.as_str())
        .collect();
    let untested: Vec<&str> = set
        .rules
        .iter()
        .filter(|r| tested.contains(&r.id.as_str()) && r.tests.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    out.push_str(&format!(
        "{} case{} of {} rule{}: {} passed, {failed} failed\n",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        tested.len(),
        if tested.len() == 1 { "" } else { "s" },
        results.len() - failed
    ));
    if !untested.is_empty() {
        out.push_str(&format!(
            "note: no [[tests]] cases in {}\n",
            untested.join(", ")
        ));
    }
    output::print(&out)?;
    Ok(if failed > 0 { 1 } else { 0 })
}

/// One rule explained; without an id, what rule conditions can use.
pub fn explain(id: Option<&str>, source: &RuleSource) -> anyhow::Result<u8> {
    let set = RuleSet::load(source.rules.as_deref())?;
    let text = match id {
        None => reference(),
        Some(id) => match set.get(id) {
            Some(rule) => explanation(rule),
            None => bail!("no rule with id {id:?}; `contactscan rules list` shows the ids"),
        },
    };
    output::print(&text)?;
    Ok(0)
}

/// The variables and functions of rule conditions, one line each.
fn reference() -> String {
    let mut out = String::from(
        "Rule conditions (applies, check, evidence) are CEL expressions over these variables and \
         functions; `contactscan rules explain ID` explains one rule.\n",
    );
    section(&mut out, "Variables", &variables::describe());
    section(
        &mut out,
        "Functions (besides CEL's standard ones and its string extensions)",
        &function_lines(|_| true),
    );
    out
}

/// `signature: help` of each function `wanted` accepts (by name), one per line.
fn function_lines(wanted: impl Fn(&str) -> bool) -> String {
    functions::functions()
        .filter(|f| wanted(f.name))
        .map(|f| format!("{}: {}", f.signature(), f.help))
        .collect::<Vec<_>>()
        .join("\n")
}

fn section(out: &mut String, heading: &str, text: &str) {
    if !text.trim().is_empty() {
        out.push_str(&format!("\n{heading}\n"));
        for line in text.trim().lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
}

fn explanation(rule: &Rule) -> String {
    let mut out = format!("{} ({}): {}\n", rule.id, rule.severity.as_str(), rule.title);
    let types: Vec<&str> = rule.contact_types.iter().map(|t| t.as_str()).collect();
    out.push_str(&format!(
        "scope: {} ({}), from {}\n",
        rule.scope.as_str(),
        types.join(", "),
        rule.origin
    ));
    let mut checks = String::new();
    if let Some(applies) = &rule.applies {
        checks.push_str(&format!("applies when: {}\n", applies.source));
    }
    checks.push_str(&format!("passes when:  {}\n", rule.check.source));
    section(&mut out, "What it checks", &checks);
    section(&mut out, "Why it matters", &rule.rationale);
    section(&mut out, "Example that fails", &rule.example);
    section(
        &mut out,
        "How to fix",
        &contactscan::remediation::explain(rule),
    );
    if !rule.params.is_empty() {
        let params: Vec<String> = rule
            .params
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        section(
            &mut out,
            "Parameters (override in contactscan.toml under [rules.<id>] params)",
            &params.join("\n"),
        );
    }
    section(&mut out, "Compliance", &rule.compliance_lines().join("\n"));
    let used = function_lines(|name| {
        [
            Some(&rule.check),
            rule.applies.as_ref(),
            rule.evidence.as_ref(),
        ]
        .into_iter()
        .flatten()
        .any(|c| c.program.references().has_function(name))
    });
    section(&mut out, "Functions it calls", &used);
    out
}
