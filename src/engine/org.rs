//! Organization-wide facts rules can compare an account against (the `org` CEL variable).

use std::collections::BTreeMap;

use crate::engine::heuristics::domain::registrable_domain;
use crate::inventory::{ContactType, Inventory, Slot};

/// Facts over the active accounts of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFacts {
    /// Number of active accounts.
    pub accounts: usize,
    /// Lower-case SECURITY email → number of accounts using it.
    pub security_emails: BTreeMap<String, usize>,
    /// Registrable domain of the SECURITY email → number of accounts using it.
    pub security_domains: BTreeMap<String, usize>,
    /// The domain more than half the accounts use, with 3 or more accounts; "" otherwise.
    pub dominant_security_domain: String,
}

impl OrgFacts {
    /// Counts the SECURITY contacts of the active accounts.
    pub fn of(inventory: &Inventory) -> OrgFacts {
        let mut facts = OrgFacts::default();
        for account in inventory.accounts.iter().filter(|a| a.is_active()) {
            facts.accounts += 1;
            if let Slot::Registered(contact) = account.slot(ContactType::Security) {
                let address = contact.email_address.trim().to_lowercase();
                if address.is_empty() {
                    continue;
                }
                *facts
                    .security_domains
                    .entry(registrable_domain(&address))
                    .or_default() += 1;
                *facts.security_emails.entry(address).or_default() += 1;
            }
        }
        if facts.accounts >= 3 {
            if let Some((domain, _)) = facts
                .security_domains
                .iter()
                .find(|(_, count)| **count * 2 > facts.accounts)
            {
                facts.dominant_security_domain = domain.clone();
            }
        }
        facts
    }
}
