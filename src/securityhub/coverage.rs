//! Which held findings a run may archive: those of rules it evaluated (or that no longer exist)
//! on accounts it covered. A narrow run never archives what a broader run found.

use std::collections::HashSet;

use crate::scan::{AccountScope, Scan};

/// What a run covered.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// Rule ids evaluated in this run.
    evaluated_rules: HashSet<String>,
    /// Every rule id that exists (built-in and `--rules`), selected or not.
    known_rules: HashSet<String>,
    /// `--select`/`--ignore` narrowed the rules: rules that no longer exist are not archived.
    rules_narrowed: bool,
    accounts: AccountScope,
}

impl Coverage {
    /// What `scan` covered.
    pub fn of(scan: &Scan) -> Coverage {
        Coverage {
            evaluated_rules: scan.rules.iter().map(|r| r.id.clone()).collect(),
            known_rules: scan.known_rules.clone(),
            rules_narrowed: scan.rules_narrowed,
            accounts: scan.accounts_covered.clone(),
        }
    }

    /// Whether a held finding of `rule_id` on `account_id` without a verdict in this run may
    /// be archived.
    pub fn covers(&self, rule_id: &str, account_id: &str) -> bool {
        let rule_covered = self.evaluated_rules.contains(rule_id)
            || (!self.known_rules.contains(rule_id) && !self.rules_narrowed);
        rule_covered && self.accounts.covers(account_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coverage(evaluated: &[&str], narrowed: bool, accounts: AccountScope) -> Coverage {
        Coverage {
            evaluated_rules: evaluated.iter().map(|s| s.to_string()).collect(),
            known_rules: ["a", "b"].iter().map(|s| s.to_string()).collect(),
            rules_narrowed: narrowed,
            accounts,
        }
    }

    const ONE: &str = "111111111111";
    const TWO: &str = "222222222222";

    #[test]
    fn evaluated_and_removed_rules_are_covered_unless_the_rules_were_narrowed() {
        let everything = coverage(&["a", "b"], false, AccountScope::Everything);
        assert!(everything.covers("a", ONE));
        assert!(everything.covers("removed-rule", ONE));
        let selected = coverage(&["a"], true, AccountScope::Everything);
        assert!(selected.covers("a", ONE));
        assert!(
            !selected.covers("b", ONE),
            "a rule that exists but did not run"
        );
        assert!(!selected.covers("removed-rule", ONE));
    }

    #[test]
    fn only_accounts_the_run_vouches_for_are_covered() {
        let scope = AccountScope::of_sweep(&[ONE.to_string()], &[]);
        assert!(coverage(&["a"], false, scope.clone()).covers("a", ONE));
        assert!(!coverage(&["a"], false, scope).covers("a", TWO));
        let excluded = AccountScope::of_sweep(&[], &[TWO.to_string()]);
        assert_eq!(excluded, AccountScope::Partial);
        assert!(!coverage(&["a"], false, excluded).covers("a", ONE));
        let both = AccountScope::of_sweep(&[ONE.to_string(), TWO.to_string()], &[TWO.to_string()]);
        assert!(both.covers(ONE));
        assert!(!both.covers(TWO), "named, then excluded: not read");
    }
}
