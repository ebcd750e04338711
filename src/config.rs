//! The config file (`contactscan.toml`): rule overrides, waivers and the desired contacts of
//! `contactscan fix`, validated strictly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use globset::{Glob, GlobSetBuilder};
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::engine::functions::param_to_cel;
use crate::engine::heuristics::email::{email_domain, email_problem};
use crate::engine::rule::line_column;
use crate::engine::RuleSet;
use crate::error::InputError;
use crate::finding::Severity;
use crate::fix::desired::{AccountSelector, DesiredContacts, OuSelector, Override};
use crate::inventory::{is_account_id, AlternateContact, ContactType};
use crate::strict::{self, Object};
use crate::waiver::Waiver;

/// The file looked for from the working directory up when `--config` is not given.
pub const DEFAULT_FILE: &str = "contactscan.toml";

/// The rule whose expected addresses the desired SECURITY contacts declare.
const CONSISTENCY_RULE: &str = "security-contact-consistent";

/// `contactscan.toml`: per-rule overrides, waivers and desired contacts.
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
    /// The contacts `contactscan fix` sets: a default per type for every account, and
    /// overrides for the accounts they select. The SECURITY default (with the overrides'
    /// SECURITY addresses) is also the organization's expected address for
    /// security-contact-consistent unless that rule's approved_* params are set.
    #[serde(default, deserialize_with = "strict::optional_object")]
    contacts: Option<ContactsSection>,
}

/// `[contacts]`: desired alternate contacts.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = contacts_example())]
struct ContactsSection {
    /// The SECURITY contact of every account an override does not cover.
    #[serde(
        rename = "SECURITY",
        default,
        deserialize_with = "strict::optional_object"
    )]
    security: Option<ContactEntry>,
    /// The BILLING contact of every account an override does not cover.
    #[serde(
        rename = "BILLING",
        default,
        deserialize_with = "strict::optional_object"
    )]
    billing: Option<ContactEntry>,
    /// The OPERATIONS contact of every account an override does not cover.
    #[serde(
        rename = "OPERATIONS",
        default,
        deserialize_with = "strict::optional_object"
    )]
    operations: Option<ContactEntry>,
    /// Contacts for some accounts: selectors combine with AND; the last matching override wins.
    #[serde(default)]
    #[schemars(with = "Vec<OverrideEntry>")]
    overrides: Vec<Spanned<Object<OverrideEntry>>>,
}

fn contacts_example() -> serde_json::Value {
    serde_json::json!({
        "SECURITY": {
            "name": "Security Operations",
            "title": "Security Team",
            "email_address": "security@corp.example",
            "phone_number": "+1 206 266 1000"
        },
        "overrides": [{
            "types": ["OPERATIONS"],
            "accounts": ["222222222222"],
            "ous": ["Root/Workloads/Prod", "ou-ab12-cdef3456"],
            "name": "Payments On-call",
            "title": "Operations",
            "email_address": "payments-oncall@corp.example",
            "phone_number": "+1 206 266 1001"
        }]
    })
}

/// One desired contact: every field required, within the Account Management API's limits.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ContactEntry {
    /// The name AWS addresses its messages to (at most 64 characters).
    #[schemars(with = "String", length(min = 1, max = 64))]
    name: Spanned<String>,
    /// The contact's role (at most 50 characters).
    #[schemars(with = "String", length(min = 1, max = 50))]
    title: Spanned<String>,
    /// A monitored team address (at most 254 characters).
    #[schemars(with = "String", length(min = 1, max = 254))]
    email_address: Spanned<String>,
    /// Digits, spaces and `+-()` (at most 25 characters), best as +<country code> <number>.
    #[schemars(
        with = "String",
        length(min = 1, max = 25),
        regex(pattern = r"^[\s0-9()+-]+$")
    )]
    phone_number: Spanned<String>,
}

/// One `[[contacts.overrides]]` entry: selectors, then the contact's four fields.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OverrideEntry {
    /// SECURITY, BILLING, OPERATIONS; all three when absent.
    #[serde(default)]
    types: Option<Vec<String>>,
    /// Account ids (12 digits) or account name globs (`sandbox-*`); any account when absent.
    #[serde(default)]
    accounts: Option<Vec<String>>,
    /// OU paths from the root (`Root/Workloads/Prod`) or OU ids (`ou-ab12-cdef3456`); an account
    /// in a child OU matches. Any OU when absent.
    #[serde(default)]
    ous: Option<Vec<String>>,
    /// The name AWS addresses its messages to (at most 64 characters).
    #[schemars(with = "String", length(min = 1, max = 64))]
    name: Spanned<String>,
    /// The contact's role (at most 50 characters).
    #[schemars(with = "String", length(min = 1, max = 50))]
    title: Spanned<String>,
    /// A monitored team address (at most 254 characters).
    #[schemars(with = "String", length(min = 1, max = 254))]
    email_address: Spanned<String>,
    /// Digits, spaces and `+-()` (at most 25 characters), best as +<country code> <number>.
    #[schemars(
        with = "String",
        length(min = 1, max = 25),
        regex(pattern = r"^[\s0-9()+-]+$")
    )]
    phone_number: Spanned<String>,
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

/// A loaded config: where it came from, its waivers and desired contacts (overrides are
/// applied to the rules).
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub waivers: Vec<Waiver>,
    /// `[contacts]`, when the file has it.
    pub contacts: Option<DesiredContacts>,
}

/// The config file to use: `explicit`, else the first `contactscan.toml` from the working
/// directory up to the repository root (a directory with a `.git` entry) or the home
/// directory, as ruff finds its config; outside both, only the working directory's.
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let start = std::env::current_dir().ok()?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let is_boundary = |dir: &Path| dir.join(".git").exists() || home.as_deref() == Some(dir);
    // Outside a repository and the home directory (a CI job's scratch directory), only the
    // working directory's own file counts: a stray file above it must not set the policy.
    let searched: Vec<&Path> = match start.ancestors().position(is_boundary) {
        Some(boundary) => start.ancestors().take(boundary + 1).collect(),
        None => vec![start.as_path()],
    };
    searched.into_iter().find_map(|dir| {
        let candidate = dir.join(DEFAULT_FILE);
        // Relative to the working directory when it is the working directory's own.
        candidate.is_file().then(|| {
            if dir == start {
                PathBuf::from(DEFAULT_FILE)
            } else {
                candidate
            }
        })
    })
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
    let contacts = file
        .contacts
        .map(|section| desired_contacts(section, &at))
        .transpose()
        .map_err(|(place, message)| InputError::new(&name, place, message))?;
    if let Some(contacts) = &contacts {
        expect_desired_security(contacts, rules);
    }
    Ok(Config {
        path: path.to_path_buf(),
        waivers,
        contacts,
    })
}

/// Desired contacts are the organization's declared policy: without `approved_*` params of
/// its own, security-contact-consistent expects the configured SECURITY addresses and their
/// domains, so a scan, `fix` and the rule agree on what is right.
fn expect_desired_security(contacts: &DesiredContacts, rules: &mut RuleSet) {
    if contacts.default_for(ContactType::Security).is_none() {
        return;
    }
    let Some(rule) = rules.rules.iter_mut().find(|r| r.id == CONSISTENCY_RULE) else {
        return;
    };
    let unset = |key: &str| {
        rule.params
            .get(key)
            .and_then(toml::Value::as_array)
            .is_none_or(Vec::is_empty)
    };
    if !(unset("approved_emails") && unset("approved_domains")) {
        return;
    }
    let emails = contacts.security_addresses();
    let mut domains: Vec<String> = emails.iter().map(|e| email_domain(e)).collect();
    domains.dedup();
    let list = |items: Vec<String>| {
        toml::Value::Array(items.into_iter().map(toml::Value::String).collect())
    };
    rule.params.insert("approved_emails".into(), list(emails));
    rule.params.insert("approved_domains".into(), list(domains));
}

/// A place in the config file and what is wrong there.
type Misplaced = (String, String);

/// Validates `[contacts]` into the desired contacts; `at` turns a span into a place.
fn desired_contacts(
    section: ContactsSection,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> Result<DesiredContacts, Misplaced> {
    let mut desired = DesiredContacts::default();
    for (contact_type, entry) in [
        (ContactType::Security, section.security),
        (ContactType::Billing, section.billing),
        (ContactType::Operations, section.operations),
    ] {
        if let Some(entry) = entry {
            let fields = [
                entry.name,
                entry.title,
                entry.email_address,
                entry.phone_number,
            ];
            desired.defaults[contact_type.index()] =
                Some(contact(&format!("contacts.{contact_type}"), fields, at)?);
        }
    }
    for (index, entry) in section.overrides.into_iter().enumerate() {
        let place = at(entry.span());
        let entry = entry.into_inner().0;
        let what = format!("contacts.overrides[{index}]");
        let fail = |message: String| (place.clone(), format!("{what}: {message}"));
        let types = match entry.types {
            None => ContactType::ALL.to_vec(),
            Some(names) if names.is_empty() => {
                return Err(fail("types is empty; list SECURITY, BILLING or OPERATIONS, or leave it out for all three".into()))
            }
            Some(names) => {
                let mut types = Vec::new();
                for name in names {
                    let t: ContactType = name.parse().map_err(fail)?;
                    if types.contains(&t) {
                        return Err(fail(format!("types lists {t} twice")));
                    }
                    types.push(t);
                }
                types
            }
        };
        let accounts =
            selectors(entry.accounts, "accounts", AccountSelector::parse).map_err(fail)?;
        let ous = selectors(entry.ous, "ous", OuSelector::parse).map_err(fail)?;
        if accounts.is_empty() && ous.is_empty() {
            return Err(fail("selects no account: give accounts (ids or name globs) or ous (OU paths or ids); for every account, set [contacts.<TYPE>] instead".into()));
        }
        let fields = [
            entry.name,
            entry.title,
            entry.email_address,
            entry.phone_number,
        ];
        desired.overrides.push(Override {
            types,
            accounts,
            ous,
            contact: contact(&what, fields, at)?,
        });
    }
    Ok(desired)
}

/// The entries of an optional selector list; an empty list is an error (leave it out).
fn selectors<T>(
    entries: Option<Vec<String>>,
    key: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    match entries {
        None => Ok(Vec::new()),
        Some(entries) if entries.is_empty() => Err(format!(
            "{key} is empty; list what it selects, or leave it out to select any"
        )),
        Some(entries) => entries.iter().map(|e| parse(e)).collect(),
    }
}

/// Checks the four fields of a desired contact against the Account Management API's limits
/// (PutAlternateContact would refuse them otherwise).
fn contact(
    what: &str,
    [name, title, email, phone]: [Spanned<String>; 4],
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> Result<AlternateContact, Misplaced> {
    let check = |field: &Spanned<String>, key: &str, max: usize| -> Result<String, Misplaced> {
        let value = field.get_ref();
        let fail = |message: String| (at(field.span()), format!("{what}.{key}: {message}"));
        if value.trim().is_empty() {
            return Err(fail(
                "is blank; every field of a desired contact is required".into(),
            ));
        }
        let length = value.chars().count();
        if length > max {
            return Err(fail(format!(
                "is {length} characters long; the Account Management API allows at most {max}"
            )));
        }
        if let Some(bad) = value.chars().find(|c| c.is_control()) {
            return Err(fail(format!("contains the control character {bad:?}")));
        }
        Ok(value.clone())
    };
    let email_address = check(&email, "email_address", 254)?;
    if let Some(problem) = email_problem(email_address.trim()) {
        return Err((
            at(email.span()),
            format!(
                "{what}.email_address: {email_address:?} is not a deliverable address: {problem}"
            ),
        ));
    }
    let phone_number = check(&phone, "phone_number", 25)?;
    if let Some(bad) = phone_number
        .chars()
        .find(|c| !(c.is_ascii_digit() || c.is_whitespace() || "+-()".contains(*c)))
    {
        return Err((
            at(phone.span()),
            format!("{what}.phone_number: {phone_number:?} has {bad:?}; the API accepts digits, spaces and + - ( ) only"),
        ));
    }
    Ok(AlternateContact {
        name: check(&name, "name", 64)?,
        title: check(&title, "title", 50)?,
        email_address,
        phone_number,
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
