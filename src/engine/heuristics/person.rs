//! Personal mailbox versus shared team inbox, from the address's local part and the Name.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::email::local_part;
use super::word_list;

static ROLE_WORDS: LazyLock<HashSet<String>> =
    LazyLock::new(|| word_set(include_str!("../../../rules/data/role-words.txt")));
static GIVEN_NAMES: LazyLock<HashSet<String>> =
    LazyLock::new(|| word_set(include_str!("../../../rules/data/given-names.txt")));
/// Surnames by frequency rank, most frequent first.
static SURNAMES: LazyLock<HashMap<String, usize>> = LazyLock::new(|| {
    word_list(include_str!("../../../rules/data/surnames.txt"))
        .into_iter()
        .enumerate()
        .map(|(rank, name)| (name, rank))
        .collect()
});
/// Surnames frequent enough to make a Name a person's on their own ("Gareth Price"); rarer
/// ones are also words ("Fusion Center", "Purple Knights").
const COMMON_SURNAME_RANK: usize = 5000;

fn word_set(text: &str) -> HashSet<String> {
    word_list(text).into_iter().collect()
}

/// Name tokens in reading order: "Rossi, Marco" is Marco Rossi.
fn person_name_tokens(name: &str) -> Vec<Vec<String>> {
    match name.split_once(',') {
        Some((surname, given)) if !given.contains(',') => {
            let mut tokens = name_tokens(given);
            tokens.extend(name_tokens(surname));
            tokens
        }
        _ => name_tokens(name),
    }
}

/// Lower-case ASCII tokens of a text; German umlauts also give their `ae`/`oe`/`ue` spelling.
fn name_tokens(text: &str) -> Vec<Vec<String>> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|t| !t.is_empty())
        .map(|token| {
            let lower = token.to_lowercase().replace('\'', "");
            let plain = deunicode::deunicode(&lower).to_ascii_lowercase();
            let german = deunicode::deunicode(
                &lower
                    .replace('ä', "ae")
                    .replace('ö', "oe")
                    .replace('ü', "ue")
                    .replace('ß', "ss"),
            )
            .to_ascii_lowercase();
            let mut spellings = vec![plain];
            if german != spellings[0] {
                spellings.push(german);
            }
            spellings
                .into_iter()
                .map(|s| s.chars().filter(char::is_ascii_alphabetic).collect())
                .filter(|s: &String| !s.is_empty())
                .collect::<Vec<String>>()
        })
        .filter(|spellings| !spellings.is_empty())
        .collect()
}

/// Whether `token` is a role word, or wholly made of role words (`awssecurity`, `secteam`).
fn is_role_token(token: &str, extra: &[String]) -> bool {
    let is_word =
        |w: &str| ROLE_WORDS.contains(w) || extra.iter().any(|e| e.eq_ignore_ascii_case(w));
    if is_word(token) {
        return true;
    }
    // Word break: can the token be split into role words of 2+ letters?
    let n = token.len();
    let mut reachable = vec![false; n + 1];
    reachable[0] = true;
    for end in 2..=n {
        reachable[end] = (0..=end - 2).any(|start| {
            reachable[start]
                && token.is_char_boundary(start)
                && token.is_char_boundary(end)
                && is_word(&token[start..end])
        });
    }
    n >= 4 && reachable[n]
}

/// Why the address is one person's mailbox rather than a team inbox; `None` when it is a team
/// or role address, is listed in `allowed_emails`, or cannot be told.
pub fn personal_mailbox(
    email: &str,
    name: &str,
    extra_role_words: &[String],
    allowed_emails: &[String],
) -> Option<String> {
    let email = email.trim();
    if email.is_empty()
        || allowed_emails
            .iter()
            .any(|a| a.trim().eq_ignore_ascii_case(email))
    {
        return None;
    }
    let local = local_part(email).to_lowercase();
    let base = local.split('+').next().unwrap_or("");
    let tokens: Vec<String> = base
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    if tokens.is_empty() || tokens.iter().any(|t| is_role_token(t, extra_role_words)) {
        return None;
    }
    let compact: String = tokens.concat();
    let name_tokens = person_name_tokens(name);
    if is_person_name(&name_tokens, extra_role_words) {
        // "Al-Farsi" and "van der Berg" are also written as one word in addresses.
        let joined = joined_surname(name);
        let pattern = std::iter::once(name_tokens)
            .chain(joined)
            .find_map(|tokens| matches_name(&compact, &tokens));
        if let Some(pattern) = pattern {
            return Some(format!(
                "the local part {base:?} is built from the contact's name ({pattern}): one person's mailbox"
            ));
        }
    }
    let separated = base
        .split(['.', '_', '-'])
        .filter(|t| !t.is_empty())
        .count();
    if tokens.len() == 2 && separated == 2 {
        if let Some(shape) = person_shape(&tokens[0], &tokens[1]) {
            return Some(format!(
                "the local part {base:?} has the {shape} shape of one person's mailbox"
            ));
        }
    }
    None
}

/// Whether a Name is a person's: no role word, and a given name or a common surname we know
/// ("Bilgi Güvenliği", "Fusion Center" are teams).
fn is_person_name(name: &[Vec<String>], extra_role_words: &[String]) -> bool {
    let known = |s: &String| {
        GIVEN_NAMES.contains(s) || SURNAMES.get(s).is_some_and(|r| *r < COMMON_SURNAME_RANK)
    };
    !name.is_empty()
        && name
            .iter()
            .flatten()
            .all(|s| !is_role_token(s, extra_role_words))
        && name.iter().flatten().any(known)
}

/// The Name as given name and one-word surname, when its surname has a hyphen or particles
/// ("Mohammed Al-Farsi" → mohammed alfarsi, "Pieter van der Berg" → pieter vanderberg).
fn joined_surname(name: &str) -> Option<Vec<Vec<String>>> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let (given, surname) = words.split_first()?;
    let surname: String = surname.concat();
    let joined = format!("{given} {}", surname.replace(['-', '\''], ""));
    let tokens = name_tokens(&joined);
    (tokens.len() == 2 && joined != name).then_some(tokens)
}

/// Whether two words separated by `.`, `_` or `-` read as a person's name without the
/// contact's Name to compare: both must be names we know, so that two ordinary words
/// (bug.bounty, fusion.center) are not taken for one.
fn person_shape(first: &str, second: &str) -> Option<&'static str> {
    let given = |t: &str| t.len() >= 2 && GIVEN_NAMES.contains(t);
    let surname = |t: &str| t.len() >= 2 && SURNAMES.contains_key(t);
    if given(first) && surname(second) {
        Some("given-name.surname")
    } else if first.len() == 1 && surname(second) {
        Some("initial.surname")
    } else if surname(first) && given(second) {
        Some("surname.given-name")
    } else {
        None
    }
}

/// The name pattern the compact local part follows, if any (first.last, flast, first, ...).
fn matches_name(compact: &str, name: &[Vec<String>]) -> Option<&'static str> {
    let first_spellings = &name[0];
    for first in first_spellings {
        if first.len() >= 2 && compact == first {
            return Some("given name");
        }
    }
    if name.len() < 2 {
        return None;
    }
    // Several given names (Anna-Lena, Anne Marie): all of them, or their initials, with the surname.
    if name.len() >= 3 {
        let (last, given) = name.split_last()?;
        let given_full: String = given.iter().map(|s| s[0].as_str()).collect();
        let initials: String = given.iter().map(|s| &s[0][..1]).collect();
        for last in last {
            if compact == format!("{given_full}{last}") || compact == format!("{initials}{last}") {
                return Some("given names and surname");
            }
        }
        if compact == given_full {
            return Some("given names");
        }
    }
    for last_spellings in &name[1..] {
        for first in first_spellings {
            for last in last_spellings {
                let f0 = &first[..1];
                let l0 = &last[..1];
                let candidates: [(String, &'static str); 6] = [
                    (format!("{first}{last}"), "given name and surname"),
                    (format!("{last}{first}"), "surname and given name"),
                    (format!("{f0}{last}"), "initial and surname"),
                    (format!("{last}{f0}"), "surname and initial"),
                    (format!("{first}{l0}"), "given name and initial"),
                    (last.clone(), "surname"),
                ];
                if let Some((_, pattern)) = candidates
                    .iter()
                    .find(|(candidate, _)| candidate.len() >= 3 && candidate == compact)
                {
                    return Some(pattern);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn personal(email: &str, name: &str) -> bool {
        personal_mailbox(email, name, &[], &[]).is_some()
    }

    #[test]
    fn personal_mailboxes() {
        for (email, name) in [
            ("marco.rossi@corp.com", "Marco Rossi"),
            ("mrossi@corp.com", "Marco Rossi"),
            ("marco@corp.com", "Marco Rossi"),
            ("rossim@corp.com", "Marco Rossi"),
            ("marco_rossi@corp.com", "Marco Rossi"),
            ("marco.rossi+aws@corp.com", "Marco Rossi"),
            ("joerg.mueller@corp.de", "Jörg Müller"),
            ("jorg.muller@corp.de", "Jörg Müller"),
            ("jane.smith@corp.com", "Security Team"),
            ("j.smith@corp.com", ""),
            ("rossi.marco@corp.com", ""),
            ("mrossi@corp.com", "Rossi, Marco"),
            ("m.alfarsi@corp.com", "Mohammed Al-Farsi"),
            ("p.vanderberg@corp.com", "Pieter van der Berg"),
            ("gareth.price@corp.com", "Gareth Price"),
        ] {
            assert!(personal(email, name), "{email} / {name}");
        }
    }

    #[test]
    fn team_mailboxes() {
        for (email, name) in [
            ("security@corp.com", "Marco Rossi"),
            ("secops@corp.com", ""),
            ("security+aws@corp.com", "Security"),
            ("aws-security@corp.com", "Cloud Security"),
            ("awssecurity@corp.com", ""),
            ("incident-response@corp.com", "IR"),
            ("sicherheit@corp.de", "IT-Sicherheit"),
            ("blue-team@corp.com", ""),
            ("soc@corp.com", "Security Operations Center"),
            ("bug.bounty@corp.com", "Bug Bounty"),
            ("responsible.disclosure@corp.com", ""),
            ("purple.knights@corp.com", "Purple Knights"),
            ("fusion.center@corp.com", "Fusion Center"),
            ("bilgi.guvenligi@corp.com.tr", "Bilgi Güvenliği"),
            ("e-commerce@corp.com", ""),
        ] {
            assert!(!personal(email, name), "{email} / {name}");
        }
        assert!(personal_mailbox(
            "marco@corp.com",
            "Marco Rossi",
            &[],
            &["MARCO@corp.com".into()]
        )
        .is_none());
        assert!(personal_mailbox("falcons.north@corp.com", "", &["falcons".into()], &[]).is_none());
    }
}
