//! Loading a module: the `.tf` files of a directory parsed with hcl-edit (which keeps the span
//! of every node), and the declarations the evaluator needs.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span;

use crate::error::InputError;
use crate::inventory::Location;

/// A file's text, to turn byte offsets into 1-based lines and columns.
#[derive(Debug)]
pub(crate) struct SourceFile {
    /// The path as the user named it (the directory given, joined with the file name).
    pub(crate) path: Arc<Path>,
    pub(crate) text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub(crate) fn new(path: &Path, text: String) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        SourceFile {
            path: Arc::from(path),
            text,
            line_starts,
        }
    }

    /// The location of a byte offset: 1-based line, and column in characters.
    pub(crate) fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|start| *start <= offset);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Location {
            file: self.path.clone(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: Some(u32::try_from(column).unwrap_or(u32::MAX)),
        }
    }

    /// Where a node of this file starts.
    pub(crate) fn at(&self, node: &impl Span) -> Option<Location> {
        node.span().map(|span| self.location(span.start))
    }

    /// The source text of a node, for messages.
    pub(crate) fn text_of(&self, node: &impl Span) -> &str {
        node.span()
            .and_then(|span| self.text.get(span))
            .map_or("", str::trim)
    }
}

/// An expression and the file it is written in.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub(crate) expr: Expression,
    pub(crate) file: Arc<SourceFile>,
}

impl Expr {
    /// The expression's source text.
    pub(crate) fn text(&self) -> &str {
        self.file.text_of(&self.expr)
    }

    pub(crate) fn at(&self) -> Option<Location> {
        self.file.at(&self.expr)
    }
}

/// A `variable` block.
#[derive(Debug)]
pub(crate) struct Variable {
    pub(crate) default: Option<Expr>,
    pub(crate) type_constraint: Option<Expr>,
}

/// A `resource` block.
#[derive(Debug)]
pub(crate) struct Resource {
    pub(crate) kind: String,
    pub(crate) name: String,
    /// Its arguments, meta-arguments left out.
    pub(crate) arguments: BTreeMap<String, Expr>,
    pub(crate) count: Option<Expr>,
    pub(crate) for_each: Option<Expr>,
    /// The `provider` meta-argument's text (`aws.security`).
    pub(crate) provider: Option<String>,
    pub(crate) at: Option<Location>,
}

/// A `module` block.
#[derive(Debug)]
pub(crate) struct ModuleCall {
    pub(crate) name: String,
    pub(crate) source: String,
    pub(crate) inputs: BTreeMap<String, Expr>,
    pub(crate) count: Option<Expr>,
    pub(crate) for_each: Option<Expr>,
    /// The `providers` map: the module's provider key → the caller's (`aws` → `aws.prod`).
    pub(crate) providers: Vec<(String, String)>,
    pub(crate) at: Option<Location>,
}

/// The declarations of one module directory.
#[derive(Debug)]
pub(crate) struct Module {
    /// The directory as the user would name it.
    pub(crate) dir: PathBuf,
    pub(crate) variables: BTreeMap<String, Variable>,
    pub(crate) locals: HashMap<String, Expr>,
    pub(crate) resources: Vec<Resource>,
    /// Where each `kind.name` is in `resources`.
    pub(crate) resource_index: HashMap<(String, String), usize>,
    pub(crate) module_calls: Vec<ModuleCall>,
}

impl Module {
    /// A module with nothing declared.
    pub(crate) fn empty(dir: PathBuf) -> Module {
        Module {
            dir,
            variables: BTreeMap::new(),
            locals: HashMap::new(),
            resources: Vec::new(),
            resource_index: HashMap::new(),
            module_calls: Vec::new(),
        }
    }

    /// Merges an override file's declarations into the ones they override, as Terraform
    /// does: each argument an override sets replaces the original's.
    fn apply(&mut self, changes: Module) {
        for (name, variable) in changes.variables {
            if let Some(original) = self.variables.get_mut(&name) {
                original.default = variable.default.or(original.default.take());
                original.type_constraint =
                    variable.type_constraint.or(original.type_constraint.take());
            }
        }
        self.locals.extend(changes.locals);
        for resource in changes.resources {
            let key = (resource.kind.clone(), resource.name.clone());
            let original = self
                .resource_index
                .get(&key)
                .map(|i| &mut self.resources[*i]);
            if let Some(original) = original {
                original.arguments.extend(resource.arguments);
                original.count = resource.count.or(original.count.take());
                original.for_each = resource.for_each.or(original.for_each.take());
                original.provider = resource.provider.or(original.provider.take());
            }
        }
        for call in changes.module_calls {
            if let Some(original) = self.module_calls.iter_mut().find(|c| c.name == call.name) {
                original.inputs.extend(call.inputs);
                if !call.source.is_empty() {
                    original.source = call.source;
                }
            }
        }
    }

    /// The resource `kind.name`, if declared.
    pub(crate) fn resource(&self, kind: &str, name: &str) -> Option<&Resource> {
        self.resource_index
            .get(&(kind.to_string(), name.to_string()))
            .map(|i| &self.resources[*i])
    }
}

/// Meta-arguments and nested blocks of a resource that are not its arguments.
const META: [&str; 5] = ["count", "for_each", "provider", "depends_on", "lifecycle"];

/// Reads and parses a file; a syntax error names the file, line and column.
pub(crate) fn parse_file(path: &Path) -> Result<(Arc<SourceFile>, Body), InputError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(&name, "", format!("cannot read the file: {e}")))?;
    let body = hcl_edit::parser::parse_body(&text).map_err(|e| {
        let at = e.location();
        InputError::new(
            &name,
            format!("line {}, column {}", at.line(), at.column()),
            format!("HCL syntax error: {}", e.message()),
        )
    })?;
    Ok((Arc::new(SourceFile::new(path, text)), body))
}

/// The `.tf` files of `dir`, in name order.
fn tf_files(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let name = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::new(
            &name,
            "",
            format!("cannot read the Terraform directory: {e}; give a directory of .tf files or a plan from `terraform show -json`"),
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tf") && path.is_file())
        .map(|path| dir.join(path.file_name().unwrap_or_default()))
        .collect();
    files.sort();
    Ok(files)
}

/// Loads the module of `dir` (as the user names it).
pub(crate) fn load_module(dir: &Path) -> Result<Module, InputError> {
    let files = tf_files(dir)?;
    if files.is_empty() {
        return Err(InputError::new(
            dir.display().to_string(),
            "",
            "no .tf files in this directory; give the root module of a configuration or a plan from `terraform show -json`",
        ));
    }
    let mut module = Module::empty(dir.to_path_buf());
    let is_override = |path: &PathBuf| {
        path.file_stem()
            .and_then(|stem| stem.to_str())
            .is_some_and(|stem| stem == "override" || stem.ends_with("_override"))
    };
    let (overrides, primary): (Vec<_>, Vec<_>) = files.into_iter().partition(is_override);
    for path in primary {
        let (file, body) = parse_file(&path)?;
        for block in body.blocks() {
            declare(&mut module, block, &file)?;
        }
    }
    for path in overrides {
        let (file, body) = parse_file(&path)?;
        let mut changes = Module::empty(module.dir.clone());
        for block in body.blocks() {
            declare(&mut changes, block, &file)?;
        }
        module.apply(changes);
    }
    Ok(module)
}

fn label(block: &Block, index: usize) -> &str {
    block.labels.get(index).map_or("", |l| l.as_str())
}

fn duplicate(file: &SourceFile, block: &Block, what: String) -> InputError {
    let at = file
        .at(block)
        .map_or(String::new(), |l| format!("line {}", l.line));
    InputError::new(
        file.path.display().to_string(),
        at,
        format!("{what} is declared twice"),
    )
}

fn declare(module: &mut Module, block: &Block, file: &Arc<SourceFile>) -> Result<(), InputError> {
    let expr = |expr: &Expression| Expr {
        expr: expr.clone(),
        file: file.clone(),
    };
    let attribute = |key: &str| block.body.get_attribute(key).map(|a| expr(&a.value));
    match block.ident.as_str() {
        "variable" => {
            let name = label(block, 0).to_string();
            let variable = Variable {
                default: attribute("default"),
                type_constraint: attribute("type"),
            };
            if module.variables.insert(name.clone(), variable).is_some() {
                return Err(duplicate(file, block, format!("variable {name:?}")));
            }
        }
        "locals" => {
            for attribute in block.body.attributes() {
                let name = attribute.key.as_str().to_string();
                if module
                    .locals
                    .insert(name.clone(), expr(&attribute.value))
                    .is_some()
                {
                    return Err(duplicate(file, block, format!("local.{name}")));
                }
            }
        }
        "resource" => {
            let (kind, name) = (label(block, 0).to_string(), label(block, 1).to_string());
            if module.resource(&kind, &name).is_some() {
                return Err(duplicate(file, block, format!("{kind}.{name}")));
            }
            let arguments = block
                .body
                .attributes()
                .filter(|a| !META.contains(&a.key.as_str()))
                .map(|a| (a.key.as_str().to_string(), expr(&a.value)))
                .collect();
            module
                .resource_index
                .insert((kind.clone(), name.clone()), module.resources.len());
            module.resources.push(Resource {
                kind,
                name,
                arguments,
                count: attribute("count"),
                for_each: attribute("for_each"),
                provider: attribute("provider").map(|p| p.text().to_string()),
                at: file.at(block),
            });
        }
        "module" => {
            let name = label(block, 0).to_string();
            let source = attribute("source")
                .and_then(|s| s.expr.as_str().map(str::to_string))
                .unwrap_or_default();
            let providers = attribute("providers")
                .and_then(|p| {
                    p.expr.as_object().map(|object| {
                        object
                            .iter()
                            .map(|(key, value)| {
                                let key = match key.as_ident() {
                                    Some(ident) => ident.as_str().to_string(),
                                    None => {
                                        key.as_expr().map_or("", |e| file.text_of(e)).to_string()
                                    }
                                };
                                (key, file.text_of(value.expr()).to_string())
                            })
                            .collect()
                    })
                })
                .unwrap_or_default();
            let inputs = block
                .body
                .attributes()
                .filter(|a| {
                    ![
                        "source",
                        "version",
                        "count",
                        "for_each",
                        "providers",
                        "depends_on",
                    ]
                    .contains(&a.key.as_str())
                })
                .map(|a| (a.key.as_str().to_string(), expr(&a.value)))
                .collect();
            module.module_calls.push(ModuleCall {
                name,
                source,
                inputs,
                count: attribute("count"),
                for_each: attribute("for_each"),
                providers,
                at: file.at(block),
            });
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_lines_and_character_columns() {
        let file = SourceFile::new(Path::new("main.tf"), "a = 1\n  é = \"x\"\n".to_string());
        let at = file.location(0);
        assert_eq!((at.line, at.column), (1, Some(1)));
        let at = file.location(file.text.find('"').unwrap());
        assert_eq!((at.line, at.column), (2, Some(7)));
    }
}
