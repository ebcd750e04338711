//! The Terraform functions static evaluation follows; any other function's result is unknown,
//! named in the finding.

use std::collections::BTreeMap;
use std::sync::Arc;

use hcl_edit::expr::{Expression, FuncCall};

use super::eval::{index_of, Eval, Scope, SCAN_THE_PLAN};
use super::value::{number_text, Data, Value};

/// The functions evaluated statically.
pub(crate) const SUPPORTED: &[&str] = &[
    "upper",
    "lower",
    "title",
    "trimspace",
    "trim",
    "trimprefix",
    "trimsuffix",
    "replace",
    "format",
    "join",
    "split",
    "lookup",
    "try",
    "can",
    "coalesce",
    "merge",
    "tomap",
    "toset",
    "tolist",
    "tostring",
    "concat",
    "flatten",
    "length",
    "keys",
    "values",
    "contains",
    "element",
    "distinct",
    "zipmap",
];

/// Calls a function.
pub(crate) fn call(scope: &Scope<'_>, call: &FuncCall, whole: &Expression) -> Eval {
    let name = call.name.name.as_str();
    if call.name.is_namespaced() || !SUPPORTED.contains(&name) {
        return Ok(Value::unknown(format!(
            "{} calls {}(), which static evaluation does not follow; {SCAN_THE_PLAN}",
            scope.text(whole),
            scope.text(&call.name.name)
        )));
    }
    match name {
        // Lazy: their arguments' errors are what they catch.
        "try" => {
            let mut last = String::from("try() needs an argument");
            for arg in call.args.iter() {
                match scope.eval(arg) {
                    Ok(value) => return Ok(value),
                    Err(e) => last = e,
                }
            }
            return Err(format!("no argument of try() could be evaluated: {last}"));
        }
        "can" => {
            let arg = call.args.get(0).ok_or("can() needs an argument")?;
            return Ok(match scope.eval(arg) {
                Ok(value) if matches!(value.data, Data::Unknown(_)) => value,
                Ok(_) => Value::bool(true),
                Err(_) => Value::bool(false),
            });
        }
        _ => {}
    }
    let mut args: Vec<Value> = call
        .args
        .iter()
        .map(|arg| scope.eval(arg))
        .collect::<Eval<_>>()?;
    if call.args.expand_final() {
        let last = args.pop().ok_or("... needs an argument")?;
        match &last.data {
            Data::List(items) | Data::Set(items) => args.extend(items.iter().cloned()),
            Data::Unknown(_) => return Ok(last),
            _ => return Err(format!("cannot expand a {} with ...", last.type_name())),
        }
    }
    if let Some(unknown) = args.iter().find(|a| matches!(a.data, Data::Unknown(_))) {
        // coalesce() and lookup() pass known values through; an unknown argument they might
        // pick makes the result unknown.
        return Ok(unknown.clone());
    }
    // A value a function makes is written where the call is, unless it derives from one
    // argument: lower(var.x) is written where var.x is.
    match apply(name, args) {
        Ok(value) if value.at.is_none() => Ok(value.at(scope.at(whole))),
        Ok(value) => Ok(value),
        Err(e) => Err(format!("{}: {e}", scope.text(whole))),
    }
}

fn text(value: &Value) -> Eval<Arc<str>> {
    value
        .to_text()
        .ok_or_else(|| format!("expected a string, got a {}", value.type_name()))
}

fn arg(args: &[Value], i: usize) -> Eval<&Value> {
    args.get(i)
        .ok_or_else(|| format!("expected at least {} arguments", i + 1))
}

fn items(value: &Value) -> Eval<Vec<Value>> {
    match &value.data {
        Data::List(items) | Data::Set(items) => Ok(items.to_vec()),
        _ => Err(format!("expected a list, got a {}", value.type_name())),
    }
}

fn map(value: &Value) -> Eval<&BTreeMap<String, Value>> {
    match &value.data {
        Data::Object(map) => Ok(map),
        _ => Err(format!("expected a map, got a {}", value.type_name())),
    }
}

/// A string made from `source`: written where `source` is.
fn derived(text: impl Into<Arc<str>>, source: &Value) -> Value {
    Value::string(text).at(source.at.clone())
}

fn apply(name: &str, args: Vec<Value>) -> Eval {
    let first = || arg(&args, 0);
    let string_fn = |f: &dyn Fn(&str) -> String| -> Eval {
        let value = first()?;
        Ok(derived(f(&text(value)?), value))
    };
    Ok(match name {
        "upper" => string_fn(&|s| s.to_uppercase())?,
        "lower" => string_fn(&|s| s.to_lowercase())?,
        "title" => string_fn(&title)?,
        "trimspace" => string_fn(&|s| s.trim().to_string())?,
        "trim" => {
            let cut = text(arg(&args, 1)?)?;
            string_fn(&|s| s.trim_matches(|c| cut.contains(c)).to_string())?
        }
        "trimprefix" => {
            let prefix = text(arg(&args, 1)?)?;
            string_fn(&|s| s.strip_prefix(&*prefix).unwrap_or(s).to_string())?
        }
        "trimsuffix" => {
            let suffix = text(arg(&args, 1)?)?;
            string_fn(&|s| s.strip_suffix(&*suffix).unwrap_or(s).to_string())?
        }
        "replace" => {
            let (from, to) = (text(arg(&args, 1)?)?, text(arg(&args, 2)?)?);
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return Ok(Value::unknown(format!(
                    "replace() with the regular expression {from} is not evaluated statically; {SCAN_THE_PLAN}"
                )));
            }
            string_fn(&|s| s.replace(&*from, &to))?
        }
        "format" => Value::string(format(&text(first()?)?, &args[1..])?),
        "join" => {
            let separator = text(first()?)?;
            let mut parts = Vec::new();
            for list in &args[1..] {
                for item in items(list)? {
                    if let Data::Unknown(_) = item.data {
                        return Ok(item);
                    }
                    parts.push(text(&item)?.to_string());
                }
            }
            Value::string(parts.join(&separator))
        }
        "split" => {
            let (separator, value) = (text(first()?)?, arg(&args, 1)?);
            Value::list(
                text(value)?
                    .split(&*separator)
                    .map(|part| derived(part, value))
                    .collect(),
            )
        }
        "lookup" => {
            let map = map(first()?)?;
            let key = text(arg(&args, 1)?)?;
            match map.get(&*key) {
                Some(value) => value.clone(),
                None => args
                    .get(2)
                    .cloned()
                    .ok_or_else(|| format!("the map has no key {key:?} and no default is given"))?,
            }
        }
        "coalesce" => args
            .iter()
            .find(|a| !a.is_null() && !matches!(&a.data, Data::String(s) if s.is_empty()))
            .cloned()
            .ok_or("no argument is neither null nor an empty string")?,
        "merge" => {
            let mut merged = BTreeMap::new();
            for value in &args {
                if !value.is_null() {
                    merged.extend(map(value)?.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
            Value::object(merged)
        }
        "tomap" => Value::object(map(first()?)?.clone()),
        "toset" => Value::set(items(first()?)?),
        "tolist" => Value::list(items(first()?)?),
        "tostring" => {
            let value = first()?;
            match &value.data {
                Data::Null => value.clone(),
                _ => derived(text(value)?, value),
            }
        }
        "concat" => Value::list(args.iter().map(items).collect::<Eval<Vec<_>>>()?.concat()),
        "flatten" => {
            let mut out = Vec::new();
            flatten(first()?, &mut out)?;
            Value::list(out)
        }
        "length" => {
            let value = first()?;
            Value::number(match &value.data {
                Data::List(items) | Data::Set(items) => items.len(),
                Data::Object(map) => map.len(),
                Data::String(s) => s.chars().count(),
                _ => return Err(format!("a {} has no length", value.type_name())),
            } as f64)
        }
        "keys" => Value::list(
            map(first()?)?
                .keys()
                .map(|k| Value::string(k.as_str()))
                .collect(),
        ),
        "values" => Value::list(map(first()?)?.values().cloned().collect()),
        "contains" => {
            let needle = arg(&args, 1)?;
            Value::bool(items(first()?)?.iter().any(|item| item.equals(needle)))
        }
        "element" => {
            let list = items(first()?)?;
            let Data::Number(n) = arg(&args, 1)?.data else {
                return Err("element() needs a number".into());
            };
            if list.is_empty() {
                return Err("element() of an empty list".into());
            }
            index_of(
                &Value::list(list.clone()),
                &Value::number((n as usize % list.len()) as f64),
            )?
        }
        "distinct" => {
            let mut out: Vec<Value> = Vec::new();
            for item in items(first()?)? {
                if !out.iter().any(|o| o.equals(&item)) {
                    out.push(item);
                }
            }
            Value::list(out)
        }
        "zipmap" => {
            let (keys, values) = (items(first()?)?, items(arg(&args, 1)?)?);
            if keys.len() != values.len() {
                return Err("zipmap() needs lists of the same length".into());
            }
            Value::object(
                keys.iter()
                    .map(|k| text(k).map(|k| k.to_string()))
                    .zip(values)
                    .map(|(k, v)| k.map(|k| (k, v)))
                    .collect::<Eval<_>>()?,
            )
        }
        other => return Err(format!("{other}() is not evaluated")),
    })
}

fn flatten(value: &Value, out: &mut Vec<Value>) -> Eval<()> {
    match &value.data {
        Data::List(items) | Data::Set(items) => {
            for item in items.iter() {
                flatten(item, out)?;
            }
        }
        _ => out.push(value.clone()),
    }
    Ok(())
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// `format()` with the verbs `%s`, `%d`, `%v`, `%q` and `%%`.
fn format(spec: &str, args: &[Value]) -> Eval<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars.next().ok_or("format() ends with %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let value = args
            .next()
            .ok_or("format() has more verbs than arguments")?;
        match verb {
            's' | 'v' => out.push_str(&text(value)?),
            'd' => match value.data {
                Data::Number(n) => out.push_str(&number_text(n.trunc())),
                _ => return Err("%d needs a number".into()),
            },
            'q' => out.push_str(&serde_json::Value::from(&*text(value)?).to_string()),
            other => {
                return Err(format!(
                    "format() verb %{other} is not evaluated statically"
                ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    #[test]
    fn string_functions() {
        assert_eq!(apply("upper", vec![s("security")]).unwrap(), s("SECURITY"));
        assert_eq!(
            apply(
                "format",
                vec![
                    s("%s@%s.com (%d%%)"),
                    s("soc"),
                    s("corp"),
                    Value::number(5.0)
                ]
            )
            .unwrap(),
            s("soc@corp.com (5%)")
        );
        assert_eq!(
            apply("replace", vec![s("a.b.c"), s("."), s("-")]).unwrap(),
            s("a-b-c")
        );
        assert_eq!(
            apply("title", vec![s("security ops")]).unwrap(),
            s("Security Ops")
        );
        assert!(matches!(
            apply("replace", vec![s("abc"), s("/b/"), s("x")])
                .unwrap()
                .data,
            Data::Unknown(_)
        ));
    }

    #[test]
    fn collection_functions() {
        let set = apply("toset", vec![Value::list(vec![s("b"), s("a"), s("b")])]).unwrap();
        assert!(set.equals(&Value::set(vec![s("a"), s("b")])));
        let flat = apply(
            "flatten",
            vec![Value::list(vec![Value::list(vec![s("a")]), s("b")])],
        )
        .unwrap();
        assert!(flat.equals(&Value::list(vec![s("a"), s("b")])));
        assert!(apply("coalesce", vec![Value::null(), s(""), s("x")])
            .unwrap()
            .equals(&s("x")));
        assert!(apply("lookup", vec![Value::object(BTreeMap::new()), s("k")]).is_err());
    }
}
