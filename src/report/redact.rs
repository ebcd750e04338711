//! `--redact`: masks email local parts and phone digits in rendered report text.
//!
//! Works on finished strings (messages, evidence, remediation, waiver notes), so every format
//! redacts the same way whatever the rule's message template says. A finding's texts are first
//! searched for the account's own contact data, masked wherever they stand (a malformed
//! address such as `jane(at)corp.com`, a short number, a local part quoted in evidence), then
//! for anything shaped like an address or a phone number:
//! - an email's local part keeps its first and last character (`security@corp.com` becomes
//!   `s******y@corp.com`; one or two characters become `*`); the domain stays visible;
//! - a phone number keeps its leading `+`, its separators and its last two digits
//!   (`+1 206 266 1000` becomes `+* *** *** **00`).
//!
//! A phone number is a run of digits, spaces and `+-.()` with 7 or more digits, not touching a
//! letter or digit. Left alone: the scan's account ids (on their own or in ARNs), so findings
//! stay attributable, and ISO dates (`2027-03-31`).

use std::borrow::Cow;
use std::collections::HashSet;

use crate::finding::Status;
use crate::inventory::{Account, Slot};
use crate::report::texts::{SharedTexts, Texts};
use crate::report::Options;
use crate::scan::{FindingView, Scan};

/// Masks contact data in report text when `--redact` is on; a no-op otherwise.
pub struct Redactor<'a> {
    on: bool,
    /// Account ids stay visible: a bare 12-digit number that is not one of them may be a phone.
    accounts: HashSet<&'a str>,
    /// The run's findings' texts, already worked out and redacted as `on` says.
    shared: Option<(&'a Scan, &'a SharedTexts)>,
}

impl<'a> Redactor<'a> {
    /// A redactor that keeps `accounts` visible.
    pub fn new(on: bool, accounts: impl IntoIterator<Item = &'a str>) -> Self {
        let accounts = if on {
            accounts.into_iter().collect()
        } else {
            HashSet::new()
        };
        Redactor {
            on,
            accounts,
            shared: None,
        }
    }

    /// The redactor a report of `scan` uses: on with `--redact`, keeping the scan's account ids.
    pub fn for_scan(scan: &'a Scan, options: &'a Options) -> Self {
        let mut redactor = Redactor::new(
            options.redact,
            scan.inventory.accounts.iter().map(|a| a.id.as_str()),
        );
        redactor.shared = (options.texts.as_deref())
            .filter(|texts| texts.redact == options.redact)
            .map(|texts| (scan, texts));
        redactor
    }

    /// Whether the run worked out its findings' texts already (then looking them up is cheap).
    pub(crate) fn shares_texts(&self) -> bool {
        self.shared.is_some()
    }

    /// The finding's texts, if the run worked them out already.
    fn shared(&self, view: &FindingView<'_>) -> Option<Texts<'a>> {
        let (scan, texts) = self.shared?;
        texts.get(scan, view.finding)
    }

    /// `text`, redacted when on.
    pub fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.on {
            Cow::Owned(self.phones(&emails(text)))
        } else {
            Cow::Borrowed(text)
        }
    }

    /// An owned `text`, redacted when on, else handed back without copying.
    fn string(&self, text: String) -> String {
        if self.on {
            self.phones(&emails(&text))
        } else {
            text
        }
    }

    /// A finding's message, redacted when on.
    pub fn message<'t>(&'t self, view: &FindingView<'_>) -> Cow<'t, str> {
        if let Some(texts) = self.shared(view) {
            return Cow::Borrowed(texts.message);
        }
        Cow::Owned(match view.status() {
            // A PASS message is the rule's title: no account data to look for.
            Status::Pass => self.string(view.message()),
            _ => self.in_account(view.account, view.message()),
        })
    }

    /// A finding's evidence, redacted when on.
    pub fn evidence<'t>(&'t self, view: &FindingView<'t>) -> Option<Cow<'t, str>> {
        let evidence = view.evidence()?;
        if let Some(texts) = self.shared(view).filter(|_| self.on) {
            return texts.evidence.map(Cow::Borrowed);
        }
        Some(if self.on {
            Cow::Owned(self.in_account(view.account, evidence.to_string()))
        } else {
            Cow::Borrowed(evidence)
        })
    }

    /// An account's name, redacted when on: names are free text, and some carry an owner's
    /// address or number (`team-alpha (owner carol.d@corp.com, +1 206 266 7002)`).
    pub fn name<'t>(&self, account: &'t Account) -> Cow<'t, str> {
        if self.on && !account.name.is_empty() {
            Cow::Owned(self.in_account(account, account.name.clone()))
        } else {
            Cow::Borrowed(&account.name)
        }
    }

    /// A finding's remediation (none on PASS), redacted when on.
    pub fn remediation<'t>(&'t self, view: &FindingView<'_>) -> Option<Cow<'t, str>> {
        if let Some(texts) = self.shared(view) {
            return texts.remediation.map(Cow::Borrowed);
        }
        let text = view.remediation_for(self.on)?;
        Some(Cow::Owned(self.in_account(view.account, text)))
    }

    /// `text` about `account`, redacted when on: the account's own contact data first, then
    /// whatever looks like an address or a phone number.
    fn in_account(&self, account: &Account, text: String) -> String {
        if !self.on {
            return text;
        }
        let mut text = text;
        for (value, masked) in sensitive_values(account) {
            text = replace_whole(&text, &value, &masked);
        }
        self.string(text)
    }

    /// Masks the digits of every phone-like run in `text` but its last two.
    fn phones(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < chars.len() {
            if !is_phone_char(chars[i]) {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && is_phone_char(chars[i]) {
                i += 1;
            }
            let run = &chars[start..i];
            let (Some(first), Some(last)) = (
                run.iter().position(|c| is_digit(*c)),
                run.iter().rposition(|c| is_digit(*c)),
            ) else {
                out.extend(run);
                continue;
            };
            // The number touches a word when no space separates it from the run's ends and
            // the run's ends touch a letter or digit (`host-1234567.corp`).
            let touches_word =
                |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '@');
            let glued_left = !run[..first].contains(&' ');
            let glued_right = !run[last..].contains(&' ');
            let glued_to_word = (glued_left
                && touches_word(start.checked_sub(1).and_then(|p| chars.get(p))))
                || (glued_right && touches_word(chars.get(i)));
            if !glued_to_word && self.is_phone_number(&run[first..=last]) {
                out.push_str(&mask_digits(&run.iter().collect::<String>()));
            } else {
                out.extend(run);
            }
        }
        out
    }

    /// Whether a run, from its first to its last digit, reads as a phone number.
    fn is_phone_number(&self, number: &[char]) -> bool {
        let digits = number.iter().filter(|c| is_digit(**c)).count();
        if digits < 7 {
            return false;
        }
        let text: String = number.iter().collect();
        let account_ids = text
            .split(' ')
            .filter(|part| !part.is_empty())
            .all(|part| self.accounts.contains(part));
        let date = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        !account_ids && !date
    }
}

/// The account's contact data as it may appear in a finding's texts, each with its mask,
/// longest first: addresses (the root email too), their local parts, phone numbers.
fn sensitive_values(account: &Account) -> Vec<(String, String)> {
    let mut values = Vec::new();
    let mut add_email = |email: &str| {
        let email = email.trim();
        if email.is_empty() {
            return;
        }
        // Split at the first and at the last '@': evidence quotes the local part as the
        // heuristics read it (up to the last), an address as written has its own.
        let splits = [email.split_once('@'), email.rsplit_once('@')];
        for (local, domain) in splits.into_iter().flatten() {
            if local.is_empty() {
                continue;
            }
            values.push((email.to_string(), format!("{}@{domain}", mask_local(local))));
            // A bare local part is masked where evidence quotes it (as written, or lower case
            // without its +tag): the same word in prose ("security") is left alone.
            let lower = local.to_lowercase();
            let base = lower.split('+').next().unwrap_or_default().to_string();
            for quoted in [local.to_string(), lower, base] {
                if !quoted.is_empty() {
                    values.push((format!("{quoted:?}"), format!("{:?}", mask_local(&quoted))));
                }
            }
        }
        // Not an address at all (`jane(at)corp.com`): masked whole where it looks like one,
        // not where it is a plain word ("email") that prose and commands also use.
        if !email.contains('@') && email.contains(['.', '(', '[']) {
            values.push((email.to_string(), mask_local(email)));
        }
    };
    add_email(&account.email);
    let mut phones = Vec::new();
    for slot in &account.slots {
        if let Slot::Registered(contact) = slot {
            add_email(&contact.email_address);
            let phone = contact.phone_number.trim();
            if phone.chars().any(is_digit) {
                phones.push((phone.to_string(), mask_digits(phone)));
            }
        }
    }
    values.extend(phones);
    values.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    values.dedup_by(|a, b| a.0 == b.0);
    values
}

/// `text` with every occurrence of `value` that stands as a whole (no letter or digit glued
/// to either end) replaced by `masked`.
fn replace_whole(text: &str, value: &str, masked: &str) -> String {
    let glued = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in text.match_indices(value) {
        let before = text[..at].chars().next_back();
        let after = text[at + value.len()..].chars().next();
        if !glued(before) && !glued(after) {
            out.push_str(&text[copied..at]);
            out.push_str(masked);
            copied = at + value.len();
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// A local part with all but its first and last characters masked (all of it when it has two
/// characters or fewer).
fn mask_local(local: &str) -> String {
    let count = local.chars().count();
    local
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if count > 2 && (i == 0 || i + 1 == count) {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// A phone number with all digits but the last two masked.
fn mask_digits(phone: &str) -> String {
    let digits = phone.chars().filter(|c| is_digit(*c)).count();
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if is_digit(c) {
                seen += 1;
                if seen + 2 > digits {
                    return c;
                }
                return '*';
            }
            c
        })
        .collect()
}

/// Characters an email local part is made of (the ones mailbox providers accept), and the mask
/// character, so that masking an address again changes nothing.
fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "+=.#|!&-_%~*".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '.'
}

/// Masks the local part of every `local@domain` in `text`.
fn emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<char> = chars.clone();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut start = at;
        while start > 0 && is_local_char(chars[start - 1]) {
            start -= 1;
        }
        // A sentence's dot or a leading punctuation mark is not part of the address.
        while start < at && !chars[start].is_alphanumeric() {
            start += 1;
        }
        let domain_len = chars[at + 1..]
            .iter()
            .take_while(|c| is_domain_char(**c))
            .filter(|c| c.is_alphanumeric())
            .count();
        if start == at || domain_len == 0 {
            continue;
        }
        let masked = mask_local(&chars[start..at].iter().collect::<String>());
        for (slot, c) in out[start..at].iter_mut().zip(masked.chars()) {
            *slot = c;
        }
    }
    out.into_iter().collect()
}

/// A digit in any script: ASCII, fullwidth `１`, Arabic-Indic `٢`, Devanagari `३`...
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// What a phone number is written with, fullwidth forms and the ideographic space included.
fn is_phone_char(c: char) -> bool {
    is_digit(c) || " +-.()\u{FF0B}\u{FF0D}\u{FF08}\u{FF09}\u{3000}\u{00A0}".contains(c)
}

#[cfg(test)]
mod tests {
    use super::Redactor;
    use crate::inventory::{Account, AlternateContact, Slot};

    fn contact(email: &str, phone: &str) -> Slot {
        Slot::Registered(AlternateContact {
            name: "Marco Rossi".into(),
            title: "Engineer".into(),
            email_address: email.into(),
            phone_number: phone.into(),
        })
    }

    #[test]
    fn masks_the_accounts_own_data_whatever_its_shape() {
        let account = Account {
            id: "123456789012".into(),
            name: "payments".into(),
            email: "aws-root@corp.com".into(),
            state: "ACTIVE".into(),
            slots: [
                contact("Marco.Rossi+aws@corp.com", "206 266"),
                contact("jane.smith(at)corp.com", "+1 206 266 1000 ext 4321"),
                contact("bob.jones@@corp.com", ""),
            ],
            location: None,
            contact_origins: None,
        };
        let redactor = Redactor::new(true, ["123456789012"]);
        let text = "the local part \"marco.rossi\" of Marco.Rossi+aws@corp.com; \
                    jane.smith(at)corp.com; bob.jones@@corp.com, local part \"bob.jones@\"; \
                    phone 206 266; +1 206 266 1000 ext 4321; AWS security notifications for \
                    account 123456789012; --email-address";
        let redacted = redactor.in_account(&account, text.to_string());
        for leak in [
            "marco",
            "rossi",
            "jane",
            "smith",
            "bob.jones",
            "206 266",
            "4321",
        ] {
            assert!(
                !redacted.to_lowercase().contains(leak),
                "{leak} in {redacted}"
            );
        }
        assert!(
            redacted.contains("AWS security notifications for"),
            "{redacted}"
        );
        assert!(redacted.contains("--email-address"), "{redacted}");
        assert!(redacted.contains("\"m*********i\""), "{redacted}");
        assert_eq!(
            Redactor::new(false, []).in_account(&account, text.to_string()),
            text
        );
    }

    fn redact(text: &str) -> String {
        Redactor::new(true, ["111111111111", "222222222222", "777777777777"])
            .text(text)
            .into_owned()
    }

    #[test]
    fn masks_email_local_parts_and_keeps_domains() {
        assert_eq!(redact("security@corp.com"), "s******y@corp.com");
        assert_eq!(redact("ab@corp.com"), "**@corp.com");
        assert_eq!(redact("a@corp.com"), "*@corp.com");
        assert_eq!(
            redact("email aws-root+edge-cdn@harborlight.com of account 777777777777."),
            "email a***************n@harborlight.com of account 777777777777."
        );
        assert_eq!(
            redact("to security@harborlight."),
            "to s******y@harborlight."
        );
        assert_eq!(
            redact("security@<your real domain>"),
            "security@<your real domain>"
        );
    }

    #[test]
    fn masks_phone_digits_but_the_last_two() {
        assert_eq!(redact("+1 206 266 1000"), "+* *** *** **00");
        assert_eq!(redact("phone (206) 555-0100."), "phone (***) ***-**00.");
        assert_eq!(redact("+49 30 901820 of"), "+** ** ****20 of");
    }

    #[test]
    fn leaves_account_ids_dates_and_short_numbers() {
        for text in [
            "account 111111111111 and 222222222222",
            "arn:aws:sts::111111111111:assumed-role/Auditor/scan",
            "expires 2027-03-31",
            "9 digits after +1 is not a possible length",
            "AKIAIOSFODNN7EXAMPLE1234567",
            "host-1234567.corp",
        ] {
            assert_eq!(redact(text), text);
        }
        assert_eq!(redact("digit run 442071234567"), "digit run **********67");
        let off = Redactor::new(false, []);
        assert_eq!(
            off.text("security@corp.com +1 206 266 1000"),
            "security@corp.com +1 206 266 1000"
        );
    }
}
