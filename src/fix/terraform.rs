//! `contactscan fix --emit terraform`: the desired contacts as `aws_account_alternate_contact`
//! resources, with `import` blocks for the contacts that already exist, so that `terraform plan`
//! adopts them and updates them in place instead of creating them again. The output is
//! formatted as `terraform fmt` writes it.

use std::fmt::Write;

use crate::fix::plan::{Action, Plan};
use crate::inventory::{AlternateContact, ContactType, Inventory};

/// An HCL string literal: quotes, backslashes and control characters escaped, and the `${`
/// and `%{` of template sequences doubled so that they stay literal.
fn hcl_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A block body with its `=` aligned, as `terraform fmt` aligns consecutive attributes.
fn attributes(out: &mut String, pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in pairs {
        let _ = writeln!(out, "  {key:<width$} = {value}");
    }
}

/// The resource name of one contact: `security_222222222222`.
fn resource_name(contact_type: ContactType, account_id: &str) -> String {
    format!(
        "{}_{account_id}",
        contact_type.as_str().to_ascii_lowercase()
    )
}

/// The configuration for every slot `plan` gives a desired contact (an `enforce` plan gives
/// every slot it can). `own_account` is the account Terraform's provider runs as: its contacts
/// have no `account_id`.
pub fn emit(plan: &Plan, inventory: &Inventory, own_account: Option<&str>) -> String {
    let mut out = String::from(
        "# The desired alternate contacts, written by `contactscan fix --emit terraform`.\n\
         # Import blocks adopt the contacts that already exist (Terraform 1.5 or later).\n",
    );
    for item in &plan.items {
        let account = &inventory.accounts[item.account];
        let (Some(after), Action::Create | Action::Update | Action::Unchanged) =
            (&item.after, item.action)
        else {
            if item.action == Action::Skip && account.is_active() {
                let _ = write!(
                    out,
                    "\n# {} {}: left out, {}\n",
                    account.id,
                    item.contact_type,
                    item.reason.replace('\n', " ")
                );
            }
            continue;
        };
        let name = resource_name(item.contact_type, &account.id);
        let member = own_account != Some(account.id.as_str());
        out.push('\n');
        let _ = writeln!(
            out,
            "resource \"aws_account_alternate_contact\" \"{name}\" {{"
        );
        attributes(
            &mut out,
            &resource_attributes(item.contact_type, after, member.then_some(&account.id)),
        );
        out.push_str("}\n");
        if item.before.is_some() {
            let id = if member {
                format!("{}/{}", account.id, item.contact_type)
            } else {
                item.contact_type.to_string()
            };
            out.push('\n');
            out.push_str("import {\n");
            attributes(
                &mut out,
                &[
                    ("to", format!("aws_account_alternate_contact.{name}")),
                    ("id", hcl_string(&id)),
                ],
            );
            out.push_str("}\n");
        }
    }
    out
}

fn resource_attributes(
    contact_type: ContactType,
    contact: &AlternateContact,
    account_id: Option<&String>,
) -> Vec<(&'static str, String)> {
    let mut pairs = Vec::new();
    if let Some(id) = account_id {
        pairs.push(("account_id", hcl_string(id)));
    }
    pairs.extend([
        ("alternate_contact_type", hcl_string(contact_type.as_str())),
        ("name", hcl_string(&contact.name)),
        ("title", hcl_string(&contact.title)),
        ("email_address", hcl_string(&contact.email_address)),
        ("phone_number", hcl_string(&contact.phone_number)),
    ]);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_stay_literal() {
        assert_eq!(hcl_string("Ops \"A\" \\ team"), r#""Ops \"A\" \\ team""#);
        assert_eq!(
            hcl_string("${var.x} %{if} $5 %d"),
            r#""$${var.x} %%{if} $5 %d""#
        );
        assert_eq!(hcl_string("a\nb\u{7}"), r#""a\nb\u0007""#);
    }

    #[test]
    fn attributes_are_aligned_like_terraform_fmt() {
        let mut out = String::new();
        attributes(&mut out, &[("to", "x".into()), ("id", "\"y\"".into())]);
        attributes(
            &mut out,
            &[("account_id", "1".into()), ("name", "2".into())],
        );
        assert_eq!(
            out,
            "  to = x\n  id = \"y\"\n  account_id = 1\n  name       = 2\n"
        );
    }
}
