//! Walking a configuration: the root module, its local modules once per instance, and the
//! contact and account resources of each, resolved statically.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::eval::{Eval, Instance, Key, Scope, ORGANIZATIONS_ACCOUNT};
use super::hcl::{load_module, Expr, Module, ModuleCall, Resource};
use super::value::{Data, Value};
use super::vars::{constant, convert_declared, root_values, Given};
use super::{AccountRef, Contact, CreatedAccount, Field, Resolved, CONTACT};
use crate::error::InputError;
use crate::inventory::{ContactField, ContactType};

/// Deepest nesting of module calls followed (a module that calls itself stops here).
const MAX_DEPTH: usize = 32;

/// Resolves the configuration whose root module is `dir`.
pub(crate) fn resolve(dir: &Path, given: &Given) -> Result<Resolved, InputError> {
    let root = load_module(dir)?;
    let vars = root_values(&root, given)?;
    let instance = Instance::new(&root, String::new(), vars, HashMap::new());
    let mut walk = Walk {
        modules: HashMap::new(),
        out: Resolved::default(),
    };
    walk.instance(&instance, 0)?;
    Ok(walk.out)
}

struct Walk {
    /// Modules loaded so far, by directory.
    modules: HashMap<PathBuf, Rc<Module>>,
    out: Resolved,
}

/// `dir/source` with `.` components dropped and `..` applied where it can be, as a user
/// would write the path.
fn join(dir: &Path, source: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for component in dir.join(source).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

impl Walk {
    fn module(&mut self, dir: PathBuf) -> Result<Rc<Module>, InputError> {
        if let Some(module) = self.modules.get(&dir) {
            return Ok(module.clone());
        }
        let module = Rc::new(load_module(&dir)?);
        self.modules.insert(dir, module.clone());
        Ok(module)
    }

    fn instance(&mut self, instance: &Instance<'_>, depth: usize) -> Result<(), InputError> {
        let scope = Scope::new(instance);
        for resource in &instance.module.resources {
            match resource.kind.as_str() {
                CONTACT => self.contacts(instance, scope, resource),
                ORGANIZATIONS_ACCOUNT => self.accounts(instance, scope, resource),
                _ => {}
            }
        }
        for call in &instance.module.module_calls {
            self.call(instance, scope, call, depth)?;
        }
        Ok(())
    }

    fn call(
        &mut self,
        instance: &Instance<'_>,
        scope: Scope<'_>,
        call: &ModuleCall,
        depth: usize,
    ) -> Result<(), InputError> {
        let prefix = if instance.address.is_empty() {
            format!("module.{}", call.name)
        } else {
            format!("{}.module.{}", instance.address, call.name)
        };
        if !(call.source.starts_with("./") || call.source.starts_with("../")) {
            self.out.warnings.push(format!(
                "{prefix}: source {:?} is not a local module: the resources it declares are not scanned; scan the plan's `terraform show -json` to include them",
                call.source
            ));
            return Ok(());
        }
        if depth >= MAX_DEPTH {
            return Err(InputError::new(
                instance.module.dir.display().to_string(),
                format!("module {:?}", call.name),
                format!("modules are nested deeper than {MAX_DEPTH} levels (does a module call itself?)"),
            ));
        }
        let module = self.module(join(&instance.module.dir, &call.source))?;
        let expansions = match scope.expand(call.count.as_ref(), call.for_each.as_ref()) {
            Ok(expanded) => expanded.into_vec(),
            Err(why) => {
                self.out
                    .contacts
                    .push(undetermined(prefix, why, call.at.clone()));
                return Ok(());
            }
        };
        for expansion in &expansions {
            let scope = scope.expanded(expansion);
            let mut vars = HashMap::new();
            for (name, variable) in &module.variables {
                let value = match (call.inputs.get(name), &variable.default) {
                    (Some(input), _) => scope.eval_expr(input).unwrap_or_else(Value::unknown),
                    (None, Some(default)) => constant(default).unwrap_or_else(Value::unknown),
                    (None, None) => Value::unknown(format!(
                        "{prefix} does not set the module's input {name:?}, which has no default"
                    )),
                };
                vars.insert(
                    name.clone(),
                    convert_declared(value, variable.type_constraint.as_ref()),
                );
            }
            let resolve = |key: &str| {
                instance
                    .providers
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| key.to_string())
            };
            let mut providers = HashMap::from([("aws".to_string(), resolve("aws"))]);
            for (inner, outer) in &call.providers {
                providers.insert(inner.clone(), resolve(outer));
            }
            let child = Instance::new(
                &module,
                format!("{prefix}{}", expansion.key.suffix()),
                vars,
                providers,
            );
            self.instance(&child, depth + 1)?;
        }
        Ok(())
    }

    fn contacts(&mut self, instance: &Instance<'_>, scope: Scope<'_>, resource: &Resource) {
        let expansions = match scope.expand(resource.count.as_ref(), resource.for_each.as_ref()) {
            Ok(expanded) => expanded.into_vec(),
            Err(why) => {
                let address = instance.resource_address(resource, &Key::None);
                self.out
                    .contacts
                    .push(undetermined(address, why, resource.at.clone()));
                return;
            }
        };
        for expansion in &expansions {
            let scope = scope.expanded(expansion);
            let address = instance.resource_address(resource, &expansion.key);
            let argument = |name: &str| resource.arguments.get(name);
            let contact_type = match argument("alternate_contact_type") {
                None => Err("alternate_contact_type is not set".to_string()),
                Some(expr) => match scope.eval_expr(expr) {
                    Ok(Value {
                        data: Data::String(s),
                        ..
                    }) => s.parse::<ContactType>(),
                    Ok(Value {
                        data: Data::Unknown(unknown),
                        ..
                    }) => Err(explain(expr, &unknown.why)),
                    Ok(other) => Err(format!(
                        "alternate_contact_type = {} is {other}, not a string",
                        expr.text()
                    )),
                    Err(e) => Err(format!("{} cannot be evaluated: {e}", expr.text())),
                },
            };
            let account = match argument("account_id").map(|expr| (expr, scope.eval_expr(expr))) {
                None => AccountRef::Provider(instance.provider_of(resource)),
                Some((
                    _,
                    Ok(Value {
                        data: Data::Null, ..
                    }),
                )) => AccountRef::Provider(instance.provider_of(resource)),
                Some((expr, Ok(value))) => match &value.data {
                    Data::String(id) => AccountRef::Id(id.to_string()),
                    Data::Unknown(unknown) => match &unknown.account {
                        Some(created) => AccountRef::Created(created.to_string()),
                        None => AccountRef::Unknown(explain(expr, &unknown.why)),
                    },
                    _ => AccountRef::Unknown(format!(
                        "account_id = {} is {value}, not a string",
                        expr.text()
                    )),
                },
                Some((expr, Err(e))) => {
                    AccountRef::Unknown(format!("{} cannot be evaluated: {e}", expr.text()))
                }
            };
            let fields = ContactField::ALL.map(|field| match argument(field.as_str()) {
                None => Field {
                    value: Err(format!("{} is not set", field.as_str())),
                    at: None,
                },
                Some(expr) => field_value(scope, expr),
            });
            self.out.contacts.push(Contact {
                address,
                account,
                contact_type,
                fields,
                declared_at: resource.at.clone(),
            });
        }
    }

    fn accounts(&mut self, instance: &Instance<'_>, scope: Scope<'_>, resource: &Resource) {
        let expanded = scope.expand(resource.count.as_ref(), resource.for_each.as_ref());
        let expansions = match expanded {
            Ok(expanded) => expanded.into_vec(),
            Err(why) => {
                self.out.accounts.push(CreatedAccount {
                    address: instance.resource_address(resource, &Key::None),
                    name: None,
                    email: None,
                    at: resource.at.clone(),
                    undetermined: Some(why),
                });
                return;
            }
        };
        for expansion in &expansions {
            let scope = scope.expanded(expansion);
            let text = |name: &str| {
                let value = scope.eval_expr(resource.arguments.get(name)?).ok()?;
                value.to_text().map(|s| s.to_string())
            };
            self.out.accounts.push(CreatedAccount {
                address: instance.resource_address(resource, &expansion.key),
                name: text("name"),
                email: text("email"),
                at: resource.at.clone(),
                undetermined: None,
            });
        }
    }
}

/// A contact whose instances or type are not known: its rules give ERROR.
fn undetermined(address: String, why: String, at: Option<crate::inventory::Location>) -> Contact {
    Contact {
        address,
        account: AccountRef::Unknown(why.clone()),
        contact_type: Err(why.clone()),
        fields: ContactField::ALL.map(|_| Field {
            value: Err(why.clone()),
            at: None,
        }),
        declared_at: at,
    }
}

/// Why the value of `expr` is unknown: the expression, then the reason.
fn explain(expr: &Expr, why: &str) -> String {
    let text = expr.text();
    if why.starts_with(text) {
        why.to_string()
    } else {
        format!("{text}: {why}")
    }
}

/// A contact field's value and where it is written (where the value comes from, else the
/// argument's expression).
fn field_value(scope: Scope<'_>, expr: &Expr) -> Field {
    let evaluated: Eval = scope.eval_expr(expr);
    match evaluated {
        Err(e) => Field {
            value: Err(format!("{} cannot be evaluated: {e}", expr.text())),
            at: expr.at(),
        },
        Ok(value) => {
            let at = value.at.clone().or_else(|| expr.at());
            let value = match &value.data {
                Data::String(s) => Ok(s.to_string()),
                Data::Number(_) | Data::Bool(_) => {
                    Ok(value.to_text().unwrap_or_default().to_string())
                }
                Data::Unknown(unknown) => Err(explain(expr, &unknown.why)),
                Data::Null => Err(format!(
                    "{} is null: Terraform requires a value",
                    expr.text()
                )),
                _ => Err(format!("{} is {value}, not a string", expr.text())),
            };
            Field { value, at }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::join;
    use std::path::Path;

    #[test]
    fn module_paths_read_as_written() {
        assert_eq!(
            join(Path::new("infra"), "./modules/acct"),
            Path::new("infra/modules/acct")
        );
        assert_eq!(
            join(Path::new("infra/env"), "../modules/acct"),
            Path::new("infra/modules/acct")
        );
        assert_eq!(join(Path::new("."), "../shared"), Path::new("../shared"));
    }
}
