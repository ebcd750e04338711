//! Waivers: accepted exceptions, read from the config file and applied by the policy.

use chrono::NaiveDate;
use globset::GlobSet;

use crate::engine::rule::Rule;
use crate::inventory::ContactType;

/// An accepted exception: turns matching FAIL findings into WAIVED through its last day.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// Rule ids or globs, as written.
    pub rules: Vec<String>,
    /// The same, compiled.
    pub rule_globs: GlobSet,
    /// Account ids, or `*`.
    pub accounts: Vec<String>,
    /// The contact types it covers; all (and account-scope findings) when `None`.
    pub contact_types: Option<Vec<ContactType>>,
    pub reason: String,
    pub owner: String,
    /// The last day, `YYYY-MM-DD`, as reports show it.
    pub expires: String,
    /// The same day, for comparisons: the waiver applies through its end, UTC.
    pub last_day: NaiveDate,
}

impl Waiver {
    /// Whether the waiver still applies on `today` (UTC).
    pub fn is_live(&self, today: NaiveDate) -> bool {
        today <= self.last_day
    }

    /// Whether the waiver covers a finding of `rule` on `account_id` (and `contact_type`; an
    /// account-scope finding is covered when every type the rule reads is).
    pub(crate) fn covers(
        &self,
        rule: &Rule,
        account_id: &str,
        contact_type: Option<ContactType>,
    ) -> bool {
        self.rule_globs.is_match(&rule.id)
            && self.accounts.iter().any(|a| a == "*" || a == account_id)
            && match (&self.contact_types, contact_type) {
                (None, _) => true,
                (Some(types), Some(t)) => types.contains(&t),
                (Some(types), None) => rule.contact_types.iter().all(|t| types.contains(t)),
            }
    }
}
