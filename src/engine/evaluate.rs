//! Evaluation: every rule on every slot of every active account, into findings.
//!
//! A verdict depends only on the values a rule's CEL reads, and real organizations repeat the
//! same contacts in many accounts, so each thread memoizes outcomes per rule by those values.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::{Context, Env, Value};
use rayon::prelude::*;

use crate::engine::functions::{param_to_cel, root_context};
use crate::engine::org::OrgFacts;
use crate::engine::rule::{Condition, Rule, Scope};
use crate::finding::{Finding, Status};
use crate::inventory::{Account, AlternateContact, ContactType, Inventory, Slot};

/// Entries a per-thread memo keeps per rule before it stops growing.
const MEMO_LIMIT: usize = 100_000;

#[derive(Debug, Clone)]
enum Outcome {
    NotApplicable,
    Pass,
    Fail(Option<Arc<str>>),
    Error(Arc<str>),
}

/// Evaluates `rules` on the active accounts of `inventory`, in account order.
pub fn evaluate(
    rules: &[Rule],
    env: &Arc<Env>,
    inventory: &Inventory,
    org: &OrgFacts,
) -> Vec<Finding> {
    let params: Vec<Value> = rules.iter().map(params_value).collect();
    let org_value = org.to_cel();
    // Large chunks, each with its own evaluator, so each memo serves many accounts.
    let chunk = inventory
        .accounts
        .len()
        .div_ceil(4 * rayon::current_num_threads())
        .max(256);
    let per_chunk: Vec<Vec<Finding>> = inventory
        .accounts
        .par_chunks(chunk)
        .enumerate()
        .map(|(chunk_index, accounts)| {
            let root = root_context(env);
            let mut evaluator = Evaluator {
                scopes: rules
                    .iter()
                    .zip(&params)
                    .map(|(rule, params)| rule_scope(&root, rule, params, &org_value))
                    .collect(),
                memo: vec![HashMap::new(); rules.len()],
                key: String::new(),
            };
            let mut findings = Vec::new();
            for (offset, account) in accounts.iter().enumerate() {
                if !account.is_active() {
                    continue;
                }
                for (rule_index, rule) in rules.iter().enumerate() {
                    evaluator.rule_on_account(
                        rule_index,
                        rule,
                        chunk_index * chunk + offset,
                        account,
                        &mut findings,
                    );
                }
            }
            findings
        })
        .collect();
    per_chunk.into_iter().flatten().collect()
}

fn params_value(rule: &Rule) -> Value {
    Value::Map(Map {
        map: Arc::new(
            rule.params
                .iter()
                // infallible: parameters were converted once when the rule was loaded.
                .map(|(k, v)| {
                    (
                        Key::from(k.as_str()),
                        param_to_cel(v).unwrap_or(Value::Null),
                    )
                })
                .collect(),
        ),
    })
}

/// A scope per rule over the root context, with the variables that do not change from one
/// account to the next (`params`, `org`) bound once.
fn rule_scope<'p>(
    root: &'p Context<'static, 'static>,
    rule: &Rule,
    params: &Value,
    org: &Value,
) -> Context<'p, 'static> {
    let mut scope = root.new_inner_scope();
    if rule.reads.params {
        scope.add_variable_from_value("params", params.clone());
    }
    if rule.reads.org {
        scope.add_variable_from_value("org", org.clone());
    }
    scope
}

struct Evaluator<'p> {
    scopes: Vec<Context<'p, 'static>>,
    memo: Vec<HashMap<String, Outcome>>,
    key: String,
}

fn unreadable<'a>(
    account: &Account,
    mut types: impl Iterator<Item = &'a ContactType>,
) -> Option<Arc<str>> {
    types.find_map(|t| match account.slot(*t) {
        Slot::Unreadable { code, message } => Some(Arc::from(format!(
            "the {t} contact could not be read ({}{}{})",
            code,
            if code.is_empty() || message.is_empty() {
                ""
            } else {
                ": "
            },
            message
        ))),
        _ => None,
    })
}

impl Evaluator<'_> {
    fn rule_on_account(
        &mut self,
        rule_index: usize,
        rule: &Rule,
        account_index: usize,
        account: &Account,
        out: &mut Vec<Finding>,
    ) {
        let slots: Vec<Option<ContactType>> = match rule.scope {
            Scope::Contact => rule.contact_types.iter().copied().map(Some).collect(),
            Scope::Account => vec![None],
        };
        for contact_type in slots {
            // The slots the verdict depends on: its own (or the rule's contact types, for an
            // account rule) and those read through `contacts`. Any unreadable one is an ERROR.
            let own: &[ContactType] = match contact_type {
                Some(ref t) => std::slice::from_ref(t),
                None => &rule.contact_types,
            };
            let needed = own.iter().chain(rule.reads.contacts.iter());
            let outcome = match unreadable(account, needed) {
                Some(why) => Outcome::Error(why),
                None => self.outcome(rule_index, rule, account, contact_type),
            };
            let (status, detail) = match outcome {
                Outcome::NotApplicable => continue,
                Outcome::Pass => (Status::Pass, None),
                Outcome::Fail(evidence) => (Status::Fail, evidence),
                Outcome::Error(why) => (Status::Error, Some(why)),
            };
            out.push(Finding {
                rule: rule_index,
                account: account_index,
                contact_type,
                status,
                detail,
                waiver: None,
            });
        }
    }

    fn outcome(
        &mut self,
        rule_index: usize,
        rule: &Rule,
        account: &Account,
        contact_type: Option<ContactType>,
    ) -> Outcome {
        memo_key(&mut self.key, rule, account, contact_type);
        if let Some(outcome) = self.memo[rule_index].get(self.key.as_str()) {
            return outcome.clone();
        }
        let mut scope = self.scopes[rule_index].new_inner_scope();
        if rule.reads.account {
            scope.add_variable_from_value("account", account_value(account));
        }
        if rule.reads.contact {
            let contact = contact_type.map_or(Value::Null, |t| slot_value(t, account.slot(t)));
            scope.add_variable_from_value("contact", contact);
        }
        if !rule.reads.contacts.is_empty() {
            scope.add_variable_from_value("contacts", contacts_value(account));
        }
        let outcome = run(rule, &scope);
        let memo = &mut self.memo[rule_index];
        if memo.len() < MEMO_LIMIT {
            memo.insert(self.key.clone(), outcome.clone());
        }
        outcome
    }
}

fn run(rule: &Rule, scope: &Context) -> Outcome {
    let boolean = |condition: &Condition, key: &str| -> Result<bool, Arc<str>> {
        match condition.program.execute(scope) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(Arc::from(format!(
                "rule {}: {key} {:?} returned {other:?}, expected true or false",
                rule.id, condition.source
            ))),
            Err(e) => Err(Arc::from(format!(
                "rule {}: {key} {:?} failed: {e}",
                rule.id, condition.source
            ))),
        }
    };
    if let Some(applies) = &rule.applies {
        match boolean(applies, "applies") {
            Ok(false) => return Outcome::NotApplicable,
            Ok(true) => {}
            Err(why) => return Outcome::Error(why),
        }
    }
    match boolean(&rule.check, "check") {
        Ok(true) => Outcome::Pass,
        Ok(false) => match &rule.evidence {
            None => Outcome::Fail(None),
            Some(evidence) => match evidence.program.execute(scope) {
                Ok(Value::String(s)) => Outcome::Fail(Some(Arc::from(s.as_str()))),
                Ok(other) => Outcome::Error(Arc::from(format!(
                    "rule {}: evidence {:?} returned {other:?}, expected a string",
                    rule.id, evidence.source
                ))),
                Err(e) => Outcome::Error(Arc::from(format!(
                    "rule {}: evidence {:?} failed: {e}",
                    rule.id, evidence.source
                ))),
            },
        },
        Err(why) => Outcome::Error(why),
    }
}

/// Writes into `key` the values the rule reads, each prefixed with its length so that no two
/// different inputs give the same key.
fn memo_key(key: &mut String, rule: &Rule, account: &Account, contact_type: Option<ContactType>) {
    fn push(key: &mut String, value: &str) {
        // infallible: writing to a String cannot fail.
        let _ = write!(key, "{}:", value.len());
        key.push_str(value);
    }
    let push_slot = |key: &mut String, t: ContactType| {
        key.push_str(t.as_str());
        match account.slot(t) {
            Slot::Registered(c) => {
                key.push('R');
                for field in [&c.name, &c.title, &c.email_address, &c.phone_number] {
                    push(key, field);
                }
            }
            Slot::Missing => key.push('M'),
            Slot::Unreadable { .. } => key.push('U'),
        }
    };
    key.clear();
    if let Some(t) = contact_type {
        key.push_str(t.as_str());
        if rule.reads.contact {
            push_slot(key, t);
        }
    }
    key.push('|');
    for t in &rule.reads.contacts {
        push_slot(key, *t);
    }
    key.push('|');
    if rule.reads.account {
        for field in [&account.id, &account.name, &account.email, &account.state] {
            push(key, field);
        }
    }
}

fn string_map(entries: [(&str, &str); 5]) -> Value {
    Value::Map(Map {
        map: Arc::new(
            entries
                .into_iter()
                .map(|(k, v)| (Key::from(k), Value::from(v)))
                .collect(),
        ),
    })
}

fn account_value(account: &Account) -> Value {
    Value::Map(Map {
        map: Arc::new(
            [
                ("id", &account.id),
                ("name", &account.name),
                ("email", &account.email),
                ("state", &account.state),
            ]
            .into_iter()
            .map(|(k, v)| (Key::from(k), Value::from(v.as_str())))
            .collect(),
        ),
    })
}

fn contact_value(contact_type: ContactType, contact: &AlternateContact) -> Value {
    string_map([
        ("type", contact_type.as_str()),
        ("name", &contact.name),
        ("title", &contact.title),
        ("email_address", &contact.email_address),
        ("phone_number", &contact.phone_number),
    ])
}

fn slot_value(contact_type: ContactType, slot: &Slot) -> Value {
    match slot {
        Slot::Registered(contact) => contact_value(contact_type, contact),
        _ => Value::Null,
    }
}

/// The `contacts` map; an unreadable slot has no key, so reading it is an error, not a guess.
fn contacts_value(account: &Account) -> Value {
    Value::Map(Map {
        map: Arc::new(
            ContactType::ALL
                .into_iter()
                .filter(|t| !matches!(account.slot(*t), Slot::Unreadable { .. }))
                .map(|t| (Key::from(t.as_str()), slot_value(t, account.slot(t))))
                .collect(),
        ),
    })
}
