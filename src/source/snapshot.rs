//! The snapshot file, format `contactscan/snapshot/v1`: read (strictly validated) and written.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::inventory::{
    is_account_id, Account, AlternateContact, ContactField, ContactType, Inventory, Location,
    Organization, Slot, ACTIVE,
};
use crate::strict::{self, Object};

/// The value of `SchemaVersion` this version reads and writes.
pub const SCHEMA_VERSION: &str = "contactscan/snapshot/v1";

/// The longest contact field read: the Account Management API holds at most 254 characters
/// (an email address), so anything far longer is not from AWS, and would only make rules
/// costly to evaluate.
const MAX_FIELD_CHARS: usize = 4_096;

/// The error code of GetAlternateContact for a contact that is not registered.
const NOT_REGISTERED: &str = "ResourceNotFoundException";

const EXPECTED: &str = "expected a contactscan snapshot: a JSON object with \"SchemaVersion\": \"contactscan/snapshot/v1\" and an \"Accounts\" array";

// Every object is strict: an unknown key is an error with a suggestion, except the other
// fields the AWS APIs return for the same objects (`aws organizations list-accounts`,
// `describe-organization`), read and ignored so that CLI output pastes in.

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SnapshotFile {
    schema_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    collected_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "strict::optional_object",
        skip_serializing_if = "Option::is_none"
    )]
    organization: Option<OrganizationFile>,
    #[serde(deserialize_with = "strict::objects")]
    accounts: Vec<AccountFile>,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct OrganizationFile {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    management_account_id: Option<String>,
    // DescribeOrganization's other fields.
    #[serde(rename = "Arn", default, skip_serializing)]
    _arn: Option<IgnoredAny>,
    #[serde(rename = "FeatureSet", default, skip_serializing)]
    _feature_set: Option<IgnoredAny>,
    #[serde(rename = "MasterAccountArn", default, skip_serializing)]
    _master_account_arn: Option<IgnoredAny>,
    #[serde(rename = "MasterAccountId", default, skip_serializing)]
    _master_account_id: Option<IgnoredAny>,
    #[serde(rename = "MasterAccountEmail", default, skip_serializing)]
    _master_account_email: Option<IgnoredAny>,
    #[serde(rename = "AvailablePolicyTypes", default, skip_serializing)]
    _available_policy_types: Option<IgnoredAny>,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct AccountFile {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    /// The retired Organizations field, read as an alias of `State`.
    #[serde(default, skip_serializing)]
    status: Option<String>,
    #[serde(default, deserialize_with = "strict::optional_objects")]
    alternate_contacts: Option<Vec<ContactFile>>,
    #[serde(
        default,
        deserialize_with = "strict::optional_objects",
        skip_serializing_if = "Option::is_none"
    )]
    errors: Option<Vec<ErrorFile>>,
    // ListAccounts' other fields.
    #[serde(rename = "Arn", default, skip_serializing)]
    _arn: Option<IgnoredAny>,
    #[serde(rename = "JoinedMethod", default, skip_serializing)]
    _joined_method: Option<IgnoredAny>,
    #[serde(rename = "JoinedTimestamp", default, skip_serializing)]
    _joined_timestamp: Option<IgnoredAny>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct ContactFile {
    alternate_contact_type: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    email_address: Option<String>,
    #[serde(default)]
    phone_number: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct ErrorFile {
    alternate_contact_type: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// What names standard input as a snapshot path.
pub const STDIN: &str = "-";

/// Reads and validates a snapshot file, or standard input for `-`.
pub fn read(path: &Path) -> Result<Inventory, InputError> {
    if path.as_os_str() == STDIN {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| {
            InputError::new(
                "standard input",
                "",
                format!("cannot read the snapshot: {e}"),
            )
        })?;
        let mut inventory = parse("standard input", &bytes)?;
        // Standard input is no file a report could point at.
        for account in &mut inventory.accounts {
            account.location = None;
        }
        return Ok(inventory);
    }
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        InputError::new(
            &name,
            "",
            format!("cannot read the snapshot: {e}; give the path of a snapshot file written by `contactscan collect`"),
        )
    })?;
    parse(&name, &bytes)
}

/// Parses and validates snapshot bytes; `name` is used in error messages.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Inventory, InputError> {
    // A byte-order mark, as PowerShell's Out-File writes one, is not part of the JSON.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::new(
            name,
            "",
            format!("the file is empty; {EXPECTED}"),
        ));
    }
    check_nesting(name, bytes)?;
    // The fast path: tracking the JSON path costs an allocation per key, so it is paid only to
    // describe an error.
    let mut inventory = match serde_json::from_slice::<Object<SnapshotFile>>(bytes) {
        Ok(Object(file)) => convert(name, file)?,
        Err(_) => return Err(describe_invalid(name, bytes)),
    };
    locate_accounts(Path::new(name), bytes, &mut inventory.accounts);
    Ok(inventory)
}

/// Says where and why `bytes` are not a snapshot, parsing them again while tracking the JSON
/// path.
fn describe_invalid(name: &str, bytes: &[u8]) -> InputError {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<Object<SnapshotFile>, _> =
        serde_path_to_error::deserialize(&mut deserializer);
    match parsed {
        Err(e) => describe_json_error(name, e.path().to_string(), e.into_inner()),
        Ok(_) => match deserializer.end() {
            Err(e) => describe_json_error(name, String::new(), e),
            Ok(()) => InputError::new(name, "", EXPECTED.to_string()),
        },
    }
}

/// Deepest nesting of arrays and objects a snapshot may have (a real one has 5).
const MAX_NESTING: usize = 32;

/// Refuses absurdly nested JSON, even inside fields that are otherwise ignored.
fn check_nesting(name: &str, bytes: &[u8]) -> Result<(), InputError> {
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                // Skip the string: to its closing quote, past escaped characters. An
                // unterminated string ends the check; parsing reports it.
                at += 1;
                loop {
                    let Some(next) = bytes
                        .get(at..)
                        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                    else {
                        return Ok(());
                    };
                    at += next + 1;
                    if bytes[at - 1] == b'"' {
                        break;
                    }
                    at += 1;
                }
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
                    let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count();
                    return Err(InputError::new(
                        name,
                        format!("line {line}, column {}", at - line_start + 1),
                        format!("JSON nested deeper than {MAX_NESTING} levels; {EXPECTED}"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    Ok(())
}

fn describe_json_error(name: &str, path: String, inner: serde_json::Error) -> InputError {
    let at = format!("line {}, column {}", inner.line(), inner.column());
    let reason = strict::suggest_key(&strip_position(&inner.to_string()));
    match inner.classify() {
        serde_json::error::Category::Data if !path.is_empty() && path != "." => {
            InputError::new(name, format!("{path} ({at})"), reason)
        }
        serde_json::error::Category::Data => {
            InputError::new(name, at, format!("{reason}; {EXPECTED}"))
        }
        serde_json::error::Category::Eof => InputError::new(
            name,
            at,
            format!("the JSON ends too early (truncated file?): {reason}"),
        ),
        _ => InputError::new(name, at, format!("not valid JSON: {reason}; {EXPECTED}")),
    }
}

/// serde_json appends " at line L column C"; the place is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn convert(name: &str, file: SnapshotFile) -> Result<Inventory, InputError> {
    if file.schema_version != SCHEMA_VERSION {
        return Err(InputError::new(
            name,
            "SchemaVersion",
            format!(
                "unsupported schema version {:?}; expected {SCHEMA_VERSION:?}",
                file.schema_version
            ),
        ));
    }
    let organization = match file.organization {
        None => None,
        Some(org) => {
            let management_account_id = org.management_account_id.unwrap_or_default();
            if !management_account_id.is_empty() && !is_account_id(&management_account_id) {
                return Err(InputError::new(
                    name,
                    "Organization.ManagementAccountId",
                    format!(
                        "{management_account_id:?} is not an AWS account id; expected 12 digits"
                    ),
                ));
            }
            Some(Organization {
                id: org.id.unwrap_or_default(),
                management_account_id,
            })
        }
    };
    let mut accounts = Vec::with_capacity(file.accounts.len());
    for (i, account) in file.accounts.into_iter().enumerate() {
        if !is_account_id(&account.id) {
            return Err(InputError::new(
                name,
                format!("Accounts[{i}].Id"),
                format!(
                    "{:?} is not an AWS account id; expected 12 digits",
                    account.id
                ),
            ));
        }
        accounts.push(convert_account(name, i, account)?);
    }
    let mut seen_ids = HashSet::with_capacity(accounts.len());
    if let Some((i, account)) = accounts
        .iter()
        .enumerate()
        .find(|(_, a)| !seen_ids.insert(a.id.as_str()))
    {
        return Err(InputError::new(
            name,
            format!("Accounts[{i}].Id"),
            format!(
                "account {} appears twice; expected each account once",
                account.id
            ),
        ));
    }
    Ok(Inventory {
        collected_at: file.collected_at.unwrap_or_default(),
        organization,
        accounts,
    })
}

fn convert_account(name: &str, i: usize, account: AccountFile) -> Result<Account, InputError> {
    let mut slots = [Slot::Missing, Slot::Missing, Slot::Missing];
    let mut filled = [false; 3];
    // `place` is only formatted for an error message.
    let mut claim = |place: &dyn Fn() -> String, type_name: &str| -> Result<usize, InputError> {
        let contact_type: ContactType = type_name
            .parse()
            .map_err(|e: String| InputError::new(name, place(), e))?;
        let index = contact_type.index();
        if filled[index] {
            return Err(InputError::new(
                name,
                place(),
                format!(
                    "contact type {contact_type} appears twice in account {}; expected each type at most once in AlternateContacts and Errors together",
                    account.id
                ),
            ));
        }
        filled[index] = true;
        Ok(index)
    };
    for (j, contact) in account.alternate_contacts.into_iter().flatten().enumerate() {
        let index = claim(
            &|| format!("Accounts[{i}].AlternateContacts[{j}].AlternateContactType"),
            &contact.alternate_contact_type,
        )?;
        let contact = AlternateContact {
            name: contact.name.unwrap_or_default(),
            title: contact.title.unwrap_or_default(),
            email_address: contact.email_address.unwrap_or_default(),
            phone_number: contact.phone_number.unwrap_or_default(),
        };
        for field in ContactField::ALL {
            let length = contact.field(field).chars().count();
            if length > MAX_FIELD_CHARS {
                return Err(InputError::new(
                    name,
                    format!("Accounts[{i}].AlternateContacts[{j}].{}", field.api_name()),
                    format!(
                        "{length} characters; the Account Management API holds at most 254 in \
                         any field, and contactscan reads at most {MAX_FIELD_CHARS}"
                    ),
                ));
            }
        }
        slots[index] = Slot::Registered(contact);
    }
    for (j, error) in account.errors.into_iter().flatten().enumerate() {
        let index = claim(
            &|| format!("Accounts[{i}].Errors[{j}].AlternateContactType"),
            &error.alternate_contact_type,
        )?;
        let code = error.code.unwrap_or_default();
        // GetAlternateContact's answer for a contact that is not registered: a reading, not
        // a failure to read (snapshots assembled from the AWS CLI carry it).
        slots[index] = if code == NOT_REGISTERED {
            Slot::Missing
        } else {
            Slot::Unreadable {
                code,
                message: error.message.unwrap_or_default(),
            }
        };
    }
    Ok(Account {
        id: account.id,
        name: account.name.unwrap_or_default(),
        email: account.email.unwrap_or_default(),
        // Organizations writes states in upper case; "Active" typed by hand means the same.
        state: account
            .state
            .or(account.status)
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ACTIVE.to_string()),
        slots,
        location: None,
        contact_origins: None,
    })
}

/// Writes `inventory` as a snapshot v1 (pretty JSON, one account entry per `"Id"` line).
pub fn write(inventory: &Inventory, out: impl Write) -> std::io::Result<()> {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let file = SnapshotFile {
        schema_version: SCHEMA_VERSION.to_string(),
        collected_at: non_empty(&inventory.collected_at),
        organization: inventory.organization.as_ref().map(|org| OrganizationFile {
            id: non_empty(&org.id),
            management_account_id: non_empty(&org.management_account_id),
            ..OrganizationFile::default()
        }),
        accounts: inventory.accounts.iter().map(account_file).collect(),
    };
    let mut out = std::io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut out, &file)?;
    out.write_all(b"\n")?;
    out.flush()
}

fn account_file(account: &Account) -> AccountFile {
    let mut contacts = Vec::new();
    let mut errors = Vec::new();
    for contact_type in ContactType::ALL {
        match account.slot(contact_type) {
            Slot::Registered(c) => contacts.push(ContactFile {
                alternate_contact_type: contact_type.to_string(),
                name: Some(c.name.clone()),
                title: Some(c.title.clone()),
                email_address: Some(c.email_address.clone()),
                phone_number: Some(c.phone_number.clone()),
            }),
            Slot::Missing => {}
            Slot::Unreadable { code, message } => errors.push(ErrorFile {
                alternate_contact_type: contact_type.to_string(),
                code: Some(code.clone()),
                message: Some(message.clone()),
            }),
            // Only sources that read files leave slots undeclared; a snapshot has no word for
            // "not said", so it records that nothing was read rather than "not registered".
            Slot::Undeclared => errors.push(ErrorFile {
                alternate_contact_type: contact_type.to_string(),
                code: Some("Undeclared".to_string()),
                message: Some("the source did not declare this contact".to_string()),
            }),
        }
    }
    AccountFile {
        id: account.id.clone(),
        name: (!account.name.is_empty()).then(|| account.name.clone()),
        email: (!account.email.is_empty()).then(|| account.email.clone()),
        state: Some(account.state.clone()),
        status: None,
        alternate_contacts: Some(contacts),
        errors: (!errors.is_empty()).then_some(errors),
        ..AccountFile::default()
    }
}

/// Gives each account the location of its `"Id"` entry in the snapshot's bytes (line only).
/// Accounts appear in file order, so one pass pairs them with the `"Id"` keys; a file whose
/// keys do not pair up that way (an account listed twice is refused earlier) is indexed by id.
fn locate_accounts(file: &Path, text: &[u8], accounts: &mut [Account]) {
    let file: Arc<Path> = Arc::from(file);
    let mut ids = id_entries(text);
    let mut next = 0;
    for (id, line) in ids.by_ref() {
        if accounts.get(next).is_some_and(|a| a.id == id) {
            accounts[next].location = Some(Location {
                file: Arc::clone(&file),
                line,
                column: None,
            });
            next += 1;
            if next == accounts.len() {
                return;
            }
        }
    }
    let lines: HashMap<&str, u32> = id_entries(text).collect();
    for account in &mut accounts[next..] {
        account.location = lines.get(account.id.as_str()).map(|&line| Location {
            file: Arc::clone(&file),
            line,
            column: None,
        });
    }
}

/// The `"Id": "<12 digits>"` entries of a snapshot's bytes with their 1-based lines, in order.
fn id_entries(text: &[u8]) -> impl Iterator<Item = (&str, u32)> {
    let key = b"\"Id\"";
    let (mut line, mut counted) = (1u32, 0);
    memchr::memmem::find_iter(text, key).filter_map(move |at| {
        line += memchr::memchr_iter(b'\n', &text[counted..at]).count() as u32;
        counted = at;
        let rest = text[at + key.len()..].trim_ascii_start();
        rest.strip_prefix(b":")
            .map(<[u8]>::trim_ascii_start)
            .and_then(|v| v.strip_prefix(b"\""))
            .and_then(|v| v.get(..12))
            .and_then(|id| std::str::from_utf8(id).ok())
            .filter(|id| is_account_id(id))
            .map(|id| (id, line))
    })
}

#[cfg(test)]
mod tests {
    use super::check_nesting;

    fn nesting(text: &str) -> Result<(), String> {
        check_nesting("t.json", text.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn nesting_counts_brackets_outside_strings_only() {
        let deep = format!("{}{}", "[".repeat(33), "]".repeat(33));
        let err = nesting(&format!("{{\"a\":\n  {deep}}}")).unwrap_err();
        assert!(err.contains("line 2, column 34"), "{err}");
        assert!(nesting(&format!("{}{}", "[".repeat(32), "]".repeat(32))).is_ok());
        // Brackets in strings, escaped quotes and backslashes do not count.
        let in_string = format!(
            "{{\"a\": \"{}\\\" {} \\\\\", \"b\": []}}",
            "[".repeat(40),
            "{".repeat(40)
        );
        assert!(nesting(&in_string).is_ok());
        // Unterminated strings and a trailing backslash end the check without a panic.
        assert!(nesting("{\"a\": \"[[[[").is_ok());
        assert!(nesting("{\"a\": \"x\\").is_ok());
    }
}
