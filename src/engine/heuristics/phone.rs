//! Phone numbers: format validity (with libphonenumber's metadata) and fictional numbers.
//!
//! The metadata is the `rlibphonenumber` crate's (libphonenumber metadata v9.0.42 in 2.2.15),
//! the Rust port whose metadata is newest: it has Gambia's 9-digit numbers and drops
//! Zimbabwe's impossible 5-, 6- and 8-digit lengths, which the `phonenumber` crate's 9.0.33
//! still has.

use std::collections::HashSet;
use std::sync::LazyLock;

use rlibphonenumber::{NumberLengthType, PhoneNumber, PHONE_NUMBER_UTIL};

use super::word_list;

/// The country calling codes libphonenumber knows.
static CALLING_CODES: LazyLock<HashSet<i32>> =
    LazyLock::new(|| PHONE_NUMBER_UTIL.get_supported_calling_codes().collect());

static FICTIONAL_PREFIXES: LazyLock<Vec<String>> =
    LazyLock::new(|| word_list(include_str!("../../../rules/data/fictional-phones.txt")));

const ALLOWED_PUNCTUATION: &str = " +-()";

fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Why `phone` is not a dialable number by its format; `None` when it is.
pub fn phone_problem(phone: &str) -> Option<String> {
    let phone = phone.trim();
    if phone.is_empty() {
        return Some("the number is empty".into());
    }
    if let Some(c) = phone
        .chars()
        .find(|c| !(c.is_ascii_digit() || ALLOWED_PUNCTUATION.contains(*c)))
    {
        return Some(format!(
            "it contains {c:?}; only digits, spaces and + - ( ) are allowed"
        ));
    }
    if phone.matches('+').count() > 1 || (phone.contains('+') && !phone.starts_with('+')) {
        return Some("'+' may only open the number".into());
    }
    let count = digits(phone).len();
    if count < 7 {
        return Some(format!("it has {count} digits (at least 7)"));
    }
    if count > 15 {
        return Some(format!("it has {count} digits (at most 15, per E.164)"));
    }
    if phone.starts_with('+') {
        return international_problem(phone);
    }
    None
}

/// International digits split into the country calling code and the national number. Calling
/// codes are prefix-free, so the first of one to three leading digits that the metadata knows
/// is the code, as libphonenumber splits it (without its parser, which costs a regex).
fn split_calling_code(digits: &str) -> Option<(i32, &str)> {
    (1..=3).find_map(|n| {
        let code: i32 = digits.get(..n)?.parse().ok()?;
        CALLING_CODES.contains(&code).then(|| (code, &digits[n..]))
    })
}

/// A `+CC ...` number must be a possible number (by length) for its country calling code.
fn international_problem(phone: &str) -> Option<String> {
    // "+44 (0)20 ...": the trunk prefix in brackets is not dialled after the country code.
    let digits = digits(&phone.replace("(0)", ""));
    let Some((code, national)) = split_calling_code(&digits) else {
        return Some("it starts with no country calling code".into());
    };
    // Leading zeros are kept apart from the number, as libphonenumber stores them (Italy).
    let zeros = national.bytes().take_while(|b| *b == b'0').count();
    let zeros = zeros.min(national.len().saturating_sub(1));
    let number = PhoneNumber {
        country_code: code,
        national_number: national[zeros..].parse().unwrap_or(0),
        italian_leading_zero: (zeros > 0).then_some(true),
        number_of_leading_zeros: (zeros > 1).then_some(zeros as i32),
        ..PhoneNumber::default()
    };
    // Local-only lengths cannot be dialled with the country code, so they do not count.
    match PHONE_NUMBER_UTIL.is_possible_number_with_reason(&number) {
        Ok(NumberLengthType::IsPossible) => None,
        _ => Some(format!(
            "{} digits after +{code} is not a possible length for that country",
            national.len()
        )),
    }
}

/// The number in international digits (country code first) when it can be told: numbers
/// written with `+`, and NANP numbers written with 10 or 11 (leading 1) digits; UK numbers
/// written nationally (leading 0) are not guessed.
fn international_digits(phone: &str) -> String {
    let digits = digits(phone);
    let trimmed = phone.trim();
    if trimmed.starts_with('+') {
        digits
    } else if let Some(rest) = trimmed.strip_prefix("00") {
        super::phone::digits(rest)
    } else if let Some(national) = digits.strip_prefix('0') {
        // Written nationally with a trunk 0: read as a UK number, the only drama ranges we know.
        format!("44{national}")
    } else if digits.len() == 10 && !digits.starts_with('0') {
        format!("1{digits}")
    } else {
        digits
    }
}

fn is_run(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    if bytes.len() < 6 {
        return false;
    }
    let same = bytes.iter().all(|b| *b == bytes[0]);
    let step = |delta: i8| {
        bytes
            .windows(2)
            .all(|w| (w[1] as i8 - w[0] as i8 - delta) % 10 == 0)
    };
    same || step(1) || step(-1)
}

/// The length of the longest run (same, ascending or descending digits) that ends the number.
fn trailing_run(digits: &str) -> usize {
    (1..=digits.len())
        .rev()
        .find(|&n| is_run(&digits[digits.len() - n..]))
        .unwrap_or(0)
}

/// Why `phone` is fictional or a dummy (NANP 555, Ofcom drama ranges, digit runs, or listed
/// in `extra`); `None` when it is not.
pub fn placeholder_phone(phone: &str, extra: &[String]) -> Option<String> {
    let all = digits(phone);
    if all.is_empty() {
        return None;
    }
    if extra.iter().any(|listed| digits(listed) == all) {
        return Some("a number listed as a placeholder in extra_numbers".into());
    }
    let international = international_digits(phone);
    let national = match international.strip_prefix('1') {
        Some(rest) if rest.len() == 10 => rest,
        _ => split_calling_code(&international).map_or(all.as_str(), |(_, national)| national),
    };
    let plausible = all.len() <= 15;
    if is_run(national) || is_run(&all) || (plausible && trailing_run(&all) >= 8) {
        return Some(format!("the dummy digit run {all}"));
    }
    let nanp_line = match international.strip_prefix('1') {
        Some(rest) if rest.len() == 10 && rest.starts_with("555") => Some(&rest[..7]),
        Some(rest) if rest.len() == 10 => Some(&rest[3..]),
        _ if all.len() == 7 => Some(all.as_str()),
        _ => None,
    };
    if let Some(line) = nanp_line {
        if line.starts_with("555") && &line[3..] != "1212" {
            let what = if line[3..].starts_with("01") {
                "reserved for fiction (555-0100 to 555-0199)"
            } else {
                "used for fiction and documentation"
            };
            return Some(format!("the NANP 555 exchange, {what}"));
        }
    }
    FICTIONAL_PREFIXES
        .iter()
        .find(|prefix| international.starts_with(prefix.as_str()))
        .map(|_| "an Ofcom drama number, reserved for TV and radio".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers() {
        for ok in [
            "+1 206 266 1000",
            "+1-206-266-1000",
            "(206) 266-1000",
            "+49 30 901820",
            "+33 1 42 68 53 00",
            "+81 3-3224-9999",
            "+44 20 7946 0000",
            "+61 2 9374 4000",
            "206 266 1000",
            "+229 01 97 12 34 56",
            "+220 212 3456",
            "+263 242 700 000",
            "+39 06 6982 1234",
        ] {
            assert_eq!(phone_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn invalid_numbers() {
        for bad in [
            "",
            "call me",
            "+1 206 266 1000 x12",
            "12345",
            "+1 206 266 100",
            "1234567890123456",
            "+999 1234567",
            "206+2661000",
            "+44 20 79",
            "+1.206.266.1000",
            "+44 20 7219 30",
            "+263 12345",
            "+263 482905",
            "+1 266 1000",
        ] {
            assert!(phone_problem(bad).is_some(), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn placeholder_numbers() {
        let cases = [
            ("+1 206 555 0100", true),
            ("(555) 555-1234", true),
            ("555-0199", true),
            ("+1 206 555 1212", false),
            ("0000000000", true),
            ("+1 111 111 1111", true),
            ("123-456-7890", true),
            ("+44 7700 900123", true),
            ("+44 20 7946 0123", true),
            ("+1 206 266 1000", false),
            ("+49 30 901820", false),
            ("+44 20 7123 4567", false),
            ("07700 900461", true),
            ("+49 1512 3456789", true),
            ("+1 555 123 4567", true),
        ];
        for (phone, placeholder) in cases {
            assert_eq!(
                placeholder_phone(phone, &[]).is_some(),
                placeholder,
                "{phone}"
            );
        }
        assert!(placeholder_phone("+1 206 266 1000", &["12062661000".into()]).is_some());
    }
}
