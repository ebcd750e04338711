//! Input variables: values from `TF_VAR_` variables, `terraform.tfvars`, `*.auto.tfvars` (and
//! their `.json` forms), `--var-file` and `--var`, in Terraform's precedence, and conversion to
//! declared types.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use hcl_edit::expr::{Expression, ObjectKey};

use super::eval::{Eval, Instance, Scope, SCAN_THE_PLAN};
use super::hcl::{parse_file, Expr, Module, SourceFile};
use super::value::{Data, Value};
use crate::error::InputError;

/// Values given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// `--var-file` files, in order.
    pub var_files: Vec<std::path::PathBuf>,
    /// `--var NAME=VALUE`, in order.
    pub vars: Vec<(String, String)>,
}

/// Evaluates an expression that refers to nothing.
pub(crate) fn constant(expr: &Expr) -> Eval {
    let module = Module::empty(Default::default());
    let instance = Instance::new(&module, String::new(), HashMap::new(), HashMap::new());
    Scope::new(&instance).eval_expr(expr)
}

/// Whether `--var` and `TF_VAR_` values of this type are HCL (collections, objects) rather
/// than raw strings.
fn takes_hcl(type_constraint: Option<&Expr>) -> bool {
    match type_constraint.map(|t| &t.expr) {
        None => false,
        Some(Expression::Variable(name)) => {
            !matches!(name.as_str(), "string" | "number" | "bool" | "any")
        }
        Some(_) => true,
    }
}

/// The values of the root module's variables, in Terraform's precedence (later wins):
/// `TF_VAR_name`, `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)` in name
/// order, `--var-file`s, `--var`s;
/// then each variable's default, and an unknown for one without either.
pub(crate) fn root_values(
    module: &Module,
    given: &Given,
) -> Result<HashMap<String, Value>, InputError> {
    let mut values: HashMap<String, Value> = HashMap::new();
    for (name, variable) in &module.variables {
        if let Ok(raw) = std::env::var(format!("TF_VAR_{name}")) {
            let value = raw_value("TF_VAR_", name, &raw, variable.type_constraint.as_ref())?;
            values.insert(name.clone(), value);
        }
    }
    let mut files: Vec<_> = ["terraform.tfvars", "terraform.tfvars.json"]
        .into_iter()
        .map(|name| module.dir.join(name))
        .filter(|path| path.is_file())
        .collect();
    let mut auto: Vec<_> = std::fs::read_dir(&module.dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| {
                    name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json")
                })
                .map(|name| module.dir.join(name))
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto);
    files.extend(given.var_files.iter().cloned());
    for file in &files {
        for (name, value) in tfvars(file)? {
            values.insert(name, value);
        }
    }
    for (name, raw) in &given.vars {
        let Some(variable) = module.variables.get(name) else {
            return Err(InputError::new(
                "--var",
                name.as_str(),
                format!(
                    "no variable {name:?} is declared in {}",
                    module.dir.display()
                ),
            ));
        };
        let value = raw_value("--var", name, raw, variable.type_constraint.as_ref())?;
        values.insert(name.clone(), value);
    }
    let mut resolved = HashMap::new();
    for (name, variable) in &module.variables {
        let value = match values.remove(name) {
            Some(value) => value,
            None => match &variable.default {
                Some(default) => constant(default).unwrap_or_else(Value::unknown),
                None => Value::unknown(format!(
                    "var.{name} has no default and no value: give it with --var {name}=VALUE or in a --var-file, or {SCAN_THE_PLAN}"
                )),
            },
        };
        resolved.insert(
            name.clone(),
            convert_declared(value, variable.type_constraint.as_ref()),
        );
    }
    Ok(resolved)
}

/// Converts a value to a variable's declared type; a value that does not convert is an
/// error Terraform would report, kept as an unknown naming it.
pub(crate) fn convert_declared(value: Value, type_constraint: Option<&Expr>) -> Value {
    match type_constraint {
        None => value,
        Some(t) => convert(value, &t.expr, t).unwrap_or_else(Value::unknown),
    }
}

fn raw_value(
    flag: &str,
    name: &str,
    raw: &str,
    type_constraint: Option<&Expr>,
) -> Result<Value, InputError> {
    if !takes_hcl(type_constraint) {
        return Ok(Value::string(raw));
    }
    let file = Arc::new(SourceFile::new(Path::new(flag), raw.to_string()));
    let expr = hcl_edit::parser::parse_expr(raw).map_err(|e| {
        InputError::new(flag, name, format!("the value is not HCL: {}", e.message()))
    })?;
    let value = constant(&Expr { expr, file })
        .map_err(|e| InputError::new(flag, name, format!("the value cannot be evaluated: {e}")))?;
    // Written on the command line, not in a file.
    Ok(strip_locations(value))
}

fn strip_locations(value: Value) -> Value {
    let data = match value.data {
        Data::List(items) => Data::List(Arc::new(
            items.iter().cloned().map(strip_locations).collect(),
        )),
        Data::Set(items) => Data::Set(Arc::new(
            items.iter().cloned().map(strip_locations).collect(),
        )),
        Data::Object(map) => Data::Object(Arc::new(
            map.iter()
                .map(|(k, v)| (k.clone(), strip_locations(v.clone())))
                .collect(),
        )),
        other => other,
    };
    Value::new(data)
}

/// The assignments of a `.tfvars` (or `.tfvars.json`) file, each value located where it is
/// written.
fn tfvars(path: &Path) -> Result<Vec<(String, Value)>, InputError> {
    let name = path.display().to_string();
    let assignments: Vec<(String, Expr)> = if name.ends_with(".json") {
        // A JSON object is an HCL object expression: its values keep their places.
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::new(&name, "", format!("cannot read the file: {e}")))?;
        let expr = hcl_edit::parser::parse_expr(text.trim_end()).map_err(|e| {
            let at = e.location();
            InputError::new(
                &name,
                format!("line {}, column {}", at.line(), at.column()),
                format!("not JSON: {}", e.message()),
            )
        })?;
        let file = Arc::new(SourceFile::new(path, text));
        let Expression::Object(object) = expr else {
            return Err(InputError::new(
                &name,
                "",
                "expected a JSON object of variable values",
            ));
        };
        object
            .iter()
            .map(|(key, value)| {
                let key = match key {
                    ObjectKey::Ident(ident) => ident.as_str().to_string(),
                    ObjectKey::Expression(e) => e.as_str().unwrap_or_default().to_string(),
                };
                let expr = Expr {
                    expr: value.expr().clone(),
                    file: file.clone(),
                };
                (key, expr)
            })
            .collect()
    } else {
        let (file, body) = parse_file(path)?;
        if let Some(block) = body.blocks().next() {
            return Err(InputError::new(
                &name,
                file.at(block)
                    .map_or(String::new(), |l| format!("line {}", l.line)),
                "a .tfvars file holds NAME = VALUE assignments, not blocks",
            ));
        }
        body.attributes()
            .map(|attribute| {
                let expr = Expr {
                    expr: attribute.value.clone(),
                    file: file.clone(),
                };
                (attribute.key.as_str().to_string(), expr)
            })
            .collect()
    };
    assignments
        .into_iter()
        .map(|(key, expr)| {
            let value = constant(&expr).map_err(|e| {
                let line = expr.at().map_or(0, |l| l.line);
                InputError::new(
                    &name,
                    format!("line {line}"),
                    format!(
                        "{key} = {} cannot be evaluated: {e} (a .tfvars file holds values, not references)",
                        expr.text()
                    ),
                )
            })?;
            Ok((key, value))
        })
        .collect()
}

/// `value` converted to the type `t` (an expression of `type_constraint`'s file).
fn convert(value: Value, t: &Expression, type_constraint: &Expr) -> Eval {
    if matches!(value.data, Data::Unknown(_) | Data::Null) {
        return Ok(value);
    }
    let at = value.at.clone();
    match t {
        Expression::Variable(name) => match name.as_str() {
            "string" => match &value.data {
                Data::String(_) => Ok(value),
                Data::Number(_) | Data::Bool(_) => {
                    Ok(Value::string(value.to_text().unwrap_or_default()).at(at))
                }
                _ => Err(format!("a {} is not a string", value.type_name())),
            },
            "number" => match &value.data {
                Data::Number(_) => Ok(value),
                Data::String(s) => s
                    .parse::<f64>()
                    .map(|n| Value::number(n).at(at))
                    .map_err(|_| format!("{s:?} is not a number")),
                _ => Err(format!("a {} is not a number", value.type_name())),
            },
            "bool" => match &value.data {
                Data::Bool(_) => Ok(value),
                Data::String(s) if &**s == "true" || &**s == "false" => {
                    Ok(Value::bool(&**s == "true").at(at))
                }
                _ => Err(format!("a {} is not a bool", value.type_name())),
            },
            _ => Ok(value),
        },
        Expression::FuncCall(call) => {
            let inner = call.args.get(0);
            let each = |items: &[Value]| -> Eval<Vec<Value>> {
                items
                    .iter()
                    .map(|item| match inner {
                        Some(inner) => convert(item.clone(), inner, type_constraint),
                        None => Ok(item.clone()),
                    })
                    .collect()
            };
            match (call.name.name.as_str(), &value.data) {
                ("list", Data::List(items) | Data::Set(items)) => {
                    Ok(Value::list(each(items)?).at(at))
                }
                ("set", Data::List(items) | Data::Set(items)) => {
                    Ok(Value::set(each(items)?).at(at))
                }
                ("map", Data::Object(map)) => Ok(Value::object(
                    map.iter()
                        .map(|(k, v)| {
                            let v = match inner {
                                Some(inner) => convert(v.clone(), inner, type_constraint)?,
                                None => v.clone(),
                            };
                            Ok((k.clone(), v))
                        })
                        .collect::<Eval<_>>()?,
                )
                .at(at)),
                ("object", Data::Object(map)) => {
                    let Some(Expression::Object(attributes)) = inner else {
                        return Ok(value);
                    };
                    let mut out = BTreeMap::new();
                    for (key, attribute) in attributes.iter() {
                        let key = match key {
                            ObjectKey::Ident(ident) => ident.as_str().to_string(),
                            ObjectKey::Expression(e) => type_constraint
                                .file
                                .text_of(e)
                                .trim_matches('"')
                                .to_string(),
                        };
                        let (attribute_type, optional) = match attribute.expr() {
                            Expression::FuncCall(f) if f.name.name.as_str() == "optional" => {
                                (f.args.get(0), Some(f.args.get(1)))
                            }
                            other => (Some(other), None),
                        };
                        let converted = match (map.get(&key), optional) {
                            (Some(v), _) => match attribute_type {
                                Some(t) => convert(v.clone(), t, type_constraint)?,
                                None => v.clone(),
                            },
                            (None, Some(Some(default))) => constant(&Expr {
                                expr: default.clone(),
                                file: type_constraint.file.clone(),
                            })?,
                            (None, Some(None)) => Value::null(),
                            (None, None) => {
                                return Err(format!("the attribute {key:?} is required"))
                            }
                        };
                        out.insert(key, converted);
                    }
                    Ok(Value::object(out).at(at))
                }
                ("tuple", _) | ("optional", _) => Ok(value),
                (kind, _) => Err(format!("a {} is not a {kind}", value.type_name())),
            }
        }
        _ => Ok(value),
    }
}
