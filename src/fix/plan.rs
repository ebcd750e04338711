//! The plan of `contactscan fix`: per account and contact type, create / update / unchanged /
//! skipped, and its judgment on the organization as it would be after it.
//!
//! Two scopes: `repair` (the default) replaces only the slots that fail an enabled rule (a
//! waived FAIL is an accepted exception and is left alone); `enforce` makes every slot equal its
//! desired contact. Suspended accounts, slots that could not be read (never written blind) and
//! slots without a desired contact are skipped, each with why.
//!
//! The plan is judged by the same engine: the inventory as it would be after the plan is
//! evaluated (organization-wide facts recomputed), and a FAIL on a slot the plan targets, or a
//! verdict the plan would turn to FAIL anywhere, refuses the whole plan before anything is
//! written. A desired contact that would itself fail a rule is bad input, not a fix.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::engine::evaluate::evaluate;
use crate::engine::message::MessageInput;
use crate::engine::org::OrgFacts;
use crate::engine::rule::{Rule, Scope as RuleScope};
use crate::engine::RuleSet;
use crate::error::InputError;
use crate::finding::{Finding, Status};
use crate::fix::desired::{Desired, DesiredContacts, Placement, Source};
use crate::inventory::{Account, AlternateContact, ContactField, ContactType, Inventory, Slot};
use crate::waiver::Waiver;

/// Which slots a plan writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only slots that fail an enabled rule.
    Repair,
    /// Every slot with a desired contact.
    Enforce,
}

impl Scope {
    /// `repair` or `enforce`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Repair => "repair",
            Scope::Enforce => "enforce",
        }
    }
}

/// What the plan does to one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// No contact is registered: write the desired one.
    Create,
    /// A contact is registered and differs from the desired one: replace it.
    Update,
    /// Nothing to write.
    Unchanged,
    /// Not touched, for the reason given.
    Skip,
}

impl Action {
    /// `create`, `update`, `unchanged`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Skip => "skipped",
        }
    }

    /// Whether the action writes.
    pub fn writes(self) -> bool {
        matches!(self, Action::Create | Action::Update)
    }
}

/// The plan for one account and contact type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Index of the account in the planned inventory.
    pub account: usize,
    pub contact_type: ContactType,
    pub action: Action,
    /// The registered contact, when there is one.
    pub before: Option<AlternateContact>,
    /// The desired contact the plan sets (or that is already set).
    pub after: Option<AlternateContact>,
    /// Where `after` comes from in the config.
    pub source: Option<Source>,
    /// Why: the failing rules of a repair, why a slot is unchanged or skipped.
    pub reason: String,
}

impl Item {
    /// The fields that change, with their old and new values (all four for a create).
    pub fn changes(&self) -> Vec<(ContactField, &str, &str)> {
        let Some(after) = &self.after else {
            return Vec::new();
        };
        ContactField::ALL
            .into_iter()
            .map(|f| {
                (
                    f,
                    self.before.as_ref().map_or("", |b| b.field(f)),
                    after.field(f),
                )
            })
            .filter(|(_, old, new)| self.before.is_none() || old != new)
            .collect()
    }
}

/// A rule that would FAIL after the plan: the reason a plan is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub account_id: String,
    pub account_name: String,
    /// The slot, `None` for an account-scope rule.
    pub contact_type: Option<ContactType>,
    pub rule_id: String,
    /// What the rule found, when it says.
    pub evidence: Option<String>,
    /// The rule's message for the finding (its evidence included).
    pub message: String,
    /// Where the desired contact of the slot comes from, when the plan targets the slot.
    pub source: Option<Source>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = if self.account_name.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.account_name)
        };
        let slot = self.contact_type.map_or(String::new(), |t| format!(" {t}"));
        match self.source {
            Some(source) => write!(
                f,
                "account {}{name}{slot}: the desired contact ({source}) would FAIL {}: {}",
                self.account_id, self.rule_id, self.message
            ),
            None => write!(
                f,
                "account {}{name}{slot}: the plan would turn {} to FAIL: {}",
                self.account_id, self.rule_id, self.message
            ),
        }
    }
}

/// What a plan is made from.
pub struct PlanInput<'a> {
    pub inventory: &'a Inventory,
    pub rules: &'a RuleSet,
    pub desired: &'a DesiredContacts,
    /// Where each account (by id) sits in the organization; `None` when unknown (a snapshot).
    pub placements: Option<&'a HashMap<String, Placement>>,
    /// Live waivers excuse their FAILs, before and after the plan.
    pub waivers: &'a [Waiver],
    pub today: NaiveDate,
    pub scope: Scope,
}

/// A plan and its judgment.
#[derive(Debug, Clone)]
pub struct Plan {
    pub scope: Scope,
    /// Per active-or-not account of the inventory, per contact type, in order.
    pub items: Vec<Item>,
    /// Non-empty: the plan must not be applied.
    pub refusals: Vec<Refusal>,
}

/// Counts of a plan, by action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub skipped: usize,
}

impl Plan {
    /// The items that write.
    pub fn changes(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.action.writes())
    }

    /// Whether the plan writes anything.
    pub fn has_changes(&self) -> bool {
        self.changes().next().is_some()
    }

    /// Counts by action.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for item in &self.items {
            match item.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Unchanged => summary.unchanged += 1,
                Action::Skip => summary.skipped += 1,
            }
        }
        summary
    }
}

/// The slots a finding is about: its contact type, or the slots an account-scope rule reads.
fn slots_of(rule: &Rule, finding: &Finding) -> Vec<ContactType> {
    match finding.contact_type {
        Some(t) => vec![t],
        None if rule.scope == RuleScope::Account && !rule.reads.contacts.is_empty() => {
            rule.reads.contacts.iter().copied().collect()
        }
        None => rule.contact_types.clone(),
    }
}

/// The verdicts of `rules` on `inventory`, FAILs covered by a live waiver turned WAIVED.
fn verdicts(input: &PlanInput<'_>, inventory: &Inventory) -> Vec<Finding> {
    let org = OrgFacts::of(inventory);
    let rules = &input.rules.rules;
    let mut findings = evaluate(rules, &input.rules.env, inventory, &org);
    let live: Vec<&Waiver> = input
        .waivers
        .iter()
        .filter(|w| w.is_live(input.today))
        .collect();
    for finding in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        let account = &inventory.accounts[finding.account].id;
        if live
            .iter()
            .any(|w| w.covers(&rules[finding.rule], account, finding.contact_type))
        {
            finding.status = Status::Waived;
        }
    }
    findings
}

/// Plans the desired contacts on `input.inventory` and judges the plan.
pub fn plan(input: &PlanInput<'_>) -> Result<Plan, InputError> {
    let inventory = input.inventory;
    let rules = &input.rules.rules;
    let before = verdicts(input, inventory);
    let mut failing: HashMap<(usize, ContactType), Vec<&str>> = HashMap::new();
    for finding in before.iter().filter(|f| f.status == Status::Fail) {
        let rule = &rules[finding.rule];
        for t in slots_of(rule, finding) {
            let ids = failing.entry((finding.account, t)).or_default();
            if !ids.contains(&rule.id.as_str()) {
                ids.push(&rule.id);
            }
        }
    }
    let mut items = Vec::new();
    for (index, account) in inventory.accounts.iter().enumerate() {
        for contact_type in ContactType::ALL {
            let failing = failing
                .get(&(index, contact_type))
                .map(Vec::as_slice)
                .unwrap_or_default();
            items.push(plan_slot(input, index, account, contact_type, failing)?);
        }
    }
    let refusals = judge(input, &before, &items);
    Ok(Plan {
        scope: input.scope,
        items,
        refusals,
    })
}

fn plan_slot(
    input: &PlanInput<'_>,
    index: usize,
    account: &Account,
    contact_type: ContactType,
    failing: &[&str],
) -> Result<Item, InputError> {
    let item = |action: Action, reason: String| Item {
        account: index,
        contact_type,
        action,
        before: match account.slot(contact_type) {
            Slot::Registered(contact) => Some(contact.clone()),
            _ => None,
        },
        after: None,
        source: None,
        reason,
    };
    if !account.is_active() {
        return Ok(item(
            Action::Skip,
            format!("the account is {}, not ACTIVE", account.state),
        ));
    }
    match account.slot(contact_type) {
        Slot::Unreadable { code, message } => {
            return Ok(item(
                Action::Skip,
                format!("the slot could not be read ({code}: {message}); never written blind"),
            ))
        }
        Slot::Undeclared => {
            return Ok(item(
                Action::Skip,
                "the source says nothing about this slot".to_string(),
            ))
        }
        Slot::Registered(_) | Slot::Missing => {}
    }
    let failing_text = || format!("fails {}", failing.join(", "));
    if input.scope == Scope::Repair && failing.is_empty() {
        return Ok(item(
            Action::Unchanged,
            "passes every enabled rule".to_string(),
        ));
    }
    let placement = match input.placements {
        Some(placements) => Some(placements.get(&account.id).ok_or_else(|| {
            InputError::new(
                "--org",
                &account.id,
                "the organizational units of this account were not read",
            )
        })?),
        None => None,
    };
    let (contact, source) = match input.desired.resolve(account, placement, contact_type) {
        Desired::Contact { contact, source } => (contact, source),
        Desired::Unset => {
            let why = match input.scope {
                Scope::Repair => format!("{}; ", failing_text()),
                Scope::Enforce => String::new(),
            };
            return Ok(item(
                Action::Skip,
                format!("{why}no desired contact is configured ([contacts.{contact_type}] or an override)"),
            ));
        }
        Desired::OuUnknown(i) => {
            return Err(InputError::new(
                "contactscan.toml",
                format!("contacts.overrides[{i}]"),
                format!(
                    "selects by ous, and the organizational units of account {} are not known \
                     (a snapshot does not record them); plan from the live organization (--org)",
                    account.id
                ),
            ))
        }
    };
    let mut planned = item(Action::Unchanged, String::new());
    planned.after = Some(contact.clone());
    planned.source = Some(source);
    let scope_reason = match input.scope {
        Scope::Repair => failing_text(),
        Scope::Enforce => "enforced".to_string(),
    };
    (planned.action, planned.reason) = match &planned.before {
        None => (Action::Create, scope_reason),
        Some(current) if current == contact => {
            (Action::Unchanged, "already the desired contact".to_string())
        }
        Some(_) => (Action::Update, scope_reason),
    };
    Ok(planned)
}

/// The refusals of a plan: FAILs after it on the slots it targets, and verdicts it would turn
/// to FAIL elsewhere.
fn judge(input: &PlanInput<'_>, before: &[Finding], items: &[Item]) -> Vec<Refusal> {
    let rules = &input.rules.rules;
    let mut after_inventory = input.inventory.clone();
    let mut targeted: HashMap<(usize, ContactType), Source> = HashMap::new();
    for item in items {
        let (Some(after), Some(source)) = (&item.after, item.source) else {
            continue;
        };
        targeted.insert((item.account, item.contact_type), source);
        if item.action.writes() {
            after_inventory.accounts[item.account].slots[item.contact_type.index()] =
                Slot::Registered(after.clone());
        }
    }
    let failed_before: HashSet<(usize, usize, Option<ContactType>)> = before
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| (f.rule, f.account, f.contact_type))
        .collect();
    let after_org = OrgFacts::of(&after_inventory);
    let mut refusals = Vec::new();
    for finding in verdicts(input, &after_inventory)
        .iter()
        .filter(|f| f.status == Status::Fail)
    {
        let rule = &rules[finding.rule];
        let source = slots_of(rule, finding)
            .into_iter()
            .find_map(|t| targeted.get(&(finding.account, t)).copied());
        let newly = !failed_before.contains(&(finding.rule, finding.account, finding.contact_type));
        if source.is_none() && !newly {
            continue;
        }
        let account = &after_inventory.accounts[finding.account];
        let message = rule.message.render(&MessageInput {
            account,
            contact_type: finding.contact_type,
            evidence: finding.detail.as_deref(),
            params: &rule.params,
            org: &after_org,
            fix_command: "",
        });
        refusals.push(Refusal {
            account_id: account.id.clone(),
            account_name: account.name.clone(),
            contact_type: finding.contact_type,
            rule_id: rule.id.clone(),
            evidence: finding.detail.as_deref().map(str::to_string),
            message,
            source,
        });
    }
    refusals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ACTIVE;

    fn contact(name: &str, email: &str, phone: &str) -> AlternateContact {
        AlternateContact {
            name: name.into(),
            title: "Security Team".into(),
            email_address: email.into(),
            phone_number: phone.into(),
        }
    }

    fn desired_security(email: &str) -> DesiredContacts {
        DesiredContacts {
            defaults: [
                Some(contact("Security Operations", email, "+1 206 266 1000")),
                None,
                None,
            ],
            overrides: Vec::new(),
        }
    }

    fn account(id: &str, root: &str, security: Slot) -> Account {
        let mut account = Account::new(id, ACTIVE, Slot::Missing);
        account.email = root.into();
        account.slots[0] = security;
        account
    }

    fn run(inventory: &Inventory, desired: &DesiredContacts, scope: Scope) -> Plan {
        let rules = RuleSet::load(None).unwrap();
        plan(&PlanInput {
            inventory,
            rules: &rules,
            desired,
            placements: None,
            waivers: &[],
            today: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            scope,
        })
        .unwrap()
    }

    fn actions(plan: &Plan) -> Vec<(String, &'static str)> {
        plan.items
            .iter()
            .filter(|i| i.contact_type == ContactType::Security)
            .map(|i| (i.reason.clone(), i.action.as_str()))
            .collect()
    }

    #[test]
    fn repair_writes_failing_slots_and_enforce_every_slot() {
        let good = contact(
            "Security Operations",
            "security@corp-logistics.com",
            "+1 206 266 1000",
        );
        let other = contact("SOC", "soc@corp-logistics.com", "+1 206 266 1000");
        let inventory = Inventory {
            accounts: vec![
                account("111111111111", "", Slot::Missing),
                account(
                    "222222222222",
                    "",
                    Slot::Registered(contact("Jane", "security@example.com", "+1 206 266 1000")),
                ),
                account("333333333333", "", Slot::Registered(good.clone())),
                account("444444444444", "", Slot::Registered(other)),
                account(
                    "555555555555",
                    "",
                    Slot::Unreadable {
                        code: "AccessDeniedException".into(),
                        message: "denied".into(),
                    },
                ),
                Account::new("666666666666", "SUSPENDED", Slot::Missing),
            ],
            ..Inventory::default()
        };
        let desired = desired_security("security@corp-logistics.com");
        let repair = run(&inventory, &desired, Scope::Repair);
        assert!(repair.refusals.is_empty(), "{:?}", repair.refusals);
        let got = actions(&repair);
        assert_eq!(
            got[0],
            ("fails security-contact-registered".into(), "create")
        );
        assert_eq!(got[1].1, "update");
        assert!(
            got[1].0.contains("contact-email-placeholder-domain"),
            "{}",
            got[1].0
        );
        assert_eq!(got[2], ("passes every enabled rule".into(), "unchanged"));
        // soc@ at the expected domain passes every rule: repair leaves it.
        assert_eq!(got[3], ("passes every enabled rule".into(), "unchanged"));
        assert_eq!(got[4].1, "skipped");
        assert!(got[4].0.contains("never written blind"));
        assert_eq!(
            got[5],
            ("the account is SUSPENDED, not ACTIVE".into(), "skipped")
        );
        // BILLING has no desired contact and no contact: skipped with why.
        let billing = &repair.items[1];
        assert_eq!(billing.action, Action::Skip);
        assert!(
            billing.reason.contains("no desired contact"),
            "{}",
            billing.reason
        );

        let enforce = run(&inventory, &desired, Scope::Enforce);
        let got = actions(&enforce);
        assert_eq!(got[2], ("already the desired contact".into(), "unchanged"));
        assert_eq!(got[3], ("enforced".into(), "update"));
        let update = &enforce.items[9];
        assert_eq!(
            update.changes(),
            [
                (ContactField::Name, "SOC", "Security Operations"),
                (
                    ContactField::EmailAddress,
                    "soc@corp-logistics.com",
                    "security@corp-logistics.com"
                ),
            ]
        );
        assert_eq!(enforce.summary().update, 2);
    }

    #[test]
    fn a_desired_contact_that_fails_a_rule_refuses_the_plan() {
        // The desired SECURITY address is this account's root email.
        let inventory = Inventory {
            accounts: vec![account(
                "777777777777",
                "security@corp-logistics.com",
                Slot::Missing,
            )],
            ..Inventory::default()
        };
        let plan = run(
            &inventory,
            &desired_security("security@corp-logistics.com"),
            Scope::Repair,
        );
        assert_eq!(plan.refusals.len(), 1, "{:?}", plan.refusals);
        let refusal = &plan.refusals[0];
        assert_eq!(refusal.rule_id, "security-contact-not-root-email");
        assert_eq!(refusal.contact_type, Some(ContactType::Security));
        assert_eq!(refusal.source, Some(Source::Default(ContactType::Security)));
        assert_eq!(
            refusal.to_string(),
            "account 777777777777 SECURITY: the desired contact (contacts.SECURITY) would FAIL \
             security-contact-not-root-email: SECURITY contact email security@corp-logistics.com \
             is the account's root email"
        );
    }
}
