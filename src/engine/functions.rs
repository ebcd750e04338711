//! The CEL environment of rule conditions: the heuristics as functions, and parameter values.

use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::{extensions, Context, DeclarationError, Env, Value};

use crate::engine::budget;
use crate::engine::heuristics::{domain, email, names, person, phone};
use crate::inventory::ContactField;

/// A function rules can call besides CEL's standard ones: its name, its arguments, one line
/// of help, and how it is registered. Listing and registration come from the same entry, so a
/// documented function that does not exist cannot be written.
pub struct Function {
    pub name: &'static str,
    /// The arguments, as `rules explain` shows them: `email, extra_domains, allowed_domains`.
    pub args: &'static str,
    pub help: &'static str,
    register: fn(&mut Context<'static, 'static>) -> Result<(), DeclarationError>,
}

impl Function {
    /// `name(args)`.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.args)
    }
}

/// A function of its own.
macro_rules! function {
    ($name:ident ($($arg:ident: $ty:ty),*) $help:literal => $body:expr) => {
        Function {
            name: stringify!($name),
            args: stringify!($($arg),*),
            help: $help,
            register: |ctx| ctx.add_function(stringify!($name), |$($arg: $ty),*| $body),
        }
    };
}

/// A heuristic: one implementation returning `Option<evidence>` gives two functions, the
/// boolean test (`is_some`: true when something was found; `is_none` for the `is_valid_*`
/// tests) and the evidence (`""` when `None`).
macro_rules! heuristic {
    ($test:ident = $found:ident / $evidence:ident ($($arg:ident: $ty:ty),*)
     $help:literal / $evidence_help:literal => $body:expr) => {
        [
            Function {
                name: stringify!($test),
                args: stringify!($($arg),*),
                help: $help,
                register: |ctx| {
                    ctx.add_function(stringify!($test), |$($arg: $ty),*| $body.$found())
                },
            },
            Function {
                name: stringify!($evidence),
                args: stringify!($($arg),*),
                help: $evidence_help,
                register: |ctx| {
                    ctx.add_function(stringify!($evidence), |$($arg: $ty),*| {
                        $body.unwrap_or_default()
                    })
                },
            },
        ]
    };
}

type Text = Arc<String>;
type List = Arc<Vec<Value>>;

/// The functions that come first in `rules explain`.
static UTILITIES: [Function; 4] = [
    function!(email_domain(email: Text)
        "the domain of an address, lower case, without a trailing dot"
        => email::email_domain(&email)),
    function!(registrable_domain(email_or_domain: Text)
        "the registrable domain (eTLD+1, per the Public Suffix List)"
        => domain::registrable_domain(&email_or_domain)),
    function!(is_blank(s: Text) "true when s is empty or only white space" => s.trim().is_empty()),
    function!(blank_fields(name: Text, title: Text, email: Text, phone: Text)
        "the names of the blank fields, comma-separated; \"\" when none"
        => blank_fields(&[name, title, email, phone])),
];

/// The heuristics, in the order `rules explain` lists them.
static HEURISTICS: [[Function; 2]; 8] = [
    heuristic!(is_valid_email = is_none / email_validity_evidence (email: Text)
        "the address is deliverable by its syntax" / "why the address is not"
        => email::email_problem(&email)),
    heuristic!(is_valid_phone = is_none / phone_validity_evidence (phone: Text)
        "the number is dialable by its format (a +CC number must be possible for that country)"
        / "why the number is not"
        => phone::phone_problem(&phone)),
    heuristic!(is_placeholder_domain = is_some / placeholder_domain_evidence
        (email: Text, extra_domains: List, allowed_domains: List)
        "the domain is reserved (RFC 2606/6761), a template, disposable, or in extra_domains"
        / "which placeholder domain it is"
        => domain::placeholder_domain(&email, &strings(&extra_domains), &strings(&allowed_domains))),
    heuristic!(is_placeholder_phone = is_some / placeholder_phone_evidence (phone: Text, extra_numbers: List)
        "the number is fictional (NANP 555, Ofcom drama), a digit run, or in extra_numbers"
        / "which kind of placeholder it is"
        => phone::placeholder_phone(&phone, &strings(&extra_numbers))),
    heuristic!(is_placeholder_name = is_some / placeholder_name_evidence (value: Text, extra_placeholders: List)
        "the value is filler (John Doe, TBD, N/A, ...) or in extra_placeholders"
        / "which filler it is"
        => names::placeholder_name(&value, &strings(&extra_placeholders))),
    heuristic!(is_personal_mailbox = is_some / personal_mailbox_evidence
        (email: Text, name: Text, extra_role_words: List, allowed_emails: List)
        "the address is one person's mailbox, not a team inbox"
        / "which name pattern the local part follows"
        => person::personal_mailbox(&email, &name, &strings(&extra_role_words), &strings(&allowed_emails))),
    heuristic!(is_freemail = is_some / freemail_evidence (email: Text, extra_providers: List, allowed_domains: List)
        "the address is at a consumer mailbox provider" / "which provider"
        => domain::freemail_provider(&email, &strings(&extra_providers), &strings(&allowed_domains))),
    heuristic!(has_sensitive_data = is_some / sensitive_data_evidence (s: Text)
        "s carries an access key id, a credential assignment or a long token"
        / "which kind of secret"
        => names::sensitive_data(&s)),
];

/// The functions that come last in `rules explain`.
static COMPARISONS: [Function; 1] = [function!(is_approved_address(
    email: Text,
    approved_emails: List,
    approved_domains: List
) "the address is one of approved_emails or within one of approved_domains"
    => is_approved_address(&email, &strings(&approved_emails), &strings(&approved_domains)))];

/// Every function rules can call besides CEL's standard ones, in the order `rules explain`
/// lists them.
pub fn functions() -> impl Iterator<Item = &'static Function> {
    UTILITIES
        .iter()
        .chain(HEURISTICS.iter().flatten())
        .chain(COMPARISONS.iter())
}

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

/// The names of the blank fields among Name, Title, EmailAddress, PhoneNumber.
fn blank_fields(values: &[Text; 4]) -> String {
    ContactField::ALL
        .iter()
        .zip(values)
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(field, _)| field.api_name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `address` is one of `emails` or within one of `domains`.
fn is_approved_address(address: &str, emails: &[String], domains: &[String]) -> bool {
    let address = address.trim();
    let domain_of = email::email_domain(address);
    emails
        .iter()
        .any(|e| e.trim().eq_ignore_ascii_case(address))
        || domains
            .iter()
            .any(|d| domain::is_within(&domain_of, &d.to_ascii_lowercase()))
}

/// A root context with every function of [`functions`] registered.
pub fn root_context(env: &Arc<Env>) -> Context<'static, 'static> {
    let mut ctx = Context::with_env(Arc::clone(env));
    for function in functions() {
        // infallible: none of our names is a standard CEL function (checked by a test).
        (function.register)(&mut ctx)
            .expect("infallible: our CEL functions do not clash with the standard library");
    }
    budget::register(&mut ctx);
    ctx
}

/// Whether `name` is a function rules may call: ours or one of CEL's standard library.
pub fn is_known(env: &Arc<Env>, name: &str) -> bool {
    // Operators appear under their internal names (`_!=_`, `@in`, `!_`): not identifiers.
    let operator = !name.chars().all(|c| c.is_alphanumeric() || c == '_');
    // A name the environment already declares is refused by add_function: that is how the
    // standard library's names are told apart from unknown ones.
    operator
        || functions().any(|f| f.name == name)
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
        let ctx = root_context(&env);
        for function in functions() {
            assert!(is_known(&env, function.name), "{}", function.name);
            // Registered: calling it with the wrong arguments is a type error, not "unknown".
            let call = format!("{}()", function.name);
            let error = env.compile(&call).unwrap().execute(&ctx).unwrap_err();
            assert!(
                !error.to_string().contains("Undeclared"),
                "{}: {error}",
                function.name
            );
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
