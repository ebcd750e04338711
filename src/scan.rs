//! A finished scan: the inventory, the rules that ran, their findings, and views for reporters.

use crate::engine::evaluate::evaluate;
use crate::engine::message::MessageInput;
use crate::engine::org::OrgFacts;
use crate::engine::rule::Rule;
use crate::engine::RuleSet;
use crate::finding::{finding_id, ErrorCause, Finding, Severity, Status};
use crate::inventory::{Account, Inventory};
use crate::waiver::Waiver;

/// Everything reporters need about one run.
pub struct Scan {
    /// `snapshot:<path>`, `aws:account:<id>` or `aws:organization:<id>`.
    pub source: String,
    /// RFC 3339 time of the scan.
    pub scanned_at: String,
    /// The snapshot file read, for report locations (`None` for live scans).
    pub snapshot_path: Option<std::path::PathBuf>,
    pub inventory: Inventory,
    pub rules: Vec<Rule>,
    pub org: OrgFacts,
    /// In account order, then rule order.
    pub findings: Vec<Finding>,
    pub waivers: Vec<Waiver>,
    /// Where findings are imported: the account whose Security Hub receives them (ASFF
    /// `AwsAccountId`): the caller for live scans, else the management account, else `None`
    /// (each scanned account imports its own).
    pub importer_account_id: Option<String>,
    /// AWS region of the run (ASFF), from the AWS configuration, else us-east-1.
    pub region: String,
    /// AWS partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
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
    pub fn run(
        source: String,
        snapshot_path: Option<std::path::PathBuf>,
        inventory: Inventory,
        rules: RuleSet,
        scanned_at: String,
    ) -> Scan {
        let org = OrgFacts::of(&inventory);
        let importer_account_id = inventory
            .organization
            .as_ref()
            .map(|o| o.management_account_id.clone())
            .filter(|id| !id.is_empty());
        let findings = evaluate(&rules.rules, &rules.env, &inventory, &org);
        Scan {
            source,
            scanned_at,
            snapshot_path,
            inventory,
            rules: rules.rules,
            org,
            findings,
            waivers: Vec::new(),
            importer_account_id,
            region: "us-east-1".to_string(),
            partition: "aws".to_string(),
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

    fn input(&self) -> MessageInput<'a> {
        MessageInput {
            account: self.account,
            contact_type: self.finding.contact_type,
            evidence: self.evidence(),
            params: &self.rule.params,
            org_accounts: self.scan.org.accounts,
            dominant_security_domain: &self.scan.org.dominant_security_domain,
        }
    }

    /// What the finding says: the rule's message for FAIL/WAIVED, its title (the state that
    /// holds) for PASS, the reason for ERROR.
    pub fn message(&self) -> String {
        match self.finding.status {
            Status::Fail | Status::Waived => self.rule.message.render(&self.input()),
            Status::Pass => self.rule.title.clone(),
            Status::Error => {
                let subject = match self.finding.contact_type {
                    Some(t) => format!("account {} {t} contact", self.account.id),
                    None => format!("account {}", self.account.id),
                };
                format!(
                    "No verdict for {subject}: {}",
                    self.finding.detail.as_deref().unwrap_or("unknown error")
                )
            }
        }
    }

    /// The fix, rendered for this account and contact type. For ERROR it is how to reach a
    /// verdict, never the rule's `put-alternate-contact` command: that would overwrite a
    /// contact nobody could read.
    pub fn remediation(&self) -> String {
        match (self.finding.status, self.finding.error_cause) {
            (Status::Error, Some(ErrorCause::Rule)) => format!(
                "No verdict was reached: the rule's condition failed (see the message). Fix rule \
                 {} ({}; `contactscan rules explain {}` shows its conditions), then scan again.",
                self.rule.id, self.rule.origin, self.rule.id
            ),
            (Status::Error, _) => format!(
                "No verdict was reached, so there is nothing to change yet. Make the data \
                 readable: the identity that scans account {} needs account:GetAlternateContact \
                 (and, with --role-name, a role it can assume there); then scan again.",
                self.account.id
            ),
            _ => {
                let remediation = self.rule.remediation.render(&self.input());
                if self.is_management_account() {
                    // The management account cannot name its own id as AccountId: it runs the
                    // command in its own context, without the option.
                    remediation.replace(&format!("--account-id {} ", self.account.id), "")
                } else {
                    remediation
                }
            }
        }
    }

    fn is_management_account(&self) -> bool {
        self.scan
            .inventory
            .organization
            .as_ref()
            .is_some_and(|o| o.management_account_id == self.account.id)
    }
}
