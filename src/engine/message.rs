//! Finding messages and remediations: `{path}` placeholders over the rule's variables,
//! rendered per finding. Remediations may also say `{fix.command}`: the complete
//! `aws account put-alternate-contact` command for the finding (see [`crate::remediation`]).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::engine::org::OrgFacts;
use crate::engine::variables::{
    account_field, org_field_text, ACCOUNT_FIELDS, CONTACT_FIELDS, ORG_FIELDS,
};
use crate::inventory::{Account, ContactField, ContactType, Slot};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Placeholder {
    Evidence,
    Account(&'static str),
    Contact(&'static str),
    Contacts(ContactType, &'static str),
    Param(String),
    Org(&'static str),
    /// `{fix.command}`, in remediations only.
    FixCommand,
}

impl Placeholder {
    /// The placeholder as written, without braces.
    fn path(&self) -> String {
        match self {
            Placeholder::Evidence => "evidence".to_string(),
            Placeholder::Account(f) => format!("account.{f}"),
            Placeholder::Contact(f) => format!("contact.{f}"),
            Placeholder::Contacts(t, f) => format!("contacts.{t}.{f}"),
            Placeholder::Param(name) => format!("params.{name}"),
            Placeholder::Org(f) => format!("org.{f}"),
            Placeholder::FixCommand => "fix.command".to_string(),
        }
    }
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
    pub org: &'a OrgFacts,
    /// What `{fix.command}` renders to.
    pub fix_command: &'a str,
}

impl MessageTemplate {
    /// Parses a message template; unknown placeholders and unbalanced braces are errors.
    pub fn parse(source: &str, params: &BTreeMap<String, toml::Value>) -> Result<Self, String> {
        Self::parse_with(source, params, false)
    }

    /// Parses a remediation template: a message template that may also use `{fix.command}`.
    pub fn parse_remediation(
        source: &str,
        params: &BTreeMap<String, toml::Value>,
    ) -> Result<Self, String> {
        Self::parse_with(source, params, true)
    }

    fn parse_with(
        source: &str,
        params: &BTreeMap<String, toml::Value>,
        remediation: bool,
    ) -> Result<Self, String> {
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
            let placeholder = match parse_placeholder(path, params) {
                Some(Placeholder::FixCommand) if !remediation => None,
                other => other,
            };
            segments.push(Segment::Value(placeholder.ok_or_else(|| {
                format!(
                    "unknown placeholder {{{path}}} in {source:?}; expected {{evidence}}, {{account.<{}>}}, {{contact.<{}>}}, {{contacts.<TYPE>.<field>}}, {{params.<name>}} or {{org.<{}>}}{}",
                    names(ACCOUNT_FIELDS.iter()),
                    names(CONTACT_FIELDS.iter()),
                    names(ORG_FIELDS.iter().filter(|(f, _)| is_scalar_org_field(f))),
                    if remediation { ", or {fix.command}" } else { " ({fix.command} only in a remediation)" }
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

    /// Whether the template says `{fix.command}`.
    pub fn uses_fix_command(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Value(Placeholder::FixCommand)))
    }

    /// Whether the template is `{fix.command}` alone: its rendering is the command as it is.
    pub fn is_fix_command(&self) -> bool {
        matches!(
            self.segments.as_slice(),
            [Segment::Value(Placeholder::FixCommand)]
        )
    }

    /// Renders the template for no finding in particular (`rules explain`, SARIF rule help):
    /// `{fix.command}` as `fix_command`, other placeholders as written.
    pub fn render_generic(&self, fix_command: &str) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Value(Placeholder::FixCommand) => out.push_str(fix_command),
                Segment::Value(other) => {
                    let _ = write!(out, "{{{}}}", other.path());
                }
            }
        }
        out
    }

    /// Renders the message for one finding.
    pub fn render(&self, input: &MessageInput<'_>) -> String {
        // Room for the text and typical values (an address, the evidence, the command) at
        // once, rather than growing by doubling from nothing.
        let mut out = String::with_capacity(self.source.len() + input.fix_command.len() + 96);
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Value(placeholder) => render_placeholder(&mut out, placeholder, input),
            }
        }
        out
    }
}

/// Field names joined with `|`.
fn names<'a>(fields: impl Iterator<Item = &'a (&'static str, &'static str)>) -> String {
    fields.map(|(f, _)| *f).collect::<Vec<_>>().join("|")
}

/// Whether a message can show an `org` field (its maps have no text).
fn is_scalar_org_field(name: &str) -> bool {
    org_field_text(&OrgFacts::default(), name).is_some()
}

fn field(fields: &[(&'static str, &'static str)], name: &str) -> Option<&'static str> {
    fields.iter().map(|(f, _)| *f).find(|f| *f == name)
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
        ["org", f] if is_scalar_org_field(f) => field(&ORG_FIELDS, f).map(Placeholder::Org),
        ["fix", "command"] => Some(Placeholder::FixCommand),
        _ => None,
    }
}

fn contact_field(out: &mut String, account: &Account, contact_type: ContactType, name: &str) {
    if name == "type" {
        out.push_str(contact_type.as_str());
        return;
    }
    match (account.slot(contact_type), ContactField::named(name)) {
        (Slot::Registered(contact), Some(field)) => out.push_str(contact.field(field)),
        _ => out.push_str("(none)"),
    }
}

fn render_placeholder(out: &mut String, placeholder: &Placeholder, input: &MessageInput<'_>) {
    let account = input.account;
    match placeholder {
        Placeholder::Evidence => out.push_str(input.evidence.unwrap_or("")),
        Placeholder::Account(f) => out.push_str(account_field(account, f)),
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
        Placeholder::Org(f) => out.push_str(&org_field_text(input.org, f).unwrap_or_default()),
        Placeholder::FixCommand => out.push_str(input.fix_command),
    }
}
