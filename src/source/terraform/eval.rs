//! Static evaluation of HCL expressions: what Terraform could know before apply, and an
//! [`Unknown`](super::value::Unknown) naming the expression for everything else.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, ObjectKey, TraversalOperator, UnaryOperator,
};
use hcl_edit::template::{Directive, Element, Template};

use super::functions;
use super::hcl::{Expr, Module, Resource, SourceFile};
use super::value::{Data, Unknown, Value};

/// The resource type of accounts a configuration creates.
pub(crate) const ORGANIZATIONS_ACCOUNT: &str = "aws_organizations_account";

/// What resolves a value that static evaluation cannot know.
pub(crate) const SCAN_THE_PLAN: &str =
    "scan the plan instead (`terraform show -json plan.out > plan.json`, then --terraform plan.json)";

/// An evaluation error: Terraform would refuse the configuration (or the evaluator does not
/// follow it); the rules that read the value give ERROR with this text.
pub(crate) type Eval<T = Value> = Result<T, String>;

/// One instance of a module: its declarations, input values and evaluated locals.
pub(crate) struct Instance<'m> {
    pub(crate) module: &'m Module,
    /// `""` for the root module, else `module.acct["prod"]` (and nested calls after it).
    pub(crate) address: String,
    pub(crate) vars: HashMap<String, Value>,
    /// The module's provider configurations → the root module's (`aws` → `aws.prod`).
    pub(crate) providers: HashMap<String, String>,
    locals: RefCell<HashMap<String, Option<Eval>>>,
    accounts: RefCell<HashMap<String, Value>>,
    /// Locals being evaluated inside one another now.
    local_depth: std::cell::Cell<usize>,
}

/// Locals that may refer to one another in a chain before the chain is refused (evaluation
/// recurses along it).
const MAX_LOCAL_DEPTH: usize = 256;
/// Instances `count` or `for_each` may make of one resource or module.
const MAX_INSTANCES: usize = 100_000;

impl<'m> Instance<'m> {
    pub(crate) fn new(
        module: &'m Module,
        address: String,
        vars: HashMap<String, Value>,
        providers: HashMap<String, String>,
    ) -> Instance<'m> {
        Instance {
            module,
            address,
            vars,
            providers,
            locals: RefCell::new(HashMap::new()),
            accounts: RefCell::new(HashMap::new()),
            local_depth: std::cell::Cell::new(0),
        }
    }

    /// The address of a resource instance of this module instance.
    pub(crate) fn resource_address(&self, resource: &Resource, key: &Key) -> String {
        let prefix = if self.address.is_empty() {
            String::new()
        } else {
            format!("{}.", self.address)
        };
        format!(
            "{prefix}{}.{}{}",
            resource.kind,
            resource.name,
            key.suffix()
        )
    }

    /// The root provider configuration a resource of this module uses.
    pub(crate) fn provider_of(&self, resource: &Resource) -> String {
        let local = resource
            .provider
            .clone()
            .unwrap_or_else(|| "aws".to_string());
        self.providers.get(&local).cloned().unwrap_or(local)
    }

    fn local(&self, name: &str) -> Eval {
        if let Some(state) = self.locals.borrow().get(name) {
            return state
                .clone()
                .unwrap_or_else(|| Err(format!("local.{name} refers to itself")));
        }
        let Some(expr) = self.module.locals.get(name) else {
            return Err(format!("no local value {name:?} is declared"));
        };
        if self.local_depth.get() >= MAX_LOCAL_DEPTH {
            return Err(format!(
                "local.{name} is at the end of a chain of more than {MAX_LOCAL_DEPTH} locals \
                 referring to one another; not evaluated statically (scan the plan instead)"
            ));
        }
        self.locals.borrow_mut().insert(name.to_string(), None);
        self.local_depth.set(self.local_depth.get() + 1);
        let value = Scope::new(self).eval_expr(expr);
        self.local_depth.set(self.local_depth.get() - 1);
        self.locals
            .borrow_mut()
            .insert(name.to_string(), Some(value.clone()));
        value
    }

    /// `aws_organizations_account.NAME`: its arguments as declared, its `id` and `arn` unknown
    /// but naming the account they belong to.
    fn organizations_account(&self, resource: &Resource) -> Value {
        if let Some(value) = self.accounts.borrow().get(&resource.name) {
            return value.clone();
        }
        // Read while its own arguments are evaluated: a reference to itself.
        self.accounts.borrow_mut().insert(
            resource.name.clone(),
            Value::unknown(format!(
                "{} refers to itself",
                self.resource_address(resource, &Key::None)
            )),
        );
        let scope = Scope::new(self);
        let instance = |expansion: &Expansion| {
            let address = self.resource_address(resource, &expansion.key);
            let scope = scope.expanded(expansion);
            let mut attributes: BTreeMap<String, Value> = resource
                .arguments
                .iter()
                .map(|(name, expr)| {
                    let value = scope.eval_expr(expr).unwrap_or_else(Value::unknown);
                    (name.clone(), value)
                })
                .collect();
            for attribute in ["id", "arn"] {
                attributes.insert(
                    attribute.to_string(),
                    Value::new(Data::Unknown(Unknown {
                        why: Arc::from(format!(
                            "{address}.{attribute} is the id of an account created on apply"
                        )),
                        account: Some(Arc::from(address.as_str())),
                    })),
                );
            }
            Value::object(attributes)
        };
        let value = match scope.expand(resource.count.as_ref(), resource.for_each.as_ref()) {
            Err(why) => Value::unknown(why),
            Ok(Expanded::Single(expansion)) => instance(&expansion),
            Ok(Expanded::Count(expansions)) => {
                Value::list(expansions.iter().map(instance).collect())
            }
            Ok(Expanded::ForEach(expansions)) => Value::object(
                expansions
                    .iter()
                    .map(|e| (e.key.name().to_string(), instance(e)))
                    .collect(),
            ),
        };
        self.accounts
            .borrow_mut()
            .insert(resource.name.clone(), value.clone());
        value
    }
}

/// An instance key: none, `[0]` (count) or `["prod"]` (for_each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    None,
    Index(usize),
    Name(String),
}

impl Key {
    /// The address suffix, as Terraform writes it.
    pub(crate) fn suffix(&self) -> String {
        match self {
            Key::None => String::new(),
            Key::Index(i) => format!("[{i}]"),
            Key::Name(name) => format!("[{}]", serde_json::Value::from(name.as_str())),
        }
    }

    fn name(&self) -> &str {
        match self {
            Key::Name(name) => name,
            _ => "",
        }
    }
}

/// One instance of a resource or module call: its key and `each` or `count`.
#[derive(Debug, Clone)]
pub(crate) struct Expansion {
    pub(crate) key: Key,
    each: Option<(Value, Value)>,
    count: Option<Value>,
}

/// The instances `count` or `for_each` make.
pub(crate) enum Expanded {
    Single(Box<Expansion>),
    Count(Vec<Expansion>),
    ForEach(Vec<Expansion>),
}

impl Expanded {
    pub(crate) fn into_vec(self) -> Vec<Expansion> {
        match self {
            Expanded::Single(expansion) => vec![*expansion],
            Expanded::Count(expansions) | Expanded::ForEach(expansions) => expansions,
        }
    }
}

/// The variables one iteration of a `for` binds (its value, and its key when it names one),
/// in a chain.
struct Binding<'a> {
    key: Option<(&'a str, Value)>,
    name: &'a str,
    value: Value,
    parent: Option<&'a Binding<'a>>,
}

/// Where an expression is evaluated: the module instance, `each` or `count`, the file it is
/// written in, and the variables of enclosing `for` expressions.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    instance: &'a Instance<'a>,
    file: Option<&'a Arc<SourceFile>>,
    each: Option<&'a (Value, Value)>,
    count: Option<&'a Value>,
    bindings: Option<&'a Binding<'a>>,
}

impl<'a> Scope<'a> {
    pub(crate) fn new(instance: &'a Instance<'a>) -> Scope<'a> {
        Scope {
            instance,
            file: None,
            each: None,
            count: None,
            bindings: None,
        }
    }

    /// This scope with the `each` or `count` of an instance.
    pub(crate) fn expanded(self, expansion: &'a Expansion) -> Scope<'a> {
        Scope {
            each: expansion.each.as_ref(),
            count: expansion.count.as_ref(),
            ..self
        }
    }

    /// Evaluates an expression of a file.
    pub(crate) fn eval_expr(self, expr: &'a Expr) -> Eval {
        Scope {
            file: Some(&expr.file),
            ..self
        }
        .eval(&expr.expr)
    }

    /// The instances of a resource or module call; `Err` says why they are not known.
    pub(crate) fn expand(
        self,
        count: Option<&'a Expr>,
        for_each: Option<&'a Expr>,
    ) -> Eval<Expanded> {
        if let Some(count) = count {
            let value = self.eval_expr(count)?;
            let n = match &value.data {
                Data::Number(n) if *n > MAX_INSTANCES as f64 && n.fract() == 0.0 => {
                    return Err(format!(
                        "count = {} is {n}, more instances than contactscan evaluates \
                         ({MAX_INSTANCES}); scan the plan instead",
                        count.text()
                    ))
                }
                Data::Number(n) if *n >= 0.0 && n.fract() == 0.0 => *n as usize,
                Data::Unknown(unknown) => {
                    return Err(format!(
                        "count = {} is not known: {}",
                        count.text(),
                        unknown.why
                    ))
                }
                _ => {
                    return Err(format!(
                        "count = {} is {value}, not a whole number",
                        count.text()
                    ))
                }
            };
            return Ok(Expanded::Count(
                (0..n)
                    .map(|i| Expansion {
                        key: Key::Index(i),
                        each: None,
                        count: Some(Value::number(i as f64)),
                    })
                    .collect(),
            ));
        }
        let Some(for_each) = for_each else {
            return Ok(Expanded::Single(Box::new(Expansion {
                key: Key::None,
                each: None,
                count: None,
            })));
        };
        let value = self.eval_expr(for_each)?;
        let pairs: Vec<(String, Value)> = match &value.data {
            Data::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Data::Set(items) => items
                .iter()
                .map(|item| match &item.data {
                    Data::String(s) => Ok((s.to_string(), item.clone())),
                    _ => Err(format!(
                        "for_each = {} is a set of {}, not of strings",
                        for_each.text(),
                        item.type_name()
                    )),
                })
                .collect::<Eval<_>>()?,
            Data::Unknown(unknown) => {
                return Err(format!(
                    "for_each = {} is not known: {}",
                    for_each.text(),
                    unknown.why
                ))
            }
            _ => {
                return Err(format!(
                    "for_each = {} is a {}: Terraform needs a map or a set of strings (toset())",
                    for_each.text(),
                    value.type_name()
                ))
            }
        };
        Ok(Expanded::ForEach(
            pairs
                .into_iter()
                .map(|(key, value)| Expansion {
                    each: Some((Value::string(key.as_str()), value)),
                    key: Key::Name(key),
                    count: None,
                })
                .collect(),
        ))
    }

    /// Where a node of this scope's file is written.
    pub(crate) fn at(&self, node: &impl hcl_edit::Span) -> Option<crate::inventory::Location> {
        self.file.and_then(|file| file.at(node))
    }

    /// The source text of a node, for messages.
    pub(crate) fn text(&self, node: &impl hcl_edit::Span) -> String {
        self.file
            .map_or_else(String::new, |file| file.text_of(node).to_string())
    }

    fn binding(&self, name: &str) -> Option<&Value> {
        let mut binding = self.bindings;
        while let Some(b) = binding {
            if b.name == name {
                return Some(&b.value);
            }
            if let Some((key_name, key)) = &b.key {
                if *key_name == name {
                    return Some(key);
                }
            }
            binding = b.parent;
        }
        None
    }

    /// Evaluates an expression of this scope's file.
    pub(crate) fn eval(&self, expr: &Expression) -> Eval {
        let at = || self.at(expr);
        Ok(match expr {
            Expression::Null(_) => Value::null().at(at()),
            Expression::Bool(b) => Value::bool(*b.value()).at(at()),
            Expression::Number(n) => Value::number(n.value().as_f64().unwrap_or(f64::NAN)).at(at()),
            Expression::String(s) => Value::string(s.value().as_str()).at(at()),
            Expression::Array(items) => Value::list(
                items
                    .iter()
                    .map(|item| self.eval(item))
                    .collect::<Eval<_>>()?,
            )
            .at(at()),
            Expression::Object(object) => {
                let mut map = BTreeMap::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_string(),
                        ObjectKey::Expression(expr) => {
                            let key = self.eval(expr)?;
                            if let Data::Unknown(_) = key.data {
                                return Ok(key);
                            }
                            key.to_text()
                                .ok_or_else(|| format!("an object key is a {}", key.type_name()))?
                                .to_string()
                        }
                    };
                    map.insert(key, self.eval(value.expr())?);
                }
                Value::object(map).at(at())
            }
            Expression::StringTemplate(template) => self.template(template, at())?,
            // The parser has already stripped the indentation of a `<<-` heredoc.
            Expression::HeredocTemplate(heredoc) => self.template(&heredoc.template, at())?,
            Expression::Parenthesis(inner) => self.eval(inner.inner())?,
            Expression::Variable(name) => match self.binding(name.as_str()) {
                Some(value) => value.clone(),
                None => return Err(format!("{} is not a value", name.as_str())),
            },
            Expression::Conditional(conditional) => {
                let condition = self.eval(&conditional.cond_expr)?;
                match condition.data {
                    Data::Bool(true) => self.eval(&conditional.true_expr)?,
                    Data::Bool(false) => self.eval(&conditional.false_expr)?,
                    Data::Unknown(_) => condition,
                    _ => {
                        return Err(format!(
                            "the condition {} is a {}, not a bool",
                            self.text(&conditional.cond_expr),
                            condition.type_name()
                        ))
                    }
                }
            }
            Expression::FuncCall(call) => functions::call(self, call, expr)?,
            Expression::Traversal(traversal) => {
                self.traversal(&traversal.expr, &traversal.operators, expr)?
            }
            Expression::UnaryOp(op) => {
                let value = self.eval(&op.expr)?;
                match (op.operator.value(), &value.data) {
                    (_, Data::Unknown(_)) => value,
                    (UnaryOperator::Not, Data::Bool(b)) => Value::bool(!b),
                    (UnaryOperator::Neg, Data::Number(n)) => Value::number(-n),
                    (operator, _) => {
                        return Err(format!(
                            "{} cannot apply to a {}",
                            operator.as_str(),
                            value.type_name()
                        ))
                    }
                }
            }
            Expression::BinaryOp(op) => {
                let lhs = self.eval(&op.lhs_expr)?;
                let rhs = self.eval(&op.rhs_expr)?;
                binary(*op.operator.value(), lhs, rhs)?
            }
            Expression::ForExpr(for_expr) => self.for_expr(for_expr, at())?,
        })
    }

    fn template(&self, template: &Template, at: Option<crate::inventory::Location>) -> Eval {
        // "${x}" alone is x itself, not its string form.
        if let Some(Element::Interpolation(interpolation)) = template.as_single_element() {
            return self.eval(&interpolation.expr);
        }
        let mut out = String::new();
        if let Some(unknown) = self.render(template, &mut out)? {
            return Ok(unknown);
        }
        Ok(Value::string(out).at(at))
    }

    /// Appends a template's text to `out`; `Some` with an unknown value it depends on.
    fn render(&self, template: &Template, out: &mut String) -> Eval<Option<Value>> {
        for element in template.iter() {
            match element {
                Element::Literal(text) => out.push_str(text.value()),
                Element::Interpolation(interpolation) => {
                    let value = self.eval(&interpolation.expr)?;
                    if let Data::Unknown(_) = value.data {
                        return Ok(Some(value));
                    }
                    let text = value.to_text().ok_or_else(|| {
                        format!(
                            "{} is a {} and cannot be written into a string",
                            self.text(&interpolation.expr),
                            value.type_name()
                        )
                    })?;
                    out.push_str(&text);
                }
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(directive) => {
                        let condition = self.eval(&directive.if_expr.cond_expr)?;
                        match condition.data {
                            Data::Bool(true) => {
                                if let Some(unknown) =
                                    self.render(&directive.if_expr.template, out)?
                                {
                                    return Ok(Some(unknown));
                                }
                            }
                            Data::Bool(false) => {
                                if let Some(otherwise) = &directive.else_expr {
                                    if let Some(unknown) = self.render(&otherwise.template, out)? {
                                        return Ok(Some(unknown));
                                    }
                                }
                            }
                            Data::Unknown(_) => return Ok(Some(condition)),
                            _ => return Err("a template's %{if} condition is not a bool".into()),
                        }
                    }
                    Directive::For(directive) => {
                        let f = &directive.for_expr;
                        let collection = self.eval(&f.collection_expr)?;
                        let key_var = f.key_var.as_ref().map(|k| k.as_str());
                        for (key, value) in self.pairs(collection)? {
                            let binding = Binding {
                                key: key_var.map(|name| (name, key)),
                                name: f.value_var.as_str(),
                                value,
                                parent: self.bindings,
                            };
                            let inner = Scope {
                                bindings: Some(&binding),
                                ..*self
                            };
                            if let Some(unknown) = inner.render(&f.template, out)? {
                                return Ok(Some(unknown));
                            }
                        }
                    }
                },
            }
        }
        Ok(None)
    }

    /// The key and value of each element of a collection a `for` iterates; an unknown
    /// collection is an error carrying its reason.
    fn pairs(&self, collection: Value) -> Eval<Vec<(Value, Value)>> {
        match &collection.data {
            Data::List(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::number(i as f64), v.clone()))
                .collect()),
            Data::Set(items) => Ok(items.iter().map(|v| (v.clone(), v.clone())).collect()),
            Data::Object(map) => Ok(map
                .iter()
                .map(|(k, v)| (Value::string(k.as_str()), v.clone()))
                .collect()),
            Data::Unknown(unknown) => Err(unknown.why.to_string()),
            _ => Err(format!("cannot iterate over a {}", collection.type_name())),
        }
    }

    fn for_expr(&self, f: &ForExpr, at: Option<crate::inventory::Location>) -> Eval {
        let collection = self.eval(&f.intro.collection_expr)?;
        if let Data::Unknown(_) = collection.data {
            return Ok(collection);
        }
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str());
        let mut list = Vec::new();
        let mut object: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (key, value) in self.pairs(collection)? {
            let binding = Binding {
                key: key_var.map(|name| (name, key)),
                name: f.intro.value_var.as_str(),
                value,
                parent: self.bindings,
            };
            let inner = Scope {
                bindings: Some(&binding),
                ..*self
            };
            if let Some(condition) = &f.cond {
                let keep = inner.eval(&condition.expr)?;
                match keep.data {
                    Data::Bool(true) => {}
                    Data::Bool(false) => continue,
                    Data::Unknown(_) => return Ok(keep),
                    _ => return Err("a for expression's if condition is not a bool".into()),
                }
            }
            let value = inner.eval(&f.value_expr)?;
            match &f.key_expr {
                None => list.push(value),
                Some(key_expr) => {
                    let key = inner.eval(key_expr)?;
                    if let Data::Unknown(_) = key.data {
                        return Ok(key);
                    }
                    let key = key
                        .to_text()
                        .ok_or_else(|| format!("a for expression's key is a {}", key.type_name()))?
                        .to_string();
                    if f.grouping {
                        groups.entry(key).or_default().push(value);
                    } else if object.insert(key.clone(), value).is_some() {
                        return Err(format!(
                            "the for expression makes the key {key:?} twice (add ... to group)"
                        ));
                    }
                }
            }
        }
        Ok(match &f.key_expr {
            None => Value::list(list),
            Some(_) if f.grouping => Value::object(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::list(v)))
                    .collect(),
            ),
            Some(_) => Value::object(object),
        }
        .at(at))
    }

    /// A name and the traversal after it: `var.x`, `local.y[0]`, `each.value.email`...
    fn traversal(
        &self,
        root: &Expression,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        whole: &Expression,
    ) -> Eval {
        let attribute = |i: usize| match operators.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
            _ => None,
        };
        let text = || self.text(whole);
        let (base, rest) = match root {
            Expression::Variable(name) if self.binding(name.as_str()).is_none() => {
                let name = name.as_str();
                match name {
                    "var" => {
                        let var = attribute(0).ok_or("var needs a name: var.NAME")?;
                        let value = self
                            .instance
                            .vars
                            .get(var)
                            .cloned()
                            .ok_or_else(|| format!("no variable {var:?} is declared"))?;
                        (value, &operators[1..])
                    }
                    "local" => {
                        let local = attribute(0).ok_or("local needs a name: local.NAME")?;
                        (self.instance.local(local)?, &operators[1..])
                    }
                    "each" => {
                        let (key, value) = self
                            .each
                            .ok_or("each is only defined in a block with for_each")?;
                        match attribute(0) {
                            Some("key") => (key.clone(), &operators[1..]),
                            Some("value") => (value.clone(), &operators[1..]),
                            _ => return Err("each has key and value".into()),
                        }
                    }
                    "count" => {
                        let index = self
                            .count
                            .ok_or("count.index is only defined in a block with count")?;
                        match attribute(0) {
                            Some("index") => (index.clone(), &operators[1..]),
                            _ => return Err("count has index".into()),
                        }
                    }
                    "path" => {
                        let dir = self.instance.module.dir.display().to_string();
                        match attribute(0) {
                            Some("module" | "root" | "cwd") => {
                                (Value::string(dir), &operators[1..])
                            }
                            _ => return Err("path has module, root and cwd".into()),
                        }
                    }
                    "terraform" => match attribute(0) {
                        Some("workspace") => (Value::string("default"), &operators[1..]),
                        _ => return Err("terraform has workspace".into()),
                    },
                    "data" => {
                        return Ok(Value::unknown(format!(
                            "{} is read from the provider during the plan; {SCAN_THE_PLAN}",
                            text()
                        )))
                    }
                    "module" => {
                        return Ok(Value::unknown(format!(
                            "{} is a module output, not evaluated statically; {SCAN_THE_PLAN}",
                            text()
                        )))
                    }
                    kind => {
                        let resource =
                            attribute(0).and_then(|n| self.instance.module.resource(kind, n));
                        match resource {
                            Some(resource) if kind == ORGANIZATIONS_ACCOUNT => (
                                self.instance.organizations_account(resource),
                                &operators[1..],
                            ),
                            Some(_) => {
                                return Ok(Value::unknown(format!(
                                    "{} is an attribute of a resource, known after apply; {SCAN_THE_PLAN}",
                                    text()
                                )))
                            }
                            None => return Err(format!("{} is not declared", text())),
                        }
                    }
                }
            }
            _ => (self.eval(root)?, operators),
        };
        self.operate(base, rest)
    }

    fn operate(
        &self,
        mut value: Value,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> Eval {
        for (i, operator) in operators.iter().enumerate() {
            if let Data::Unknown(_) = value.data {
                return Ok(value);
            }
            value = match operator.value() {
                TraversalOperator::GetAttr(name) => match &value.data {
                    Data::Object(map) => map.get(name.as_str()).cloned().ok_or_else(|| {
                        format!("the object has no attribute {:?}", name.as_str())
                    })?,
                    _ => {
                        return Err(format!(
                            "cannot read .{} of a {}",
                            name.as_str(),
                            value.type_name()
                        ))
                    }
                },
                TraversalOperator::Index(index) => {
                    let index = self.eval(index)?;
                    index_of(&value, &index)?
                }
                TraversalOperator::LegacyIndex(index) => {
                    index_of(&value, &Value::number(*index.value() as f64))?
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items: Vec<Value> = match &value.data {
                        Data::List(items) | Data::Set(items) => items.to_vec(),
                        Data::Null => Vec::new(),
                        _ => vec![value.clone()],
                    };
                    let rest = &operators[i + 1..];
                    return Ok(Value::list(
                        items
                            .into_iter()
                            .map(|item| self.operate(item, rest))
                            .collect::<Eval<_>>()?,
                    ));
                }
            };
        }
        Ok(value)
    }
}

/// `collection[index]`.
pub(crate) fn index_of(collection: &Value, index: &Value) -> Eval {
    if let Data::Unknown(_) = index.data {
        return Ok(index.clone());
    }
    match (&collection.data, &index.data) {
        (Data::List(items), Data::Number(n)) => items
            .get(*n as usize)
            .filter(|_| *n >= 0.0 && n.fract() == 0.0)
            .cloned()
            .ok_or_else(|| format!("index {n} is out of range ({} elements)", items.len())),
        (Data::Object(map), _) => {
            let key = index
                .to_text()
                .ok_or_else(|| format!("a map key is a {}", index.type_name()))?;
            map.get(key.as_ref())
                .cloned()
                .ok_or_else(|| format!("the map has no key {key:?}"))
        }
        _ => Err(format!(
            "cannot index a {} with a {}",
            collection.type_name(),
            index.type_name()
        )),
    }
}

fn binary(operator: BinaryOperator, lhs: Value, rhs: Value) -> Eval {
    for side in [&lhs, &rhs] {
        if let Data::Unknown(_) = side.data {
            return Ok(side.clone());
        }
    }
    let number = |v: &Value| match &v.data {
        Data::Number(n) => Ok(*n),
        Data::String(s) => s
            .parse::<f64>()
            .map_err(|_| format!("{s:?} is not a number")),
        _ => Err(format!("a {} is not a number", v.type_name())),
    };
    let boolean = |v: &Value| match &v.data {
        Data::Bool(b) => Ok(*b),
        _ => Err(format!("a {} is not a bool", v.type_name())),
    };
    Ok(match operator {
        BinaryOperator::Eq => Value::bool(lhs.equals(&rhs)),
        BinaryOperator::NotEq => Value::bool(!lhs.equals(&rhs)),
        BinaryOperator::And => Value::bool(boolean(&lhs)? && boolean(&rhs)?),
        BinaryOperator::Or => Value::bool(boolean(&lhs)? || boolean(&rhs)?),
        BinaryOperator::Less => Value::bool(number(&lhs)? < number(&rhs)?),
        BinaryOperator::LessEq => Value::bool(number(&lhs)? <= number(&rhs)?),
        BinaryOperator::Greater => Value::bool(number(&lhs)? > number(&rhs)?),
        BinaryOperator::GreaterEq => Value::bool(number(&lhs)? >= number(&rhs)?),
        BinaryOperator::Plus => Value::number(number(&lhs)? + number(&rhs)?),
        BinaryOperator::Minus => Value::number(number(&lhs)? - number(&rhs)?),
        BinaryOperator::Mul => Value::number(number(&lhs)? * number(&rhs)?),
        BinaryOperator::Div => Value::number(number(&lhs)? / number(&rhs)?),
        BinaryOperator::Mod => Value::number(number(&lhs)? % number(&rhs)?),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::source::terraform::hcl::Module;

    /// Evaluates `text` in a module whose only local is `l`.
    fn eval(text: &str) -> Eval {
        let file = Arc::new(SourceFile::new(Path::new("t.tf"), text.to_string()));
        let local = |source: &str| Expr {
            expr: hcl_edit::parser::parse_expr(source).unwrap(),
            file: file.clone(),
        };
        let module = Module {
            locals: HashMap::from([(
                "l".to_string(),
                local(
                    r#"{ a = { email = "a@corp.com", on = true }, b = { email = "b@corp.com", on = false } }"#,
                ),
            )]),
            ..Module::empty(Default::default())
        };
        let instance = Instance::new(&module, String::new(), HashMap::new(), HashMap::new());
        let expr = local(text);
        Scope::new(&instance).eval_expr(&expr)
    }

    fn text(source: &str) -> String {
        match eval(source).unwrap().data {
            Data::String(s) => s.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn expressions_evaluate_as_terraform_does() {
        assert_eq!(text(r#""${local.l.a.email}""#), "a@corp.com");
        assert_eq!(text(r#"local.l["b"].on ? "yes" : "no""#), "no");
        assert_eq!(
            text(r#"join(",", [for k, v in local.l : v.email if v.on])"#),
            "a@corp.com"
        );
        assert_eq!(
            text(r#"join(",", values(local.l)[*].email)"#),
            "a@corp.com,b@corp.com"
        );
        assert_eq!(
            text(r#""%{ if local.l.a.on }on%{ else }off%{ endif }""#),
            "on"
        );
        assert_eq!(text(r#""%{ for k, v in local.l }${k}%{ endfor }""#), "ab");
        assert_eq!(text(r#"try(local.l.c.email, "none")"#), "none");
        assert_eq!(text(r#"tostring(1 + 2 * 3)"#), "7");
        assert_eq!(text("<<-EOT\n    soc@corp.com\n    EOT"), "soc@corp.com\n");
        let grouped = eval(r#"{ for k, v in local.l : v.on => k... }"#).unwrap();
        assert_eq!(grouped.to_string(), r#"{false = ["b"], true = ["a"]}"#);
    }

    #[test]
    fn unknowns_propagate_and_errors_name_the_problem() {
        let unknown = eval(r#"upper("${data.aws_caller_identity.me.account_id}-x")"#).unwrap();
        let Data::Unknown(unknown) = unknown.data else {
            panic!("{unknown:?}")
        };
        assert!(unknown
            .why
            .starts_with("data.aws_caller_identity.me.account_id is read"));
        assert!(eval("local.l.c")
            .unwrap_err()
            .contains("no attribute \"c\""));
        assert!(eval("local.nope").unwrap_err().contains("no local value"));
    }
}
