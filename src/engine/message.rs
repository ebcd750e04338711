//! Finding messages: `{path}` placeholders over the rule's variables, rendered per finding.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::inventory::{Account, AlternateContact, ContactType, Slot};

const CONTACT_FIELDS: [&str; 5] = ["type", "name", "title", "email_address", "phone_number"];
const ACCOUNT_FIELDS: [&str; 4] = ["id", "name", "email", "state"];
const ORG_FIELDS: [&str; 2] = ["accounts", "dominant_security_domain"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Placeholder {
    Evidence,
    Account(&'static str),
    Contact(&'static str),
    Contacts(ContactType, &'static str),
    Param(String),
    Org(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Value(Placeholder),
}

/// A parsed message such as `{contact.type} contact email {contact.email_address} uses {evidence}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    source: String,
    segments: Vec<Segment>,
}

/// What a message is rendered from.
pub struct MessageInput<'a> {
    pub account: &'a Account,
    pub contact_type: Option<ContactType>,
    pub evidence: Option<&'a str>,
    pub params: &'a BTreeMap<String, toml::Value>,
    pub org_accounts: usize,
    pub dominant_security_domain: &'a str,
}

impl MessageTemplate {
    /// Parses a template; unknown placeholders and unbalanced braces are errors.
    pub fn parse(source: &str, params: &BTreeMap<String, toml::Value>) -> Result<Self, String> {
        let mut segments = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find('{') {
            if rest[..open].contains('}') {
                return Err(format!("unmatched '}}' in {source:?}"));
            }
            if open > 0 {
                segments.push(Segment::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("unclosed '{{' in {source:?}"))?;
            let path = &after[..close];
            segments.push(Segment::Value(parse_placeholder(path, params).ok_or_else(|| {
                format!(
                    "unknown placeholder {{{path}}} in {source:?}; expected {{evidence}}, {{account.<{}>}}, {{contact.<{}>}}, {{contacts.<TYPE>.<field>}}, {{params.<name>}} or {{org.<{}>}}",
                    ACCOUNT_FIELDS.join("|"),
                    CONTACT_FIELDS.join("|"),
                    ORG_FIELDS.join("|")
                )
            })?));
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(format!("unmatched '}}' in {source:?}"));
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_string()));
        }
        Ok(MessageTemplate {
            source: source.to_string(),
            segments,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the template reads `{contact.*}`, which needs a contact-scope rule.
    pub fn uses_contact(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Value(Placeholder::Contact(_))))
    }

    /// Renders the message for one finding.
    pub fn render(&self, input: &MessageInput<'_>) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Value(placeholder) => render_placeholder(&mut out, placeholder, input),
            }
        }
        out
    }
}

fn field(names: &[&'static str], name: &str) -> Option<&'static str> {
    names.iter().copied().find(|n| *n == name)
}

fn parse_placeholder(path: &str, params: &BTreeMap<String, toml::Value>) -> Option<Placeholder> {
    let parts: Vec<&str> = path.trim().split('.').collect();
    match parts.as_slice() {
        ["evidence"] => Some(Placeholder::Evidence),
        ["account", f] => field(&ACCOUNT_FIELDS, f).map(Placeholder::Account),
        ["contact", f] => field(&CONTACT_FIELDS, f).map(Placeholder::Contact),
        ["contacts", t, f] => {
            let contact_type = t.parse().ok()?;
            field(&CONTACT_FIELDS, f).map(|f| Placeholder::Contacts(contact_type, f))
        }
        ["params", name] if params.contains_key(*name) => {
            Some(Placeholder::Param(name.to_string()))
        }
        ["org", f] => field(&ORG_FIELDS, f).map(Placeholder::Org),
        _ => None,
    }
}

fn contact_field(out: &mut String, account: &Account, contact_type: ContactType, name: &str) {
    if name == "type" {
        out.push_str(contact_type.as_str());
        return;
    }
    let contact: Option<&AlternateContact> = match account.slot(contact_type) {
        Slot::Registered(c) => Some(c),
        _ => None,
    };
    match (contact, name) {
        (None, _) => out.push_str("(none)"),
        (Some(c), "name") => out.push_str(&c.name),
        (Some(c), "title") => out.push_str(&c.title),
        (Some(c), "email_address") => out.push_str(&c.email_address),
        (Some(c), _) => out.push_str(&c.phone_number),
    }
}

fn render_placeholder(out: &mut String, placeholder: &Placeholder, input: &MessageInput<'_>) {
    let account = input.account;
    match placeholder {
        Placeholder::Evidence => out.push_str(input.evidence.unwrap_or("")),
        Placeholder::Account(f) => out.push_str(match *f {
            "id" => &account.id,
            "name" => &account.name,
            "email" => &account.email,
            _ => &account.state,
        }),
        Placeholder::Contact(f) => {
            if let Some(t) = input.contact_type {
                contact_field(out, account, t, f);
            }
        }
        Placeholder::Contacts(t, f) => contact_field(out, account, *t, f),
        Placeholder::Param(name) => match input.params.get(name) {
            Some(toml::Value::String(s)) => out.push_str(s),
            Some(toml::Value::Array(items)) => {
                let texts: Vec<String> = items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect();
                out.push_str(&texts.join(", "));
            }
            Some(other) => {
                let _ = write!(out, "{other}");
            }
            None => {}
        },
        Placeholder::Org(f) => match *f {
            "accounts" => {
                let _ = write!(out, "{}", input.org_accounts);
            }
            _ => out.push_str(input.dominant_security_domain),
        },
    }
}
