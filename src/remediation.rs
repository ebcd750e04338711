//! Remediation that runs: the exact `aws account put-alternate-contact` command that fixes a
//! finding, with all four fields (the API has no partial update) and every value POSIX
//! single-quoted, so any name or address is safe in a shell.
//!
//! Per contact slot with a FAIL or WAIVED finding, the suspects are the fields the failing rules
//! read (all four when the slot is empty). The command changes the fewest of them for which the
//! contact then passes every rule, found by evaluating the rules on the contact as it would be
//! after the command; the other fields keep their current values. With a desired contact
//! configured (`[contacts]`), the changed fields take its values. Without one (or when it would
//! itself fail a rule here), the fields at fault are found with reference values that are never
//! printed (a team name and role, a role address at the organization's expected domain, a
//! dialable number) and become named shell variables (`"$SECURITY_EMAIL"`): a value that would
//! fail a rule is never printed.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use crate::engine::evaluate::evaluate;
use crate::engine::heuristics::email::email_domain;
use crate::engine::rule::{Rule, Scope};
use crate::finding::{Finding, Status};
use crate::fix::desired::Desired;
use crate::inventory::{Account, AlternateContact, ContactField, ContactType, Inventory, Slot};
use crate::scan::Scan;

/// `value` as one POSIX shell word: single-quoted, each `'` written as `'\''`.
pub(crate) fn shell_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// The shell variable a command uses for a field it cannot fill in: `SECURITY_EMAIL`.
pub(crate) fn variable_name(contact_type: ContactType, field: ContactField) -> String {
    let field = match field {
        ContactField::Name => "NAME",
        ContactField::Title => "TITLE",
        ContactField::EmailAddress => "EMAIL",
        ContactField::PhoneNumber => "PHONE",
    };
    format!("{contact_type}_{field}")
}

/// The AWS CLI option of a field.
fn option(field: ContactField) -> &'static str {
    match field {
        ContactField::Name => "--name",
        ContactField::Title => "--title",
        ContactField::EmailAddress => "--email-address",
        ContactField::PhoneNumber => "--phone-number",
    }
}

/// What a command writes into one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldValue {
    /// The current value: the field is fine.
    Current(String),
    /// The configured desired value.
    Desired(String),
    /// A shell variable the user sets first.
    Variable,
}

/// Which account a command names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// `--account-id <id>`: a member, written through Organizations.
    Member(String),
    /// No `--account-id`: the account runs the command in its own context.
    Own,
    /// `--account-id "$ACCOUNT_ID"`, for documentation.
    Variable,
}

/// One `aws account put-alternate-contact` command.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PutCommand {
    target: Target,
    contact_type: ContactType,
    /// By [`ContactField::index`].
    fields: [FieldValue; 4],
}

impl PutCommand {
    fn render(&self) -> String {
        let mut out = command_head(&self.target);
        out.push_str(&self.tail());
        out
    }

    /// The command after its `--account-id`: the contact type and the four fields.
    fn tail(&self) -> String {
        let mut out = format!(" --alternate-contact-type {}", self.contact_type);
        for field in ContactField::ALL {
            let option = option(field);
            match &self.fields[field.index()] {
                FieldValue::Current(value) | FieldValue::Desired(value) => {
                    // A value that starts with '-' would read as an option: bind it with '='.
                    let separator = if value.starts_with('-') { '=' } else { ' ' };
                    let _ = write!(out, " {option}{separator}{}", shell_quote(value));
                }
                FieldValue::Variable => {
                    let _ = write!(
                        out,
                        " {option} \"${}\"",
                        variable_name(self.contact_type, field)
                    );
                }
            }
        }
        out
    }

    fn variables(&self) -> Vec<String> {
        ContactField::ALL
            .into_iter()
            .filter(|f| self.fields[f.index()] == FieldValue::Variable)
            .map(|f| variable_name(self.contact_type, f))
            .collect()
    }
}

/// `aws account put-alternate-contact` and the `--account-id` of `target`.
fn command_head(target: &Target) -> String {
    let mut out = String::from("aws account put-alternate-contact");
    match target {
        Target::Member(id) => {
            let _ = write!(out, " --account-id {id}");
        }
        Target::Own => {}
        Target::Variable => out.push_str(" --account-id \"$ACCOUNT_ID\""),
    }
    out
}

/// Why a command leaves fields to shell variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unfilled {
    /// No desired contact is configured for this account and type.
    NotConfigured,
    /// An override selects by OU, which a scan does not read.
    OuUnknown,
    /// The desired contact would itself fail a rule on this account.
    DesiredFails,
    /// `--redact`: addresses and phone numbers stay out of the report.
    Redacted,
}

/// The fix of one slot.
#[derive(Debug, Clone)]
struct Remedy {
    contact_type: ContactType,
    fields: [FieldValue; 4],
    unfilled: Option<Unfilled>,
    /// A probe passed: `fields` changes no more than needed.
    settled: bool,
}

/// The fix of every slot with a FAIL or WAIVED finding, computed once per scan.
#[derive(Debug, Default)]
pub(crate) struct Remedies {
    /// Per slot (`account × 3 + contact type`), the index of its remedy: slots with the same
    /// contact share one.
    by_slot: Vec<Option<u32>>,
    remedies: Vec<Remedy>,
    /// Per remedy, its command as printed, plain and redacted: rendered once, not per finding.
    rendered: Vec<[RenderedFix; 2]>,
}

/// A remedy's command but for its `--account-id`, the same in every slot that shares it.
#[derive(Debug)]
struct RenderedFix {
    /// [`PutCommand::tail`].
    tail: String,
    /// The shell variables it leaves to the user.
    variables: Vec<String>,
    unfilled: Option<Unfilled>,
    /// The [`pointer`] that follows it when it is a finding's only command.
    pointer: String,
}

impl RenderedFix {
    /// The command of `remedy`; with `redact`, addresses and phone numbers are shell
    /// variables: a masked value must never be written.
    fn of(remedy: &Remedy, redact: bool) -> RenderedFix {
        let mut command = PutCommand {
            target: Target::Own,
            contact_type: remedy.contact_type,
            fields: remedy.fields.clone(),
        };
        let mut unfilled = remedy.unfilled;
        if redact {
            for field in [ContactField::EmailAddress, ContactField::PhoneNumber] {
                if command.fields[field.index()] != FieldValue::Variable {
                    command.fields[field.index()] = FieldValue::Variable;
                    unfilled = unfilled.or(Some(Unfilled::Redacted));
                }
            }
        }
        let variables = command.variables();
        RenderedFix {
            tail: command.tail(),
            pointer: pointer(&variables, unfilled, &[remedy.contact_type]),
            variables,
            unfilled,
        }
    }
}

/// The index of a slot in [`Remedies::by_slot`].
fn slot_index(account: usize, contact_type: ContactType) -> usize {
    account * 3 + contact_type.index()
}

/// The slots a finding is about: its contact type, or for an account-scope rule the slots the
/// rule reads.
fn slots_of(rule: &Rule, finding: &Finding) -> Vec<ContactType> {
    match finding.contact_type {
        Some(t) => vec![t],
        None if !rule.reads.contacts.is_empty() => rule.reads.contacts.iter().copied().collect(),
        None => rule.contact_types.clone(),
    }
}

/// Whether `finding` (of `rule`) is about slot `contact_type`.
fn touches(rule: &Rule, finding: &Finding, contact_type: ContactType) -> bool {
    match finding.contact_type {
        Some(t) => t == contact_type,
        None => rule.scope == Scope::Account && slots_of(rule, finding).contains(&contact_type),
    }
}

/// A bit set over [`ContactField::ALL`].
type Fields = u8;
const ALL_FIELDS: Fields = 0b1111;

fn bit(field: ContactField) -> Fields {
    1 << field.index()
}

/// `current` with the fields of `change` taken from `desired`.
fn merged(
    current: &AlternateContact,
    desired: &AlternateContact,
    change: Fields,
) -> AlternateContact {
    let pick = |field: ContactField| {
        if change & bit(field) != 0 {
            desired.field(field).to_string()
        } else {
            current.field(field).to_string()
        }
    };
    AlternateContact {
        name: pick(ContactField::Name),
        title: pick(ContactField::Title),
        email_address: pick(ContactField::EmailAddress),
        phone_number: pick(ContactField::PhoneNumber),
    }
}

/// The subsets of `suspects` to try, fewest fields first (then in the API's field order), and
/// every field last.
fn candidates(suspects: Fields) -> Vec<Fields> {
    let mut sets: Vec<Fields> = (1..=ALL_FIELDS)
        .filter(|set| set & !suspects == 0)
        .collect();
    sets.sort_by_key(|set| (set.count_ones(), *set));
    if suspects != ALL_FIELDS {
        sets.push(ALL_FIELDS);
    }
    sets
}

/// One contact tried on one account: the scan's account index, the slot and the fields changed.
#[derive(Clone)]
struct Probe {
    account: usize,
    contact_type: ContactType,
    change: Fields,
    contact: AlternateContact,
    /// The changed fields hold the desired contact's values (printed when the probe passes);
    /// otherwise reference values that only tell which fields are at fault.
    fill: bool,
}

/// The fields of a command: those in `change` from `filled` (shell variables without it), the
/// others as they are.
fn fields_of(
    current: &AlternateContact,
    filled: Option<&AlternateContact>,
    change: Fields,
) -> [FieldValue; 4] {
    ContactField::ALL.map(|field| match filled {
        _ if change & bit(field) == 0 => FieldValue::Current(current.field(field).to_string()),
        Some(contact) => FieldValue::Desired(contact.field(field).to_string()),
        None => FieldValue::Variable,
    })
}

/// What a failing slot is probed with: its desired contact, or the [`reference`] contact of its
/// type (which depends only on the slot's contact, so slots with the same contact share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ProbeWith<'a> {
    Desired(&'a AlternateContact),
    Reference,
}

/// A contact that passes the built-in rules, for finding which fields of a failing contact are
/// at fault when no desired contact is configured (it is never printed): a team name and role,
/// a role address at the organization's expected domain, a dialable number.
fn reference(
    scan: &Scan,
    contact_type: ContactType,
    current: &AlternateContact,
) -> AlternateContact {
    let expected = scan
        .rules
        .iter()
        .filter_map(|rule| {
            rule.params
                .get("approved_domains")?
                .as_array()?
                .first()?
                .as_str()
        })
        .map(str::to_string)
        .next();
    let domain = expected
        .or_else(|| Some(scan.org.dominant_security_domain.clone()).filter(|d| !d.is_empty()))
        .unwrap_or_else(|| email_domain(&current.email_address));
    let (name, title, local) = match contact_type {
        ContactType::Security => ("Security Operations", "Security Team", "security"),
        ContactType::Billing => ("Finance Team", "Accounts Payable", "billing"),
        ContactType::Operations => ("Cloud Operations", "Operations Team", "operations"),
    };
    AlternateContact {
        name: name.to_string(),
        title: title.to_string(),
        email_address: format!("{local}@{domain}"),
        phone_number: "+1 206 266 1000".to_string(),
    }
}

impl Remedies {
    /// Works out the fix of every slot of `scan` that has a FAIL or WAIVED finding.
    pub(crate) fn of(scan: &Scan) -> Remedies {
        // Per slot: the fields read by the rules that fail on it (`None`: no failure).
        let mut suspects: Vec<Option<Fields>> = vec![None; scan.inventory.accounts.len() * 3];
        for finding in &scan.findings {
            if !matches!(finding.status, Status::Fail | Status::Waived) {
                continue;
            }
            let rule = &scan.rules[finding.rule];
            let read: Fields = rule.reads.fields.iter().map(|f| bit(*f)).sum();
            for t in slots_of(rule, finding) {
                *suspects[slot_index(finding.account, t)].get_or_insert(0) |= read;
            }
        }
        let mut remedies = Remedies {
            by_slot: vec![None; suspects.len()],
            remedies: Vec::new(),
            rendered: Vec::new(),
        };
        let mut probes = Vec::new();
        let keys = suspects.iter().enumerate().filter_map(|(slot, fields)| {
            fields.map(|fields| (slot / 3, ContactType::ALL[slot % 3], fields))
        });
        // Real organizations repeat the same failing contact in many accounts: slots with the
        // same contact, candidate values and suspects are probed once, on the first of them,
        // and share its remedy. (Rules reading the account see that first account; the probe
        // values, a desired or a reference contact, are no account's root email.)
        let mut groups: HashMap<(ContactType, &AlternateContact, ProbeWith, Fields), u32> =
            HashMap::new();
        let empty = AlternateContact::default();
        for (index, contact_type, suspected) in keys {
            let account = &scan.inventory.accounts[index];
            let (current, mut suspect, registered) = match account.slot(contact_type) {
                Slot::Registered(contact) => (contact, suspected, true),
                Slot::Missing => (&empty, ALL_FIELDS, false),
                Slot::Unreadable { .. } | Slot::Undeclared => continue,
            };
            if suspect == 0 {
                suspect = ALL_FIELDS;
            }
            let desired = scan
                .desired
                .as_ref()
                .map(|d| d.resolve(account, None, contact_type));
            let (probe, fill, unfilled) = match desired {
                Some(Desired::Contact { contact, .. }) => {
                    (ProbeWith::Desired(contact), true, Unfilled::DesiredFails)
                }
                Some(Desired::OuUnknown(_)) => (ProbeWith::Reference, false, Unfilled::OuUnknown),
                Some(Desired::Unset) | None => {
                    (ProbeWith::Reference, false, Unfilled::NotConfigured)
                }
            };
            let key = (contact_type, current, probe, suspect);
            if let Some(&remedy) = groups.get(&key) {
                remedies.by_slot[slot_index(index, contact_type)] = Some(remedy);
                continue;
            }
            let probe_with = match probe {
                ProbeWith::Desired(contact) => contact.clone(),
                ProbeWith::Reference => reference(scan, contact_type, current),
            };
            let remedy = remedies.remedies.len() as u32;
            groups.insert(key, remedy);
            remedies.by_slot[slot_index(index, contact_type)] = Some(remedy);
            // An empty slot needs every field whatever the probes say.
            if fill || registered {
                for change in candidates(suspect) {
                    let contact = merged(current, &probe_with, change);
                    if contact != *current {
                        probes.push(Probe {
                            account: index,
                            contact_type,
                            change,
                            contact,
                            fill,
                        });
                    }
                }
            }
            remedies.remedies.push(Remedy {
                contact_type,
                fields: fields_of(current, None, suspect),
                unfilled: Some(unfilled),
                settled: false,
            });
        }
        // Fewest fields first, a round per size: most contacts have one field at fault, and
        // their bigger candidates are never evaluated.
        for size in 1..=4 {
            let round: Vec<Probe> = probes
                .iter()
                .filter(|p| p.change.count_ones() == size)
                .filter(|p| {
                    !remedies
                        .of_slot(p.account, p.contact_type)
                        .is_some_and(|r| r.settled)
                })
                .cloned()
                .collect();
            remedies.settle(scan, round);
        }
        remedies.rendered = (remedies.remedies.iter())
            .map(|r| [RenderedFix::of(r, false), RenderedFix::of(r, true)])
            .collect();
        remedies
    }

    /// The remedy of a slot, if it has a failure.
    fn of_slot(&self, account: usize, contact_type: ContactType) -> Option<&Remedy> {
        let index = (*self.by_slot.get(slot_index(account, contact_type))?)?;
        self.remedies.get(index as usize)
    }

    /// The rendered command of a slot's remedy, if it has a failure.
    fn rendered(
        &self,
        account: usize,
        contact_type: ContactType,
        redact: bool,
    ) -> Option<&RenderedFix> {
        let index = (*self.by_slot.get(slot_index(account, contact_type))?)?;
        Some(&self.rendered.get(index as usize)?[usize::from(redact)])
    }

    /// Evaluates every probe at once and keeps, per slot, the first that passes every rule.
    fn settle(&mut self, scan: &Scan, probes: Vec<Probe>) {
        if probes.is_empty() {
            return;
        }
        let accounts: Vec<Account> = probes
            .iter()
            .map(|probe| {
                let mut account = scan.inventory.accounts[probe.account].clone();
                account.slots[probe.contact_type.index()] = Slot::Registered(probe.contact.clone());
                account
            })
            .collect();
        let inventory = Inventory {
            accounts,
            ..Inventory::default()
        };
        let findings = evaluate(&scan.rules, &scan.env, &inventory, &scan.org);
        let mut fails: BTreeSet<usize> = BTreeSet::new();
        for finding in findings.iter().filter(|f| f.status == Status::Fail) {
            let probe = &probes[finding.account];
            if touches(&scan.rules[finding.rule], finding, probe.contact_type) {
                fails.insert(finding.account);
            }
        }
        for (i, probe) in probes.iter().enumerate() {
            let Some(index) = self.by_slot[slot_index(probe.account, probe.contact_type)] else {
                continue;
            };
            let remedy = &mut self.remedies[index as usize];
            if remedy.settled || fails.contains(&i) {
                continue;
            }
            let current = &scan.inventory.accounts[probe.account];
            let current = match current.slot(probe.contact_type) {
                Slot::Registered(contact) => contact.clone(),
                _ => AlternateContact::default(),
            };
            remedy.settled = true;
            if probe.fill {
                remedy.fields = fields_of(&current, Some(&probe.contact), probe.change);
                remedy.unfilled = None;
            } else {
                remedy.fields = fields_of(&current, None, probe.change);
            }
        }
    }

    /// The `{fix.command}` of a finding: a command per slot it is about, then a pointer to
    /// `contactscan fix`. Empty when none of its slots has a fix. With `redact`, addresses and
    /// phone numbers are shell variables: a masked value must never be written.
    pub(crate) fn command(
        &self,
        scan: &Scan,
        rule: &Rule,
        finding: &Finding,
        redact: bool,
    ) -> String {
        let account = &scan.inventory.accounts[finding.account];
        let head = command_head(&if is_own_account(scan, account) {
            Target::Own
        } else {
            Target::Member(account.id.clone())
        });
        let fixes: Vec<(ContactType, &RenderedFix)> = slots_of(rule, finding)
            .into_iter()
            .filter_map(|t| Some((t, self.rendered(finding.account, t, redact)?)))
            .collect();
        let mut out = String::with_capacity(
            fixes
                .iter()
                .map(|(_, fix)| head.len() + fix.tail.len() + fix.pointer.len() + 2)
                .sum(),
        );
        for (_, fix) in &fixes {
            out.push_str(&head);
            out.push_str(&fix.tail);
            out.push('\n');
        }
        match fixes.as_slice() {
            [] => {}
            [(_, fix)] => out.push_str(&fix.pointer),
            _ => {
                let variables: Vec<String> = fixes
                    .iter()
                    .flat_map(|(_, fix)| fix.variables.iter().cloned())
                    .collect();
                let unfilled = fixes.iter().find_map(|(_, fix)| fix.unfilled);
                let types: Vec<ContactType> = fixes.iter().map(|(t, _)| *t).collect();
                out.push_str(&pointer(&variables, unfilled, &types));
            }
        }
        out
    }
}

/// The comment that follows the commands: what to set first, and `contactscan fix`.
fn pointer(variables: &[String], unfilled: Option<Unfilled>, types: &[ContactType]) -> String {
    let sections: Vec<String> = types.iter().map(|t| format!("[contacts.{t}]")).collect();
    let sections = sections.join(" ");
    match unfilled {
        None => "# or for every account at once: contactscan fix --apply".to_string(),
        Some(why) => {
            let first = format!("# set {} first", variables.join(" "));
            match why {
                Unfilled::NotConfigured => {
                    format!("{first}, or configure {sections} in contactscan.toml and run contactscan fix")
                }
                Unfilled::OuUnknown => {
                    format!("{first}, or run contactscan fix: an OU override in contactscan.toml may apply")
                }
                Unfilled::DesiredFails => format!(
                    "{first}: the configured {sections} would fail a rule here (contactscan fix names it)"
                ),
                Unfilled::Redacted => format!(
                    "{first} (this report is redacted), or for every account at once: contactscan fix --apply"
                ),
            }
        }
    }
}

/// Whether the account writes its own contacts without `--account-id`: the organization's
/// management account (it cannot name itself), or the caller of a standalone live scan.
fn is_own_account(scan: &Scan, account: &Account) -> bool {
    scan.inventory
        .organization
        .as_ref()
        .is_some_and(|o| o.management_account_id == account.id)
        || scan.source.strip_prefix("aws:account:") == Some(account.id.as_str())
}

/// The slots a rule's fix writes, for documentation.
fn documented_slots(rule: &Rule) -> Vec<ContactType> {
    match rule.scope {
        Scope::Contact => rule.contact_types.clone(),
        Scope::Account if !rule.reads.contacts.is_empty() => {
            rule.reads.contacts.iter().copied().collect()
        }
        Scope::Account => rule.contact_types.clone(),
    }
}

/// A rule's remediation for no finding in particular (`rules explain`, SARIF rule help):
/// `{fix.command}` as a command per contact type with every value a shell variable.
pub fn explain(rule: &Rule) -> String {
    if !rule.remediation.uses_fix_command() {
        return rule.remediation.source().to_string();
    }
    let mut lines: Vec<String> = documented_slots(rule)
        .into_iter()
        .map(|contact_type| {
            PutCommand {
                target: Target::Variable,
                contact_type,
                fields: [
                    FieldValue::Variable,
                    FieldValue::Variable,
                    FieldValue::Variable,
                    FieldValue::Variable,
                ],
            }
            .render()
        })
        .collect();
    lines.push(
        "# Every field is required (the API has no partial update): fields that are fine keep \
         their current values.\n# contactscan scan prints this command filled in for each \
         finding (without --account-id in the account itself);\n# contactscan fix writes the \
         contacts configured under [contacts] in contactscan.toml to every account."
            .to_string(),
    );
    rule.remediation.render_generic(&lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_makes_any_value_one_shell_word() {
        assert_eq!(shell_quote("Security Operations"), "'Security Operations'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(
            shell_quote("O'Brien \"SecOps\""),
            "'O'\\''Brien \"SecOps\"'"
        );
        assert_eq!(
            shell_quote("$(rm -rf ~) `x` \\ ;|&"),
            "'$(rm -rf ~) `x` \\ ;|&'"
        );
    }

    #[test]
    fn a_command_has_all_four_fields_in_the_api_order() {
        let command = PutCommand {
            target: Target::Member("222222222222".into()),
            contact_type: ContactType::Security,
            fields: [
                FieldValue::Current("Security Operations".into()),
                FieldValue::Desired("-SOC-".into()),
                FieldValue::Variable,
                FieldValue::Current("+1 206 266 1000".into()),
            ],
        };
        assert_eq!(
            command.render(),
            "aws account put-alternate-contact --account-id 222222222222 \
             --alternate-contact-type SECURITY --name 'Security Operations' --title='-SOC-' \
             --email-address \"$SECURITY_EMAIL\" --phone-number '+1 206 266 1000'"
        );
        assert_eq!(command.variables(), ["SECURITY_EMAIL"]);
        let own = PutCommand {
            target: Target::Own,
            ..command
        };
        assert!(own.render().starts_with(
            "aws account put-alternate-contact --alternate-contact-type SECURITY --name"
        ));
    }

    #[test]
    fn candidates_change_the_fewest_fields_first() {
        let email = bit(ContactField::EmailAddress);
        let name = bit(ContactField::Name);
        assert_eq!(candidates(email), [email, ALL_FIELDS]);
        assert_eq!(
            candidates(email | name),
            [name, email, name | email, ALL_FIELDS]
        );
        assert_eq!(candidates(ALL_FIELDS).len(), 15);
        assert_eq!(candidates(ALL_FIELDS).last(), Some(&ALL_FIELDS));
    }
}
