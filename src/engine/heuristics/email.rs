//! Email address syntax, as AWS accepts it for alternate contacts, and its domain.
//!
//! Two grammars apply and the stricter one wins: AWS's `EmailAddress` constraint (botocore
//! 1.44.8, `account` 2021-02-01 service model: `[\s]*[\w+=.#|!&-]+@[\w.-]+\.[\w]+[\s]*`, at
//! most 254 characters, `\w` being ASCII) and RFC 5321 (a local part of at most 64 octets,
//! host name labels of at most 63 letters, digits and inner hyphens). The evidence names which.

/// Characters allowed in the local part besides ASCII letters and digits.
const LOCAL_SPECIALS: &[u8] = b"+=.#|!&-_";

/// The domain of an email address: lower case, without a trailing dot; "" when there is none.
pub fn email_domain(email: &str) -> String {
    match email.trim().rsplit_once('@') {
        Some((_, domain)) => domain.trim_end_matches('.').to_ascii_lowercase(),
        None => String::new(),
    }
}

/// The local part (before the last `@`), "" when there is none.
pub fn local_part(email: &str) -> &str {
    email.trim().rsplit_once('@').map_or("", |(local, _)| local)
}

/// Why `email` cannot be delivered by its syntax alone; `None` when it is well formed.
pub fn email_problem(email: &str) -> Option<String> {
    if email.trim().is_empty() {
        return Some("the address is empty".into());
    }
    if email.len() > 254 {
        return Some(format!(
            "the address is {} characters long (at most 254: AWS's EmailAddress constraint and RFC 5321)",
            email.len()
        ));
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some("there is no '@'".into());
    };
    if local.is_empty() {
        return Some("the local part before '@' is empty".into());
    }
    if local.len() > 64 {
        return Some(format!(
            "the local part is {} characters long (at most 64 octets, RFC 5321)",
            local.len()
        ));
    }
    if let Some(c) = local.chars().find(|c| {
        !(c.is_ascii_alphanumeric() || (c.is_ascii() && LOCAL_SPECIALS.contains(&(*c as u8))))
    }) {
        return Some(format!(
            "the local part contains {c:?}, which AWS's EmailAddress pattern does not accept"
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("the local part has a misplaced '.' (RFC 5321)".into());
    }
    if domain.is_empty() {
        return Some("the domain after '@' is empty".into());
    }
    if domain.contains("..") {
        return Some(format!("the domain {domain:?} contains '..'"));
    }
    if !domain.contains('.') {
        return Some(format!("the domain {domain:?} has no '.'"));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Some(format!("the domain {domain:?} has an empty label"));
        }
        if label.len() > 63 {
            return Some(format!(
                "the domain label {label:?} is longer than 63 characters (RFC 5321)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!(
                "the domain label {label:?} starts or ends with '-' (RFC 5321)"
            ));
        }
        if let Some(c) = label.chars().find(|c| !c.is_ascii()) {
            return Some(format!(
                "the domain contains {c:?}: AWS's EmailAddress pattern accepts only ASCII in the domain (write it in punycode, xn--...)"
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Some(format!(
                "the domain contains {c:?}, which a host name may not (RFC 5321)"
            ));
        }
    }
    if let Some(tld) = domain.rsplit('.').next().filter(|tld| tld.contains('-')) {
        return Some(format!(
            "the top-level domain {tld:?} has a '-', which AWS's EmailAddress pattern does not accept"
        ));
    }
    if domain
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(format!(
            "the domain {domain:?} ends in a numeric label (RFC 5321 wants a host name)"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_addresses() {
        for ok in [
            "security@corp.example",
            "security+aws@corp.co.uk",
            "a.b-c_d=e#f|g!h&i@x.io",
            "SOC@Corp.COM",
            "security@xn--mller-gruppe-thb.de",
        ] {
            assert_eq!(email_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        let long = format!("{}@corp.com", "a".repeat(250));
        for bad in [
            "",
            "   ",
            "security",
            "@corp.com",
            "security@",
            "security@corp",
            "sec urity@corp.com",
            "security@@corp.com",
            "sec..urity@corp.com",
            ".security@corp.com",
            "security@corp..com",
            "security@-corp.com",
            "security@corp-.com",
            "security@.corp.com",
            "sécurité@corp.com",
            "security@corp_x.com",
            "a(b)@corp.com",
            "security@corp.123",
            "security@corp.com.",
            "security@müller-gruppe.de",
            "security@corp.xn--p1ai",
            long.as_str(),
        ] {
            assert!(email_problem(bad).is_some(), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn evidence_names_the_grammar_that_rejects() {
        let aws = email_problem("security@müller.de").expect("non-ASCII domain");
        assert!(aws.contains("AWS's EmailAddress"), "{aws}");
        let rfc = email_problem(&format!("{}@corp.com", "a".repeat(65))).expect("long local");
        assert!(rfc.contains("RFC 5321"), "{rfc}");
    }

    #[test]
    fn domain_is_lower_case_without_trailing_dot() {
        assert_eq!(email_domain("Sec@Corp.Example."), "corp.example");
        assert_eq!(email_domain("nodomain"), "");
        assert_eq!(local_part("a+b@c.d"), "a+b");
    }
}
