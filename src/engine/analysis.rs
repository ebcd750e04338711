//! What a compiled CEL condition reads, beyond `Program::references()`: the variables its
//! macros bind (`all(t, ...)`), and which slots of `contacts` it selects.

use std::collections::BTreeSet;

use cel::common::ast::{EntryExpr, Expr};
use cel::IdedExpr;

use crate::inventory::ContactType;

/// The facts of one condition.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Names bound by comprehension macros (`all`, `exists`, `map`, `filter`...).
    pub bound: BTreeSet<String>,
    /// The slots selected as `contacts.<TYPE>`.
    pub contact_slots: BTreeSet<ContactType>,
    /// `contacts` is used some other way (indexed, iterated, passed whole): every slot counts.
    pub contacts_whole: bool,
}

/// Walks the expression tree of a condition.
pub fn analyse(expr: &IdedExpr) -> Analysis {
    let mut analysis = Analysis::default();
    visit(expr, &mut analysis);
    analysis
}

fn visit(expr: &IdedExpr, out: &mut Analysis) {
    match &expr.expr {
        Expr::Ident(name) if name == "contacts" => out.contacts_whole = true,
        Expr::Select(select) => match &select.operand.expr {
            Expr::Ident(name) if name == "contacts" => match select.field.parse::<ContactType>() {
                Ok(t) => {
                    out.contact_slots.insert(t);
                }
                Err(_) => out.contacts_whole = true,
            },
            _ => visit(&select.operand, out),
        },
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
}
