//! The config file (`contactscan.toml`): rule overrides and waivers, validated strictly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use globset::{Glob, GlobSetBuilder};
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::engine::functions::param_to_cel;
use crate::engine::rule::line_column;
use crate::engine::RuleSet;
use crate::error::InputError;
use crate::finding::Severity;
use crate::inventory::{is_account_id, ContactType};
use crate::strict::{self, Object};
use crate::waiver::Waiver;

/// The file looked for from the working directory up when `--config` is not given.
pub const DEFAULT_FILE: &str = "contactscan.toml";

/// `contactscan.toml`: per-rule overrides and waivers.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "contactscan configuration")]
pub struct ConfigFile {
    /// Per-rule settings, keyed by rule id.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RuleOverride>")]
    rules: BTreeMap<Spanned<String>, Object<RuleOverride>>,
    /// Accepted exceptions: a matching FAIL becomes WAIVED until the waiver expires.
    #[serde(default)]
    #[schemars(with = "Vec<WaiverEntry>")]
    waivers: Vec<Spanned<Object<WaiverEntry>>>,
}

/// Settings of one rule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RuleOverride {
    /// `false` turns the rule off.
    #[serde(default)]
    enabled: Option<bool>,
    /// Replaces the rule's severity.
    #[serde(default)]
    severity: Option<Severity>,
    /// Replaces parameters the rule declares (`contactscan rules explain ID` lists them).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    params: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// One waiver, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WaiverEntry {
    /// Rule ids or globs (`security-contact-*`).
    rules: Vec<String>,
    /// Account ids (12 digits), or `["*"]` for every account.
    accounts: Vec<String>,
    /// SECURITY, BILLING, OPERATIONS; every type when absent.
    #[serde(default)]
    contact_types: Option<Vec<String>>,
    /// Why the exception is accepted (shown in every report).
    reason: String,
    /// Who answers for it.
    owner: String,
    /// Last day it applies (UTC), as a TOML date: `expires = 2027-03-31`.
    #[schemars(with = "String", regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    expires: Spanned<toml::Value>,
}

/// A loaded config: where it came from and its waivers (overrides are applied to the rules).
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub waivers: Vec<Waiver>,
}

/// The config file to use: `explicit`, else the first `contactscan.toml` from the working
/// directory up, stopping at the repository root (a directory with a `.git` entry) or the
/// home directory, as ruff finds its config.
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let start = std::env::current_dir().ok()?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    for dir in start.ancestors() {
        let candidate = dir.join(DEFAULT_FILE);
        if candidate.is_file() {
            // Relative to the working directory when it is the working directory's own.
            return Some(if dir == start {
                PathBuf::from(DEFAULT_FILE)
            } else {
                candidate
            });
        }
        if dir.join(".git").exists() || home.as_deref() == Some(dir) {
            break;
        }
    }
    None
}

/// Reads `path`, applies its rule overrides to `rules` and returns its waivers.
pub fn load(path: &Path, rules: &mut RuleSet) -> Result<Config, InputError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(&name, "", format!("cannot read the config file: {e}")))?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        let place = e
            .span()
            .map(|s| line_column(&text, s.start))
            .unwrap_or_default();
        let message = strict::suggest_key(&e.message().trim().replace('\n', ": "));
        InputError::new(&name, place, format!("invalid config: {message}"))
    })?;
    let at = |span: std::ops::Range<usize>| line_column(&text, span.start);
    let all_ids: Vec<String> = rules.rules.iter().map(|r| r.id.clone()).collect();
    let mut disabled = Vec::new();
    for (id, Object(settings)) in file.rules {
        let place = at(id.span());
        let Some(rule) = rules.rules.iter_mut().find(|r| &r.id == id.get_ref()) else {
            return Err(InputError::new(
                &name,
                place,
                format!(
                    "unknown rule id {:?} in [rules]; `contactscan rules list` shows the ids",
                    id.get_ref()
                ),
            ));
        };
        if let Some(severity) = settings.severity {
            rule.severity = severity;
        }
        if settings.enabled == Some(false) {
            disabled.push(rule.id.clone());
        }
        for (param, value) in settings.params {
            let place = at(param.span());
            let Some(default) = rule.params.get(param.get_ref()) else {
                let known: Vec<&str> = rule.params.keys().map(String::as_str).collect();
                return Err(InputError::new(
                    &name,
                    place,
                    format!(
                        "rule {} has no parameter {:?}; it has: {}",
                        rule.id,
                        param.get_ref(),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            };
            check_param_type(default, value.get_ref()).map_err(|expected| {
                InputError::new(
                    &name,
                    at(value.span()),
                    format!(
                        "parameter {} of rule {}: expected {expected}",
                        param.get_ref(),
                        rule.id
                    ),
                )
            })?;
            param_to_cel(value.get_ref())
                .map_err(|e| InputError::new(&name, at(value.span()), e))?;
            rule.params.insert(param.into_inner(), value.into_inner());
        }
    }
    rules.rules.retain(|r| !disabled.contains(&r.id));
    rules.disabled = disabled;
    let mut waivers = Vec::new();
    for entry in file.waivers {
        let expires = &entry.get_ref().0.expires;
        let last_day = last_day(expires.get_ref())
            .map_err(|e| InputError::new(&name, at(expires.span()), e))?;
        let place = at(entry.span());
        waivers.push(
            waiver(entry.into_inner().0, last_day, &all_ids)
                .map_err(|e| InputError::new(&name, place, e))?,
        );
    }
    Ok(Config {
        path: path.to_path_buf(),
        waivers,
    })
}

/// A parameter keeps the type of its default; list elements are strings unless the default
/// says otherwise.
fn check_param_type(default: &toml::Value, value: &toml::Value) -> Result<(), String> {
    if default.type_str() != value.type_str() {
        return Err(format!(
            "{} like the default {default}, got {}",
            kind(default),
            kind(value)
        ));
    }
    if let (toml::Value::Array(defaults), toml::Value::Array(items)) = (default, value) {
        let element = defaults.first().map_or("string", toml::Value::type_str);
        if let Some(bad) = items.iter().find(|v| v.type_str() != element) {
            return Err(format!("a list of {element}s, got {}: {bad}", kind(bad)));
        }
    }
    Ok(())
}

/// What a TOML value is, with its article: "a list", "a string", "a date"...
fn kind(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

fn waiver(entry: WaiverEntry, last_day: NaiveDate, rule_ids: &[String]) -> Result<Waiver, String> {
    let mut globs = GlobSetBuilder::new();
    if entry.rules.is_empty() {
        return Err("waiver: rules is empty; name the rule ids or globs it covers".into());
    }
    for pattern in &entry.rules {
        let glob = Glob::new(pattern)
            .map_err(|e| format!("waiver: invalid rule glob {pattern:?}: {e}"))?;
        let matcher = glob.compile_matcher();
        if !rule_ids.iter().any(|id| matcher.is_match(id)) {
            return Err(format!(
                "waiver: {pattern:?} matches no rule id; `contactscan rules list` shows them"
            ));
        }
        globs.add(glob);
    }
    if entry.accounts.is_empty() {
        return Err("waiver: accounts is empty; list account ids, or [\"*\"] for all".into());
    }
    if let Some(bad) = entry
        .accounts
        .iter()
        .find(|a| *a != "*" && !is_account_id(a))
    {
        return Err(format!(
            "waiver: account {bad:?} is not a 12-digit account id or \"*\""
        ));
    }
    if entry.contact_types.as_ref().is_some_and(Vec::is_empty) {
        return Err("waiver: contact_types is empty; list SECURITY, BILLING or OPERATIONS, or leave it out for all".into());
    }
    let contact_types = entry
        .contact_types
        .map(|types| {
            types
                .iter()
                .map(|t| t.parse::<ContactType>().map_err(|e| format!("waiver: {e}")))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    if entry.reason.trim().is_empty() || entry.owner.trim().is_empty() {
        return Err("waiver: reason and owner must not be blank (auditors need both)".into());
    }
    Ok(Waiver {
        rules: entry.rules,
        rule_globs: globs.build().map_err(|e| format!("waiver: {e}"))?,
        accounts: entry.accounts,
        contact_types,
        reason: entry.reason,
        owner: entry.owner,
        expires: last_day.format("%Y-%m-%d").to_string(),
        last_day,
    })
}

/// A waiver's last day, from its `expires` value.
fn last_day(expires: &toml::Value) -> Result<NaiveDate, String> {
    let text = match expires {
        toml::Value::Datetime(d) if d.date.is_some() && d.time.is_none() => d.to_string(),
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => {
            return Err(format!(
                "waiver: expires must be a date such as 2027-03-31 (it applies through the end of that day, UTC), got the date-time {d}"
            ))
        }
        other => {
            return Err(format!(
                "waiver: expires must be a date such as 2027-03-31, got {}: {other}",
                kind(other)
            ))
        }
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
        format!(
            "waiver: expires {text:?} is not a valid date; expected YYYY-MM-DD such as 2027-03-31"
        )
    })
}

/// The JSON Schema of the config file, for editors (`#:schema` in the TOML).
pub fn json_schema() -> String {
    // infallible: a schemars schema always serialises to JSON.
    serde_json::to_string_pretty(&schemars::schema_for!(ConfigFile))
        .expect("infallible: a schema serialises")
        + "\n"
}
