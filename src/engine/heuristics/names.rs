//! Name and Title values: filler left in place, and secrets pasted where AWS will quote them.

use std::sync::LazyLock;

use super::word_list;

/// The filler values, normalised once: as [`normalise`] leaves them, and without spaces.
static PLACEHOLDER_NAMES: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    word_list(include_str!("../../../rules/data/placeholder-names.txt"))
        .iter()
        .map(|entry| normal_forms(entry))
        .collect()
});

/// A value as [`normalise`] leaves it, and the same without spaces.
fn normal_forms(value: &str) -> (String, String) {
    let normal = normalise(value);
    let compact = normal.chars().filter(|c| !c.is_whitespace()).collect();
    (normal, compact)
}

/// Lower case, punctuation other than inner `-`/`/` turned into spaces, spaces collapsed.
fn normalise(value: &str) -> String {
    let lowered = value.trim().to_lowercase();
    if lowered.chars().all(|c| !c.is_alphanumeric()) {
        return lowered.chars().filter(|c| !c.is_whitespace()).collect();
    }
    let spaced: String = lowered
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '/' {
                c
            } else {
                ' '
            }
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why `value` is a filler (listed, or in `extra`); `None` for real values and empty ones.
pub fn placeholder_name(value: &str, extra: &[String]) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let (normal, compact) = normal_forms(value);
    let listed =
        |(entry, entry_compact): &(String, String)| *entry == normal || *entry_compact == compact;
    let extra: Vec<(String, String)> = extra.iter().map(|e| normal_forms(e)).collect();
    if PLACEHOLDER_NAMES.iter().chain(&extra).any(listed) {
        return Some(format!("the filler value {value:?}"));
    }
    let letters: Vec<char> = compact.chars().collect();
    if letters.len() >= 2 && letters.iter().all(|c| *c == letters[0]) {
        return Some(format!(
            "the filler value {value:?} (one repeated character)"
        ));
    }
    None
}

/// Whether `token` looks like an AWS access key id (AKIA, ASIA and the other key prefixes).
fn is_access_key_id(token: &str) -> bool {
    const PREFIXES: [&str; 9] = [
        "AKIA", "ASIA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "AGPA", "ABIA",
    ];
    token.len() >= 20
        && PREFIXES.iter().any(|p| token.starts_with(p))
        && token
            .bytes()
            .skip(4)
            .take(16)
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Whether `token` looks machine-generated: long, and letters and digits mixed throughout.
fn is_random_token(token: &str) -> bool {
    const KNOWN_PREFIXES: [&str; 8] = [
        "ghp_",
        "gho_",
        "github_pat_",
        "glpat-",
        "xoxb-",
        "xoxp-",
        "sk_live_",
        "eyJ",
    ];
    if token.len() >= 16 && KNOWN_PREFIXES.iter().any(|p| token.starts_with(p)) {
        return true;
    }
    if token.len() < 20 {
        return false;
    }
    let digits = token.bytes().filter(u8::is_ascii_digit).count();
    let letters = token.bytes().filter(u8::is_ascii_alphabetic).count();
    let transitions = token
        .as_bytes()
        .windows(2)
        .filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit())
        .count();
    digits >= 3 && letters >= 3 && transitions >= 5
}

/// Whether `token` has the shape of an AWS secret access key: 40 base64 characters, mixed case.
fn is_secret_access_key(token: &str) -> bool {
    token.len() == 40
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
        && token.bytes().any(|b| b.is_ascii_uppercase())
        && token.bytes().any(|b| b.is_ascii_lowercase())
}

/// The first four characters of a token, enough to recognise it without repeating it.
fn prefix(token: &str) -> String {
    token.chars().take(4).collect()
}

/// What secret `value` carries (access key id, credential assignment, token); `None` if none.
pub fn sensitive_data(value: &str) -> Option<String> {
    let lowered = value.to_lowercase();
    for keyword in [
        "password", "passwd", "pwd", "secret", "token", "api key", "apikey", "api_key",
    ] {
        if let Some(i) = lowered.find(keyword) {
            let after = lowered[i + keyword.len()..].trim_start();
            if after.starts_with(':') || after.starts_with('=') {
                return Some(format!("a credential assignment ({keyword}...)"));
            }
        }
    }
    let tokens = value.split(|c: char| c.is_whitespace() || ",;:\"'()[]<>".contains(c));
    for token in tokens {
        if is_access_key_id(token) {
            return Some(format!(
                "what looks like an AWS access key id ({}...)",
                prefix(token)
            ));
        }
        if is_secret_access_key(token) {
            return Some("what looks like an AWS secret access key (40 characters)".to_string());
        }
        if is_random_token(token) {
            return Some(format!(
                "a long token ({}..., {} characters)",
                prefix(token),
                token.chars().count()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_names() {
        for filler in [
            "John Doe",
            "TBD",
            "n/a",
            "N/A",
            "Your Name",
            "Firstname Lastname",
            "xxx",
            "test",
            "-",
            "changeme",
            "TODO",
        ] {
            assert!(placeholder_name(filler, &[]).is_some(), "{filler}");
        }
        for real in [
            "Security Operations",
            "Na Li",
            "QA Test Team",
            "Jon Doerr",
            "SOC Tier 2",
            "",
            "Tod Dow",
        ] {
            assert!(placeholder_name(real, &[]).is_none(), "{real}");
        }
        assert!(placeholder_name("Platform Person", &["platform person".into()]).is_some());
    }

    #[test]
    fn sensitive_values() {
        for secret in [
            "AKIAIOSFODNN7EXAMPLE",
            "SecOps AKIAIOSFODNN7EXAMPLE",
            "password: hunter2",
            "Admin pwd=abc",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "x9f8Gh2kLm4Np6Qr8St0Uv3Wx5",
            "Security wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "eyJéééééééééééé",
            "aéé1b2c3d4e5f6g7h8i9j0k1",
        ] {
            assert!(sensitive_data(secret).is_some(), "{secret}");
        }
        assert!(sensitive_data("AKIAAAAAAAAAAAAAAAAé").is_none());
        for ordinary in [
            "SOC Tier 2",
            "Security 24x7",
            "CSIRT-EMEA",
            "Team 42",
            "Security-Operations-Center-EMEA-2024",
            "Password reset team",
        ] {
            assert!(sensitive_data(ordinary).is_none(), "{ordinary}");
        }
    }
}
