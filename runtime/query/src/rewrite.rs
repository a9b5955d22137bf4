//! ClickHouse forms that DataFusion says another way, rewritten on the parsed statement before
//! it is planned:
//! - the -If combinator: `sumIf(x, cond)` becomes `sum(x) FILTER (WHERE cond)`, for the
//!   aggregates that take it (`countIf(cond)` becomes `count() FILTER (WHERE cond)`);
//! - `if` and `multiIf` become `CASE`;
//! - `countDistinct(x)` becomes `count(DISTINCT x)`, `groupUniqArray(x)`
//!   `array_agg(DISTINCT x)`, `argMax(a, b)` `first_value(a ORDER BY b DESC)`, and functions
//!   DataFusion has under another name are renamed (`startsWith`: `starts_with`);
//! - counts (`count`, `uniq`, `uniqExact`) are UInt64, as in ClickHouse: `toUInt64(count())`;
//! - a selected expression without an alias is named as ClickHouse names it (`count()`,
//!   `plus(a, 1)`), which is the key clients read in JSON answers.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, CaseWhen, DuplicateTreatment, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentClause, FunctionArgumentList, FunctionArguments, Ident, ObjectName,
    ObjectNamePart, OrderByExpr, OrderByOptions, Query, SelectItem, SetExpr, UnaryOperator, Value,
    visit_expressions_mut,
};

/// ClickHouse functions (lower-case) that DataFusion has under another name, with the same
/// meaning.
const RENAMED: &[(&str, &str)] = &[
    ("startswith", "starts_with"),
    ("endswith", "ends_with"),
    ("match", "regexp_like"),
    ("arraysort", "array_sort"),
    ("has", "array_has"),
    ("replaceall", "replace"),
    ("position", "strpos"),
    ("lowerutf8", "lower"),
    ("upperutf8", "upper"),
    ("trimboth", "btrim"),
    ("trimleft", "ltrim"),
    ("trimright", "rtrim"),
    ("grouparray", "array_agg"),
    ("any", "first_value"),
    ("anylast", "last_value"),
];

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

pub fn rewrite(query: &mut Query) {
    name_selected_expressions(query);
    let _ = visit_expressions_mut(query, |expr| {
        if let Some(case) = conditional_as_case(expr) {
            *expr = case;
        }
        if let Expr::Function(function) = expr {
            rewrite_function(function);
            if counts(function) {
                let count = std::mem::replace(expr, Expr::value(Value::Null));
                *expr = call("toUInt64", vec![count]);
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

/// `if(c, a, b)` and `multiIf(c1, a1, c2, a2, ..., z)` as `CASE WHEN c1 THEN a1 ... ELSE z END`.
fn conditional_as_case(expr: &Expr) -> Option<Expr> {
    let Expr::Function(function) = expr else {
        return None;
    };
    let name = plain_name(function)?.to_ascii_lowercase();
    if name != "if" && name != "multiif" {
        return None;
    }
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    let args = list
        .args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    if args.len() < 3 || args.len() % 2 == 0 || (name == "if" && args.len() != 3) {
        return None;
    }
    let (pairs, otherwise) = args.split_at(args.len() - 1);
    Some(Expr::Case {
        case_token: AttachedToken::empty(),
        end_token: AttachedToken::empty(),
        operand: None,
        conditions: pairs
            .chunks(2)
            .map(|pair| CaseWhen {
                condition: pair[0].clone(),
                result: pair[1].clone(),
            })
            .collect(),
        else_result: Some(Box::new(otherwise[0].clone())),
    })
}

/// Aggregates whose result is a UInt64 count in ClickHouse (and an Int64 in DataFusion).
fn counts(function: &Function) -> bool {
    function.over.is_none()
        && plain_name(function).is_some_and(|name| {
            ["count", "uniq", "uniqexact"].contains(&name.to_ascii_lowercase().as_str())
        })
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|arg| FunctionArg::Unnamed(FunctionArgExpr::Expr(arg)))
                .collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

/// Gives the unaliased expressions of the outermost SELECT their ClickHouse names.
fn name_selected_expressions(query: &mut Query) {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    for item in &mut select.projection {
        if let SelectItem::UnnamedExpr(expr) = item
            && !matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
            && let Some(name) = clickhouse_name(expr)
        {
            *item = SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias: Ident::with_quote('`', name),
            };
        }
    }
}

/// The name ClickHouse gives an expression's column: functions and operators as function
/// calls (`plus(a, 1)`), literals as written. None for forms it is not known for.
fn clickhouse_name(expr: &Expr) -> Option<String> {
    let list = |args: &[&Expr]| -> Option<String> {
        args.iter()
            .map(|arg| clickhouse_name(arg))
            .collect::<Option<Vec<_>>>()
            .map(|names| names.join(", "))
    };
    Some(match expr {
        Expr::Identifier(ident) => ident.value.clone(),
        Expr::Nested(inner) => clickhouse_name(inner)?,
        Expr::Value(value) => match &value.value {
            Value::Number(number, _) => number.to_string(),
            Value::SingleQuotedString(text) => {
                format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
            }
            Value::Boolean(b) => b.to_string(),
            Value::Null => "NULL".to_string(),
            _ => return None,
        },
        Expr::UnaryOp { op, expr } => match (op, expr.as_ref()) {
            (UnaryOperator::Minus, Expr::Value(_)) => format!("-{}", clickhouse_name(expr)?),
            (UnaryOperator::Minus, inner) => format!("negate({})", clickhouse_name(inner)?),
            (UnaryOperator::Not, inner) => format!("not({})", clickhouse_name(inner)?),
            _ => return None,
        },
        Expr::BinaryOp { left, op, right } => {
            let function = match op {
                BinaryOperator::Plus => "plus",
                BinaryOperator::Minus => "minus",
                BinaryOperator::Multiply => "multiply",
                BinaryOperator::Divide => "divide",
                BinaryOperator::Modulo => "modulo",
                BinaryOperator::Eq => "equals",
                BinaryOperator::NotEq => "notEquals",
                BinaryOperator::Lt => "less",
                BinaryOperator::LtEq => "lessOrEquals",
                BinaryOperator::Gt => "greater",
                BinaryOperator::GtEq => "greaterOrEquals",
                BinaryOperator::And => "and",
                BinaryOperator::Or => "or",
                _ => return None,
            };
            format!("{function}({})", list(&[left, right])?)
        }
        Expr::Function(function) => {
            let name = plain_name(function)?;
            let arguments = |arguments: &FunctionArguments| -> Option<String> {
                match arguments {
                    FunctionArguments::None => Some(String::new()),
                    FunctionArguments::List(list_of)
                        if list_of.duplicate_treatment.is_none() && list_of.clauses.is_empty() =>
                    {
                        let args = list_of
                            .args
                            .iter()
                            .map(|arg| match arg {
                                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                                _ => None,
                            })
                            .collect::<Option<Vec<_>>>()?;
                        list(&args)
                    }
                    _ => None,
                }
            };
            if function.filter.is_some() || function.over.is_some() {
                return None;
            }
            match &function.parameters {
                FunctionArguments::None => format!("{name}({})", arguments(&function.args)?),
                parameters => format!(
                    "{name}({})({})",
                    arguments(parameters)?,
                    arguments(&function.args)?
                ),
            }
        }
        _ => return None,
    })
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
    let lower = plain_name(function).map(str::to_ascii_lowercase);
    if let Some((_, renamed)) = RENAMED
        .iter()
        .find(|(name, _)| lower.as_deref() == Some(name))
    {
        rename(function, renamed);
    }
    if lower.as_deref() == Some("groupuniqarray")
        && let FunctionArguments::List(list) = &mut function.args
    {
        list.duplicate_treatment = Some(DuplicateTreatment::Distinct);
        rename(function, "array_agg");
    }
    // argMax(a, b): the `a` of the row with the greatest `b`.
    if let Some(descending) = match lower.as_deref() {
        Some("argmax") => Some(true),
        Some("argmin") => Some(false),
        _ => None,
    } && let FunctionArguments::List(list) = &mut function.args
        && list.args.len() == 2
        && list.clauses.is_empty()
        && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(by))) = list.args.pop()
    {
        list.clauses
            .push(FunctionArgumentClause::OrderBy(vec![OrderByExpr {
                expr: by,
                options: OrderByOptions {
                    asc: Some(!descending),
                    nulls_first: Some(false),
                },
                with_fill: None,
            }]));
        rename(function, "first_value");
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
    use datafusion::sql::sqlparser::ast::Statement;
    use datafusion::sql::sqlparser::dialect::ClickHouseDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn rewritten(sql: &str) -> String {
        let statement = Parser::parse_sql(&ClickHouseDialect {}, sql)
            .unwrap()
            .pop()
            .unwrap();
        let Statement::Query(mut query) = statement else {
            panic!("not a query")
        };
        rewrite(&mut query);
        query.to_string()
    }

    #[test]
    fn if_combinators_become_filters_and_counts_are_unsigned() {
        assert_eq!(
            rewritten(
                "SELECT countIf(a > 1) AS n, sumIf(b, c = 'x') AS s, multiIf(a, 1, 2) AS m FROM t"
            ),
            "SELECT toUInt64(count() FILTER (WHERE a > 1)) AS n, sum(b) FILTER (WHERE c = 'x') AS s, \
             CASE WHEN a THEN 1 ELSE 2 END AS m FROM t"
        );
        assert_eq!(
            rewritten("SELECT uniqExactIf(u, ok) AS a, countDistinct(u) AS b FROM t"),
            "SELECT toUInt64(uniqExact(u) FILTER (WHERE ok)) AS a, toUInt64(count(DISTINCT u)) AS b FROM t"
        );
    }

    #[test]
    fn unaliased_expressions_get_clickhouse_names() {
        assert_eq!(
            rewritten("SELECT count(), a + 1, sum(x), -1, quantile(0.5)(d), k FROM t"),
            "SELECT toUInt64(count()) AS `count()`, a + 1 AS `plus(a, 1)`, \
             sum(x) AS `sum(x)`, -1 AS `-1`, quantile(0.5)(d) AS `quantile(0.5)(d)`, k FROM t"
        );
    }
}
