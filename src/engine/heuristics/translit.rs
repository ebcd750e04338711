//! Latin spellings of the words of a Name, as addresses write them, for any script.
//!
//! `deunicode` gives the base spelling of every character; each script then adds the other
//! spellings its romanization systems use (Cyrillic: ICAO Doc 9303, BGN/PCGN, the Ukrainian
//! and Bulgarian national systems; Greek: ELOT 743 and the phonetic one; Hangul: Revised
//! Romanization and McCune-Reischauer; Devanagari: with and without the inherent vowel; Han:
//! Mandarin pinyin and, for the kanji of Japanese names, their Japanese readings).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::word_list;

/// At most this many spellings of one word are kept (the product of per-character choices).
const MAX_SPELLINGS: usize = 256;

/// Japanese readings (on and kun, as Hepburn romaji) of the Jōyō and Jinmeiyō kanji, the
/// characters Japanese given names may use.
static KANJI_READINGS: LazyLock<HashMap<char, Vec<String>>> = LazyLock::new(|| {
    word_list(include_str!("../../../rules/data/kanji-readings.txt"))
        .iter()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let kanji = fields.next()?.chars().next()?;
            Some((kanji, fields.map(str::to_string).collect()))
        })
        .collect()
});

/// Korean family names (one or two syllables) and the Latin spellings their bearers use.
pub(crate) static KOREAN_SURNAMES: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    word_list(include_str!("../../../rules/data/korean-surnames.txt"))
        .iter()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let hangul = fields.next()?.to_string();
            Some((hangul, fields.map(str::to_string).collect()))
        })
        .collect()
});

/// The writing systems a Name's words are handled by.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Script {
    Latin,
    Cyrillic,
    Greek,
    Devanagari,
    Hangul,
    Han,
    Kana,
    Other,
}

/// The script of a character (Latin for ASCII and every script without special handling).
pub(crate) fn script_of(c: char) -> Script {
    match c as u32 {
        0x0400..=0x052F => Script::Cyrillic,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0900..=0x097F => Script::Devanagari,
        0xAC00..=0xD7A3 => Script::Hangul,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => Script::Kana,
        0x3005 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => Script::Han,
        _ if c.is_alphabetic() => Script::Latin,
        _ => Script::Other,
    }
}

/// Whether the script writes names without spaces, one syllable per character.
pub(crate) fn is_syllabic(script: Script) -> bool {
    matches!(script, Script::Hangul | Script::Han | Script::Kana)
}

/// Lower-case ASCII letters of a text, as `deunicode` spells it.
pub(crate) fn fold(text: &str) -> String {
    deunicode::deunicode(text)
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The Latin spellings of one word (no spaces), most usual first; empty when it has no letters.
pub(crate) fn spellings(word: &str) -> Vec<String> {
    let lower = word.to_lowercase();
    let script = lower
        .chars()
        .map(script_of)
        .find(|s| *s != Script::Other)
        .unwrap_or(Script::Other);
    let mut out = match script {
        Script::Cyrillic => expand(&cyrillic(&lower)),
        Script::Greek => expand(&greek(&lower)),
        Script::Devanagari => expand(&devanagari(&lower)),
        Script::Hangul => expand(&lower.chars().map(hangul_syllable).collect::<Vec<_>>()),
        Script::Han | Script::Kana => japanese_and_chinese(&lower),
        Script::Latin | Script::Other => latin(&lower),
    };
    let base = fold(&lower);
    if !base.is_empty() && !out.contains(&base) {
        out.insert(0, base);
    }
    out.retain(|s| !s.is_empty());
    out.truncate(MAX_SPELLINGS);
    out
}

/// The product of per-character choices, capped at [`MAX_SPELLINGS`].
fn expand(choices: &[Vec<String>]) -> Vec<String> {
    let mut out = vec![String::new()];
    for options in choices {
        let mut next = Vec::with_capacity(out.len() * options.len());
        'product: for prefix in &out {
            for option in options {
                if next.len() == MAX_SPELLINGS {
                    break 'product;
                }
                next.push(format!("{prefix}{option}"));
            }
        }
        out = next;
    }
    dedup(out)
}

fn dedup(mut items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|s| seen.insert(s.clone()));
    items
}

fn owned(options: &[&str]) -> Vec<String> {
    options.iter().map(|s| s.to_string()).collect()
}

/// Latin letters: diacritics dropped, and the German spelling of umlauts (müller, mueller).
fn latin(word: &str) -> Vec<String> {
    let german: String = word
        .chars()
        .map(|c| match c {
            'ä' => "ae".to_string(),
            'ö' | 'ø' => "oe".to_string(),
            'ü' => "ue".to_string(),
            'å' => "aa".to_string(),
            _ => c.to_string(),
        })
        .collect();
    dedup(vec![fold(word), fold(&german)])
}

fn cyrillic(word: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = word.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let last = i + 1 == chars.len();
            let options: &[&str] = match c {
                'г' => &["g", "h"],
                'е' if i == 0 => &["e", "ye"],
                'ё' => &["e", "yo", "io"],
                'є' => &["ie", "ye", "je", "e"],
                'ж' => &["zh", "j", "z"],
                'и' => &["i", "y"],
                'ї' => &["i", "yi", "ji"],
                'й' if last => &["i", "y", "j", ""],
                'й' => &["i", "y", "j"],
                'х' => &["kh", "h", "x"],
                'ц' => &["ts", "c", "tz"],
                'щ' => &["shch", "sch", "sht"],
                'ъ' => &["", "a", "ie"],
                'ы' => &["y", "i"],
                'ь' => &["", "y"],
                'ю' => &["iu", "yu", "ju", "u"],
                'я' => &["ia", "ya", "ja", "a"],
                _ => return vec![fold(&c.to_string())],
            };
            owned(options)
        })
        .collect()
}

/// Greek without accents; vowel pairs and consonant clusters first.
fn greek(word: &str) -> Vec<Vec<String>> {
    let plain: Vec<char> = word
        .chars()
        .map(|c| match c {
            'ά' => 'α',
            'έ' => 'ε',
            'ή' => 'η',
            'ί' | 'ϊ' | 'ΐ' => 'ι',
            'ό' => 'ο',
            'ύ' | 'ϋ' | 'ΰ' => 'υ',
            'ώ' => 'ω',
            _ => c,
        })
        .collect();
    let mut choices = Vec::new();
    let mut i = 0;
    while i < plain.len() {
        let pair: String = plain[i..plain.len().min(i + 2)].iter().collect();
        let digraph: Option<&[&str]> = match pair.as_str() {
            "ου" => Some(&["ou", "u"]),
            "αι" => Some(&["ai", "e"]),
            "ει" => Some(&["ei", "i"]),
            "οι" => Some(&["oi", "i"]),
            "αυ" => Some(&["av", "af", "au"]),
            "ευ" => Some(&["ev", "ef", "eu"]),
            "μπ" => Some(if i == 0 { &["b", "mp"] } else { &["mp", "b"] }),
            "ντ" => Some(if i == 0 { &["d", "nt"] } else { &["nt", "d"] }),
            "γκ" => Some(&["gk", "g", "nk"]),
            "γγ" => Some(&["ng", "gg"]),
            _ => None,
        };
        if let Some(options) = digraph {
            choices.push(owned(options));
            i += 2;
            continue;
        }
        let options: &[&str] = match plain[i] {
            'β' => &["v", "b"],
            'γ' => &["g", "gh", "y"],
            'δ' => &["d", "dh"],
            'η' => &["i", "e"],
            'θ' => &["th"],
            'κ' => &["k", "c"],
            'ξ' => &["x", "ks"],
            'υ' => &["y", "i", "u"],
            'φ' => &["f", "ph"],
            'χ' => &["ch", "h", "kh", "x"],
            'ψ' => &["ps"],
            'ω' => &["o"],
            c => {
                choices.push(vec![fold(&c.to_string())]);
                i += 1;
                continue;
            }
        };
        choices.push(owned(options));
        i += 1;
    }
    choices
}

/// Devanagari: each consonant carries the vowel "a" unless a vowel sign or virama follows;
/// names drop it at the end and often inside (अमित: amit, वर्मा: varma or verma).
fn devanagari(word: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = word.chars().filter(|c| *c != '\u{093C}').collect();
    let is_consonant = |c: char| matches!(c as u32, 0x0915..=0x0939 | 0x0958..=0x095F);
    let is_sign = |c: char| matches!(c as u32, 0x093E..=0x094D | 0x0962 | 0x0963);
    let mut choices = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let base = fold(&c.to_string());
        // deunicode doubles retroflex letters (ट: tt, ड: dd, ष: ss); names write them single.
        let options = match base.as_str() {
            _ if c == '\u{0902}' => owned(&["n", "m", ""]),
            _ if c == '\u{0901}' => owned(&["n", ""]),
            "tt" => owned(&["t"]),
            "tth" => owned(&["th"]),
            "dd" => owned(&["d"]),
            "ddh" => owned(&["dh"]),
            "nn" => owned(&["n"]),
            "ng" => owned(&["n", "ng"]),
            "ny" => owned(&["n", "ny"]),
            "ss" => owned(&["sh", "s"]),
            "c" => owned(&["ch", "c"]),
            "aa" => owned(&["a", "aa"]),
            "ii" => owned(&["i", "ee"]),
            "uu" => owned(&["u", "oo"]),
            "v" => owned(&["v", "w"]),
            "ph" => owned(&["ph", "f"]),
            "ai" => owned(&["ai", "e"]),
            "au" => owned(&["au", "ou", "o"]),
            "e" => owned(&["e", "a"]),
            _ => vec![base],
        };
        choices.push(options);
        if is_consonant(c) && !chars.get(i + 1).is_some_and(|n| is_sign(*n)) {
            choices.push(owned(&["a", ""]));
        }
    }
    choices
}

/// One Hangul syllable: its initial, vowel and final jamo, each in the spellings Koreans use.
fn hangul_syllable(syllable: char) -> Vec<String> {
    // A word is taken as Hangul by its script; other characters in it are spelled plainly.
    let index = match syllable as u32 {
        code @ 0xAC00..=0xD7A3 => code - 0xAC00,
        _ => return vec![fold(&syllable.to_string())],
    };
    const INITIALS: [&[&str]; 19] = [
        &["g", "k"],
        &["kk", "gg"],
        &["n"],
        &["d", "t"],
        &["tt"],
        &["r", "l"],
        &["m"],
        &["b", "p"],
        &["pp"],
        &["s", "sh"],
        &["ss"],
        &[""],
        &["j", "ch"],
        &["jj"],
        &["ch"],
        &["k"],
        &["t"],
        &["p"],
        &["h"],
    ];
    const VOWELS: [&[&str]; 21] = [
        &["a"],
        &["ae"],
        &["ya"],
        &["yae"],
        &["eo", "u", "o"],
        &["e"],
        &["yeo", "yu", "yo", "you"],
        &["ye"],
        &["o"],
        &["wa"],
        &["wae"],
        &["oe", "oi"],
        &["yo"],
        &["u", "oo"],
        &["wo"],
        &["we"],
        &["wi"],
        &["yu"],
        &["eu", "u"],
        &["ui", "ee", "i"],
        &["i", "ee"],
    ];
    const FINALS: [&[&str]; 28] = [
        &[""],
        &["k", "g"],
        &["kk", "k"],
        &["k"],
        &["n"],
        &["n"],
        &["n"],
        &["t", "d"],
        &["l", "r"],
        &["k"],
        &["m"],
        &["l"],
        &["l"],
        &["l"],
        &["p"],
        &["l"],
        &["m"],
        &["p", "b"],
        &["p"],
        &["t", "s"],
        &["t"],
        &["ng"],
        &["t"],
        &["t"],
        &["k"],
        &["t"],
        &["p"],
        &["t"],
    ];
    let (initial, rest) = ((index / 588) as usize, index % 588);
    let (vowel, last) = ((rest / 28) as usize, (rest % 28) as usize);
    let mut out = Vec::new();
    for i in INITIALS[initial] {
        for v in VOWELS[vowel] {
            for f in FINALS[last] {
                out.push(format!("{i}{v}{f}"));
            }
        }
    }
    out
}

/// Han and kana: Mandarin pinyin (`deunicode`) and, for kanji, their Japanese readings with the
/// voicing they take inside a name (山田: yamada); long vowels also written short (さとう: sato).
/// Names are compared one kanji at a time, so the per-character choices stay few.
fn japanese_and_chinese(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut choices: Vec<Vec<String>> = Vec::new();
    let mut kana = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if script_of(c) == Script::Kana {
            kana.push(c);
            continue;
        }
        if !kana.is_empty() {
            choices.push(vec![kana_morae(&kana).concat()]);
            kana.clear();
        }
        // 々 repeats the kanji before it (佐々木: sasaki).
        let kanji = if c == '\u{3005}' && i > 0 {
            chars[i - 1]
        } else {
            c
        };
        let mut options = vec![fold(&kanji.to_string())];
        if let Some(readings) = KANJI_READINGS.get(&kanji) {
            // Unihan gives kun readings with their inflection (takai, akiraka); names use
            // the stem (高橋: takahashi, 晃: akira), so every prefix of two letters or more counts.
            for reading in readings {
                for end in reading.len().min(2)..=reading.len() {
                    let stem = &reading[..end];
                    options.push(stem.to_string());
                    options.extend(voiced(stem));
                }
            }
        }
        choices.push(dedup(options));
    }
    if !kana.is_empty() {
        choices.push(vec![kana_morae(&kana).concat()]);
    }
    let spellings = expand(&choices);
    let short: Vec<String> = spellings.iter().map(|s| short_vowels(s)).collect();
    dedup(spellings.into_iter().chain(short).collect())
}

/// Kana in Hepburn morae (リョウスケ: ryo u su ke), the spelling of passports and addresses:
/// `deunicode` spells each kana alone in Kunrei-shiki (si, tu, riyo), so small kana, the
/// sokuon (ッ) and the long-vowel mark are joined to their neighbours here.
pub(crate) fn kana_morae(kana: &str) -> Vec<String> {
    const HEPBURN: [(&str, &str); 5] = [
        ("si", "shi"),
        ("ti", "chi"),
        ("tu", "tsu"),
        ("hu", "fu"),
        ("zi", "ji"),
    ];
    let mut morae: Vec<String> = Vec::new();
    let mut double_next = false;
    for c in kana.chars() {
        let plain = fold(&c.to_string());
        let mora = HEPBURN
            .iter()
            .find(|(from, _)| *from == plain)
            .map_or(plain, |(_, to)| to.to_string());
        match c {
            'ッ' | 'っ' => double_next = true,
            'ー' => {}
            'ャ' | 'ュ' | 'ョ' | 'ゃ' | 'ゅ' | 'ょ' | 'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ぁ'
            | 'ぃ' | 'ぅ' | 'ぇ' | 'ぉ'
                if !morae.is_empty() =>
            {
                let previous = morae
                    .last_mut()
                    .expect("infallible: the match guard checked that morae is not empty");
                previous.pop();
                let palatal = ["sh", "ch", "j"].iter().any(|p| previous.ends_with(p));
                let small = if palatal {
                    mora.get(1..).unwrap_or_default()
                } else {
                    &mora[..]
                };
                previous.push_str(small);
            }
            _ => {
                // A small tsu doubles the next consonant; marks such as ・ spell as nothing.
                let mora = match mora.get(..1) {
                    Some(first) if std::mem::take(&mut double_next) => format!("{first}{mora}"),
                    _ => mora,
                };
                morae.push(mora);
            }
        }
    }
    morae.retain(|m| !m.is_empty());
    morae
}

/// The reading with its first consonant voiced (rendaku: 田 ta → da, 川 kawa → gawa).
fn voiced(reading: &str) -> Option<String> {
    const PAIRS: [(&str, &str); 8] = [
        ("k", "g"),
        ("sh", "j"),
        ("s", "z"),
        ("ts", "z"),
        ("ch", "j"),
        ("t", "d"),
        ("h", "b"),
        ("f", "b"),
    ];
    PAIRS
        .iter()
        .find_map(|(from, to)| reading.strip_prefix(from).map(|rest| format!("{to}{rest}")))
}

/// Hepburn without long vowels, as names are usually written: ou, oo → o; uu → u.
fn short_vowels(romaji: &str) -> String {
    romaji
        .replace("ou", "o")
        .replace("oo", "o")
        .replace("uu", "u")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(word: &str, expected: &str) -> bool {
        spellings(word).iter().any(|s| s == expected)
    }

    #[test]
    fn words_mixing_scripts_are_spelled_without_a_panic() {
        // A Hangul word with characters of other blocks (found by the JUnit property test).
        for word in [
            "민\u{E000}준",
            "가\u{FFFF}",
            "\u{D7A4}민",
            "민준\u{10FFFF}",
            // A small tsu before a mark that spells as nothing (found by review).
            "アッ・イ",
            "っゝ",
            "ッ゛",
            "ャ",
        ] {
            assert!(!spellings(word).is_empty(), "{word:?}");
        }
    }

    #[test]
    fn spells_each_script_as_addresses_do() {
        for (word, expected) in [
            ("Müller", "mueller"),
            ("Müller", "muller"),
            ("Юлия", "yulia"),
            ("Юлия", "iuliia"),
            ("Ганна", "hanna"),
            ("Беляков", "belyakov"),
            ("Савватий", "savvaty"),
            ("Χατζηγρηγοράκης", "chatzigrigorakis"),
            ("Παπαδόπουλος", "papadopoulos"),
            ("अमित", "amit"),
            ("वर्मा", "varma"),
            ("चौहान", "chauhan"),
            ("민준", "minjun"),
            ("지훈", "jihoon"),
            ("佐", "sa"),
            ("高", "taka"),
            ("晃", "akira"),
            ("田", "da"),
            ("サトウ", "sato"),
            ("マツモト", "matsumoto"),
            ("リョウスケ", "ryosuke"),
            ("ハットリ", "hattori"),
            ("芳", "fang"),
        ] {
            assert!(
                spelled(word, expected),
                "{word} -> {expected}: {:?}",
                spellings(word)
            );
        }
    }

    #[test]
    fn spellings_are_capped() {
        assert!(spellings("Щёйюяхжщёйюяхжщё").len() <= MAX_SPELLINGS);
        assert!(spellings("!?").is_empty());
    }
}
