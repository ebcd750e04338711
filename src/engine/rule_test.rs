//! Rules that test themselves: the `[[tests]]` cases of a rule file, checked when the rule loads
//! and run by `contactscan rules test` and by the test suite for the built-in rules.
//!
//! A case puts one contact (or none) in one slot of a one-account organization, optionally
//! with the account's name and root email and parameter values, evaluates the rule on it, and
//! compares the verdict (and a fragment of the evidence) with what the case expects.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::engine::evaluate::evaluate;
use crate::engine::org::OrgFacts;
use crate::engine::rule::{Rule, Scope};
use crate::engine::RuleSet;
use crate::finding::Status;
use crate::inventory::{Account, AlternateContact, ContactType, Inventory, Slot, ACTIVE};
use crate::strict;

/// The account id of a case that names none.
const DEFAULT_ACCOUNT_ID: &str = "111111111111";

/// A `[[tests]]` entry as written. Unknown keys are an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestCaseFile {
    name: String,
    #[serde(default, deserialize_with = "strict::optional_object")]
    contact: Option<ContactEntry>,
    #[serde(default, deserialize_with = "strict::optional_object")]
    account: Option<AccountEntry>,
    #[serde(default)]
    params: BTreeMap<String, toml::Value>,
    expect: String,
    #[serde(default)]
    evidence_contains: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactEntry {
    #[serde(rename = "type")]
    contact_type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    email_address: String,
    #[serde(default)]
    phone_number: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEntry {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

/// What a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Verdict(Status),
    /// The rule does not apply: no finding.
    NoFinding,
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Verdict(status) => f.write_str(status.as_str()),
            Expect::NoFinding => f.write_str("NONE"),
        }
    }
}

/// A checked test case of a rule.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    /// The slot under test: the contact's type, else the rule's first contact type.
    pub contact_type: ContactType,
    /// The contact in that slot; `None`: not registered.
    pub contact: Option<AlternateContact>,
    pub account_id: String,
    pub account_name: String,
    pub account_email: String,
    /// Parameter values replacing the rule's defaults.
    pub params: BTreeMap<String, toml::Value>,
    pub expect: Expect,
    pub evidence_contains: Option<String>,
}

impl TestCaseFile {
    /// Checks the case against its rule: a known contact type among the rule's, declared
    /// parameters of the same type, a known expectation. `Err` says what is wrong.
    pub(crate) fn check(
        self,
        contact_types: &[ContactType],
        params: &BTreeMap<String, toml::Value>,
    ) -> Result<TestCase, String> {
        let case = &self.name;
        let contact_type = match &self.contact {
            Some(contact) => {
                let t: ContactType = contact
                    .contact_type
                    .parse()
                    .map_err(|e| format!("case {case:?}: {e}"))?;
                if !contact_types.contains(&t) {
                    return Err(format!(
                        "case {case:?}: the rule does not read {t} contacts; its contact_types are {}",
                        contact_types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                    ));
                }
                t
            }
            None => contact_types[0],
        };
        for (name, value) in &self.params {
            match params.get(name) {
                None => {
                    return Err(format!(
                    "case {case:?}: the rule has no parameter {name:?}; declare it under [params]"
                ))
                }
                Some(default) if default.type_str() != value.type_str() => {
                    return Err(format!(
                        "case {case:?}: parameter {name} is a {} like its default, got a {}",
                        default.type_str(),
                        value.type_str()
                    ))
                }
                Some(_) => {}
            }
        }
        let expect = match self.expect.as_str() {
            "PASS" => Expect::Verdict(Status::Pass),
            "FAIL" => Expect::Verdict(Status::Fail),
            "ERROR" => Expect::Verdict(Status::Error),
            "NONE" => Expect::NoFinding,
            other => {
                return Err(format!(
                    "case {case:?}: expect {other:?} is not PASS, FAIL, ERROR or NONE"
                ))
            }
        };
        let account = self.account.unwrap_or(AccountEntry {
            id: None,
            name: String::new(),
            email: String::new(),
        });
        let account_id = account.id.unwrap_or_else(|| DEFAULT_ACCOUNT_ID.to_string());
        Ok(TestCase {
            name: self.name,
            contact_type,
            contact: self.contact.map(|c| AlternateContact {
                name: c.name,
                title: c.title,
                email_address: c.email_address,
                phone_number: c.phone_number,
            }),
            account_id,
            account_name: account.name,
            account_email: account.email,
            params: self.params,
            expect,
            evidence_contains: self.evidence_contains,
        })
    }
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub rule_id: String,
    /// Where the rule came from.
    pub origin: String,
    pub case: String,
    pub expect: Expect,
    /// What came back.
    pub got: Expect,
    /// The finding's evidence (FAIL) or reason (ERROR).
    pub detail: Option<String>,
    /// Why the case failed; `None` when it passed.
    pub failure: Option<String>,
}

/// Runs the cases of the rules `wanted` accepts, in rule order.
pub fn run(set: &mut RuleSet, wanted: impl Fn(&Rule) -> bool) -> Vec<CaseResult> {
    let mut results = Vec::new();
    for index in 0..set.rules.len() {
        if !wanted(&set.rules[index]) {
            continue;
        }
        for case in set.rules[index].tests.clone() {
            let defaults = set.rules[index].params.clone();
            let mut params = defaults.clone();
            params.extend(case.params.clone());
            set.rules[index].params = params;
            results.push(run_case(&set.rules[index..=index], set, &case));
            set.rules[index].params = defaults;
        }
    }
    results
}

fn run_case(rule: &[Rule], set: &RuleSet, case: &TestCase) -> CaseResult {
    let mut account = Account::new(&case.account_id, ACTIVE, Slot::Missing);
    account.name = case.account_name.clone();
    account.email = case.account_email.clone();
    if let Some(contact) = &case.contact {
        account.slots[case.contact_type.index()] = Slot::Registered(contact.clone());
    }
    let inventory = Inventory {
        accounts: vec![account],
        ..Inventory::default()
    };
    let org = OrgFacts::of(&inventory);
    let findings = evaluate(rule, &set.env, &inventory, &org);
    let wanted_type = match rule[0].scope {
        Scope::Contact => Some(case.contact_type),
        Scope::Account => None,
    };
    let finding = findings.iter().find(|f| f.contact_type == wanted_type);
    let got = finding.map_or(Expect::NoFinding, |f| Expect::Verdict(f.status));
    let detail = finding
        .and_then(|f| f.detail.as_deref())
        .map(str::to_string);
    let failure = if got != case.expect {
        Some(match &detail {
            Some(detail) => format!("expected {}, got {got}: {detail}", case.expect),
            None => format!("expected {}, got {got}", case.expect),
        })
    } else {
        match (&case.evidence_contains, &detail) {
            (Some(fragment), Some(evidence)) if !evidence.contains(fragment.as_str()) => Some(
                format!("expected evidence containing {fragment:?}, got {evidence:?}"),
            ),
            (Some(fragment), None) => Some(format!(
                "expected evidence containing {fragment:?}, got no evidence"
            )),
            _ => None,
        }
    };
    CaseResult {
        rule_id: rule[0].id.clone(),
        origin: rule[0].origin.clone(),
        case: case.name.clone(),
        expect: case.expect,
        got,
        detail,
        failure,
    }
}
