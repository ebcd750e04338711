//! Desired contacts: the organization's declared policy for its alternate contacts
//! (`[contacts]` in contactscan.toml), and which one applies to an account.
//!
//! A default per contact type applies to every account; `[[contacts.overrides]]` replace it
//! for the accounts they select. An override's selectors (account ids or name globs, OU paths
//! or OU ids) combine with AND, and the last matching override wins. An account in a child OU
//! matches its ancestors' paths and ids.

use std::fmt;

use globset::GlobMatcher;

use crate::inventory::{is_account_id, Account, AlternateContact, ContactType};

/// Every desired contact of the config file, validated.
#[derive(Debug, Clone, Default)]
pub struct DesiredContacts {
    /// `[contacts.<TYPE>]`, by [`ContactType::index`].
    pub(crate) defaults: [Option<AlternateContact>; 3],
    /// `[[contacts.overrides]]`, in file order.
    pub(crate) overrides: Vec<Override>,
}

/// One `[[contacts.overrides]]` entry.
#[derive(Debug, Clone)]
pub(crate) struct Override {
    /// The types it sets (all three when the file leaves `types` out).
    pub types: Vec<ContactType>,
    /// Empty: any account.
    pub accounts: Vec<AccountSelector>,
    /// Empty: any OU.
    pub ous: Vec<OuSelector>,
    pub contact: AlternateContact,
}

/// An `accounts` entry of an override: a 12-digit id, else a glob over account names.
#[derive(Debug, Clone)]
pub(crate) enum AccountSelector {
    Id(String),
    Name(GlobMatcher),
}

impl AccountSelector {
    /// Parses one entry: 12 digits are an id, anything else a name glob (`sandbox-*`).
    pub fn parse(text: &str) -> Result<AccountSelector, String> {
        if is_account_id(text) {
            return Ok(AccountSelector::Id(text.to_string()));
        }
        if text.trim().is_empty() {
            return Err("an empty account selector; expected a 12-digit account id or an account name glob such as \"sandbox-*\"".to_string());
        }
        globset::Glob::new(text)
            .map(|glob| AccountSelector::Name(glob.compile_matcher()))
            .map_err(|e| format!("invalid account name glob {text:?}: {e}"))
    }

    fn matches(&self, account: &Account) -> bool {
        match self {
            AccountSelector::Id(id) => *id == account.id,
            AccountSelector::Name(glob) => !account.name.is_empty() && glob.is_match(&account.name),
        }
    }
}

/// An `ous` entry of an override: an OU path from `Root`, or an OU id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OuSelector {
    /// `Root/Workloads/Prod`, as written (names are compared exactly).
    Path(String),
    /// `ou-ab12-cdef3456`.
    Id(String),
}

impl OuSelector {
    /// Parses one entry: `ou-…` is an id; a path starts with `Root` and has no empty name.
    pub fn parse(text: &str) -> Result<OuSelector, String> {
        if is_ou_id(text) {
            return Ok(OuSelector::Id(text.to_string()));
        }
        let mut names = text.split('/');
        if names.next() != Some("Root") {
            return Err(format!(
                "{text:?} is neither an OU id (ou-xxxx-xxxxxxxx) nor an OU path from the root \
                 such as \"Root/Workloads/Prod\""
            ));
        }
        if names.any(|name| name.trim().is_empty()) {
            return Err(format!(
                "OU path {text:?} has an empty name; write it as \"Root/Workloads/Prod\""
            ));
        }
        Ok(OuSelector::Path(text.to_string()))
    }

    fn matches(&self, placement: &Placement) -> bool {
        match self {
            OuSelector::Path(path) => placement.ancestors.iter().any(|ou| ou.path == *path),
            OuSelector::Id(id) => placement.ancestors.iter().any(|ou| ou.id == *id),
        }
    }
}

/// Whether `text` has the shape of an organizational unit id.
fn is_ou_id(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("ou-") else {
        return false;
    };
    let Some((root, unit)) = rest.split_once('-') else {
        return false;
    };
    let ok = |part: &str, min: usize| {
        part.len() >= min
            && part.len() <= 32
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    ok(root, 4) && ok(unit, 8)
}

/// One organizational unit (or the root) an account sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationalUnit {
    /// `r-…` for the root, `ou-…` for an OU.
    pub id: String,
    /// `Root`, `Root/Workloads`, `Root/Workloads/Prod`...
    pub path: String,
}

/// Where an account sits: the root and every OU down to its parent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// From the root down to the account's parent.
    pub ancestors: Vec<OrganizationalUnit>,
}

/// Where a desired contact comes from, as the plan names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `[contacts.<TYPE>]`.
    Default(ContactType),
    /// `[[contacts.overrides]]` number `i` (0-based, in file order).
    Override(usize),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default(t) => write!(f, "contacts.{t}"),
            Source::Override(i) => write!(f, "contacts.overrides[{i}]"),
        }
    }
}

/// The desired contact of one account and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desired<'a> {
    /// This contact, from this place of the config.
    Contact {
        contact: &'a AlternateContact,
        source: Source,
    },
    /// Nothing is configured for this account and type.
    Unset,
    /// An override selects by OU and the account's OUs are not known (a scan, a snapshot):
    /// which contact applies cannot be told.
    OuUnknown(usize),
}

impl DesiredContacts {
    /// Whether no contact at all is configured.
    pub fn is_empty(&self) -> bool {
        self.defaults.iter().all(Option::is_none) && self.overrides.is_empty()
    }

    /// Whether some override selects by OU (its accounts' OUs must be looked up).
    pub fn selects_by_ou(&self) -> bool {
        self.overrides.iter().any(|o| !o.ous.is_empty())
    }

    /// The `[contacts.<TYPE>]` default.
    pub fn default_for(&self, contact_type: ContactType) -> Option<&AlternateContact> {
        self.defaults[contact_type.index()].as_ref()
    }

    /// Every SECURITY address the config declares (the default's, then the overrides'), each
    /// once: the organization's expected addresses.
    pub fn security_addresses(&self) -> Vec<String> {
        let mut addresses: Vec<String> = Vec::new();
        let default = self.default_for(ContactType::Security);
        let overrides = self
            .overrides
            .iter()
            .filter(|o| o.types.contains(&ContactType::Security))
            .map(|o| &o.contact);
        for contact in default.into_iter().chain(overrides) {
            let address = contact.email_address.trim().to_string();
            if !addresses.iter().any(|a| a.eq_ignore_ascii_case(&address)) {
                addresses.push(address);
            }
        }
        addresses
    }

    /// The desired contact of `contact_type` for `account`, placed at `placement` when its OUs
    /// are known: the last override that matches, else the default.
    pub fn resolve(
        &self,
        account: &Account,
        placement: Option<&Placement>,
        contact_type: ContactType,
    ) -> Desired<'_> {
        for (index, entry) in self.overrides.iter().enumerate().rev() {
            if !entry.types.contains(&contact_type)
                || !(entry.accounts.is_empty() || entry.accounts.iter().any(|s| s.matches(account)))
            {
                continue;
            }
            if !entry.ous.is_empty() {
                match placement {
                    None => return Desired::OuUnknown(index),
                    Some(placement) if !entry.ous.iter().any(|s| s.matches(placement)) => continue,
                    Some(_) => {}
                }
            }
            return Desired::Contact {
                contact: &entry.contact,
                source: Source::Override(index),
            };
        }
        match self.default_for(contact_type) {
            Some(contact) => Desired::Contact {
                contact,
                source: Source::Default(contact_type),
            },
            None => Desired::Unset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Slot, ACTIVE};

    fn contact(email: &str) -> AlternateContact {
        AlternateContact {
            name: "Security Operations".into(),
            title: "Security Team".into(),
            email_address: email.into(),
            phone_number: "+1 206 266 1000".into(),
        }
    }

    fn account(id: &str, name: &str) -> Account {
        Account {
            name: name.into(),
            ..Account::new(id, ACTIVE, Slot::Missing)
        }
    }

    fn placement(chain: &[(&str, &str)]) -> Placement {
        Placement {
            ancestors: chain
                .iter()
                .map(|(id, path)| OrganizationalUnit {
                    id: id.to_string(),
                    path: path.to_string(),
                })
                .collect(),
        }
    }

    fn over(types: &[ContactType], accounts: &[&str], ous: &[&str], email: &str) -> Override {
        Override {
            types: types.to_vec(),
            accounts: accounts
                .iter()
                .map(|a| AccountSelector::parse(a).unwrap())
                .collect(),
            ous: ous.iter().map(|o| OuSelector::parse(o).unwrap()).collect(),
            contact: contact(email),
        }
    }

    fn email(desired: Desired<'_>) -> String {
        match desired {
            Desired::Contact { contact, source } => format!("{} ({source})", contact.email_address),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn the_last_matching_override_wins_and_selectors_combine_with_and() {
        use ContactType::*;
        let desired = DesiredContacts {
            defaults: [Some(contact("security@corp.example")), None, None],
            overrides: vec![
                over(&[Security], &["sandbox-*"], &[], "sandbox@corp.example"),
                over(
                    &[Security, Operations],
                    &[],
                    &["Root/Workloads"],
                    "workloads@corp.example",
                ),
                over(
                    &[Security],
                    &["222222222222"],
                    &["ou-ab12-cdef3456"],
                    "payments@corp.example",
                ),
            ],
        };
        let prod = placement(&[
            ("r-ab12", "Root"),
            ("ou-ab12-11111111", "Root/Workloads"),
            ("ou-ab12-cdef3456", "Root/Workloads/Prod"),
        ]);
        let elsewhere = placement(&[("r-ab12", "Root"), ("ou-ab12-22222222", "Root/Sandbox")]);
        let payments = account("222222222222", "payments-prod");
        let sandbox = account("333333333333", "sandbox-data");
        // Id AND OU id: both hold, the last override wins.
        assert_eq!(
            email(desired.resolve(&payments, Some(&prod), Security)),
            "payments@corp.example (contacts.overrides[2])"
        );
        // A child OU matches its ancestor's path.
        assert_eq!(
            email(desired.resolve(&sandbox, Some(&prod), Security)),
            "workloads@corp.example (contacts.overrides[1])"
        );
        assert_eq!(
            email(desired.resolve(&sandbox, Some(&elsewhere), Security)),
            "sandbox@corp.example (contacts.overrides[0])"
        );
        assert_eq!(
            email(desired.resolve(&payments, Some(&elsewhere), Security)),
            "security@corp.example (contacts.SECURITY)"
        );
        // Types: OPERATIONS has no default; only the OU override sets it.
        assert_eq!(
            email(desired.resolve(&payments, Some(&prod), Operations)),
            "workloads@corp.example (contacts.overrides[1])"
        );
        assert_eq!(
            desired.resolve(&payments, Some(&elsewhere), Operations),
            Desired::Unset
        );
        assert_eq!(
            desired.resolve(&payments, Some(&elsewhere), Billing),
            Desired::Unset
        );
        // Without placements, an OU override that could match makes the answer unknown.
        assert_eq!(
            desired.resolve(&payments, None, Security),
            Desired::OuUnknown(2)
        );
        assert!(desired.selects_by_ou());
        assert_eq!(
            desired.security_addresses(),
            [
                "security@corp.example",
                "sandbox@corp.example",
                "workloads@corp.example",
                "payments@corp.example"
            ]
        );
    }

    #[test]
    fn selectors_are_parsed_strictly() {
        assert!(matches!(
            AccountSelector::parse("222222222222"),
            Ok(AccountSelector::Id(_))
        ));
        assert!(matches!(
            AccountSelector::parse("sandbox-*"),
            Ok(AccountSelector::Name(_))
        ));
        assert!(AccountSelector::parse("sandbox-[").is_err());
        assert!(AccountSelector::parse(" ").is_err());
        assert_eq!(
            OuSelector::parse("ou-ab12-cdef3456"),
            Ok(OuSelector::Id("ou-ab12-cdef3456".into()))
        );
        assert_eq!(
            OuSelector::parse("Root/Workloads/Prod"),
            Ok(OuSelector::Path("Root/Workloads/Prod".into()))
        );
        assert!(OuSelector::parse("Root").is_ok());
        assert!(OuSelector::parse("Workloads/Prod").is_err());
        assert!(OuSelector::parse("Root//Prod").is_err());
        assert!(OuSelector::parse("ou-AB12-cdef3456").is_err());
        // A name glob never matches an account whose name is unknown.
        let unnamed = account("444444444444", "");
        assert!(!AccountSelector::parse("*").unwrap().matches(&unnamed));
    }
}
