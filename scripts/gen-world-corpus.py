#!/usr/bin/env python3
"""Writes fixtures/corpus/world.jsonl: the multilingual evaluation corpus of
security-contact-shared-inbox (issue #12), to stdout.

Personal SECURITY contacts: a person's Name (in native script where the locale has one) and
an address built from it in one of eight patterns. Role contacts: role-based address prefixes
with team Names in several languages, or a blank Name.

Sources (none of their lists is copied into rules/data/, which the tool embeds):
  - person names: PyPI Faker 40.63.0 (per-locale given and family names)
  - romanization of the addresses: PyPI pypinyin 0.55.0 (Han, Mandarin), iuliia 0.13.0
    (Russian: ICAO Doc 9303, Wikipedia and Moscow Metro schemes), hangul-romanize 0.1.0
    (Revised Romanization), indic-transliteration 2.3.82 (Devanagari), pythainlp 5.4.0 (RTGS,
    also for the Names of th_TH, which are given in Latin letters);
    Faker's own romanized pairs for Japanese; the Ukrainian national (KMU 2010), ELOT 743
    Greek and Bulgarian streamlined tables below; common Korean surname spellings below
  - role prefixes: npm role-based-email-addresses 3.1.0

Deterministic (fixed seeds). Run from the repository root:
  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install Faker==40.63.0 pypinyin==0.55.0 \
      iuliia==0.13.0 hangul-romanize==0.1.0 indic-transliteration==2.3.82 pythainlp==5.4.0
  npm pack role-based-email-addresses@3.1.0 && tar xzf role-based-email-addresses-3.1.0.tgz
  /tmp/venv/bin/python scripts/gen-world-corpus.py package/src/index.js \
      > fixtures/corpus/world.jsonl
"""
import json
import random
import re
import subprocess
import sys
import unicodedata

import faker
import iuliia
from faker import Faker
from hangul_romanize import Transliter
from hangul_romanize.rule import academic
from indic_transliteration import sanscript
from pypinyin import lazy_pinyin
from pythainlp.transliterate import romanize as thai_romanize

PER_LOCALE = 100
PATTERNS = ["first.last", "flast", "first", "last.first", "first_last", "firstl", "f.last",
            "firstlast"]
# Locales whose Names are written family name first.
FAMILY_FIRST = {"hu_HU", "ja_JP", "zh_CN", "zh_TW", "ko_KR", "vi_VN"}
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "nl_NL", "sv_SE",
           "fi_FI", "pl_PL", "cs_CZ", "hu_HU", "tr_TR", "ru_RU", "uk_UA", "bg_BG", "el_GR",
           "hi_IN", "en_IN", "ja_JP", "zh_CN", "zh_TW", "ko_KR", "vi_VN", "th_TH", "id_ID"]

LATIN_SPECIAL = {"ł": "l", "ø": "o", "æ": "ae", "ß": "ss", "ı": "i", "đ": "d", "œ": "oe",
                 "þ": "th", "ð": "d", "’": "", "'": ""}
GERMAN = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
UKRAINIAN = {"а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
             "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
             "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
             "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "",
             "ю": "iu", "я": "ia", "'": "", "’": ""}
UKRAINIAN_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
BULGARIAN = {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
             "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
             "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
             "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya"}
GREEK_DIGRAPHS = {"ου": "ou", "αυ": "av", "ευ": "ev", "αι": "ai", "ει": "ei", "οι": "oi",
                  "γγ": "ng", "γκ": "gk", "μπ": "mp", "ντ": "nt"}
GREEK = {"α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
         "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
         "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
         "ω": "o"}
# Korean family names as they are usually spelled in Latin letters (not Revised Romanization).
KOREAN_SURNAMES = {"김": "kim", "이": "lee", "박": "park", "최": "choi", "정": "jung", "강": "kang",
                   "조": "cho", "윤": "yoon", "장": "jang", "임": "lim", "한": "han", "오": "oh",
                   "서": "seo", "신": "shin", "권": "kwon", "황": "hwang", "안": "ahn",
                   "송": "song", "류": "ryu", "전": "jeon", "홍": "hong", "고": "ko", "문": "moon",
                   "양": "yang", "손": "son", "배": "bae", "백": "baek", "허": "heo", "노": "noh",
                   "남": "nam", "심": "shim", "하": "ha", "곽": "kwak", "성": "sung", "차": "cha",
                   "주": "joo", "우": "woo", "구": "koo", "나": "na", "민": "min", "유": "yoo",
                   "진": "jin", "지": "ji", "엄": "eom", "채": "chae", "원": "won", "천": "chun",
                   "방": "bang", "공": "kong", "현": "hyun", "함": "ham", "변": "byun",
                   "염": "yeom", "여": "yeo", "추": "choo", "도": "do", "소": "so", "석": "seok",
                   "선": "sun", "설": "seol", "마": "ma", "길": "gil", "연": "yeon", "위": "wi",
                   "표": "pyo", "명": "myung", "기": "ki", "반": "ban", "왕": "wang", "금": "keum",
                   "옥": "ok", "육": "yook", "인": "in", "맹": "maeng", "제": "je", "모": "mo",
                   "탁": "tak", "국": "kook", "어": "eo", "은": "eun", "편": "pyun", "용": "yong",
                   "예": "ye", "경": "kyung", "봉": "bong", "사": "sa", "부": "boo", "가": "ka",
                   "복": "bok", "태": "tae", "목": "mok", "형": "hyung", "피": "pi", "두": "doo",
                   "감": "kam", "음": "eum", "빈": "bin", "동": "dong", "온": "on", "호": "ho",
                   "범": "bum", "좌": "jwa", "팽": "paeng", "승": "seung", "간": "kan",
                   "상": "sang", "갈": "gal", "서문": "seomun", "남궁": "namgoong", "황보": "hwangbo",
                   "제갈": "jegal", "선우": "sunwoo", "독고": "dokgo", "사공": "sagong"}
HANGUL_RR = Transliter(academic)
DOMAIN_TLDS = {"en_US": "com", "en_GB": "co.uk", "de_DE": "de", "fr_FR": "fr", "es_ES": "es",
               "it_IT": "it", "pt_BR": "com.br", "nl_NL": "nl", "sv_SE": "se", "fi_FI": "fi",
               "pl_PL": "pl", "cs_CZ": "cz", "hu_HU": "hu", "tr_TR": "com.tr", "ru_RU": "ru",
               "uk_UA": "com.ua", "bg_BG": "bg", "el_GR": "gr", "hi_IN": "in", "en_IN": "co.in",
               "ja_JP": "co.jp", "zh_CN": "cn", "zh_TW": "com.tw", "ko_KR": "co.kr",
               "vi_VN": "vn", "th_TH": "co.th", "id_ID": "co.id"}

# Team Names in several languages, for role mailboxes (written for this corpus).
TEAM_NAMES = [
    "Security Team", "Security Operations", "Cloud Platform", "Blue Team", "Red Team",
    "Équipe Sécurité", "Sicherheitsteam", "IT-Sicherheit", "Equipo de Seguridad",
    "Sicurezza Informatica", "Segurança da Informação", "Beveiligingsteam", "Säkerhetsteamet",
    "Tietoturvatiimi", "Zespół Bezpieczeństwa", "Bezpečnostní tým", "Biztonsági csoport",
    "Güvenlik Ekibi", "Служба безопасности", "Відділ безпеки", "Отдел информационна сигурност",
    "Ομάδα Ασφαλείας", "सुरक्षा टीम", "情報セキュリティ部", "信息安全部", "資訊安全組", "보안팀",
    "Nhóm Bảo mật", "ทีมความปลอดภัย", "Tim Keamanan", "Platform Engineering", "Network Operations",
    "Service Desk", "Help Desk", "Operations Centre", "Fusion Center", "Bug Bounty",
    "Purple Knights", "Night Watch", "Incident Response", "Cyber Defence", "Infra Team",
    "Finance Office", "Accounts Payable", "Customer Care", "Marketing Team", "Sales Desk",
    "Support Group", "DevOps", "SRE", "NOC", "SOC", "CSIRT", "Admin", "Security",
]


def strip_latin(text, german=False):
    text = text.lower()
    if german:
        text = "".join(GERMAN.get(c, c) for c in text)
    text = "".join(LATIN_SPECIAL.get(c, c) for c in text)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isascii() and c.isalpha())


def ukrainian(word):
    word = word.lower()
    out = UKRAINIAN_INITIAL.get(word[0]) if word else None
    rest = word[1:] if out else word
    return (out or "") + "".join(UKRAINIAN.get(c, "") for c in rest)


def greek(word):
    word = "".join(c for c in unicodedata.normalize("NFD", word.lower())
                   if unicodedata.category(c) != "Mn")
    out, i = "", 0
    while i < len(word):
        pair = word[i:i + 2]
        if pair in GREEK_DIGRAPHS:
            out += "b" if pair == "μπ" and i == 0 else GREEK_DIGRAPHS[pair]
            i += 2
        else:
            out += GREEK.get(word[i], "")
            i += 1
    return out


def devanagari(word):
    latin = sanscript.transliterate(word, sanscript.DEVANAGARI, sanscript.OPTITRANS)
    latin = latin.lower()
    # Schwa deletion: a final consonant keeps no inherent vowel in speech or spelling.
    last = word[-1]
    if latin.endswith("a") and unicodedata.category(last) == "Lo" and "\u0915" <= last <= "\u0939":
        latin = latin[:-1]
    return "".join(c for c in latin if c.isascii() and c.isalpha())


def korean_given(word, rng):
    rr = HANGUL_RR.translit(word)
    if rng.random() < 0.5:
        for a, b in (("seong", "sung"), ("jeong", "jung"), ("yeong", "young"), ("hun", "hoon"),
                     ("ui", "ee"), ("gyu", "kyu"), ("gyeong", "kyung")):
            rr = rr.replace(a, b)
    return rr


def person(fake, locale, rng):
    """(Name as written, given name words romanized, family name romanized) for one person."""
    if locale == "ja_JP":
        last, last_kana, last_roman = fake.last_name_pair()
        first, first_kana, first_roman = fake.first_name_pair()
        name = f"{last_kana} {first_kana}" if rng.random() < 0.25 else f"{last} {first}"
        if rng.random() < 0.2:
            name = name.replace(" ", "")
        return name, [first_roman.lower()], last_roman.lower()
    if locale == "zh_CN":
        last, first = fake.last_name(), fake.first_name()
        return last + first, ["".join(lazy_pinyin(first))], "".join(lazy_pinyin(last))
    if locale == "zh_TW":
        last, first = fake.last_romanized_name(), fake.first_romanized_name()
        return f"{last} {first.title()}", [first.lower().replace("-", "")], last.lower()
    if locale == "ko_KR":
        last, first = fake.last_name(), fake.first_name()
        return last + first, [korean_given(first, rng)], KOREAN_SURNAMES.get(last) or HANGUL_RR.translit(last)
    given = fake.first_name_female() if rng.random() < 0.5 else fake.first_name_male()
    family = fake.last_name()
    if locale == "vi_VN":
        middle = fake.middle_name()
        name = f"{family} {middle} {given}"
        return name, [strip_latin(given)], strip_latin(family)
    if locale == "es_ES" and rng.random() < 0.5:
        second = fake.last_name()
        return f"{given} {family} {second}", [strip_latin(w) for w in given.split()], strip_latin(family)
    if locale == "hu_HU":
        return f"{family} {given}", [strip_latin(given)], strip_latin(family)
    name = f"{given} {family}"
    words = given.split()
    if locale == "ru_RU":
        scheme = rng.choice([iuliia.ICAO_DOC_9303, iuliia.WIKIPEDIA, iuliia.MOSMETRO])
        roman = lambda w: strip_latin(scheme.translate(w))
    elif locale == "uk_UA":
        roman = ukrainian
    elif locale == "bg_BG":
        roman = lambda w: "".join(BULGARIAN.get(c, "") for c in w.lower())
    elif locale == "el_GR":
        roman = greek
    elif locale == "hi_IN":
        roman = devanagari
    elif locale == "th_TH":
        # Thai Names are given in RTGS romanization, as Thai staff fill in English forms: the
        # tool has no Thai romanizer, and Thai script carries too little of its vowels for
        # deunicode to spell.
        roman = lambda w: strip_latin(thai_romanize(w, engine="royin"))
        name = f"{roman(given).title()} {roman(family).title()}"
    else:
        german = locale == "de_DE" and rng.random() < 0.5
        roman = lambda w: strip_latin(w, german)
    # Particles and hyphens are dropped in addresses: "van der Berg" -> vanderberg.
    return name, [roman(w) for w in words], "".join(roman(w) for w in re.split(r"[\s-]+", family))


def address(pattern, given, family):
    first = given[0]
    return {
        "first.last": f"{first}.{family}",
        "flast": f"{first[0]}{family}",
        "first": first,
        "last.first": f"{family}.{first}",
        "first_last": f"{first}_{family}",
        "firstl": f"{first}{family[0]}",
        "f.last": f"{first[0]}.{family}",
        "firstlast": f"{first}{family}",
    }[pattern]


def record(n, locale, kind, pattern, name, local, domain):
    fail = kind == "personal"
    return {
        "id": f"w{n:04d}", "type": "SECURITY", "locale": locale, "kind": kind,
        "pattern": pattern, "name": name, "title": "Security contact",
        "email": f"{local}@{domain}", "phone": "+1 206 266 1000",
        "root_email": f"aws-root@{domain}",
        "expect": {"security-contact-shared-inbox": "FAIL" if fail else "PASS"},
    }


def role_prefixes(path):
    script = ("const src=require('fs').readFileSync(process.argv[1],'utf8');"
              "const m={exports:{}};new Function('module','exports','require',src)"
              "(m,m.exports,require);const l=m.exports;"
              "console.log(JSON.stringify(Array.isArray(l)?l:l.default))")
    return json.loads(subprocess.check_output(["node", "-e", script, path]))


def main():
    rng = random.Random(12)
    out = []
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(12)
        domain = f"corp-{locale.lower().replace('_', '-')}.{DOMAIN_TLDS[locale]}"
        for i in range(PER_LOCALE):
            pattern = PATTERNS[i % len(PATTERNS)]
            name, given, family = person(fake, locale, rng)
            given = [g for g in given if g]
            if not given or not family:
                continue
            out.append((locale, "personal", pattern, name, address(pattern, given, family), domain))
    prefixes = role_prefixes(sys.argv[1])
    for i, prefix in enumerate(prefixes):
        locale = LOCALES[i % len(LOCALES)]
        shape = i % 3
        if shape == 0:
            name = ""
        elif shape == 1:
            name = TEAM_NAMES[i % len(TEAM_NAMES)]
        else:
            words = [w for w in re.split(r"[._\-+0-9]+", prefix) if w]
            name = " ".join(w.title() for w in words) + " Team" if words else "Team"
        domain = f"corp-{locale.lower().replace('_', '-')}.{DOMAIN_TLDS[locale]}"
        out.append((locale, "role", "role-prefix", name, prefix, domain))
    # Team Names made of ordinary words, with the address built from them.
    for i, team in enumerate(["Bug Bounty", "Fusion Center", "Purple Knights", "Night Watch",
                              "Blue Team", "Red Team", "Cloud Platform", "Security",
                              "Équipe Sécurité", "Sicherheitsteam"]):
        local = ".".join(strip_latin(w) for w in team.split())
        out.append(("en_US", "role", "team-name", team, local, "corp-teams.com"))
    print(f"# World corpus for security-contact-shared-inbox (issue #12): {sum(1 for o in out if o[1] == 'personal')} "
          f"personal SECURITY contacts in {len(LOCALES)} locales, {sum(1 for o in out if o[1] == 'role')} role mailboxes.")
    print(f"# Generated by scripts/gen-world-corpus.py (seed 12) from PyPI Faker {faker.VERSION} person names "
          "and npm role-based-email-addresses 3.1.0; see the script for the romanization packages.")
    print("# None of these lists is embedded by the tool (rules/data/ uses none of them).")
    for n, (locale, kind, pattern, name, local, domain) in enumerate(out, 1):
        print(json.dumps(record(n, locale, kind, pattern, name, local, domain), ensure_ascii=False))


if __name__ == "__main__":
    main()
