//! The variables of rule conditions and messages (`account`, `contact`, `contacts`, `params`,
//! `org`): their names, fields and meaning in one place, and the CEL values evaluation binds.
//! Evaluation, message templates, the load-time check and `rules explain` all read this.

use std::collections::BTreeMap;
use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::Value;

use crate::engine::org::OrgFacts;
use crate::inventory::{Account, ContactField, ContactType, Slot};

/// A root variable of rule conditions.
pub struct Variable {
    pub name: &'static str,
    /// Its fields, each with a note for `rules explain` ("" when none).
    pub fields: &'static [(&'static str, &'static str)],
    /// What it is, after the fields.
    pub help: &'static str,
}

/// The fields of `account`.
pub const ACCOUNT_FIELDS: [(&str, &str); 4] = [
    ("id", ""),
    ("name", ""),
    ("email", "the root email"),
    ("state", ""),
];

/// The fields of `contact` (and of each contact in `contacts`): `type`, then the contact's
/// own fields ([`ContactField`]).
pub const CONTACT_FIELDS: [(&str, &str); 5] = [
    ("type", ""),
    ("name", ""),
    ("title", ""),
    ("email_address", ""),
    ("phone_number", ""),
];

/// The fields of `org`; messages can name the scalar ones (the first and the last).
pub const ORG_FIELDS: [(&str, &str); 4] = [
    ("accounts", "int"),
    ("security_emails", "value -> number of accounts"),
    ("security_domains", "value -> number of accounts"),
    ("dominant_security_domain", "\"\" when none"),
];

/// Every root variable, in the order `rules explain` lists them.
pub const VARIABLES: [Variable; 5] = [
    Variable {
        name: "account",
        fields: &ACCOUNT_FIELDS,
        help: "strings, \"\" when unknown",
    },
    Variable {
        name: "contact",
        fields: &CONTACT_FIELDS,
        help: "null when the slot is not registered",
    },
    Variable {
        name: "contacts",
        fields: &[],
        help: "map from SECURITY, BILLING, OPERATIONS to a contact or null; an unreadable slot \
               makes the verdict ERROR (no finding when applies is false without the contacts)",
    },
    Variable {
        name: "params",
        fields: &[],
        help: "the rule's [params], as overridden in contactscan.toml",
    },
    Variable {
        name: "org",
        fields: &ORG_FIELDS,
        help: "facts over the organization's active accounts",
    },
];

/// Whether `name` is a root variable.
pub fn is_variable(name: &str) -> bool {
    VARIABLES.iter().any(|v| v.name == name)
}

/// `name: field, field (note); help`, one line per variable, for `rules explain`.
pub fn describe() -> String {
    VARIABLES
        .iter()
        .map(|variable| {
            let fields: Vec<String> = variable
                .fields
                .iter()
                .map(|(field, note)| match *note {
                    "" => field.to_string(),
                    note => format!("{field} ({note})"),
                })
                .collect();
            match fields.is_empty() {
                true => format!("{}: {}\n", variable.name, variable.help),
                false => format!(
                    "{}: {}; {}\n",
                    variable.name,
                    fields.join(", "),
                    variable.help
                ),
            }
        })
        .collect()
}

/// The value of an `account` field.
pub fn account_field<'a>(account: &'a Account, field: &str) -> &'a str {
    match field {
        "id" => &account.id,
        "name" => &account.name,
        "email" => &account.email,
        _ => &account.state,
    }
}

fn map(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Map(Map {
        map: Arc::new(
            entries
                .into_iter()
                .map(|(k, v)| (Key::from(k), v))
                .collect(),
        ),
    })
}

/// The `account` variable.
pub fn account_value(account: &Account) -> Value {
    map(ACCOUNT_FIELDS
        .iter()
        .map(|(field, _)| (*field, Value::from(account_field(account, field)))))
}

/// The `contact` variable of one slot: its fields, or `null` when not registered.
pub fn slot_value(contact_type: ContactType, slot: &Slot) -> Value {
    match slot {
        Slot::Registered(contact) => {
            map(
                std::iter::once(("type", Value::from(contact_type.as_str()))).chain(
                    ContactField::ALL
                        .into_iter()
                        .map(|field| (field.as_str(), Value::from(contact.field(field)))),
                ),
            )
        }
        _ => Value::Null,
    }
}

/// The `contacts` map; an unreadable slot has no key, so reading it is an error, not a guess.
pub fn contacts_value(account: &Account) -> Value {
    map(ContactType::ALL
        .into_iter()
        .filter(|t| !matches!(account.slot(*t), Slot::Unreadable { .. }))
        .map(|t| (t.as_str(), slot_value(t, account.slot(t)))))
}

/// The `org` variable.
pub fn org_value(org: &OrgFacts) -> Value {
    let counts = |m: &BTreeMap<String, usize>| {
        Value::Map(Map {
            map: Arc::new(
                m.iter()
                    .map(|(k, v)| (Key::from(k.as_str()), Value::Int(*v as i64)))
                    .collect(),
            ),
        })
    };
    map(ORG_FIELDS.iter().map(|(field, _)| {
        let value = match *field {
            "accounts" => Value::Int(org.accounts as i64),
            "security_emails" => counts(&org.security_emails),
            "security_domains" => counts(&org.security_domains),
            _ => Value::from(org.dominant_security_domain.as_str()),
        };
        (*field, value)
    }))
}

/// The text of a scalar `org` field in a message, `None` for the maps.
pub fn org_field_text(org: &OrgFacts, field: &str) -> Option<String> {
    match field {
        "accounts" => Some(org.accounts.to_string()),
        "dominant_security_domain" => Some(org.dominant_security_domain.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_fields_follow_the_inventory() {
        let own: Vec<&str> = CONTACT_FIELDS[1..].iter().map(|(f, _)| *f).collect();
        let inventory: Vec<&str> = ContactField::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(own, inventory);
    }

    #[test]
    fn every_org_field_has_a_value_and_only_scalars_render() {
        let Value::Map(value) = org_value(&OrgFacts::default()) else {
            panic!("org is a map");
        };
        assert_eq!(value.map.len(), ORG_FIELDS.len());
        let rendered: Vec<&str> = ORG_FIELDS
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| org_field_text(&OrgFacts::default(), f).is_some())
            .collect();
        assert_eq!(rendered, ["accounts", "dominant_security_domain"]);
    }
}
