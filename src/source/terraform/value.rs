//! Values of the static evaluator: Terraform's types, an unknown value, and where each value is
//! written.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::inventory::Location;

/// A value not knowable before apply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unknown {
    /// Names the expression and what would resolve it.
    pub(crate) why: Arc<str>,
    /// When the value is the id of an account this configuration creates: that account's
    /// resource instance address (`aws_organizations_account.prod`).
    pub(crate) account: Option<Arc<str>>,
}

/// What a value holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Data {
    Null,
    Bool(bool),
    Number(f64),
    String(Arc<str>),
    /// A tuple or list.
    List(Arc<Vec<Value>>),
    /// A set: sorted, without duplicates.
    Set(Arc<Vec<Value>>),
    /// An object or map; Terraform iterates both in lexical key order.
    Object(Arc<BTreeMap<String, Value>>),
    Unknown(Unknown),
}

/// A value and where it is written, when it comes from one place of a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Value {
    pub(crate) data: Data,
    pub(crate) at: Option<Location>,
}

impl Value {
    /// A value written nowhere in particular.
    pub(crate) fn new(data: Data) -> Value {
        Value { data, at: None }
    }

    pub(crate) fn null() -> Value {
        Value::new(Data::Null)
    }

    pub(crate) fn string(text: impl Into<Arc<str>>) -> Value {
        Value::new(Data::String(text.into()))
    }

    pub(crate) fn bool(value: bool) -> Value {
        Value::new(Data::Bool(value))
    }

    pub(crate) fn number(value: f64) -> Value {
        Value::new(Data::Number(value))
    }

    pub(crate) fn unknown(why: impl Into<Arc<str>>) -> Value {
        Value::new(Data::Unknown(Unknown {
            why: why.into(),
            account: None,
        }))
    }

    /// This value, written at `at`.
    pub(crate) fn at(mut self, at: Option<Location>) -> Value {
        self.at = at;
        self
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.data, Data::Null)
    }

    /// Terraform's type name, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self.data {
            Data::Null => "null",
            Data::Bool(_) => "bool",
            Data::Number(_) => "number",
            Data::String(_) => "string",
            Data::List(_) => "tuple",
            Data::Set(_) => "set",
            Data::Object(_) => "object",
            Data::Unknown(_) => "unknown",
        }
    }

    /// The value as a string, converting numbers and bools as Terraform does.
    pub(crate) fn to_text(&self) -> Option<Arc<str>> {
        match &self.data {
            Data::String(s) => Some(s.clone()),
            Data::Number(n) => Some(Arc::from(number_text(*n))),
            Data::Bool(b) => Some(Arc::from(if *b { "true" } else { "false" })),
            _ => None,
        }
    }

    /// A set of these values: sorted, without duplicates.
    pub(crate) fn set(mut items: Vec<Value>) -> Value {
        items.sort_by_cached_key(Value::sort_key);
        items.dedup_by(|a, b| a.equals(b));
        Value::new(Data::Set(Arc::new(items)))
    }

    pub(crate) fn list(items: Vec<Value>) -> Value {
        Value::new(Data::List(Arc::new(items)))
    }

    pub(crate) fn object(map: BTreeMap<String, Value>) -> Value {
        Value::new(Data::Object(Arc::new(map)))
    }

    /// Equality of what the values hold, wherever they are written.
    pub(crate) fn equals(&self, other: &Value) -> bool {
        match (&self.data, &other.data) {
            (Data::List(a), Data::List(b)) | (Data::Set(a), Data::Set(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| a.equals(b))
            }
            (Data::Object(a), Data::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && va.equals(vb))
            }
            (a, b) => a == b,
        }
    }

    fn sort_key(&self) -> String {
        self.to_text()
            .map_or_else(|| format!("{self}"), |s| s.to_string())
    }
}

/// A number as Terraform prints it: integers without a fraction.
pub(crate) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl fmt::Display for Value {
    /// HCL-like notation, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.data {
            Data::Null => f.write_str("null"),
            Data::Bool(b) => write!(f, "{b}"),
            Data::Number(n) => f.write_str(&number_text(*n)),
            Data::String(s) => write!(f, "{s:?}"),
            Data::List(items) | Data::Set(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Data::Object(map) => {
                f.write_str("{")?;
                for (i, (key, value)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key} = {value}")?;
                }
                f.write_str("}")
            }
            Data::Unknown(_) => f.write_str("(known after apply)"),
        }
    }
}
