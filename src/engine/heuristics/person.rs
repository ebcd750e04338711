//! Personal mailbox versus shared team inbox, from the address's local part and the Name.
//!
//! The address is one person's when its local part is built from the words of a Name that has
//! the shape of a person's name: two to four words (particles such as "van der" aside), no
//! digits, no role, team or organisation word, in any language and script. The words may come
//! in any order, whole, as initials or shortened (marco.rossi, mrossi, rossi.marco, marcor,
//! tnagy for "Nagy Tamás", chen.meihua and meihuac for "CHEN Mei-Hua"), and a Name in another
//! script is compared through its Latin spellings ([`super::translit`]). Without such a Name,
//! two words such as jane.smith@ count only when both are names we know (the census lists), so
//! that team addresses made of ordinary words (bug.bounty@, fusion.center@) pass.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::email::local_part;
use super::translit::{self, is_syllabic, script_of, Script, KOREAN_SURNAMES};
use super::word_list;

static ROLE_WORDS: LazyLock<HashSet<String>> =
    LazyLock::new(|| word_set(include_str!("../../../rules/data/role-words.txt")));
/// Role words in other scripts (substrings of the Name), and Han organisation suffixes.
static SCRIPT_ROLE_WORDS: LazyLock<(Vec<String>, Vec<char>)> = LazyLock::new(|| {
    let entries = word_list(include_str!("../../../rules/data/role-words-script.txt"));
    let suffixes = entries
        .iter()
        .filter_map(|e| e.strip_prefix('-').and_then(|s| s.chars().next()))
        .collect();
    let words = entries
        .into_iter()
        .filter(|e| !e.starts_with('-'))
        .collect();
    (words, suffixes)
});
static TEAM_WORDS: LazyLock<HashSet<String>> =
    LazyLock::new(|| word_set(include_str!("../../../rules/data/team-words.txt")));
static NAME_AFFIXES: LazyLock<HashSet<String>> =
    LazyLock::new(|| word_set(include_str!("../../../rules/data/name-affixes.txt")));
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

/// Shortened words (ale for Alessandro) must keep at least this many letters.
const MIN_SHORTENED: usize = 3;

fn word_set(text: &str) -> HashSet<String> {
    word_list(text).into_iter().collect()
}

/// One word of a person's Name: its Latin spellings, and for a hyphenated word (Anne-Marie,
/// Mei-Hua) the spellings of its parts.
struct NameWord {
    spellings: Vec<String>,
    parts: Vec<Vec<String>>,
    /// A lower-case particle between capitalised words (van, der, da, binti): it may appear in
    /// the address, but does not count as a word of the name and never stands alone.
    particle: bool,
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
    let tokens: Vec<&str> = base
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() || tokens.iter().any(|t| is_role_token(t, extra_role_words)) {
        return None;
    }
    let compact: String = tokens.concat();
    if let Some(words) = person_name(name, extra_role_words) {
        if let Some(pattern) = built_from(&compact, &words) {
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
        if let Some(shape) = person_shape(tokens[0], tokens[1]) {
            return Some(format!(
                "the local part {base:?} has the {shape} shape of one person's mailbox"
            ));
        }
    }
    None
}

/// The words of the Name when it has the shape of a person's name; `None` for a team's, a
/// role's, an empty one, or one with digits.
fn person_name(name: &str, extra_role_words: &[String]) -> Option<Vec<NameWord>> {
    if name.chars().any(char::is_numeric) {
        return None;
    }
    let lower = name.to_lowercase();
    let (script_words, suffixes) = &*SCRIPT_ROLE_WORDS;
    if script_words.iter().any(|w| lower.contains(w.as_str())) {
        return None;
    }
    // Parenthesised remarks are not part of the name; "Rossi, Marco" is Marco Rossi, and
    // ", CISSP" after a name is an affix.
    let mut plain = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' | '/' | '.' | ';' | '&' if depth == 0 => plain.push(' '),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let has_capital = plain.chars().any(char::is_uppercase);
    let mut words = Vec::new();
    for raw in plain.split_whitespace() {
        let raw = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if raw.is_empty() || NAME_AFFIXES.contains(&translit::fold(raw)) {
            continue;
        }
        let chars: Vec<char> = raw.chars().collect();
        if chars.len() >= 3
            && script_of(chars[0]) == Script::Han
            && chars.last().is_some_and(|c| suffixes.contains(c))
        {
            return None;
        }
        words.push(raw);
    }
    // Han and Hangul words are compared one syllable at a time (陈桂芳: chen gui fang); a name
    // written without spaces (陈桂芳, 김민준, 中川明美) counts as family name and given name.
    let syllabic = |word: &str| word.chars().all(|c| is_syllabic(script_of(c)));
    let counted = match words.as_slice() {
        [word] if syllabic(word) && (2..=10).contains(&word.chars().count()) => 2,
        _ => words
            .iter()
            .enumerate()
            .filter(|(i, w)| !is_particle(w, *i, words.len(), has_capital))
            .count(),
    };
    if !(2..=4).contains(&counted) {
        return None;
    }
    let mut name_words = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if syllabic(word) {
            let family = korean_family_name(word).map_or(1, |family| family.chars().count());
            // 々 repeats the kanji before it (佐々木: sa sa ki).
            let chars: Vec<char> = word
                .chars()
                .scan(None, |previous, c| {
                    let c = if c == '\u{3005}' {
                        previous.unwrap_or(c)
                    } else {
                        c
                    };
                    *previous = Some(c);
                    Some(c)
                })
                .collect();
            if chars.iter().all(|c| script_of(*c) == Script::Kana) {
                // Kana is compared one mora at a time (イケダナオコ: i ke da na o ko).
                for mora in translit::kana_morae(word) {
                    name_words.push(NameWord {
                        spellings: vec![mora],
                        parts: Vec::new(),
                        particle: false,
                    });
                }
                continue;
            }
            let mut start = 0;
            for end in std::iter::once(family).chain(family + 1..=chars.len()) {
                let syllables: String = chars[start..end.min(chars.len())].iter().collect();
                name_words.push(syllable_word(&syllables, i == 0 && start == 0));
                start = end;
            }
        } else {
            let mut name_word = latin_word(word);
            name_word.particle = is_particle(word, i, words.len(), has_capital);
            name_words.push(name_word);
        }
    }
    if name_words.len() > 12 || name_words.iter().any(|w| w.spellings.is_empty()) {
        return None;
    }
    let role = name_words.iter().any(|w| {
        std::iter::once(&w.spellings[0])
            .chain(w.parts.iter().filter_map(|p| p.first()))
            .any(|s| is_role_token(s, extra_role_words))
    });
    let nickname = name_words
        .iter()
        .filter(|w| !w.particle)
        .all(|w| TEAM_WORDS.contains(&w.spellings[0]) || ROLE_WORDS.contains(&w.spellings[0]));
    (!role && !nickname).then_some(name_words)
}

/// A lower-case word between capitalised ones (van, der, da, binti).
fn is_particle(word: &str, index: usize, count: usize, has_capital: bool) -> bool {
    has_capital && index > 0 && index + 1 < count && !word.chars().any(char::is_uppercase)
}

/// The family name a Hangul Name starts with, when it is a known one of two syllables.
fn korean_family_name(name: &str) -> Option<&str> {
    let end = name.char_indices().nth(2).map_or(name.len(), |(i, _)| i);
    let first_two = &name[..end];
    (first_two.chars().count() == 2 && KOREAN_SURNAMES.contains_key(first_two)).then_some(first_two)
}

/// A word in Han or Hangul characters; a Korean family name also takes its usual spellings.
fn syllable_word(word: &str, first: bool) -> NameWord {
    let mut spellings = translit::spellings(word);
    if first {
        if let Some(usual) = KOREAN_SURNAMES.get(word) {
            spellings.extend(usual.iter().cloned());
        }
    }
    NameWord {
        spellings,
        parts: Vec::new(),
        particle: false,
    }
}

/// A word in an alphabet: its spellings, joined when hyphenated (Anna-Lena: annalena), and
/// those of its parts.
fn latin_word(word: &str) -> NameWord {
    let joined: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
    let parts: Vec<Vec<String>> = word
        .split(['-', '\'', '\u{2019}'])
        .filter(|p| !p.is_empty())
        .map(translit::spellings)
        .filter(|s| !s.is_empty())
        .collect();
    NameWord {
        spellings: translit::spellings(&joined),
        parts: if parts.len() > 1 { parts } else { Vec::new() },
        particle: false,
    }
}

/// What a stretch of the local part is made of, for the evidence.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Piece {
    Whole,
    Initial,
    Shortened,
}

/// The pattern by which `compact` is built from the Name's words, each used at most once in
/// any order (whole, initial or shortened), with at least one whole word; `None` if it is not.
fn built_from(compact: &str, words: &[NameWord]) -> Option<String> {
    let mut pieces = Vec::new();
    if !build(compact, words, 0, &mut pieces, &mut HashSet::new()) {
        return None;
    }
    let count = |kind: Piece, label: &str| {
        let n = pieces.iter().filter(|p| **p == kind).count();
        (n > 0).then(|| format!("{n} {label}{}", if n == 1 { "" } else { "s" }))
    };
    let parts: Vec<String> = [
        count(Piece::Whole, "whole word"),
        count(Piece::Initial, "initial"),
        count(Piece::Shortened, "shortened word"),
    ]
    .into_iter()
    .flatten()
    .collect();
    Some(parts.join(", "))
}

/// Depth-first search over the ways to spell `rest` with the unused words (`used` is a bit
/// set of word indices); `pieces` records the way found, `failed` the states that lead nowhere
/// (remaining length, words used), so that no state is searched twice.
fn build(
    rest: &str,
    words: &[NameWord],
    used: u32,
    pieces: &mut Vec<Piece>,
    failed: &mut HashSet<(usize, u32, bool)>,
) -> bool {
    if rest.is_empty() {
        let whole = pieces.contains(&Piece::Whole);
        // A word alone must be a whole word of the name, not a particle.
        let alone = pieces.len() == 1
            && words
                .iter()
                .enumerate()
                .any(|(i, w)| used == 1 << i && w.particle);
        return whole && !alone;
    }
    let state = (rest.len(), used, pieces.contains(&Piece::Whole));
    if failed.contains(&state) {
        return false;
    }
    for (i, word) in words.iter().enumerate() {
        if used & (1 << i) != 0 {
            continue;
        }
        for (piece, len) in candidates(rest, word) {
            pieces.push(piece);
            if build(&rest[len..], words, used | (1 << i), pieces, failed) {
                return true;
            }
            pieces.pop();
        }
    }
    failed.insert(state);
    false
}

/// The ways `word` can start `rest`: whole (any spelling, or a part of a hyphenated word), its
/// parts' initials (am for Anne-Marie), its initial, or shortened to a prefix.
fn candidates(rest: &str, word: &NameWord) -> Vec<(Piece, usize)> {
    let mut out = Vec::new();
    for spelling in word.spellings.iter().chain(word.parts.iter().flatten()) {
        if spelling.len() >= 2 && rest.starts_with(spelling.as_str()) {
            out.push((Piece::Whole, spelling.len()));
        }
    }
    if !word.parts.is_empty() {
        let initials: String = word.parts.iter().map(|p| &p[0][..1]).collect();
        if rest.starts_with(&initials) {
            out.push((Piece::Initial, initials.len()));
        }
    }
    for spelling in &word.spellings {
        let common = rest
            .bytes()
            .zip(spelling.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        if common >= MIN_SHORTENED && common < spelling.len() && !word.particle {
            out.push((Piece::Shortened, common));
        }
        if common >= 1 {
            out.push((Piece::Initial, 1));
        }
    }
    out.sort_by_key(|&(piece, len)| (std::cmp::Reverse(len), piece == Piece::Shortened));
    out.dedup();
    out
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
            ("tnagy@corp.hu", "Nagy Tamás"),
            ("chen.meihua@corp.tw", "CHEN Mei-Hua"),
            ("meihuac@corp.tw", "CHEN Mei-Hua"),
            ("kalevi.nurminen@corp.fi", "Kalevi Nurminen"),
            ("kisakurek.evde@corp.com.tr", "Evde Kısakürek"),
            ("maaya.sasaki@corp.jp", "佐々木 真綾"),
            ("nanami_matsumoto@corp.jp", "マツモト ナナミ"),
            ("kenichi.yamaguchi@corp.jp", "山口健一"),
            ("chen.guifang@corp.cn", "陈桂芳"),
            ("lee.eunji@corp.kr", "이은지"),
            ("kim.young-il@corp.kr", "김영일"),
            ("yulia.shcherbakova@corp.ru", "Юлия Щербакова"),
            ("hanna.kolesnychenko@corp.ua", "Ганна Колесниченко"),
            ("giorgos.papadopoulos@corp.gr", "Γιώργος Παπαδόπουλος"),
            ("amit.verma@corp.in", "अमित वर्मा"),
            ("mvanderheijden@corp.nl", "Maryam van der Heijden"),
            ("jc.hernandez@corp.mx", "Juan Carlos Hernández"),
            ("ale.greco@corp.it", "Alessandro Greco"),
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
            ("sicherheitsteam@corp.de", "Sicherheitsteam"),
            ("securite@corp.fr", "Équipe Sécurité"),
            ("cloud.platform@corp.com", "Cloud Platform"),
            ("blue.team@corp.com", "Blue Team"),
            ("anquan@corp.cn", "信息安全部"),
            ("soumu@corp.jp", "総務部"),
            ("csoport@corp.hu", "Biztonsági csoport"),
            ("red.falcons@corp.com", "Red Falcons"),
            ("care@corp.com", "Customer Care"),
            ("da@corp.br", "Olívia da Mata"),
            ("mr@corp.it", "Marco Rossi"),
            ("kalevi.nurminen@corp.fi", "Kalevi Nurminen 2"),
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
