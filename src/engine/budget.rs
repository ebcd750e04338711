//! What one evaluation of a condition may spend: loop iterations and the size of the values it
//! builds. The limits of [`super::limits`] bound an expression's shape when it loads; these
//! bound its run, whatever the data: a condition that would exceed one gets an ERROR verdict on
//! that slot, with evidence naming the limit, instead of running for minutes or growing
//! without end.
//!
//! The `cel` crate has no budget of its own, so the expression is evaluated in a rewritten form
//! (the rule as written is what `rules explain` shows and what the load-time checks read):
//! - every iteration of every loop (`all`, `exists`, `exists_one`, `map`, `filter`) passes
//!   through [`LOOPS`], which counts it and fails once the evaluation's count exceeds
//!   [`MAX_ITERATIONS`] (nested loops count each inner iteration; a loop that stops early
//!   counts only what it ran);
//! - every call that builds a string or list from others (`+`, `replace`, `join`, `format`,
//!   `split`, `quote`) and every loop's result passes through [`SIZES`], which fails on a
//!   string over [`MAX_STRING_BYTES`] or a list over [`MAX_LIST_ELEMENTS`].
//!
//! Work between loops is bounded by the expression's size (see `limits`), so counting loop
//! iterations bounds the time of an evaluation. A value is measured once built: one call can
//! build at most the product of two measured strings (`replace` of an 8 KiB string by another,
//! 64 MiB) before it is refused.

use std::cell::Cell;

use cel::common::ast::{operators, CallExpr, EntryExpr, Expr, MapExpr, StructExpr};
use cel::common::types::{CelList, CelString};
use cel::common::value::CowVal;
use cel::context::Context;
use cel::{ExecutionError, FunctionContext, IdedExpr, Value};

/// Loop iterations one evaluation may run, all loops together.
pub const MAX_ITERATIONS: u64 = 10_000;
/// The longest string an evaluation may build, in bytes (twice a field or literal of the
/// longest accepted, 4,096 characters, in ASCII).
pub const MAX_STRING_BYTES: usize = 8 * 1024;
/// The longest list an evaluation may build.
pub const MAX_LIST_ELEMENTS: usize = 10_000;

/// The function every loop iteration passes through (not callable from rules: not declared).
const LOOPS: &str = "@loop_budget";
/// The function every built string or list passes through.
const SIZES: &str = "@size_budget";
/// Calls whose result can be longer than any of their arguments.
const MEASURED: [&str; 6] = [
    operators::ADD,
    "replace",
    "join",
    "format",
    "split",
    "quote",
];

thread_local! {
    /// Loop iterations counted in the evaluation running on this thread.
    static ITERATIONS: Cell<u64> = const { Cell::new(0) };
    /// The first limit that evaluation reached.
    static BREACH: Cell<Option<Breach>> = const { Cell::new(None) };
}

/// A limit an evaluation reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breach {
    Loops,
    /// A string of this many bytes.
    String(usize),
    /// A list of this many elements.
    List(usize),
}

impl Breach {
    /// Records the breach (the first one of the evaluation stays) and returns it as an error.
    fn fail(self) -> ExecutionError {
        BREACH.with(|breach| {
            if breach.get().is_none() {
                breach.set(Some(self));
            }
        });
        self.error()
    }

    fn error(self) -> ExecutionError {
        match self {
            Breach::Loops => ExecutionError::function_error(
                "budget",
                format!("the condition's loops ran over {MAX_ITERATIONS} iterations, the limit of one evaluation"),
            ),
            Breach::String(bytes) => ExecutionError::function_error(
                "budget",
                format!("the condition built a string of {bytes} bytes, over the limit of {MAX_STRING_BYTES}"),
            ),
            Breach::List(elements) => ExecutionError::function_error(
                "budget",
                format!("the condition built a list of {elements} elements, over the limit of {MAX_LIST_ELEMENTS}"),
            ),
        }
    }
}

/// `expr` as it is evaluated: with its loops counted and its built values measured.
pub fn instrument(expr: &IdedExpr) -> IdedExpr {
    let mut expr = expr.clone();
    rewrite(&mut expr);
    expr
}

fn wrapped(function: &str, expr: IdedExpr) -> IdedExpr {
    IdedExpr {
        id: expr.id,
        expr: Expr::Call(CallExpr {
            func_name: function.to_string(),
            target: None,
            args: vec![expr],
        }),
    }
}

fn wrap(function: &str, expr: &mut IdedExpr) {
    let inner = std::mem::take(expr);
    *expr = wrapped(function, inner);
}

fn rewrite(expr: &mut IdedExpr) {
    match &mut expr.expr {
        Expr::Call(call) => {
            if let Some(target) = &mut call.target {
                rewrite(target);
            }
            call.args.iter_mut().for_each(rewrite);
            if MEASURED.contains(&call.func_name.as_str()) {
                wrap(SIZES, expr);
            }
        }
        Expr::Comprehension(loop_) => {
            rewrite(&mut loop_.iter_range);
            rewrite(&mut loop_.accu_init);
            rewrite(&mut loop_.result);
            rewrite(&mut loop_.loop_cond);
            // `map` and `filter` append to their result (`@result + [x]`, maybe behind a
            // condition), a shape the interpreter recognises to append in place: the count
            // goes inside it. Other loops (`all`, `exists`, `exists_one`) test their condition
            // before each element: the count goes there.
            if !count_appending_step(&loop_.accu_var, &mut loop_.loop_step) {
                rewrite(&mut loop_.loop_step);
                wrap(LOOPS, &mut loop_.loop_cond);
            }
            wrap(SIZES, expr);
        }
        Expr::List(list) => list.elements.iter_mut().for_each(rewrite),
        Expr::Map(MapExpr { entries }) | Expr::Struct(StructExpr { entries, .. }) => {
            for entry in entries {
                match &mut entry.expr {
                    EntryExpr::MapEntry(entry) => {
                        rewrite(&mut entry.key);
                        rewrite(&mut entry.value);
                    }
                    EntryExpr::StructField(field) => rewrite(&mut field.value),
                }
            }
        }
        Expr::Select(select) => rewrite(&mut select.operand),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// A `map` or `filter` step, `@result + [x]` or `cond ? @result + [x] : @result`: its
/// expressions rewritten and each run counted (through `cond`, else `x`), its shape kept.
/// `false` for any other step.
fn count_appending_step(accumulator: &str, step: &mut IdedExpr) -> bool {
    let is_accumulator = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(name) if name == accumulator);
    match &mut step.expr {
        Expr::Call(call) if call.func_name == operators::CONDITIONAL && call.target.is_none() => {
            match call.args.as_mut_slice() {
                [guard, then, otherwise] if is_accumulator(otherwise) => {
                    let Some(items) = appended_items(accumulator, then) else {
                        return false;
                    };
                    items.iter_mut().for_each(rewrite);
                    rewrite(guard);
                    wrap(LOOPS, guard);
                    true
                }
                _ => false,
            }
        }
        _ => match appended_items(accumulator, step) {
            Some(items) => {
                items.iter_mut().for_each(rewrite);
                items.iter_mut().for_each(|item| wrap(LOOPS, item));
                true
            }
            None => false,
        },
    }
}

/// The `[x]` of `@result + [x]`.
fn appended_items<'e>(accumulator: &str, step: &'e mut IdedExpr) -> Option<&'e mut Vec<IdedExpr>> {
    let Expr::Call(call) = &mut step.expr else {
        return None;
    };
    if call.func_name != operators::ADD || call.target.is_some() {
        return None;
    }
    match call.args.as_mut_slice() {
        [lhs, rhs] if matches!(&lhs.expr, Expr::Ident(name) if name == accumulator) => {
            match &mut rhs.expr {
                Expr::List(list) => Some(&mut list.elements),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A function over CEL values as the interpreter calls it (what `cel` takes for one that
/// hands its argument back without a copy).
type Function = Box<
    dyn for<'c, 'a> Fn(&mut FunctionContext<'c, 'a>) -> Result<CowVal<'c, 'a>, ExecutionError>
        + Send
        + Sync,
>;

/// Registers the budget's functions in a root context.
pub fn register(ctx: &mut Context<'static, 'static>) {
    // infallible: names starting with '@' cannot be declared by the standard library or rules.
    let loops: Function = Box::new(count_loop);
    let sizes: Function = Box::new(measure);
    ctx.add_function(LOOPS, loops)
        .expect("infallible: the budget's names are not CEL's");
    ctx.add_function(SIZES, sizes)
        .expect("infallible: the budget's names are not CEL's");
}

fn count_loop<'c, 'a>(ftx: &mut FunctionContext<'c, 'a>) -> Result<CowVal<'c, 'a>, ExecutionError> {
    let total = ITERATIONS.with(|count| {
        let total = count.get() + 1;
        count.set(total);
        total
    });
    if total > MAX_ITERATIONS {
        return Err(Breach::Loops.fail());
    }
    Ok(ftx.args.remove(0))
}

fn measure<'c, 'a>(ftx: &mut FunctionContext<'c, 'a>) -> Result<CowVal<'c, 'a>, ExecutionError> {
    let value = ftx.args.remove(0);
    if let Some(text) = value.downcast_ref::<CelString>() {
        if text.inner().len() > MAX_STRING_BYTES {
            return Err(Breach::String(text.inner().len()).fail());
        }
    } else if let Some(list) = value.downcast_ref::<CelList>() {
        if list.inner().len() > MAX_LIST_ELEMENTS {
            return Err(Breach::List(list.inner().len()).fail());
        }
    }
    Ok(value)
}

/// Evaluates an instrumented expression within the budget. A limit reached counts even when
/// CEL's `||` or `&&` would absorb the error: a verdict must not depend on work not done.
pub fn evaluate(expr: &IdedExpr, ctx: &Context) -> Result<Value, ExecutionError> {
    ITERATIONS.with(|count| count.set(0));
    BREACH.with(|breach| breach.set(None));
    let result = Value::resolve(expr, ctx);
    match BREACH.with(Cell::get) {
        Some(breach) => Err(breach.error()),
        None => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::functions::{environment, root_context};

    fn both(source: &str) -> (Result<Value, ExecutionError>, Result<Value, ExecutionError>) {
        let env = environment();
        let program = env.compile(source).unwrap();
        let ctx = root_context(&env);
        let instrumented = instrument(program.expression());
        (program.execute(&ctx), evaluate(&instrumented, &ctx))
    }

    #[test]
    fn within_the_budget_a_condition_means_what_it_says() {
        for source in [
            "[1, 2, 3].map(x, x * 2) == [2, 4, 6]",
            "[1, 2, 3].filter(x, x > 1).size() == 2",
            "[1, 2, 3].exists_one(x, x == 2)",
            "[1, 2, 3].all(x, [4, 5].exists(y, x < y))",
            "{'a': 1, 'b': 2}.all(k, k.size() == 1)",
            "'ab' + 'cd' == 'abcd' && 'a-b'.replace('-', '+') == 'a+b'",
            "['a', 'b'].join(',') == 'a,b' && [1] + [2] == [1, 2]",
            "1 / 0 == 1 || true",
            "[1, 2].all(x, x / 0 == 1) || true",
            "[1, 2].map(x, x / 0)",
        ] {
            let (plain, budgeted) = both(source);
            assert_eq!(plain, budgeted, "{source}");
        }
        // Loops that stop early count what they ran: about 5,250 iterations, not 101 × 101.
        let items: Vec<String> = (0..=100).map(|i| i.to_string()).collect();
        let list = format!("[{}]", items.join(","));
        let (plain, budgeted) = both(&format!("{list}.all(a, {list}.exists(b, b == a))"));
        assert_eq!(
            (plain, budgeted),
            (Ok(Value::Bool(true)), Ok(Value::Bool(true)))
        );
        let (_, budgeted) = both(&format!(
            "{list}.filter(a, a > 50).map(a, {list}.exists_one(b, b == a)).all(x, x)"
        ));
        assert_eq!(budgeted, Ok(Value::Bool(true)));
        let items: Vec<String> = (0..5_000).map(|i| i.to_string()).collect();
        let (_, big) = both(&format!(
            "[{}].map(x, x + 1).size() == 5000",
            items.join(",")
        ));
        assert_eq!(big, Ok(Value::Bool(true)));
    }

    #[test]
    fn a_limit_reached_is_an_error_even_where_cel_would_absorb_it() {
        let items: Vec<String> = (0..200).map(|i| i.to_string()).collect();
        let list = format!("[{}]", items.join(","));
        let (plain, budgeted) = both(&format!("true || {list}.all(a, {list}.all(b, a != b))"));
        assert_eq!(plain, Ok(Value::Bool(true)));
        assert_eq!(
            budgeted,
            Ok(Value::Bool(true)),
            "short-circuit: nothing ran"
        );
        let (plain, budgeted) = both(&format!("{list}.all(a, {list}.all(b, a >= 0)) || true"));
        assert_eq!(plain, Ok(Value::Bool(true)));
        let error = budgeted.unwrap_err().to_string();
        assert!(error.contains("over 10000 iterations"), "{error}");
        let (_, budgeted) = both(&format!(
            "size({list}.map(a, '{}').join('')) > 0 || true",
            "y".repeat(50)
        ));
        let error = budgeted.unwrap_err().to_string();
        assert!(error.contains("a string of 10000 bytes"), "{error}");
    }
}
