//! A plan from `terraform show -json`: `resource_changes[].change.after`, with
//! `after_unknown` values left unknown. Values are located at the plan file's line, or, with
//! the configuration's directory, where the HCL writes them.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value as Json;

use super::eval::ORGANIZATIONS_ACCOUNT;
use super::hcl::SourceFile;
use super::{AccountRef, Contact, CreatedAccount, Field, Resolved, CONTACT};
use crate::error::InputError;
use crate::inventory::{ContactField, Location};

/// Why a value the plan marks `after_unknown` has no verdict.
const AFTER_APPLY: &str =
    "the plan marks it known after apply (after_unknown): it depends on a resource or data source that does not exist yet";

/// Resolves the contacts and accounts a plan creates or keeps; `hcl` is the configuration
/// resolved statically, to locate them in the HCL.
pub(crate) fn resolve(path: &Path, hcl: Option<&Resolved>) -> Result<Resolved, InputError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(&name, "", format!("cannot read the plan: {e}")))?;
    let plan: Json = serde_json::from_str(&text).map_err(|e| {
        InputError::new(
            &name,
            format!("line {}, column {}", e.line(), e.column()),
            format!("not JSON ({e}); --terraform takes a root module directory or the output of `terraform show -json plan.out`"),
        )
    })?;
    let version = plan.get("format_version").and_then(Json::as_str);
    if !version.is_some_and(|v| v.starts_with("1.")) {
        return Err(InputError::new(
            &name,
            "format_version",
            "not a plan from `terraform show -json plan.out` (format_version 1.x expected)",
        ));
    }
    let Some(changes) = plan.get("resource_changes") else {
        let what = if plan.get("values").is_some() {
            "this is a state (`terraform show -json` without a plan file), not a plan"
        } else {
            "the plan has no resource_changes"
        };
        return Err(InputError::new(&name, "resource_changes", what));
    };
    let changes = changes.as_array().ok_or_else(|| {
        InputError::new(
            &name,
            "resource_changes",
            "expected an array of resource changes",
        )
    })?;
    let locator = Locator {
        text: &text,
        file: SourceFile::new(path, text.clone()),
    };
    let hcl_contacts: HashMap<&str, &Contact> = hcl
        .map(|r| r.contacts.iter().map(|c| (c.address.as_str(), c)).collect())
        .unwrap_or_default();
    let hcl_accounts: HashMap<&str, &CreatedAccount> = hcl
        .map(|r| r.accounts.iter().map(|a| (a.address.as_str(), a)).collect())
        .unwrap_or_default();
    let mut out = Resolved {
        warnings: hcl.map(|r| r.warnings.clone()).unwrap_or_default(),
        ..Resolved::default()
    };
    let created: HashSet<String> = changes
        .iter()
        .filter(|c| c["type"] == ORGANIZATIONS_ACCOUNT && c["change"]["after"].is_object())
        .filter_map(|c| c["address"].as_str().map(str::to_string))
        .collect();
    let mut cursor = locator.start();
    let entries: Vec<(usize, &Json)> = changes
        .iter()
        .enumerate()
        .filter(|(_, change)| {
            change.get("mode").and_then(Json::as_str) == Some("managed")
                && matches!(
                    change.get("type").and_then(Json::as_str),
                    Some(CONTACT | ORGANIZATIONS_ACCOUNT)
                )
        })
        .collect();
    for (i, change) in entries {
        let place = format!("resource_changes[{i}]");
        let address = change
            .get("address")
            .and_then(Json::as_str)
            .ok_or_else(|| InputError::new(&name, &place, "no address"))?;
        let at = locator.find_string(address, cursor);
        if let Some(found) = at {
            cursor = found;
        }
        let after = &change["change"]["after"];
        if !after.is_object() {
            // Deleted: nothing after apply.
            continue;
        }
        let unknown = &change["change"]["after_unknown"];
        let declared_at = at.map(|offset| locator.location(offset));
        if change["type"] == ORGANIZATIONS_ACCOUNT {
            let text = |key: &str| after.get(key).and_then(Json::as_str).map(str::to_string);
            let hcl = hcl_accounts.get(address);
            out.accounts.push(CreatedAccount {
                address: address.to_string(),
                name: text("name"),
                email: text("email"),
                at: hcl.and_then(|a| a.at.clone()).or(declared_at),
                undetermined: None,
            });
            continue;
        }
        let hcl = hcl_contacts.get(address).copied();
        let field_at = |key: &str| {
            let offset = locator.find_key(key, cursor)?;
            Some(locator.location(offset))
        };
        let value = |key: &str| -> Result<String, String> {
            if unknown.get(key) == Some(&Json::Bool(true)) {
                return Err(format!("{key}: {AFTER_APPLY}"));
            }
            match after.get(key) {
                Some(Json::String(s)) => Ok(s.clone()),
                Some(Json::Null) | None => Err(format!("{key} is null in the plan")),
                Some(other) => Err(format!("{key} is {other} in the plan, not a string")),
            }
        };
        let contact_type = value("alternate_contact_type").and_then(|t| t.parse());
        let fields = ContactField::ALL.map(|field| Field {
            value: value(field.as_str()),
            at: hcl
                .and_then(|c| c.fields[field.index()].at.clone())
                .or_else(|| field_at(field.as_str())),
        });
        let account = match (value("account_id"), hcl) {
            (Ok(id), _) => AccountRef::Id(id),
            (Err(_), Some(hcl)) => hcl.account.clone(),
            (Err(_), None) if unknown.get("account_id") == Some(&Json::Bool(true)) => {
                match created_by_reference(&plan, change, &created) {
                    Some(account) => AccountRef::Created(account),
                    None => AccountRef::Unknown(format!(
                        "account_id: {AFTER_APPLY}; give --terraform-dir DIR (the configuration) to map it to the account it creates"
                    )),
                }
            }
            (Err(_), None) => AccountRef::Provider(provider_key(&plan, change)),
        };
        out.contacts.push(Contact {
            address: address.to_string(),
            account,
            contact_type,
            fields,
            declared_at: hcl.and_then(|c| c.declared_at.clone()).or(declared_at),
        });
    }
    Ok(out)
}

/// The module call names of a module address, outermost first:
/// `module.acct["prod"].module.x[0]` gives `acct`, `x` (a key may hold any character).
fn module_names(address: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        names.push(&after[..end]);
        rest = &after[end..];
        if rest.starts_with('[') {
            // Skip the key: a quoted string (with escapes) or a number, up to its `]`.
            let mut quoted = false;
            let mut escaped = false;
            let mut close = rest.len();
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    _ if escaped => escaped = false,
                    '\\' if quoted => escaped = true,
                    '"' => quoted = !quoted,
                    ']' if !quoted => {
                        close = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            rest = &rest[close..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    names
}

/// The plan's `configuration` of the resource a change belongs to.
fn configuration<'p>(plan: &'p Json, change: &Json) -> Option<&'p Json> {
    let mut module = &plan["configuration"]["root_module"];
    if let Some(calls) = change.get("module_address").and_then(Json::as_str) {
        for name in module_names(calls) {
            module = &module["module_calls"][name]["module"];
        }
    }
    let configured = format!(
        "{}.{}",
        change["type"].as_str().unwrap_or_default(),
        change["name"].as_str().unwrap_or_default()
    );
    module["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"].as_str() == Some(configured.as_str()))
}

/// The provider configuration of a resource without `account_id`, from the plan's
/// `configuration` (`aws.security`), else `aws`.
fn provider_key(plan: &Json, change: &Json) -> String {
    configuration(plan, change)
        .and_then(|r| r["provider_config_key"].as_str())
        .map(|key| key.rsplit(':').next().unwrap_or(key).to_string())
        .unwrap_or_else(|| "aws".to_string())
}

/// The account a contact whose `account_id` is unknown belongs to, when the plan's
/// `configuration` says: its `account_id` refers to exactly one account the plan creates
/// (`aws_organizations_account.prod.id`), or is `each.value.id` of a `for_each` over the
/// accounts resource itself (the instance of the same key).
fn created_by_reference(plan: &Json, change: &Json, created: &HashSet<String>) -> Option<String> {
    let config = configuration(plan, change)?;
    let prefix = change
        .get("module_address")
        .and_then(Json::as_str)
        .map_or(String::new(), |m| format!("{m}."));
    let references = |expression: &Json| -> Vec<String> {
        expression["references"]
            .as_array()
            .map(|refs| {
                refs.iter()
                    .filter_map(Json::as_str)
                    .map(|r| format!("{prefix}{r}"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let account_id = references(&config["expressions"]["account_id"]);
    let mut named: Vec<&String> = account_id.iter().filter(|r| created.contains(*r)).collect();
    named.dedup();
    if let [account] = named.as_slice() {
        return Some(account.to_string());
    }
    let each_value = account_id.iter().any(|r| r.ends_with("each.value"));
    let over = references(&config["for_each_expression"]);
    match (each_value, over.as_slice(), change.get("index")) {
        (true, [resource], Some(key @ Json::String(_))) => {
            let instance = format!("{resource}[{key}]");
            created.contains(&instance).then_some(instance)
        }
        _ => None,
    }
}

/// Finds where things are written in the plan's text.
struct Locator<'t> {
    text: &'t str,
    file: SourceFile,
}

impl Locator<'_> {
    /// Where `resource_changes` starts (addresses before it belong to other sections).
    fn start(&self) -> usize {
        self.text.find("\"resource_changes\"").unwrap_or(0)
    }

    /// The offset of the JSON string `value` at or after `from`.
    fn find_string(&self, value: &str, from: usize) -> Option<usize> {
        let quoted = serde_json::to_string(value).ok()?;
        self.text.get(from..)?.find(&quoted).map(|i| from + i)
    }

    /// The offset of the key `key` of the `after` object of the resource change whose address
    /// is at `from` (not past the next change's address).
    fn find_key(&self, key: &str, from: usize) -> Option<usize> {
        let after = from + self.text.get(from..)?.find("\"after\"")?;
        let end = self
            .text
            .get(after..)?
            .find("\"address\"")
            .map_or(self.text.len(), |i| after + i);
        self.find_string(key, after).filter(|at| *at < end)
    }

    fn location(&self, offset: usize) -> Location {
        self.file.location(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_addresses_split_into_call_names() {
        assert_eq!(
            module_names("module.account_module.module.x"),
            ["account_module", "x"]
        );
        assert_eq!(
            module_names("module.acct[\"prod.module.y\"].module.x[0]"),
            ["acct", "x"]
        );
        assert_eq!(module_names("module.a"), ["a"]);
        assert!(module_names("").is_empty());
    }
}
