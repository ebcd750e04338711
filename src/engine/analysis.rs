//! What a compiled CEL condition reads, beyond `Program::references()`: the variables its
//! macros bind (`all(t, ...)`), which slots of `contacts` it selects, and which contact fields
//! it reads.

use std::collections::BTreeSet;

use cel::common::ast::{EntryExpr, Expr, LiteralValue};
use cel::IdedExpr;

use crate::inventory::{ContactField, ContactType};

/// The facts of one condition.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Names bound by comprehension macros (`all`, `exists`, `map`, `filter`...).
    pub bound: BTreeSet<String>,
    /// The slots selected as `contacts.<TYPE>`.
    pub contact_slots: BTreeSet<ContactType>,
    /// `contacts` is used some other way (indexed, iterated, passed whole): every slot counts.
    pub contacts_whole: bool,
    /// The fields selected as `contact.<field>` or `contacts.<TYPE>.<field>`.
    pub fields: BTreeSet<ContactField>,
    /// A contact is used whole (passed to a function, iterated): every field counts. Comparing
    /// one with `null` reads no field.
    pub fields_whole: bool,
}

/// Walks the expression tree of a condition.
pub fn analyse(expr: &IdedExpr) -> Analysis {
    let mut analysis = Analysis::default();
    visit(expr, &mut analysis);
    analysis
}

/// Whether `expr` is a contact: `contact` or `contacts.<TYPE>`.
fn is_contact(expr: &IdedExpr) -> bool {
    match &expr.expr {
        Expr::Ident(name) => name == "contact",
        Expr::Select(select) => {
            matches!(&select.operand.expr, Expr::Ident(name) if name == "contacts")
                && select.field.parse::<ContactType>().is_ok()
        }
        _ => false,
    }
}

/// Records the slot a `contacts.<TYPE>` selects (or that `contacts` is used whole).
fn visit_contacts_select(field: &str, out: &mut Analysis) {
    match field.parse::<ContactType>() {
        Ok(t) => {
            out.contact_slots.insert(t);
        }
        Err(_) => out.contacts_whole = true,
    }
}

fn visit(expr: &IdedExpr, out: &mut Analysis) {
    match &expr.expr {
        Expr::Ident(name) if name == "contacts" => {
            out.contacts_whole = true;
            out.fields_whole = true;
        }
        Expr::Ident(name) if name == "contact" => out.fields_whole = true,
        Expr::Select(select) if is_contact(&select.operand) => {
            match ContactField::named(&select.field) {
                Some(field) => {
                    out.fields.insert(field);
                }
                None if select.field == "type" => {}
                None => out.fields_whole = true,
            }
            if let Expr::Select(slot) = &select.operand.expr {
                visit_contacts_select(&slot.field, out);
            }
        }
        Expr::Select(select) => match &select.operand.expr {
            Expr::Ident(name) if name == "contacts" => {
                visit_contacts_select(&select.field, out);
                out.fields_whole = true;
            }
            _ => visit(&select.operand, out),
        },
        // `contact != null`: whether the slot is registered, no field read.
        Expr::Call(call)
            if matches!(call.func_name.as_str(), "_==_" | "_!=_")
                && call.args.len() == 2
                && call
                    .args
                    .iter()
                    .any(|a| matches!(a.expr, Expr::Literal(LiteralValue::Null)))
                && call.args.iter().any(is_contact) =>
        {
            for arg in &call.args {
                if let Expr::Select(select) = &arg.expr {
                    if is_contact(arg) {
                        visit_contacts_select(&select.field, out);
                    }
                }
            }
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                visit(target, out);
            }
            call.args.iter().for_each(|arg| visit(arg, out));
        }
        Expr::Comprehension(c) => {
            out.bound.insert(c.iter_var.clone());
            if let Some(second) = &c.iter_var2 {
                out.bound.insert(second.clone());
            }
            out.bound.insert(c.accu_var.clone());
            for part in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                visit(part, out);
            }
        }
        Expr::List(list) => list.elements.iter().for_each(|e| visit(e, out)),
        Expr::Map(map) => map.entries.iter().for_each(|entry| match &entry.expr {
            EntryExpr::MapEntry(e) => {
                visit(&e.key, out);
                visit(&e.value, out);
            }
            EntryExpr::StructField(f) => visit(&f.value, out),
        }),
        Expr::Struct(s) => s.entries.iter().for_each(|entry| match &entry.expr {
            EntryExpr::MapEntry(e) => {
                visit(&e.key, out);
                visit(&e.value, out);
            }
            EntryExpr::StructField(f) => visit(&f.value, out),
        }),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(source: &str) -> Analysis {
        let program = cel::Env::stdlib().compile(source).unwrap();
        analyse(program.expression())
    }

    #[test]
    fn selected_slots_and_bound_variables() {
        let a = of("contacts.SECURITY != null && has(contacts.BILLING.name)");
        assert_eq!(
            a.contact_slots,
            [ContactType::Security, ContactType::Billing].into()
        );
        assert!(!a.contacts_whole);
        assert!(of("'BILLING' in contacts").contacts_whole);
        assert!(of("contacts['SECURITY'] != null").contacts_whole);
        let loop_ = of("['SECURITY'].all(t, t in contacts)");
        assert!(loop_.bound.contains("t"));
        assert!(loop_.contacts_whole);
    }

    #[test]
    fn fields_read_and_null_tests_that_read_none() {
        let a = of("contact != null && is_valid_email(contact.email_address) && contact.type == 'SECURITY'");
        assert_eq!(a.fields, [ContactField::EmailAddress].into());
        assert!(!a.fields_whole);
        let b = of("contacts.SECURITY == null || contacts.SECURITY.name != ''");
        assert_eq!(b.fields, [ContactField::Name].into());
        assert_eq!(b.contact_slots, [ContactType::Security].into());
        assert!(!b.fields_whole);
        assert!(of("size(contact) > 0").fields_whole);
        assert!(of("contacts.BILLING.all(k, k != '')").fields_whole);
        assert!(of("contact[\"name\"] != ''").fields_whole);
    }
}
