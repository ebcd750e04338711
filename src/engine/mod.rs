//! The rule engine: loading rule files, compiling their CEL, evaluating them on an inventory.

pub(crate) mod analysis;
pub(crate) mod budget;
pub(crate) mod evaluate;
pub mod functions;
pub(crate) mod heuristics;
pub(crate) mod limits;
pub(crate) mod message;
pub mod org;
pub mod rule;
pub mod rule_test;
pub mod variables;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use cel::Env;
use globset::{Glob, GlobMatcher};

use crate::error::InputError;
use rule::Rule;

/// The built-in rule pack, embedded at build time: (file name, TOML text) of every
/// `rules/*.toml`, in file-name order (see `build.rs`).
const BUILT_IN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/built_in_rules.rs"));

/// How the origin of a built-in rule starts (then its file name).
pub const BUILT_IN_ORIGIN: &str = "built-in rules/";

/// The rules of a run and the CEL environment they were compiled in.
pub struct RuleSet {
    pub env: Arc<Env>,
    pub rules: Vec<Rule>,
    /// Ids of rules the config file turned off (`enabled = false`).
    pub disabled: Vec<String>,
    /// Every rule id loaded (built-in and `--rules`), before the config and `--select`.
    pub known: HashSet<String>,
    /// `--select` or `--ignore` narrowed the rules.
    pub narrowed: bool,
}

impl RuleSet {
    /// The built-in rules, plus every `*.toml` file of `user_dir` when given. Rules are parsed
    /// on a thread with a stack that holds the deepest condition the limits allow.
    pub fn load(user_dir: Option<&Path>) -> Result<RuleSet, InputError> {
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("contactscan-rules".to_string())
                .stack_size(limits::RULE_STACK)
                .spawn_scoped(scope, || RuleSet::load_here(user_dir))
                .map_err(|e| {
                    InputError::new("rules", "", format!("cannot start the rule loader: {e}"))
                })?
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    fn load_here(user_dir: Option<&Path>) -> Result<RuleSet, InputError> {
        let env = functions::environment();
        let mut rules = Vec::new();
        for (name, text) in BUILT_IN {
            rules.push(Rule::parse(
                &format!("{BUILT_IN_ORIGIN}{name}"),
                text,
                &env,
            )?);
        }
        if let Some(dir) = user_dir {
            for path in rule_files(dir)? {
                let origin = path.display().to_string();
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    InputError::new(&origin, "", format!("cannot read the rule file: {e}"))
                })?;
                let rule = Rule::parse(&origin, &text, &env)?;
                if let Some(existing) = rules.iter().find(|r| r.id == rule.id) {
                    return Err(InputError::new(
                        &origin,
                        "id",
                        format!(
                            "rule id {:?} is already defined by {}; give the rule another id",
                            rule.id, existing.origin
                        ),
                    ));
                }
                rules.push(rule);
            }
        }
        Ok(RuleSet {
            env,
            known: rules.iter().map(|r| r.id.clone()).collect(),
            rules,
            disabled: Vec::new(),
            narrowed: false,
        })
    }

    /// Keeps the rules matching any `select` glob (all when empty) and no `ignore` glob.
    /// A glob that matches no rule is an error: it is almost always a typo.
    pub fn select(&mut self, select: &[String], ignore: &[String]) -> Result<(), InputError> {
        let compile = |flag: &str, patterns: &[String]| -> Result<Vec<GlobMatcher>, InputError> {
            patterns
                .iter()
                .map(|p| {
                    let matcher = Glob::new(p)
                        .map_err(|e| InputError::new(flag, p, format!("invalid glob: {e}")))?
                        .compile_matcher();
                    if !self.rules.iter().any(|r| matcher.is_match(&r.id)) {
                        let disabled: Vec<&str> = self
                            .disabled
                            .iter()
                            .filter(|id| matcher.is_match(id.as_str()))
                            .map(String::as_str)
                            .collect();
                        let why = if disabled.is_empty() {
                            "matches no rule id; `contactscan rules list` shows them".to_string()
                        } else {
                            format!(
                                "matches only rules the config file turns off ({}); remove their `enabled = false` to run them",
                                disabled.join(", ")
                            )
                        };
                        return Err(InputError::new(flag, p, why));
                    }
                    Ok(matcher)
                })
                .collect()
        };
        let select = compile("--select", select)?;
        let ignore = compile("--ignore", ignore)?;
        self.narrowed |= !select.is_empty() || !ignore.is_empty();
        self.rules.retain(|r| {
            (select.is_empty() || select.iter().any(|m| m.is_match(&r.id)))
                && !ignore.iter().any(|m| m.is_match(&r.id))
        });
        Ok(())
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn rule_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, InputError> {
    let name = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::new(&name, "", format!("cannot read the rules directory: {e}; --rules takes a directory of *.toml rule files"))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| {
                InputError::new(&name, "", format!("cannot list the rules directory: {e}"))
            })?
            .path();
        if path.extension().is_some_and(|ext| ext == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
