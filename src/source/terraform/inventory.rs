//! From resolved resources to accounts: each contact in the slot of its account, accounts the
//! configuration creates with their unmanaged slots missing (registration rules apply), other
//! accounts with them undeclared (no finding).

use std::collections::HashMap;

use super::{AccountRef, Contact, Resolved};
use crate::inventory::{
    Account, AlternateContact, ContactField, ContactOrigin, ContactType, Inventory, Slot, ACTIVE,
};

/// The error code of a slot whose resource's instances or type are not known.
const UNKNOWN: &str = crate::inventory::NOT_KNOWN_YET;

/// The inventory of what a configuration or plan declares, accounts in the order they first
/// appear.
pub(crate) fn of(resolved: &Resolved) -> Inventory {
    let mut accounts = Accounts::default();
    // A contact whose account is not known may belong to any account created here: their
    // unmanaged slots get no verdict rather than a FAIL.
    let unplaced = resolved.contacts.iter().find_map(|c| match &c.account {
        AccountRef::Unknown(_) => Some(format!(
            "the account of {} is not known before apply and may be this one",
            c.address
        )),
        _ => None,
    });
    for created in &resolved.accounts {
        let slot = match created.undetermined.as_ref().or(unplaced.as_ref()) {
            Some(why) => Slot::Unreadable {
                code: UNKNOWN.to_string(),
                message: why.clone(),
            },
            None => Slot::Missing,
        };
        let mut account = Account::new(created.address.clone(), ACTIVE, slot);
        account.name = created.name.clone().unwrap_or_default();
        account.email = created.email.clone().unwrap_or_default();
        account.location = created.at.clone();
        account.contact_origins = Some(Box::default());
        accounts.add(account);
    }
    for contact in &resolved.contacts {
        let Ok(contact_type) = contact.contact_type else {
            accounts.add(undetermined(contact));
            continue;
        };
        let (key, name) = match &contact.account {
            AccountRef::Id(id) => (id.clone(), String::new()),
            AccountRef::Created(address) => (address.clone(), String::new()),
            AccountRef::Provider(provider) => (
                provider.clone(),
                format!("the account of provider {provider}"),
            ),
            AccountRef::Unknown(_) => (
                contact.address.clone(),
                format!(
                    "the account of {} (account_id known after apply)",
                    contact.address
                ),
            ),
        };
        let at = match accounts.index.get(&key) {
            Some(&i) if !matches!(accounts.list[i].slot(contact_type), Slot::Registered(_)) => i,
            Some(&i) => {
                // A second resource for the same contact: Terraform would make them fight;
                // each is checked on its own.
                let mut account = Account::new(contact.address.clone(), ACTIVE, Slot::Undeclared);
                account.name = format!("another {contact_type} contact of {}", accounts.list[i].id);
                account.location = contact.declared_at.clone();
                account.contact_origins = Some(Box::default());
                accounts.add(account)
            }
            None => {
                let mut account = Account::new(key, ACTIVE, Slot::Undeclared);
                account.name = name;
                account.location = contact.declared_at.clone();
                account.contact_origins = Some(Box::default());
                accounts.add(account)
            }
        };
        place(&mut accounts.list[at], contact_type, contact);
    }
    Inventory {
        collected_at: String::new(),
        organization: None,
        accounts: accounts.list,
    }
}

/// Accounts in order, and where each id is.
#[derive(Default)]
struct Accounts {
    list: Vec<Account>,
    index: HashMap<String, usize>,
}

impl Accounts {
    fn add(&mut self, account: Account) -> usize {
        self.index.insert(account.id.clone(), self.list.len());
        self.list.push(account);
        self.list.len() - 1
    }
}

/// Registers `contact` in its slot of `account`, with where each field is written and why an
/// unknown one is not known.
fn place(account: &mut Account, contact_type: ContactType, contact: &Contact) {
    let value = |field: ContactField| contact.value(field).unwrap_or_default().to_string();
    account.slots[contact_type.index()] = Slot::Registered(AlternateContact {
        name: value(ContactField::Name),
        title: value(ContactField::Title),
        email_address: value(ContactField::EmailAddress),
        phone_number: value(ContactField::PhoneNumber),
    });
    let origins = account.contact_origins.get_or_insert_with(Box::default);
    origins[contact_type.index()] = ContactOrigin {
        declared_at: contact.declared_at.clone(),
        fields: contact.fields.clone().map(|f| f.at),
        unknown: contact.fields.clone().map(|f| f.value.err()),
    };
}

/// An account of its own for a contact whose type or instances are not known: every slot
/// ERROR, naming why.
fn undetermined(contact: &Contact) -> Account {
    let why = contact.contact_type.clone().err().unwrap_or_default();
    let mut account = Account::new(
        contact.address.clone(),
        ACTIVE,
        Slot::Unreadable {
            code: UNKNOWN.to_string(),
            message: why,
        },
    );
    account.name = format!("the account of {}", contact.address);
    account.location = contact.declared_at.clone();
    let origin = ContactOrigin {
        declared_at: contact.declared_at.clone(),
        ..ContactOrigin::default()
    };
    account.contact_origins = Some(Box::new([origin.clone(), origin.clone(), origin]));
    account
}
