//! Evaluation: every rule on every slot of every active account, into findings.
//!
//! A verdict depends only on the values a rule's CEL reads, and real organizations repeat the
//! same contacts in many accounts, so each chunk of accounts memoizes outcomes per rule by
//! those values.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::OnceLock;

use cel::objects::{Key, Map};
use cel::{Context, Env, Value};
use rustc_hash::FxHashMap;

use crate::engine::functions::{param_to_cel, root_context};
use crate::engine::org::OrgFacts;
use crate::engine::rule::{Condition, Rule, Scope};
use crate::engine::variables::{account_value, contacts_value, org_value, slot_value};
use crate::engine::{budget, limits};
use crate::finding::{ErrorCause, Finding, Status};
use crate::inventory::{Account, ContactType, Inventory, Slot, NOT_KNOWN_YET};

/// Entries a memo keeps per rule before it stops growing.
const MEMO_LIMIT: usize = 30_000;

#[derive(Debug, Clone)]
enum Outcome {
    NotApplicable,
    Pass,
    Fail(Option<Arc<str>>),
    /// The rule's CEL failed.
    Error(Arc<str>),
    /// A slot the rule needs could not be read (or is not known yet).
    Unreadable(Arc<str>, ErrorCause),
    /// A value the rule reads is not known (a Terraform value known only after apply).
    Unknown(Arc<str>),
}

/// Accounts a thread takes at a time: small enough that both threads finish together, large
/// enough that taking one costs nothing.
const ACCOUNTS_PER_CHUNK: usize = 512;

/// Evaluates `rules` on the active accounts of `inventory`, in account order.
pub fn evaluate(
    rules: &[Rule],
    env: &Arc<Env>,
    inventory: &Inventory,
    org: &OrgFacts,
) -> Vec<Finding> {
    let params: Vec<Value> = rules.iter().map(params_value).collect();
    let org_value = org_value(org);
    let chunks: Vec<&[Account]> = inventory.accounts.chunks(ACCOUNTS_PER_CHUNK).collect();
    let next_chunk = AtomicUsize::new(0);
    // One evaluator per thread, whose memo serves every chunk the thread takes: a contact
    // repeated across the organization is evaluated once per thread, not once per chunk.
    let per_thread: Vec<Vec<(usize, Vec<Finding>)>> = pool().broadcast(|_| {
        let root = root_context(env);
        let mut evaluator = Evaluator {
            scopes: rules
                .iter()
                .zip(&params)
                .map(|(rule, params)| rule_scope(&root, rule, params, &org_value))
                .collect(),
            memo: vec![FxHashMap::default(); rules.len()],
            slot_ids: HashMap::new(),
        };
        let mut done = Vec::new();
        loop {
            let chunk_index = next_chunk.fetch_add(1, Ordering::Relaxed);
            let Some(accounts) = chunks.get(chunk_index) else {
                return done;
            };
            let mut findings = Vec::new();
            for (offset, account) in accounts.iter().enumerate() {
                if !account.is_active() {
                    continue;
                }
                let slots = evaluator.intern(account);
                let values = AccountValues::default();
                for (rule_index, rule) in rules.iter().enumerate() {
                    let on = On {
                        rule_index,
                        rule,
                        account_index: chunk_index * ACCOUNTS_PER_CHUNK + offset,
                        account,
                        values: &values,
                        slots,
                    };
                    evaluator.rule_on_account(&on, &mut findings);
                }
            }
            done.push((chunk_index, findings));
        }
    });
    let mut per_chunk: Vec<(usize, Vec<Finding>)> = per_thread.into_iter().flatten().collect();
    per_chunk.sort_unstable_by_key(|(chunk_index, _)| *chunk_index);
    let mut findings = Vec::with_capacity(per_chunk.iter().map(|(_, f)| f.len()).sum());
    for (_, mut chunk) in per_chunk {
        findings.append(&mut chunk);
    }
    findings
}

/// The threads that evaluate rules, with a stack that holds the deepest expression a rule may
/// have (see `limits.rs`); the global pool's threads have 2 MiB.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(limits::RULE_STACK)
            .thread_name(|i| format!("contactscan-evaluate-{i}"))
            .build()
            // infallible in practice: building a pool fails only when no thread can start.
            .expect("infallible: the evaluation threads start")
    })
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

/// What one verdict depends on besides the rule: the interned ids of the slot read as
/// `contact`, then of the slots read through `contacts` by [`ContactType::index`], [`UNREAD`]
/// where the rule does not read it. Equal keys give equal outcomes. Rules that read `account`
/// are not memoized (account ids are unique).
type MemoKey = [usize; 4];

/// A slot the rule does not read, in a [`MemoKey`].
const UNREAD: usize = usize::MAX;

/// The CEL values of one account, built when a rule first needs them and shared by the rules
/// that follow (a contact is read by ten rules).
#[derive(Default)]
struct AccountValues {
    account: OnceCell<Value>,
    contact: [OnceCell<Value>; 3],
    contacts: OnceCell<Value>,
}

/// One rule on one account, with the account's interned slot ids.
struct On<'r, 'a> {
    rule_index: usize,
    rule: &'r Rule,
    account_index: usize,
    account: &'a Account,
    values: &'r AccountValues,
    slots: [usize; 3],
}

struct Evaluator<'p, 'a> {
    scopes: Vec<Context<'p, 'static>>,
    /// Outcomes per rule; the keys are small integers, hashed with Fx rather than SipHash.
    memo: Vec<FxHashMap<MemoKey, Outcome>>,
    /// Distinct slots (type and value) seen so far, so that a memo key is a few integers.
    slot_ids: HashMap<(ContactType, &'a Slot), usize>,
}

/// Why a value `rule` reads in one of the slots `types` is not known, if one is not.
fn unknown<'a>(
    rule: &Rule,
    account: &Account,
    mut types: impl Iterator<Item = &'a ContactType>,
) -> Option<Arc<str>> {
    account.contact_origins.as_ref()?;
    types.find_map(|t| {
        let origin = account.contact_origin(*t)?;
        rule.reads.fields.iter().find_map(|field| {
            origin.unknown[field.index()].as_ref().map(|why| {
                Arc::from(format!(
                    "the {t} contact's {} is not known: {why}",
                    field.as_str()
                ))
            })
        })
    })
}

/// Why one of the slots `types` could not be read, if one could not, and whether it is only
/// not known yet (then the ERROR says what would resolve it, not how to grant access).
fn unreadable<'a>(
    account: &Account,
    mut types: impl Iterator<Item = &'a ContactType>,
) -> Option<(Arc<str>, ErrorCause)> {
    types.find_map(|t| match account.slot(*t) {
        Slot::Unreadable { code, message } if code == NOT_KNOWN_YET => Some((
            Arc::from(format!("the {t} contact is not known yet: {message}")),
            ErrorCause::Unknown,
        )),
        Slot::Unreadable { code, message } => Some((
            Arc::from(format!(
                "the {t} contact could not be read ({}{}{})",
                code,
                if code.is_empty() || message.is_empty() {
                    ""
                } else {
                    ": "
                },
                message
            )),
            ErrorCause::Unreadable,
        )),
        _ => None,
    })
}

impl<'a> Evaluator<'_, 'a> {
    /// The ids of the account's three slots.
    fn intern(&mut self, account: &'a Account) -> [usize; 3] {
        ContactType::ALL.map(|t| {
            let next = self.slot_ids.len();
            *self.slot_ids.entry((t, account.slot(t))).or_insert(next)
        })
    }

    fn rule_on_account(&mut self, on: &On<'_, 'a>, out: &mut Vec<Finding>) {
        match on.rule.scope {
            Scope::Contact => {
                for &contact_type in &on.rule.contact_types {
                    self.slot(on, Some(contact_type), out);
                }
            }
            Scope::Account => self.slot(on, None, out),
        }
    }

    fn slot(&mut self, on: &On<'_, 'a>, contact_type: Option<ContactType>, out: &mut Vec<Finding>) {
        let rule = on.rule;
        // The slots the verdict depends on: its own (or the rule's contact types, for an
        // account rule) and those read through `contacts`. Any unreadable one is an ERROR,
        // unless the rule does not apply whatever that slot holds.
        let own: &[ContactType] = match contact_type {
            Some(ref t) => std::slice::from_ref(t),
            None => &rule.contact_types,
        };
        let needed = || own.iter().chain(rule.reads.contacts.iter());
        if needed().any(|t| *on.account.slot(*t) == Slot::Undeclared) {
            return;
        }
        let outcome = match unreadable(on.account, needed()) {
            Some(why) => self.without_slot(on, contact_type, why),
            None => match unknown(rule, on.account, needed()) {
                Some(why) => Outcome::Unknown(why),
                None => self.outcome(on, contact_type),
            },
        };
        let (status, detail, error_cause) = match outcome {
            Outcome::NotApplicable => return,
            Outcome::Pass => (Status::Pass, None, None),
            Outcome::Fail(evidence) => (Status::Fail, evidence, None),
            Outcome::Error(why) => (Status::Error, Some(why), Some(ErrorCause::Rule)),
            Outcome::Unreadable(why, cause) => (Status::Error, Some(why), Some(cause)),
            Outcome::Unknown(why) => (Status::Error, Some(why), Some(ErrorCause::Unknown)),
        };
        out.push(Finding {
            rule: on.rule_index,
            account: on.account_index,
            contact_type,
            status,
            detail,
            error_cause,
            waiver: None,
        });
    }

    fn outcome(&mut self, on: &On<'_, 'a>, contact_type: Option<ContactType>) -> Outcome {
        let rule = on.rule;
        if rule.reads.account {
            return self.execute(on, contact_type);
        }
        let own = contact_type
            .filter(|_| rule.reads.contact)
            .map_or(UNREAD, |t| on.slots[t.index()]);
        let [security, billing, operations] = ContactType::ALL.map(|t| {
            if rule.reads.contacts.contains(&t) {
                on.slots[t.index()]
            } else {
                UNREAD
            }
        });
        let key: MemoKey = [own, security, billing, operations];
        if let Some(outcome) = self.memo[on.rule_index].get(&key) {
            return outcome.clone();
        }
        let outcome = self.execute(on, contact_type);
        let memo = &mut self.memo[on.rule_index];
        if memo.len() < MEMO_LIMIT {
            memo.insert(key, outcome.clone());
        }
        outcome
    }

    /// Runs the rule's CEL with the variables it reads bound for this account and slot.
    fn execute(&self, on: &On<'_, 'a>, contact_type: Option<ContactType>) -> Outcome {
        run(on.rule, &self.scope(on, contact_type, true))
    }

    /// A rule that needs a slot nobody could read has no verdict (ERROR), unless its `applies`
    /// is false whatever the contacts hold: `contact` and `contacts` stay unbound, so any use
    /// of them is an error, and CEL's `&&` and `||` absorb it; `false` then means the contacts
    /// did not matter (the root-email rule without a root email, the consistency rule without
    /// an expected domain).
    fn without_slot(
        &self,
        on: &On<'_, 'a>,
        contact_type: Option<ContactType>,
        (why, cause): (Arc<str>, ErrorCause),
    ) -> Outcome {
        let scope = self.scope(on, contact_type, false);
        let applies = (on.rule.applies.as_ref()).map(|a| budget::evaluate(&a.instrumented, &scope));
        match applies {
            Some(Ok(Value::Bool(false))) => Outcome::NotApplicable,
            _ => Outcome::Unreadable(why, cause),
        }
    }

    /// The scope of the rule's CEL for this account and slot: the variables the rule reads,
    /// the contacts only `with_contacts`.
    fn scope(
        &self,
        on: &On<'_, 'a>,
        contact_type: Option<ContactType>,
        with_contacts: bool,
    ) -> Context<'_, 'static> {
        let (rule, account, values) = (on.rule, on.account, on.values);
        let mut scope = self.scopes[on.rule_index].new_inner_scope();
        if rule.reads.account {
            let value = values.account.get_or_init(|| account_value(account));
            scope.add_variable_from_value("account", value.clone());
        }
        if with_contacts && rule.reads.contact {
            let contact = contact_type.map_or(Value::Null, |t| {
                let cell = &values.contact[t.index()];
                cell.get_or_init(|| slot_value(t, account.slot(t))).clone()
            });
            scope.add_variable_from_value("contact", contact);
        }
        if with_contacts && !rule.reads.contacts.is_empty() {
            let value = values.contacts.get_or_init(|| contacts_value(account));
            scope.add_variable_from_value("contacts", value.clone());
        }
        scope
    }
}

fn run(rule: &Rule, scope: &Context) -> Outcome {
    let boolean = |condition: &Condition, key: &str| -> Result<bool, Arc<str>> {
        match budget::evaluate(&condition.instrumented, scope) {
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
            Some(evidence) => match budget::evaluate(&evidence.instrumented, scope) {
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

#[cfg(test)]
mod tests {
    use super::ACCOUNTS_PER_CHUNK;
    use crate::finding::Status;
    use crate::scan::scan_of_snapshot;

    /// Accounts over several chunks, whose contacts repeat (memo hits on both threads) and
    /// whose root emails differ (a rule that reads `account` on each).
    #[test]
    fn findings_come_in_account_order_with_each_accounts_own_verdict() {
        let n = 3 * ACCOUNTS_PER_CHUNK + 7;
        let accounts: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                let root = format!("root+{i}@corp.example");
                let security = match i % 3 {
                    0 => root.clone(),
                    1 => format!("sec.team{}@gmail.com", i % 5),
                    _ => "security@corp.example".to_string(),
                };
                serde_json::json!({
                    "Id": format!("{:012}", 100_000_000_000u64 + i as u64),
                    "Name": format!("acct-{i}"),
                    "Email": root,
                    "State": "ACTIVE",
                    "AlternateContacts": [{
                        "AlternateContactType": "SECURITY", "Name": "Security Operations",
                        "Title": "SOC", "EmailAddress": security, "PhoneNumber": "+1 206 266 1000"
                    }]
                })
            })
            .collect();
        let snapshot = serde_json::json!({
            "SchemaVersion": "contactscan/snapshot/v1",
            "CollectedAt": "2026-11-23T12:00:00Z",
            "Organization": { "Id": "o-test000000", "ManagementAccountId": "100000000000" },
            "Accounts": accounts,
        });
        let scan = scan_of_snapshot(&serde_json::to_vec(&snapshot).unwrap());
        assert!(scan
            .findings
            .windows(2)
            .all(|w| w[0].account <= w[1].account));
        let status_of = |rule_id: &str, account: usize| {
            let found: Vec<Status> = scan
                .views()
                .filter(|v| v.rule.id == rule_id && v.finding.account == account)
                .map(|v| v.status())
                .collect();
            assert_eq!(found.len(), 1, "{rule_id} on account {account}");
            found[0]
        };
        for i in 0..n {
            let root_again = if i % 3 == 0 {
                Status::Fail
            } else {
                Status::Pass
            };
            let freemail = if i % 3 == 1 {
                Status::Fail
            } else {
                Status::Pass
            };
            assert_eq!(status_of("security-contact-not-root-email", i), root_again);
            assert_eq!(
                status_of("security-contact-freemail", i),
                freemail,
                "account {i}"
            );
        }
    }
}
