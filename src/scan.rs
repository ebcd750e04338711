//! A finished scan: the inventory, the rules that ran, their findings, and views for reporters.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use cel::Env;

use crate::aws::config::partition_of;
use crate::engine::evaluate::evaluate;
use crate::engine::message::MessageInput;
use crate::engine::org::OrgFacts;
use crate::engine::rule::Rule;
use crate::engine::RuleSet;
use crate::finding::{finding_id, ErrorCause, Finding, Severity, Status};
use crate::fix::desired::DesiredContacts;
use crate::inventory::{Account, Inventory, Location};
use crate::remediation::Remedies;
use crate::waiver::Waiver;

/// Whose Security Hub a finding goes to (its ASFF `AwsAccountId`): the default product ARN
/// only accepts findings of the account that imports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Importer {
    /// Every finding into this account's hub: the caller of a live scan, the management
    /// account of a snapshot.
    Account(String),
    /// Each scanned account into its own hub (`--role-name`, or a snapshot without a
    /// management account).
    EachAccount,
}

/// Which accounts a run reached a verdict on, as far as anyone asking later cares: the
/// Security Hub import archives held findings only of accounts the run covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountScope {
    /// Everything the caller can see: a sweep without `--accounts` or `--exclude-accounts`.
    Everything,
    /// These accounts and no others.
    Named(HashSet<String>),
    /// Some accounts were left out (`--exclude-accounts`): none can be vouched for by absence.
    Partial,
}

impl AccountScope {
    /// The scope of an organization sweep narrowed by `--accounts` and `--exclude-accounts`.
    pub fn of_sweep(accounts: &[String], exclude_accounts: &[String]) -> AccountScope {
        match (accounts.is_empty(), exclude_accounts.is_empty()) {
            (true, true) => AccountScope::Everything,
            (true, false) => AccountScope::Partial,
            (false, _) => AccountScope::Named(
                accounts
                    .iter()
                    .filter(|id| !exclude_accounts.contains(id))
                    .cloned()
                    .collect(),
            ),
        }
    }

    /// The scope of a run that read exactly the accounts of `inventory` (a snapshot, one
    /// account).
    pub fn of_inventory(inventory: &Inventory) -> AccountScope {
        AccountScope::Named(inventory.accounts.iter().map(|a| a.id.clone()).collect())
    }

    /// Whether the run covered `account_id`.
    pub fn covers(&self, account_id: &str) -> bool {
        match self {
            AccountScope::Everything => true,
            AccountScope::Named(named) => named.contains(account_id),
            AccountScope::Partial => false,
        }
    }
}

/// How a scan is run: decided once, before evaluation, from the source and the command line.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// `snapshot:<path>`, `aws:account:<id>` or `aws:organization:<id>`.
    pub source: String,
    /// RFC 3339 time of the scan.
    pub scanned_at: String,
    /// AWS region of the run (ASFF, the import), from the AWS configuration, else us-east-1.
    pub region: String,
    /// Where findings are imported.
    pub importer: Importer,
    /// Which accounts the run covered.
    pub accounts: AccountScope,
}

impl ScanOptions {
    /// The options of a scan of the snapshot at `path`: its management account imports every
    /// finding (without one, each account its own), and it covers the accounts it holds.
    pub fn for_snapshot(
        path: &Path,
        inventory: &Inventory,
        region: String,
        scanned_at: String,
    ) -> ScanOptions {
        ScanOptions {
            source: format!("snapshot:{}", path.display()),
            scanned_at,
            region,
            importer: inventory
                .organization
                .as_ref()
                .map(|o| o.management_account_id.clone())
                .filter(|id| !id.is_empty())
                .map_or(Importer::EachAccount, Importer::Account),
            accounts: AccountScope::of_inventory(inventory),
        }
    }
}

/// Everything reporters need about one run.
pub struct Scan {
    /// `snapshot:<path>`, `aws:account:<id>` or `aws:organization:<id>`.
    pub source: String,
    /// RFC 3339 time of the scan.
    pub scanned_at: String,
    pub inventory: Inventory,
    /// The rules that ran.
    pub rules: Vec<Rule>,
    /// Every rule id that exists (built-in and `--rules`), whether it ran or not.
    pub known_rules: HashSet<String>,
    /// `--select` or `--ignore` narrowed the rules.
    pub rules_narrowed: bool,
    pub org: OrgFacts,
    /// In account order, then rule order.
    pub findings: Vec<Finding>,
    pub waivers: Vec<Waiver>,
    /// Where findings are imported.
    pub importer: Importer,
    /// Which accounts the run covered.
    pub accounts_covered: AccountScope,
    /// AWS region of the run (ASFF), from the AWS configuration, else us-east-1.
    pub region: String,
    /// AWS partition of the region (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// The CEL environment the rules were compiled in (remediations evaluate them again).
    pub(crate) env: Arc<Env>,
    /// The config's desired contacts, which remediation commands write.
    pub(crate) desired: Option<DesiredContacts>,
    /// The fix of each failing slot, worked out when a remediation is first rendered.
    remedies: OnceLock<Remedies>,
}

/// Counts over a scan, as reports summarise it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub accounts: usize,
    pub skipped_accounts: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub waived: usize,
}

impl Scan {
    /// Evaluates `rules` on `inventory`.
    pub fn run(inventory: Inventory, rules: RuleSet, options: ScanOptions) -> Scan {
        let org = OrgFacts::of(&inventory);
        let findings = evaluate(&rules.rules, &rules.env, &inventory, &org);
        Scan {
            source: options.source,
            scanned_at: options.scanned_at,
            inventory,
            rules: rules.rules,
            known_rules: rules.known,
            rules_narrowed: rules.narrowed,
            org,
            findings,
            waivers: Vec::new(),
            importer: options.importer,
            accounts_covered: options.accounts,
            partition: partition_of(&options.region).to_string(),
            region: options.region,
            env: rules.env,
            desired: None,
            remedies: OnceLock::new(),
        }
    }

    /// Gives the scan the config's desired contacts: remediation commands write them where
    /// they pass every rule.
    pub fn set_desired_contacts(&mut self, desired: DesiredContacts) {
        self.desired = Some(desired);
        self.remedies = OnceLock::new();
    }

    /// The fixes of the failing slots, worked out on first use. Reporters that render
    /// findings on rayon's threads call this first, on their own thread: worked out inside a
    /// rayon task, its evaluation would let that thread run other tasks that wait on it.
    pub(crate) fn remedies(&self) -> &Remedies {
        self.remedies.get_or_init(|| Remedies::of(self))
    }

    /// The account whose Security Hub receives findings about `account_id`.
    pub fn importer_of<'a>(&'a self, account_id: &'a str) -> &'a str {
        match &self.importer {
            Importer::Account(importer) => importer,
            Importer::EachAccount => account_id,
        }
    }

    /// Counts findings by status and accounts by whether they were evaluated.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for account in &self.inventory.accounts {
            if account.is_active() {
                summary.accounts += 1;
            } else {
                summary.skipped_accounts += 1;
            }
        }
        for finding in &self.findings {
            match finding.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => summary.fail += 1,
                Status::Error => summary.error += 1,
                Status::Waived => summary.waived += 1,
            }
        }
        summary
    }

    /// The accounts that were not evaluated because they are not ACTIVE.
    pub fn skipped_accounts(&self) -> impl Iterator<Item = &Account> {
        self.inventory.accounts.iter().filter(|a| !a.is_active())
    }

    /// A reporter's view of one finding.
    pub fn view<'a>(&'a self, finding: &'a Finding) -> FindingView<'a> {
        FindingView {
            finding,
            rule: &self.rules[finding.rule],
            account: &self.inventory.accounts[finding.account],
            scan: self,
        }
    }

    /// Views of every finding, in order.
    pub fn views(&self) -> impl Iterator<Item = FindingView<'_>> {
        self.findings.iter().map(|f| self.view(f))
    }
}

/// A scan of the snapshot `text` with the built-in rules, in us-east-1 at a fixed time: what
/// the reporters' unit tests render.
#[cfg(test)]
pub(crate) fn scan_of_snapshot(text: &[u8]) -> Scan {
    scan_in(
        text,
        crate::engine::RuleSet::load(None).unwrap(),
        "us-east-1",
    )
}

/// A scan of the snapshot `text` with `rules`, in `region` at a fixed time.
#[cfg(test)]
fn scan_in(text: &[u8], rules: crate::engine::RuleSet, region: &str) -> Scan {
    let inventory = crate::source::snapshot::parse("test.json", text).unwrap();
    let options = ScanOptions::for_snapshot(
        std::path::Path::new("test.json"),
        &inventory,
        region.to_string(),
        "2026-11-23T12:00:00Z".to_string(),
    );
    Scan::run(inventory, rules, options)
}

/// A scan of the snapshot `text` in `region` under the demo config (its rule settings and
/// waivers), as `--config fixtures/demo-waivers.toml` runs it: findings of every status.
#[cfg(test)]
pub(crate) fn scan_with_demo_config(text: &[u8], region: &str) -> Scan {
    let mut rules = crate::engine::RuleSet::load(None).unwrap();
    let config = crate::config::load(
        std::path::Path::new("fixtures/demo-waivers.toml"),
        &mut rules,
    )
    .unwrap();
    let mut scan = scan_in(text, rules, region);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    crate::policy::apply_waivers(&mut scan, config.waivers, today);
    scan
}

/// The demo organization under the demo config, in us-east-1: findings of every status.
#[cfg(test)]
pub(crate) fn demo_scan() -> Scan {
    let text = std::fs::read("fixtures/demo-org.json").unwrap();
    scan_with_demo_config(&text, "us-east-1")
}

/// One finding with its rule and account resolved, its texts rendered on demand.
#[derive(Clone, Copy)]
pub struct FindingView<'a> {
    pub finding: &'a Finding,
    pub rule: &'a Rule,
    pub account: &'a Account,
    pub scan: &'a Scan,
}

impl<'a> FindingView<'a> {
    /// The stable finding id.
    pub fn id(&self) -> String {
        finding_id(&self.rule.id, &self.account.id, self.finding.contact_type)
    }

    pub fn status(&self) -> Status {
        self.finding.status
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity
    }

    /// The evidence of a FAIL or WAIVED finding.
    pub fn evidence(&self) -> Option<&'a str> {
        match self.finding.status {
            Status::Fail | Status::Waived => self.finding.detail.as_deref(),
            _ => None,
        }
    }

    /// The waiver that covers a WAIVED finding.
    pub fn waiver(&self) -> Option<&'a Waiver> {
        self.finding.waiver.map(|i| &self.scan.waivers[i])
    }

    fn input<'b>(&'b self, fix_command: &'b str) -> MessageInput<'b> {
        MessageInput {
            account: self.account,
            contact_type: self.finding.contact_type,
            evidence: self.evidence(),
            params: &self.rule.params,
            org: &self.scan.org,
            fix_command,
        }
    }

    /// What the finding says: the rule's message for FAIL/WAIVED, its title (the state that
    /// holds) for PASS, the reason for ERROR.
    pub fn message(&self) -> String {
        match self.finding.status {
            Status::Fail | Status::Waived => self.rule.message.render(&self.input("")),
            Status::Pass => self.rule.title.clone(),
            Status::Error => format!(
                "No verdict: {}",
                self.finding.detail.as_deref().unwrap_or("unknown error")
            ),
        }
    }

    /// The fix, rendered for this account and contact type; `None` on PASS (nothing to fix)
    /// and for a rule without one. For ERROR it is how to reach a verdict, never a
    /// `put-alternate-contact` command: that would overwrite a contact nobody could read.
    pub fn remediation(&self) -> Option<String> {
        self.remediation_for(false)
    }

    /// [`FindingView::remediation`]; with `redact`, a command leaves addresses and phone
    /// numbers to shell variables (a report that masks them must not print a command that
    /// writes the masks).
    pub fn remediation_for(&self, redact: bool) -> Option<String> {
        let text = match (self.finding.status, self.finding.error_cause) {
            (Status::Pass, _) => return None,
            (Status::Error, Some(ErrorCause::Rule)) => format!(
                "No verdict was reached: the rule's condition failed (see the message). Fix rule \
                 {} ({}; `contactscan rules explain {}` shows its conditions), then scan again.",
                self.rule.id, self.rule.origin, self.rule.id
            ),
            (Status::Error, Some(ErrorCause::Unknown)) => "No verdict was reached: a value this \
                 rule reads is not known yet (the message names it and what would resolve it: \
                 a --var or --var-file value, or a scan of the plan's `terraform show -json`); \
                 then scan again."
                .to_string(),
            (Status::Error, _) => format!(
                "No verdict was reached, so there is nothing to change yet. Make the data \
                 readable: the identity that scans account {} needs account:GetAlternateContact \
                 (and, with --role-name, a role it can assume there); then scan again.",
                self.account.id
            ),
            (Status::Fail | Status::Waived, _) => {
                let command = if self.rule.remediation.uses_fix_command() {
                    self.scan
                        .remedies()
                        .command(self.scan, self.rule, self.finding, redact)
                } else {
                    String::new()
                };
                if self.rule.remediation.is_fix_command() {
                    command
                } else {
                    self.rule.remediation.render(&self.input(&command))
                }
            }
        };
        Some(text).filter(|text| !text.trim().is_empty())
    }

    /// Where the offending value is written, when the source knows: for a contact finding,
    /// the one field the rule reads, else the contact's declaration; else the account's entry.
    pub fn location(&self) -> Option<&'a Location> {
        let contact = self
            .finding
            .contact_type
            .and_then(|t| self.account.contact_origin(t));
        let field = self
            .rule
            .reads
            .single_field()
            .and_then(|f| contact.and_then(|c| c.fields[f.index()].as_ref()));
        field
            .or_else(|| contact.and_then(|c| c.declared_at.as_ref()))
            .or(self.account.location.as_ref())
    }

    /// The block that declares the contact, when it is not already [`FindingView::location`].
    pub fn related_location(&self) -> Option<&'a Location> {
        let declared = self
            .finding
            .contact_type
            .and_then(|t| self.account.contact_origin(t))
            .and_then(|c| c.declared_at.as_ref())?;
        (self.location() != Some(declared)).then_some(declared)
    }
}
