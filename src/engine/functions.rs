//! The CEL environment of rule conditions: the heuristics as functions, and parameter values.

use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::{extensions, Context, Env, Value};

use crate::engine::heuristics::{domain, email, names, person, phone};

/// Each function rules can call besides CEL's standard ones: signature and one line of help.
pub const FUNCTIONS: &[(&str, &str)] = &[
    (
        "email_domain(email)",
        "the domain of an address, lower case, without a trailing dot",
    ),
    (
        "registrable_domain(email_or_domain)",
        "the registrable domain (eTLD+1, per the Public Suffix List)",
    ),
    ("is_blank(s)", "true when s is empty or only white space"),
    (
        "blank_fields(name, title, email, phone)",
        "the names of the blank fields, comma-separated; \"\" when none",
    ),
    (
        "is_valid_email(email)",
        "the address is deliverable by its syntax",
    ),
    ("email_validity_evidence(email)", "why the address is not"),
    (
        "is_valid_phone(phone)",
        "the number is dialable by its format (a +CC number must be possible for that country)",
    ),
    ("phone_validity_evidence(phone)", "why the number is not"),
    (
        "is_placeholder_domain(email, extra_domains, allowed_domains)",
        "the domain is reserved (RFC 2606/6761), a template, disposable, or in extra_domains",
    ),
    (
        "placeholder_domain_evidence(email, extra_domains, allowed_domains)",
        "which placeholder domain it is",
    ),
    (
        "is_placeholder_phone(phone, extra_numbers)",
        "the number is fictional (NANP 555, Ofcom drama), a digit run, or in extra_numbers",
    ),
    (
        "placeholder_phone_evidence(phone, extra_numbers)",
        "which kind of placeholder it is",
    ),
    (
        "is_placeholder_name(value, extra_placeholders)",
        "the value is filler (John Doe, TBD, N/A, ...) or in extra_placeholders",
    ),
    (
        "placeholder_name_evidence(value, extra_placeholders)",
        "which filler it is",
    ),
    (
        "is_personal_mailbox(email, name, extra_role_words, allowed_emails)",
        "the address is one person's mailbox, not a team inbox",
    ),
    (
        "personal_mailbox_evidence(email, name, extra_role_words, allowed_emails)",
        "which name pattern the local part follows",
    ),
    (
        "is_freemail(email, extra_providers, allowed_domains)",
        "the address is at a consumer mailbox provider",
    ),
    (
        "freemail_evidence(email, extra_providers, allowed_domains)",
        "which provider",
    ),
    (
        "has_sensitive_data(s)",
        "s carries an access key id, a credential assignment or a long token",
    ),
    ("sensitive_data_evidence(s)", "which kind of secret"),
    (
        "is_approved_address(email, approved_emails, approved_domains)",
        "the address is one of approved_emails or within one of approved_domains",
    ),
];

/// The CEL environment rules compile against: the standard library and the strings extension.
pub fn environment() -> Arc<Env> {
    let mut env = Env::stdlib();
    // infallible: the strings extension declares no overload the standard library has.
    env.add_extension(extensions::strings)
        .expect("infallible: the CEL strings extension registers once");
    Arc::new(env)
}

fn strings(list: &Arc<Vec<Value>>) -> Vec<String> {
    list.iter()
        .map(|v| match v {
            Value::String(s) => s.to_string(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn evidence(found: Option<String>) -> String {
    found.unwrap_or_default()
}

/// A root context with every function of [`FUNCTIONS`] registered.
pub fn root_context(env: &Arc<Env>) -> Context<'static, 'static> {
    let mut ctx = Context::with_env(Arc::clone(env));
    let add = |result: Result<(), cel::DeclarationError>| {
        // infallible: none of our names is a standard CEL function (checked by a test).
        result.expect("infallible: our CEL functions do not clash with the standard library");
    };
    add(ctx.add_function("email_domain", |s: Arc<String>| email::email_domain(&s)));
    add(ctx.add_function("registrable_domain", |s: Arc<String>| {
        domain::registrable_domain(&s)
    }));
    add(ctx.add_function("is_blank", |s: Arc<String>| s.trim().is_empty()));
    add(ctx.add_function(
        "blank_fields",
        |n: Arc<String>, t: Arc<String>, e: Arc<String>, p: Arc<String>| {
            [
                ("Name", n),
                ("Title", t),
                ("EmailAddress", e),
                ("PhoneNumber", p),
            ]
            .into_iter()
            .filter(|(_, v)| v.trim().is_empty())
            .map(|(k, _)| k)
            .collect::<Vec<_>>()
            .join(", ")
        },
    ));
    add(ctx.add_function("is_valid_email", |s: Arc<String>| {
        email::email_problem(&s).is_none()
    }));
    add(
        ctx.add_function("email_validity_evidence", |s: Arc<String>| {
            evidence(email::email_problem(&s))
        }),
    );
    add(ctx.add_function("is_valid_phone", |s: Arc<String>| {
        phone::phone_problem(&s).is_none()
    }));
    add(
        ctx.add_function("phone_validity_evidence", |s: Arc<String>| {
            evidence(phone::phone_problem(&s))
        }),
    );
    add(ctx.add_function(
        "is_placeholder_domain",
        |s: Arc<String>, extra: Arc<Vec<Value>>, allowed: Arc<Vec<Value>>| {
            domain::placeholder_domain(&s, &strings(&extra), &strings(&allowed)).is_some()
        },
    ));
    add(ctx.add_function(
        "placeholder_domain_evidence",
        |s: Arc<String>, extra: Arc<Vec<Value>>, allowed: Arc<Vec<Value>>| {
            evidence(domain::placeholder_domain(
                &s,
                &strings(&extra),
                &strings(&allowed),
            ))
        },
    ));
    add(ctx.add_function(
        "is_placeholder_phone",
        |s: Arc<String>, extra: Arc<Vec<Value>>| {
            phone::placeholder_phone(&s, &strings(&extra)).is_some()
        },
    ));
    add(ctx.add_function(
        "placeholder_phone_evidence",
        |s: Arc<String>, extra: Arc<Vec<Value>>| {
            evidence(phone::placeholder_phone(&s, &strings(&extra)))
        },
    ));
    add(ctx.add_function(
        "is_placeholder_name",
        |s: Arc<String>, extra: Arc<Vec<Value>>| {
            names::placeholder_name(&s, &strings(&extra)).is_some()
        },
    ));
    add(ctx.add_function(
        "placeholder_name_evidence",
        |s: Arc<String>, extra: Arc<Vec<Value>>| {
            evidence(names::placeholder_name(&s, &strings(&extra)))
        },
    ));
    add(ctx.add_function(
        "is_personal_mailbox",
        |e: Arc<String>, n: Arc<String>, words: Arc<Vec<Value>>, allowed: Arc<Vec<Value>>| {
            person::personal_mailbox(&e, &n, &strings(&words), &strings(&allowed)).is_some()
        },
    ));
    add(ctx.add_function(
        "personal_mailbox_evidence",
        |e: Arc<String>, n: Arc<String>, words: Arc<Vec<Value>>, allowed: Arc<Vec<Value>>| {
            evidence(person::personal_mailbox(
                &e,
                &n,
                &strings(&words),
                &strings(&allowed),
            ))
        },
    ));
    add(ctx.add_function(
        "is_freemail",
        |s: Arc<String>, extra: Arc<Vec<Value>>, allowed: Arc<Vec<Value>>| {
            domain::freemail_provider(&s, &strings(&extra), &strings(&allowed)).is_some()
        },
    ));
    add(ctx.add_function(
        "freemail_evidence",
        |s: Arc<String>, extra: Arc<Vec<Value>>, allowed: Arc<Vec<Value>>| {
            evidence(domain::freemail_provider(
                &s,
                &strings(&extra),
                &strings(&allowed),
            ))
        },
    ));
    add(ctx.add_function("has_sensitive_data", |s: Arc<String>| {
        names::sensitive_data(&s).is_some()
    }));
    add(
        ctx.add_function("sensitive_data_evidence", |s: Arc<String>| {
            evidence(names::sensitive_data(&s))
        }),
    );
    add(ctx.add_function(
        "is_approved_address",
        |s: Arc<String>, emails: Arc<Vec<Value>>, domains: Arc<Vec<Value>>| {
            let address = s.trim();
            let domain_of = email::email_domain(address);
            strings(&emails)
                .iter()
                .any(|e| e.trim().eq_ignore_ascii_case(address))
                || strings(&domains)
                    .iter()
                    .any(|d| domain::is_within(&domain_of, &d.to_ascii_lowercase()))
        },
    ));
    ctx
}

/// Whether `name` is a function rules may call: ours or one of CEL's standard library.
pub fn is_known(env: &Arc<Env>, name: &str) -> bool {
    // Operators appear under their internal names (`_!=_`, `@in`, `!_`): not identifiers.
    let operator = !name.chars().all(|c| c.is_alphanumeric() || c == '_');
    let ours = FUNCTIONS
        .iter()
        .any(|(signature, _)| signature.split('(').next() == Some(name));
    // A name the environment already declares is refused by add_function: that is how the
    // standard library's names are told apart from unknown ones.
    operator
        || ours
        || Context::with_env(Arc::clone(env))
            .add_function(name, || true)
            .is_err()
}

/// Converts a rule parameter (TOML) to its CEL value; dates become RFC 3339 strings.
pub fn param_to_cel(value: &toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(items) => Value::List(Arc::new(
            items.iter().map(param_to_cel).collect::<Result<_, _>>()?,
        )),
        toml::Value::Table(table) => Value::Map(Map {
            map: Arc::new(
                table
                    .iter()
                    .map(|(k, v)| Ok((Key::from(k.as_str()), param_to_cel(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_register_and_are_known() {
        let env = environment();
        root_context(&env);
        for (signature, _) in FUNCTIONS {
            let name = signature.split('(').next().unwrap();
            assert!(is_known(&env, name), "{name}");
        }
        for standard in ["size", "startsWith", "lowerAscii", "matches", "contains"] {
            assert!(is_known(&env, standard), "{standard}");
        }
        assert!(!is_known(&env, "no_such_function"));
    }

    #[test]
    fn functions_evaluate() {
        let env = environment();
        let ctx = root_context(&env);
        let program = env
            .compile("is_placeholder_domain('a@example.com', [], []) && email_domain('A@B.Co.') == 'b.co'")
            .unwrap();
        assert_eq!(program.execute(&ctx), Ok(Value::Bool(true)));
    }
}
