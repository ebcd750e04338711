//! The inventory: what was read about each account's alternate contacts, whatever the source.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;

use crate::error::InputError;

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

/// The four fields of an alternate contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactField {
    Name,
    Title,
    EmailAddress,
    PhoneNumber,
}

impl ContactField {
    /// All fields, in the API's order.
    pub const ALL: [ContactField; 4] = [
        ContactField::Name,
        ContactField::Title,
        ContactField::EmailAddress,
        ContactField::PhoneNumber,
    ];

    /// The name rule conditions and messages use: `name`, `title`, `email_address`,
    /// `phone_number`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactField::Name => "name",
            ContactField::Title => "title",
            ContactField::EmailAddress => "email_address",
            ContactField::PhoneNumber => "phone_number",
        }
    }

    /// The API's spelling: `Name`, `Title`, `EmailAddress`, `PhoneNumber`.
    pub fn api_name(self) -> &'static str {
        match self {
            ContactField::Name => "Name",
            ContactField::Title => "Title",
            ContactField::EmailAddress => "EmailAddress",
            ContactField::PhoneNumber => "PhoneNumber",
        }
    }

    /// Position in [`ContactField::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The field rule conditions call `name`.
    pub fn named(name: &str) -> Option<ContactField> {
        ContactField::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// A registered alternate contact. Absent fields read as the empty string. Serialised with
/// the Account Management API's field names (`Name`, `EmailAddress`, ...), as the fix plan and
/// the audit log show it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlternateContact {
    pub name: String,
    pub title: String,
    pub email_address: String,
    pub phone_number: String,
}

impl AlternateContact {
    /// The value of one field.
    pub fn field(&self, field: ContactField) -> &str {
        match field {
            ContactField::Name => &self.name,
            ContactField::Title => &self.title,
            ContactField::EmailAddress => &self.email_address,
            ContactField::PhoneNumber => &self.phone_number,
        }
    }
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
    /// The source says nothing about this slot (a Terraform configuration that does not
    /// manage it): rules that need it give no finding.
    Undeclared,
}

/// Where a source found a value: a file (as the user named it), a 1-based line and, when the
/// source knows it, a 1-based column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: Arc<Path>,
    pub line: u32,
    pub column: Option<u32>,
}

/// Where a source declares one contact and its fields, and which field values it cannot know
/// yet (a Terraform value known only after apply).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactOrigin {
    /// The block or entry that declares the contact.
    pub declared_at: Option<Location>,
    /// Where each field's value is written, by [`ContactField::index`].
    pub fields: [Option<Location>; 4],
    /// Fields whose value is not known, by [`ContactField::index`], each with why (naming the
    /// expression and what would resolve it): the rules that read it give ERROR.
    pub unknown: [Option<String>; 4],
}

/// The code of an unreadable slot whose contact a source cannot know yet (a Terraform resource
/// whose instances or type are known only after apply): its ERROR findings say what would
/// resolve it, not how to grant access.
pub const NOT_KNOWN_YET: &str = "NotKnownBeforeApply";

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
    /// Where the source found the account, when it is a file.
    pub location: Option<Location>,
    /// Where the source declares each contact, by [`ContactType::index`]; `None` when the
    /// source has nothing to say beyond `location`.
    pub contact_origins: Option<Box<[ContactOrigin; 3]>>,
}

impl Account {
    /// An account of this state whose slots are all `slot`, with no location.
    pub fn new(id: impl Into<String>, state: impl Into<String>, slot: Slot) -> Account {
        Account {
            id: id.into(),
            name: String::new(),
            email: String::new(),
            state: state.into(),
            slots: [slot.clone(), slot.clone(), slot],
            location: None,
            contact_origins: None,
        }
    }

    /// The origin of one contact, when the source gave one.
    pub fn contact_origin(&self, contact_type: ContactType) -> Option<&ContactOrigin> {
        self.contact_origins
            .as_ref()
            .map(|origins| &origins[contact_type.index()])
    }

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

/// Keeps the accounts named by `include` (all when empty) minus those in `exclude`, in their
/// order. An id that is not 12 digits, or an `include` id that is not among the accounts (of
/// `whence`: "the organization", "the snapshot"), is an error; an `exclude` id that is not is
/// only worth a warning, returned for the caller to show.
pub fn narrow(
    accounts: Vec<Account>,
    include: &[String],
    exclude: &[String],
    whence: &str,
) -> Result<(Vec<Account>, Vec<String>), InputError> {
    for (flag, ids) in [("--accounts", include), ("--exclude-accounts", exclude)] {
        if let Some(bad) = ids.iter().find(|id| !is_account_id(id)) {
            return Err(InputError::new(
                flag,
                "",
                format!("{bad:?} is not an AWS account id; expected 12 digits"),
            ));
        }
    }
    let listed: HashSet<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    let missing: Vec<&str> = include
        .iter()
        .map(String::as_str)
        .filter(|id| !listed.contains(id))
        .collect();
    if !missing.is_empty() {
        return Err(InputError::new(
            "--accounts",
            "",
            format!("{} not in {whence}", missing.join(", ")),
        ));
    }
    let warnings = exclude
        .iter()
        .filter(|id| !listed.contains(id.as_str()))
        .map(|id| format!("--exclude-accounts: {id} is not in {whence}"))
        .collect();
    let include: HashSet<&str> = include.iter().map(String::as_str).collect();
    let exclude: HashSet<&str> = exclude.iter().map(String::as_str).collect();
    let kept: Vec<Account> = accounts
        .into_iter()
        .filter(|a| include.is_empty() || include.contains(a.id.as_str()))
        .filter(|a| !exclude.contains(a.id.as_str()))
        .collect();
    if kept.is_empty() {
        return Err(InputError::new(
            "--accounts",
            "",
            "--accounts and --exclude-accounts leave no account to read",
        ));
    }
    Ok((kept, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str) -> Account {
        Account::new(id, ACTIVE, Slot::Missing)
    }

    fn ids(accounts: &[Account]) -> Vec<&str> {
        accounts.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn narrowing_keeps_listing_order() {
        let all = vec![
            account("111111111111"),
            account("222222222222"),
            account("333333333333"),
        ];
        let include = vec!["333333333333".to_string(), "111111111111".to_string()];
        let (kept, warnings) = narrow(all.clone(), &include, &[], "the organization").unwrap();
        assert_eq!(ids(&kept), ["111111111111", "333333333333"]);
        assert!(warnings.is_empty());
        let exclude = vec!["222222222222".to_string(), "999999999999".to_string()];
        let (kept, warnings) = narrow(all, &[], &exclude, "the snapshot").unwrap();
        assert_eq!(ids(&kept), ["111111111111", "333333333333"]);
        assert_eq!(
            warnings,
            ["--exclude-accounts: 999999999999 is not in the snapshot"]
        );
    }

    #[test]
    fn an_included_account_outside_or_a_bad_id_is_an_error() {
        let all = vec![account("111111111111")];
        let error = narrow(
            all.clone(),
            &["444444444444".to_string()],
            &[],
            "the snapshot",
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("444444444444 not in the snapshot"),
            "{error}"
        );
        let error = narrow(all.clone(), &["abc".to_string()], &[], "the snapshot").unwrap_err();
        assert!(error.to_string().contains("12 digits"), "{error}");
        let everything = vec!["111111111111".to_string()];
        assert!(narrow(all, &[], &everything, "the snapshot").is_err());
    }
}
