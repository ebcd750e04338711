//! The inventory: what was read about each account's alternate contacts, whatever the source.

use std::fmt;
use std::str::FromStr;

/// The three alternate contact types of the AWS Account Management API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactType {
    Security,
    Billing,
    Operations,
}

impl ContactType {
    /// All types, in the order reports list them.
    pub const ALL: [ContactType; 3] = [
        ContactType::Security,
        ContactType::Billing,
        ContactType::Operations,
    ];

    /// The API spelling: `SECURITY`, `BILLING`, `OPERATIONS`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactType::Security => "SECURITY",
            ContactType::Billing => "BILLING",
            ContactType::Operations => "OPERATIONS",
        }
    }

    /// Position in [`ContactType::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ContactType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContactType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "SECURITY" => Ok(ContactType::Security),
            "BILLING" => Ok(ContactType::Billing),
            "OPERATIONS" => Ok(ContactType::Operations),
            other => Err(format!(
                "unknown contact type {other:?}: expected SECURITY, BILLING or OPERATIONS"
            )),
        }
    }
}

/// A registered alternate contact. Absent fields read as the empty string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AlternateContact {
    pub name: String,
    pub title: String,
    pub email_address: String,
    pub phone_number: String,
}

/// What is known of one contact slot of one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Slot {
    /// The contact is registered.
    Registered(AlternateContact),
    /// The slot was read and no contact is registered.
    Missing,
    /// The slot could not be read; the verdicts that need it are ERROR.
    Unreadable { code: String, message: String },
}

/// The Organizations account state; anything but `ACTIVE` is skipped by scans.
pub const ACTIVE: &str = "ACTIVE";

/// One AWS account and its three contact slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Twelve digits.
    pub id: String,
    /// Account name, "" when unknown.
    pub name: String,
    /// Root email address, "" when unknown.
    pub email: String,
    /// Organizations state (ACTIVE, SUSPENDED, ...).
    pub state: String,
    /// Slots indexed by [`ContactType::index`].
    pub slots: [Slot; 3],
}

impl Account {
    /// The slot of one contact type.
    pub fn slot(&self, contact_type: ContactType) -> &Slot {
        &self.slots[contact_type.index()]
    }

    /// Whether scans evaluate this account (its state is ACTIVE).
    pub fn is_active(&self) -> bool {
        self.state == ACTIVE
    }
}

/// The organization the accounts belong to, when known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Organization {
    pub id: String,
    pub management_account_id: String,
}

/// Everything a scan evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inventory {
    /// RFC 3339 time of collection, "" when unknown.
    pub collected_at: String,
    pub organization: Option<Organization>,
    pub accounts: Vec<Account>,
}

/// Whether `id` is a 12-digit AWS account id.
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}
