//! ClickHouse forms that DataFusion says another way, rewritten on the parsed statement before
//! it is planned:
//! - the -If combinator: `sumIf(x, cond)` becomes `sum(x) FILTER (WHERE cond)`, for the
//!   aggregates that take it (`countIf(cond)` becomes `count() FILTER (WHERE cond)`);
//! - `countDistinct(x)` becomes `count(DISTINCT x)`.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    DuplicateTreatment, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Ident,
    ObjectName, ObjectNamePart, VisitMut, visit_expressions_mut,
};

/// Aggregates (lower-case) whose -If form is rewritten.
const TAKE_IF: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "uniq",
    "uniqexact",
    "any",
    "anylast",
    "argmin",
    "argmax",
    "grouparray",
    "groupuniqarray",
    "median",
    "stddevpop",
    "stddevsamp",
    "varpop",
    "varsamp",
    "countdistinct",
];

pub fn rewrite(node: &mut impl VisitMut) {
    let _ = visit_expressions_mut(node, |expr| {
        if let Expr::Function(function) = expr {
            rewrite_function(function);
        }
        ControlFlow::<()>::Continue(())
    });
}

/// The name of a function called by a plain (unqualified) name.
fn plain_name(function: &Function) -> Option<&str> {
    match function.name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] if ident.quote_style.is_none() => {
            Some(ident.value.as_str())
        }
        _ => None,
    }
}

fn rename(function: &mut Function, name: &str) {
    function.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]);
}

fn rewrite_function(function: &mut Function) {
    let Some(name) = plain_name(function).map(str::to_string) else {
        return;
    };
    let lower = name.to_ascii_lowercase();
    let base = lower
        .strip_suffix("if")
        .filter(|base| TAKE_IF.contains(base));
    if let (Some(base), None, FunctionArguments::List(list)) =
        (base, &function.filter, &mut function.args)
        && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(_))) = list.args.last()
    {
        let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(condition))) = list.args.pop() else {
            unreachable!("checked above");
        };
        function.filter = Some(Box::new(condition));
        let base = name[..base.len()].to_string();
        rename(function, &base);
    }
    if plain_name(function).is_some_and(|n| n.eq_ignore_ascii_case("countDistinct"))
        && let FunctionArguments::List(list) = &mut function.args
    {
        list.duplicate_treatment = Some(DuplicateTreatment::Distinct);
        rename(function, "count");
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::ClickHouseDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn rewritten(sql: &str) -> String {
        let mut statement = Parser::parse_sql(&ClickHouseDialect {}, sql)
            .unwrap()
            .pop()
            .unwrap();
        rewrite(&mut statement);
        statement.to_string()
    }

    #[test]
    fn if_combinators_become_filters() {
        assert_eq!(
            rewritten("SELECT countIf(a > 1), sumIf(b, c = 'x'), multiIf(a, 1, 2) FROM t"),
            "SELECT count() FILTER (WHERE a > 1), sum(b) FILTER (WHERE c = 'x'), \
             multiIf(a, 1, 2) FROM t"
        );
        assert_eq!(
            rewritten("SELECT uniqExactIf(u, ok), countDistinct(u) FROM t"),
            "SELECT uniqExact(u) FILTER (WHERE ok), count(DISTINCT u) FROM t"
        );
    }
}
