//! What a rule's condition may cost, checked when the rule loads: a rule file is input, and a
//! hostile or careless one must not abort the process or exhaust the machine. CEL (the `cel`
//! crate) evaluates recursively and has no step or memory budget of its own, so the shapes that
//! make evaluation deep, long or large are refused up front, and the threads that evaluate rules
//! get a stack that holds the deepest expression these limits let through.

use cel::common::ast::{EntryExpr, Expr, LiteralValue, MapExpr, StructExpr};
use cel::IdedExpr;

/// Operators, calls, selections and indices an expression may have (counted in its text).
pub const MAX_OPERATORS: usize = 400;
/// How deep brackets may nest in the text (`(`, `[`, `{`): the parser recurses on them.
pub const MAX_BRACKETS: usize = 32;
/// How deep an expression may nest (each operator, call, selection and index is a level).
pub const MAX_DEPTH: usize = 100;
/// Loops (`all`, `exists`, `map`, `filter`...) inside loops.
pub const MAX_LOOP_NESTING: usize = 2;
/// Elements of a list or map written in the expression.
pub const MAX_LITERAL_ELEMENTS: usize = 1_000;
/// Characters of a string written in the expression.
pub const MAX_LITERAL_CHARS: usize = 4_096;
/// Functions whose result can be much longer than their input; one may not feed another.
const GROWING: [&str; 3] = ["replace", "join", "format"];

/// The stack of a thread that parses or evaluates rules: the parser and the interpreter
/// recurse, a debug build by tens of kilobytes a level; this holds what the limits let through
/// (measured: 400 chained operators or 48 nested brackets parse in 32 MiB in a debug build).
pub const RULE_STACK: usize = 64 * 1024 * 1024;

/// Checks the text of a condition before it is parsed.
pub fn check_source(source: &str) -> Result<(), String> {
    let mut operators = 0;
    let (mut nesting, mut deepest) = (0usize, 0usize);
    let mut quote = None;
    let mut escaped = false;
    for c in source.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {
                if "+-*/%<>=!&|?[(.{".contains(c) {
                    operators += 1;
                }
                if "([{".contains(c) {
                    nesting += 1;
                    deepest = deepest.max(nesting);
                } else if ")]}".contains(c) {
                    nesting = nesting.saturating_sub(1);
                }
            }
        }
    }
    if deepest > MAX_BRACKETS {
        return Err(format!(
            "nests brackets {deepest} deep (at most {MAX_BRACKETS}); simplify it"
        ));
    }
    if operators > MAX_OPERATORS {
        return Err(format!(
            "is too complex: {operators} operators, calls and selections (at most {MAX_OPERATORS}); split it or simplify it"
        ));
    }
    Ok(())
}

/// Checks the parsed condition: depth, loops in loops, literal sizes, growing functions
/// feeding each other. Walks the tree without recursion, whatever its depth.
pub fn check_expression(root: &IdedExpr) -> Result<(), String> {
    // (expression, depth, loops around it, growing calls around it)
    let mut pending: Vec<(&IdedExpr, usize, usize, usize)> = vec![(root, 1, 0, 0)];
    while let Some((expr, depth, loops, growing)) = pending.pop() {
        if depth > MAX_DEPTH {
            return Err(format!(
                "nests more than {MAX_DEPTH} levels deep; simplify it"
            ));
        }
        let next = depth + 1;
        match &expr.expr {
            Expr::Call(call) => {
                let grows = GROWING.contains(&call.func_name.as_str());
                if grows && growing > 0 {
                    return Err(format!(
                        "feeds the result of one of {} into another, which can grow a string \
                         without bound; use one at a time",
                        GROWING.join(", ")
                    ));
                }
                // An empty pattern matches between every character: the result is the input
                // times the replacement's length.
                let empty_pattern = call.func_name == "replace"
                    && matches!(
                        call.args.first().map(|a| &a.expr),
                        Some(Expr::Literal(LiteralValue::String(s))) if s.is_empty()
                    );
                if empty_pattern {
                    return Err(
                        "replaces the empty string, which multiplies a value's length; \
                         replace a non-empty pattern"
                            .to_string(),
                    );
                }
                let growing = growing + usize::from(grows);
                for child in call.target.iter().map(|t| &**t).chain(&call.args) {
                    pending.push((child, next, loops, growing));
                }
            }
            Expr::Comprehension(c) => {
                if loops >= MAX_LOOP_NESTING {
                    return Err(format!(
                        "has loops (all, exists, map, filter) nested more than \
                         {MAX_LOOP_NESTING} deep; simplify it"
                    ));
                }
                pending.push((&c.iter_range, next, loops, growing));
                pending.push((&c.accu_init, next, loops, growing));
                for part in [&c.loop_cond, &c.loop_step, &c.result] {
                    pending.push((part, next, loops + 1, growing));
                }
            }
            Expr::Select(select) => pending.push((&select.operand, next, loops, growing)),
            Expr::List(list) => {
                literal_size(list.elements.len())?;
                for element in &list.elements {
                    pending.push((element, next, loops, growing));
                }
            }
            Expr::Map(MapExpr { entries }) | Expr::Struct(StructExpr { entries, .. }) => {
                literal_size(entries.len())?;
                for entry in entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(e) => {
                            pending.push((&e.key, next, loops, growing));
                            pending.push((&e.value, next, loops, growing));
                        }
                        EntryExpr::StructField(f) => pending.push((&f.value, next, loops, growing)),
                    }
                }
            }
            Expr::Literal(LiteralValue::String(s)) if s.chars().count() > MAX_LITERAL_CHARS => {
                return Err(format!(
                    "writes a string of more than {MAX_LITERAL_CHARS} characters; put long \
                     values in the rule's [params]"
                ));
            }
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
    Ok(())
}

fn literal_size(elements: usize) -> Result<(), String> {
    if elements > MAX_LITERAL_ELEMENTS {
        return Err(format!(
            "writes a list or map of {elements} elements (at most {MAX_LITERAL_ELEMENTS}); put \
             long lists in the rule's [params]"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks `source` as rule loading does: on a thread with the rules' stack.
    fn check(source: &str) -> Result<(), String> {
        check_source(source)?;
        let source = source.to_string();
        std::thread::Builder::new()
            .stack_size(RULE_STACK)
            .spawn(move || {
                let program = cel::Env::stdlib()
                    .compile(&source)
                    .map_err(|e| e.to_string())?;
                check_expression(program.expression())
            })
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn real_rules_pass_and_costly_shapes_are_refused() {
        assert!(check("contact != null && !is_blank(contact.email_address)").is_ok());
        assert!(check("['a', 'b'].all(x, ['c'].exists(y, x != y))").is_ok());
        let long_chain = vec!["1"; 2_000].join(" + ");
        assert!(check_source(&format!("{long_chain} > 0"))
            .unwrap_err()
            .contains("too complex"));
        let deep = format!("size({}1{}) > 0", "[".repeat(40), "]".repeat(40));
        assert!(check_source(&deep)
            .unwrap_err()
            .contains("brackets 41 deep"));
        let chain = vec!["1"; 150].join(" + ");
        assert!(check(&format!("{chain} > 0"))
            .unwrap_err()
            .contains("levels deep"));
        let loops = "[1].all(a, [2].all(b, [3].all(c, true)))";
        assert!(check(loops).unwrap_err().contains("nested"));
        let growing = "'x'.replace('x', 'xx').replace('x', 'xx') == ''";
        assert!(check(growing).unwrap_err().contains("grow"));
        let empty = "size(contact.name.replace('', contact.name)) > 0";
        assert!(check(empty).unwrap_err().contains("empty string"));
        let list = format!("size([{}]) > 0", vec!["1"; 1_001].join(","));
        assert!(check_source(&list).is_ok());
        assert!(check(&list).unwrap_err().contains("1001 elements"));
        // Operators inside strings do not count.
        assert!(check_source(&format!("'{}' != ''", "+".repeat(1_000))).is_ok());
    }
}
