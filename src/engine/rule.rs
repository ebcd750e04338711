//! A rule: its TOML file (the user-facing format) and its compiled form.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cel::{Env, IdedExpr, Program};
use serde::Deserialize;

use crate::engine::analysis::{analyse, Analysis};
use crate::engine::message::MessageTemplate;
use crate::engine::rule_test::{TestCase, TestCaseFile};
use crate::engine::variables;
use crate::engine::{budget, functions, limits};
use crate::error::InputError;
use crate::finding::Severity;
use crate::inventory::{ContactField, ContactType};
use crate::strict;

/// Whether a rule yields one finding per contact slot or one per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Contact,
    Account,
}

impl Scope {
    /// The rule-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Contact => "contact",
            Scope::Account => "account",
        }
    }
}

/// The rule file as written. Unknown keys are an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    title: String,
    severity: Severity,
    scope: Scope,
    #[serde(default)]
    contact_types: Option<Vec<String>>,
    #[serde(default)]
    applies: Option<String>,
    check: String,
    #[serde(default)]
    evidence: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    rationale: Option<String>,
    #[serde(default)]
    example: Option<String>,
    #[serde(default)]
    remediation: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, toml::Value>,
    #[serde(default)]
    compliance: BTreeMap<String, Vec<String>>,
    #[serde(default, deserialize_with = "strict::objects")]
    tests: Vec<TestCaseFile>,
}

/// Which root variables a rule's conditions read: what its verdict depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    pub account: bool,
    pub contact: bool,
    /// The slots read through `contacts` (all three when the map is used whole).
    pub contacts: BTreeSet<ContactType>,
    pub params: bool,
    pub org: bool,
    /// The contact fields read (all four when a contact is used whole).
    pub fields: BTreeSet<ContactField>,
}

impl Reads {
    /// The one contact field the rule reads, if it reads exactly one.
    pub fn single_field(&self) -> Option<ContactField> {
        let mut fields = self.fields.iter();
        match (fields.next(), fields.next()) {
            (Some(field), None) => Some(*field),
            _ => None,
        }
    }
}

/// A compiled CEL condition with its source text.
#[derive(Debug)]
pub struct Condition {
    pub source: String,
    pub program: Program,
    /// The expression as evaluated: within the budget of [`budget`].
    pub instrumented: IdedExpr,
    pub analysis: Analysis,
}

/// A loaded rule, its conditions compiled once.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub scope: Scope,
    pub contact_types: Vec<ContactType>,
    pub applies: Option<Condition>,
    pub check: Condition,
    pub evidence: Option<Condition>,
    pub message: MessageTemplate,
    pub rationale: String,
    pub example: String,
    /// The fix, with the same placeholders as the message (`{account.id}`, `{contact.type}`...)
    /// and `{fix.command}`.
    pub remediation: MessageTemplate,
    pub params: BTreeMap<String, toml::Value>,
    pub compliance: BTreeMap<String, Vec<String>>,
    /// Where the rule came from: `built-in` or the file path.
    pub origin: String,
    pub reads: Reads,
    /// The rule's `[[tests]]` cases.
    pub tests: Vec<TestCase>,
}

impl Rule {
    /// The compliance mappings as `framework: id, id` lines.
    pub fn compliance_lines(&self) -> Vec<String> {
        self.compliance
            .iter()
            .map(|(framework, ids)| format!("{framework}: {}", ids.join(", ")))
            .collect()
    }

    /// Parses and compiles a rule file; `origin` names it in errors.
    pub fn parse(origin: &str, text: &str, env: &Arc<Env>) -> Result<Rule, InputError> {
        let file: RuleFile = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or_default();
            let message = strict::suggest_key(e.message().trim());
            InputError::new(origin, place, format!("invalid rule file: {message}"))
        })?;
        let error = |place: &str, message: String| InputError::new(origin, place, message);
        if !is_kebab_case(&file.id) {
            return Err(error(
                "id",
                format!("{:?} is not a valid rule id; expected kebab-case such as \"my-org-security-contact\"", file.id),
            ));
        }
        let contact_types = match file.contact_types {
            None => ContactType::ALL.to_vec(),
            Some(names) if names.is_empty() => {
                return Err(error("contact_types", "is empty; expected one or more of SECURITY, BILLING, OPERATIONS (or leave it out for all three)".into()))
            }
            Some(names) => {
                let mut types = Vec::new();
                for name in names {
                    let t: ContactType = name.parse().map_err(|e| error("contact_types", e))?;
                    if types.contains(&t) {
                        return Err(error("contact_types", format!("{t} is listed twice")));
                    }
                    types.push(t);
                }
                types
            }
        };
        let compile =
            |key: &str, source: Option<String>| -> Result<Option<Condition>, InputError> {
                source
                    .map(|source| compile_condition(origin, key, source, env))
                    .transpose()
            };
        let applies = compile("applies", file.applies)?;
        let check = compile_condition(origin, "check", file.check, env)?;
        let evidence = compile("evidence", file.evidence)?;
        let mut reads = Reads::default();
        for condition in [applies.as_ref(), Some(&check), evidence.as_ref()]
            .into_iter()
            .flatten()
        {
            let refs = condition.program.references();
            reads.account |= refs.has_variable("account");
            reads.contact |= refs.has_variable("contact");
            let analysis = &condition.analysis;
            if analysis.contacts_whole {
                reads.contacts.extend(ContactType::ALL);
            }
            reads
                .contacts
                .extend(analysis.contact_slots.iter().copied());
            if analysis.fields_whole {
                reads.fields.extend(ContactField::ALL);
            }
            reads.fields.extend(analysis.fields.iter().copied());
            reads.params |= refs.has_variable("params");
            reads.org |= refs.has_variable("org");
        }
        for (name, value) in &file.params {
            functions::param_to_cel(value).map_err(|e| error(&format!("params.{name}"), e))?;
        }
        let message_source = file.message.unwrap_or_else(|| file.title.clone());
        let message = MessageTemplate::parse(&message_source, &file.params)
            .map_err(|e| error("message", e))?;
        let remediation =
            MessageTemplate::parse_remediation(&file.remediation.unwrap_or_default(), &file.params)
                .map_err(|e| error("remediation", e))?;
        if file.scope == Scope::Account && (message.uses_contact() || remediation.uses_contact()) {
            return Err(error("message", "message or remediation uses {contact...} but the rule has scope = \"account\"; use {contacts.SECURITY...} instead".into()));
        }
        let tests = file
            .tests
            .into_iter()
            .enumerate()
            .map(|(i, case)| {
                case.check(&contact_types, &file.params)
                    .map_err(|e| error(&format!("tests[{i}]"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rule {
            id: file.id,
            title: file.title,
            severity: file.severity,
            scope: file.scope,
            contact_types,
            applies,
            check,
            evidence,
            message,
            rationale: file.rationale.unwrap_or_default(),
            example: file.example.unwrap_or_default(),
            remediation,
            params: file.params,
            compliance: file.compliance,
            origin: origin.to_string(),
            reads,
            tests,
        })
    }
}

fn compile_condition(
    origin: &str,
    key: &str,
    source: String,
    env: &Arc<Env>,
) -> Result<Condition, InputError> {
    let shown = || {
        let mut shown: String = source.chars().take(120).collect();
        if shown.len() < source.len() {
            shown.push('…');
        }
        shown
    };
    limits::check_source(&source)
        .map_err(|e| InputError::new(origin, key, format!("the condition {:?} {e}", shown())))?;
    let program = env.compile(&source).map_err(|e| {
        InputError::new(
            origin,
            key,
            format!("CEL syntax error in {:?}: {e}", shown()),
        )
    })?;
    limits::check_expression(program.expression())
        .map_err(|e| InputError::new(origin, key, format!("the condition {:?} {e}", shown())))?;
    let refs = program.references();
    let analysis = analyse(program.expression());
    for variable in refs.variables() {
        if !variables::is_variable(variable) && !analysis.bound.contains(variable) {
            let names: Vec<&str> = variables::VARIABLES.iter().map(|v| v.name).collect();
            return Err(InputError::new(
                origin,
                key,
                format!(
                    "unknown variable {variable:?} in {source:?}; expected one of {}",
                    names.join(", ")
                ),
            ));
        }
    }
    for function in refs.functions() {
        if !functions::is_known(env, function) {
            return Err(InputError::new(
                origin,
                key,
                format!("unknown function {function:?} in {source:?}; `contactscan rules explain` lists the functions rules can call"),
            ));
        }
    }
    Ok(Condition {
        source,
        instrumented: budget::instrument(program.expression()),
        program,
        analysis,
    })
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `line L, column C` (1-based) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}
