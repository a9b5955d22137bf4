//! ClickHouse forms that DataFusion says another way, rewritten on the parsed statement before
//! it is planned:
//! - the -If combinator: `sumIf(x, cond)` becomes `sum(x) FILTER (WHERE cond)`, for the
//!   aggregates that take it (`countIf(cond)` becomes `count(nullif(cond, false))`, which
//!   copies no column);
//! - `if` and `multiIf` become `CASE`;
//! - `countDistinct(x)` becomes `count(DISTINCT x)`, `groupUniqArray(x)`
//!   `array_agg(DISTINCT x)`, `argMax(a, b)` `first_value(a ORDER BY b DESC)`, and functions
//!   DataFusion has under another name are renamed (`startsWith`: `starts_with`);
//! - counts (`count`, `uniq`, `uniqExact`) are UInt64, as in ClickHouse: `toUInt64(count())`;
//! - `isNull(x)` becomes `x IS NULL`, `arrayJoin` `unnest`, `toUnixTimestamp(t)`
//!   `toUInt32(to_unixtime(t))`, and the table function `numbers(n)` a subquery reading
//!   DataFusion's `range(0, n)`; conditions that are numbers (`WHERE is_bot`, `WHERE 0`) are cast to
//!   Boolean, and `PREWHERE` joins `WHERE`;
//! - casts to ClickHouse type names (`CAST(x AS UInt32)`, `x::Nullable(Int64)`) become
//!   `arrow_cast` to the type's Arrow type;
//! - calls `calls` translates (lambdas, `toDecimal32`, `toStartOfInterval`, ...);
//! - `GROUP BY ... WITH ROLLUP` (`WITH CUBE`) becomes `GROUP BY ROLLUP(...)` (`CUBE`);
//! - `LIMIT n BY k` becomes a `row_number()` window over `k`, filtered;
//! - a selected expression without an alias is named as ClickHouse names it (`count()`,
//!   `plus(a, 1)`), which is the key clients read in JSON answers.

mod calls;

use std::ops::ControlFlow;

use colibri_types::ChType;
use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, CaseWhen, CastKind, DataType, DuplicateTreatment, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgumentClause, FunctionArgumentList, FunctionArguments, GroupByExpr,
    GroupByWithModifier, Ident, LimitClause, ObjectName, ObjectNamePart, OrderByExpr, OrderByKind,
    OrderByOptions, Query, Select, SelectItem, SetExpr, Statement, TableAlias, TableFactor,
    UnaryOperator, Value, VisitMut, VisitorMut, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::ClickHouseDialect;
use datafusion::sql::sqlparser::parser::Parser;

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
    ("trimboth", "btrim"),
    ("trimleft", "ltrim"),
    ("trimright", "rtrim"),
    ("grouparray", "array_agg"),
    ("any", "first_value"),
    ("anylast", "last_value"),
    ("arrayjoin", "unnest"),
    ("arraysum", "array_sum"),
    ("arraymax", "array_max"),
    ("arraymin", "array_min"),
    ("arrayavg", "array_avg"),
    ("arrayflatten", "flatten"),
    ("arraydistinct", "array_distinct"),
    ("arrayreverse", "array_reverse"),
    ("arrayconcat", "array_concat"),
    ("hasany", "array_has_any"),
    ("hasall", "array_has_all"),
    ("varsamp", "var_samp"),
    ("varpop", "var_pop"),
    ("stddevsamp", "stddev_samp"),
    ("stddevpop", "stddev_pop"),
    ("truncate", "trunc"),
    ("laginframe", "lag"),
    ("totimezone", "toDateTime"),
    ("tuple", "struct"),
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
    "quantile",
    "quantiles",
];

pub fn rewrite(query: &mut Query) {
    let _ = query.visit(&mut NameSelected);
    limit_by_as_window(query);
    let _ = query.visit(&mut ClauseRewriter);
    let _ = visit_expressions_mut(query, |expr| {
        if let Some(case) = conditional_as_case(expr) {
            *expr = case;
        }
        if let Some(test) = null_test(expr) {
            *expr = test;
        }
        compare_with_boolean_literal(expr);
        // `NOT is_bot`, `5 AND 3`: ClickHouse's logic takes numbers.
        if matches!(
            expr,
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                ..
            } | Expr::BinaryOp {
                op: BinaryOperator::And | BinaryOperator::Or,
                ..
            }
        ) {
            as_condition(expr);
        }
        if let Some(cast) = clickhouse_cast(expr) {
            *expr = cast;
        }
        if let Expr::Function(function) = expr {
            match calls::translate(function) {
                Some(translated) => *expr = translated,
                None => rewrite_function(function),
            }
        }
        if let Expr::Function(function) = expr {
            if let Some(array) = quantiles_as_array(function) {
                *expr = array;
            } else if let Some(seconds) = unix_timestamp(function) {
                *expr = seconds;
            } else if counts(function) {
                let count = std::mem::replace(expr, Expr::value(Value::Null));
                *expr = call("toUInt64", vec![count]);
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

/// The column numbering the rows of each `LIMIT BY` group, and the one keeping the order.
const LIMIT_BY_ROW: &str = "__limit_by_row";
const LIMIT_BY_ORDER: &str = "__limit_by_order";

/// ClickHouse's `... ORDER BY o LIMIT n [OFFSET m] BY k` (the first rows of each `k`) as the
/// query without its limit, with `row_number() OVER (PARTITION BY k ORDER BY o)` added, filtered
/// to rows m+1..m+n and put back in the order `o`. Aliases of the select list used in `o` and
/// `k` are replaced by their expressions, which a window cannot see by name.
fn limit_by_as_window(query: &mut Query) {
    let Some(LimitClause::LimitOffset {
        limit: Some(limit),
        offset,
        limit_by,
    }) = &query.limit_clause
    else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return;
    };
    if limit_by.is_empty() {
        return;
    }
    let aliased: Vec<(&str, &Expr)> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { expr, alias } => Some((alias.value.as_str(), expr)),
            _ => None,
        })
        .collect();
    let resolved = |expr: &Expr| -> String {
        match expr {
            Expr::Identifier(ident) => aliased
                .iter()
                .find(|(alias, _)| *alias == ident.value)
                .map_or(expr.to_string(), |(_, aliased)| aliased.to_string()),
            other => other.to_string(),
        }
    };
    let by: Vec<String> = limit_by.iter().map(resolved).collect();
    let order: Vec<String> = match query.order_by.as_ref().map(|order| &order.kind) {
        Some(OrderByKind::Expressions(items)) => items
            .iter()
            .map(|item| format!("{} {}", resolved(&item.expr), item.options))
            .collect(),
        _ => Vec::new(),
    };
    let order_clause = if order.is_empty() {
        String::new()
    } else {
        format!("ORDER BY {}", order.join(", "))
    };
    let skip = offset
        .as_ref()
        .map_or("0".to_string(), |offset| offset.value.to_string());
    let limit = limit.to_string();
    let mut inner = query.clone();
    inner.limit_clause = None;
    inner.order_by = None;
    let windows = [
        format!(
            "row_number() OVER (PARTITION BY {} {order_clause}) AS {LIMIT_BY_ROW}",
            by.join(", ")
        ),
        format!("row_number() OVER ({order_clause}) AS {LIMIT_BY_ORDER}"),
    ];
    if let SetExpr::Select(inner_select) = inner.body.as_mut() {
        for window in windows {
            let Ok(SelectItem::ExprWithAlias { expr, alias }) = Parser::new(&ClickHouseDialect {})
                .try_with_sql(&window)
                .and_then(|mut parser| parser.parse_select_item())
            else {
                return;
            };
            inner_select
                .projection
                .push(SelectItem::ExprWithAlias { expr, alias });
        }
    }
    let sql = format!(
        "SELECT * EXCEPT ({LIMIT_BY_ROW}, {LIMIT_BY_ORDER}) FROM ({inner}) AS __limit_by \
         WHERE {LIMIT_BY_ROW} > ({skip}) AND {LIMIT_BY_ROW} <= ({skip}) + ({limit}) \
         ORDER BY {LIMIT_BY_ORDER}"
    );
    if let Ok(Statement::Query(rewritten)) = Parser::new(&ClickHouseDialect {})
        .try_with_sql(&sql)
        .and_then(|mut parser| parser.parse_statement())
    {
        *query = *rewritten;
    }
}

/// Rewrites clauses: the `numbers` table function, literal numbers as conditions.
struct ClauseRewriter;

impl VisitorMut for ClauseRewriter {
    type Break = ();

    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let Some(numbers) = numbers_as_subquery(factor) {
            *factor = numbers;
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        // PREWHERE is a WHERE read first; the planner pushes filters down anyway.
        if let Some(prewhere) = select.prewhere.take() {
            select.selection = Some(match select.selection.take() {
                Some(selection) => Expr::BinaryOp {
                    left: Box::new(Expr::Nested(Box::new(prewhere))),
                    op: BinaryOperator::And,
                    right: Box::new(Expr::Nested(Box::new(selection))),
                },
                None => prewhere,
            });
        }
        substitute_aliases(select);
        rollup_and_cube_modifiers(select);
        for condition in [&mut select.selection, &mut select.having]
            .into_iter()
            .flatten()
        {
            as_condition(condition);
        }
        ControlFlow::Continue(())
    }
}

/// `GROUP BY a, b WITH ROLLUP` (and `WITH CUBE`) as `GROUP BY ROLLUP(a, b)`, which DataFusion
/// plans; DataFusion would ignore the modifier. (`WITH TOTALS` stays, and is ignored.)
fn rollup_and_cube_modifiers(select: &mut Select) {
    let GroupByExpr::Expressions(keys, modifiers) = &mut select.group_by else {
        return;
    };
    let rollup = modifiers.contains(&GroupByWithModifier::Rollup);
    let cube = modifiers.contains(&GroupByWithModifier::Cube);
    if !(rollup || cube) || keys.is_empty() {
        return;
    }
    modifiers.retain(|m| !matches!(m, GroupByWithModifier::Rollup | GroupByWithModifier::Cube));
    let sets = std::mem::take(keys)
        .into_iter()
        .map(|key| vec![key])
        .collect();
    keys.push(if rollup {
        Expr::Rollup(sets)
    } else {
        Expr::Cube(sets)
    });
}

/// ClickHouse's aliases are seen in every clause of their SELECT and hide columns of the same
/// name (`SELECT toDate(t) AS day ... WHERE day > '2024-01-01'`); DataFusion's only in ORDER
/// BY. The other selected expressions, WHERE, GROUP BY and HAVING get the aliased
/// expressions in their place.
fn substitute_aliases(select: &mut Select) {
    let aliases: Vec<(String, Expr)> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { expr, alias }
                if !matches!(expr, Expr::Identifier(column) if column.value == alias.value) =>
            {
                Some((alias.value.clone(), expr.clone()))
            }
            _ => None,
        })
        .collect();
    if aliases.is_empty() {
        return;
    }
    // Each alias resolved through the others it names (`duration * 2 AS d2, d2 + 1 AS d3`);
    // inside its own expression a name is the column (`sum(n) AS n`).
    let resolved: Vec<(String, Expr)> = aliases
        .iter()
        .map(|(name, expr)| {
            let mut expr = expr.clone();
            substitute(&mut expr, &aliases, &mut vec![name.clone()]);
            (name.clone(), expr)
        })
        .collect();
    for item in &mut select.projection {
        if let SelectItem::ExprWithAlias { expr, alias } = item
            && let Some((_, resolved)) = resolved.iter().find(|(name, _)| *name == alias.value)
        {
            *expr = resolved.clone();
        }
    }
    let group_by = match &mut select.group_by {
        GroupByExpr::Expressions(keys, _) => keys.as_mut_slice(),
        GroupByExpr::All(_) => &mut [],
    };
    for expr in group_by
        .iter_mut()
        .chain(select.selection.as_mut())
        .chain(select.having.as_mut())
    {
        let _ = expr.visit(&mut AliasSubstitution {
            aliases: &resolved,
            depth: 0,
        });
    }
}

/// Replaces in `expr` the aliases it names, except those being resolved (`within`), by their
/// expressions, themselves resolved the same way.
fn substitute(expr: &mut Expr, aliases: &[(String, Expr)], within: &mut Vec<String>) {
    let mut named = Vec::new();
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(&*expr, |e| {
        if let Expr::Identifier(ident) = e {
            named.push(ident.value.clone());
        }
        ControlFlow::<()>::Continue(())
    });
    let mut visible = Vec::new();
    for (name, aliased) in aliases {
        if !named.contains(name) || within.contains(name) {
            continue;
        }
        let mut aliased = aliased.clone();
        within.push(name.clone());
        substitute(&mut aliased, aliases, within);
        within.pop();
        visible.push((name.clone(), aliased));
    }
    let _ = expr.visit(&mut AliasSubstitution {
        aliases: &visible,
        depth: 0,
    });
}

/// Replaces aliases by their expressions, outside subqueries (which have their own).
struct AliasSubstitution<'a> {
    aliases: &'a [(String, Expr)],
    depth: usize,
}

impl VisitorMut for AliasSubstitution<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, _query: &mut Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &mut Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if self.depth == 0
            && let Expr::Identifier(name) = expr
            && let Some((_, aliased)) = self.aliases.iter().find(|(alias, _)| *alias == name.value)
        {
            *expr = Expr::Nested(Box::new(aliased.clone()));
        }
        ControlFlow::Continue(())
    }
}

/// `x = true`: ClickHouse compares a UInt8 (a comparison, `max(a = b)`) with a Bool; the other
/// side is cast to Boolean, which leaves a boolean as it is.
fn compare_with_boolean_literal(expr: &mut Expr) {
    let Expr::BinaryOp { left, op, right } = expr else {
        return;
    };
    if !matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq) {
        return;
    }
    let is_boolean_literal = |side: &Expr| matches!(side, Expr::Value(value) if matches!(value.value, Value::Boolean(_)));
    let other = if is_boolean_literal(right) {
        left
    } else if is_boolean_literal(left) {
        right
    } else {
        return;
    };
    cast_to_boolean(other);
}

/// `CAST(expr AS BOOLEAN)` in place of `expr`.
fn cast_to_boolean(expr: &mut Expr) {
    let operand = std::mem::replace(expr, Expr::value(Value::Null));
    *expr = Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(operand),
        data_type: DataType::Boolean,
        array: false,
        format: None,
    };
}

/// True for expressions that are booleans by their form: comparisons, logic, tests.
fn is_boolean_form(expr: &Expr) -> bool {
    match expr {
        Expr::BinaryOp { op, .. } => matches!(
            op,
            BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
                | BinaryOperator::And
                | BinaryOperator::Or
        ),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            ..
        } => true,
        Expr::Nested(inner) => is_boolean_form(inner),
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::InList { .. }
        | Expr::InSubquery { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. } => true,
        _ => false,
    }
}

/// ClickHouse takes any number as a condition (`WHERE is_bot`, `WHERE 0`, `countIf(flag)`);
/// DataFusion wants booleans. Casts the operands of a condition that are not boolean by their
/// form (columns, calls, literals) to Boolean, which leaves booleans as they are.
fn as_condition(condition: &mut Expr) {
    match condition {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And | BinaryOperator::Or,
            right,
        } => {
            as_condition(left);
            as_condition(right);
        }
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => as_condition(expr),
        Expr::Nested(inner) => as_condition(inner),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Function(_) | Expr::Value(_) => {
            cast_to_boolean(condition)
        }
        _ => {}
    }
}

/// `numbers(n)` or `numbers(start, n)`: the UInt64 column `number` from `start` (0) on, as
/// `(SELECT toUInt64(value) AS number FROM range(start, start + n))` (DataFusion's `range`
/// table function takes integer literals, as ClickHouse's `numbers` takes constants).
fn numbers_as_subquery(factor: &TableFactor) -> Option<TableFactor> {
    let TableFactor::Table {
        name,
        alias,
        args: Some(args),
        ..
    } = factor
    else {
        return None;
    };
    if !matches!(name.0.as_slice(), [ObjectNamePart::Identifier(ident)] if ident.value.eq_ignore_ascii_case("numbers"))
    {
        return None;
    }
    let bounds = args
        .args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(value))) => match &value.value {
                Value::Number(number, _) => number.parse::<u64>().ok(),
                _ => None,
            },
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let (start, count) = match bounds.as_slice() {
        [count] => (0, *count),
        [start, count] => (*start, *count),
        _ => return None,
    };
    let sql = format!(
        "SELECT toUInt64(value) AS number FROM range({start}, {})",
        start.checked_add(count)?
    );
    let Ok(Statement::Query(subquery)) = Parser::new(&ClickHouseDialect {})
        .try_with_sql(&sql)
        .and_then(|mut parser| parser.parse_statement())
    else {
        return None;
    };
    Some(TableFactor::Derived {
        lateral: false,
        subquery,
        alias: Some(alias.clone().unwrap_or(TableAlias {
            explicit: true,
            name: Ident::new("numbers"),
            columns: Vec::new(),
            at: None,
        })),
        sample: None,
    })
}

/// `CAST(x AS UInt32)`, `x::Nullable(Int64)`: casts to ClickHouse type names, which DataFusion
/// does not read, as `arrow_cast(x, '<the type's Arrow type>')`. SQL types (`INT`, `VARCHAR`)
/// stay DataFusion's casts.
fn clickhouse_cast(expr: &Expr) -> Option<Expr> {
    let Expr::Cast {
        kind: CastKind::Cast | CastKind::DoubleColon,
        expr: value,
        data_type,
        format: None,
        ..
    } = expr
    else {
        return None;
    };
    let clickhouse_type: ChType = clickhouse_spelling(&data_type.to_string()).parse().ok()?;
    // To text as ClickHouse prints values (`2024-01-01 10:00:00`, `['a','b']`).
    if clickhouse_type.base() == &ChType::String && !clickhouse_type.is_nullable() {
        return Some(call("toString", vec![(**value).clone()]));
    }
    let arrow_type = clickhouse_type.arrow_type().to_string();
    Some(call(
        "arrow_cast",
        vec![
            (**value).clone(),
            Expr::value(Value::SingleQuotedString(arrow_type)),
        ],
    ))
}

/// A type name as sqlparser prints it (`Array(STRING)`, `FLOAT64`), spelt as ClickHouse does.
fn clickhouse_spelling(printed: &str) -> String {
    const SPELLINGS: &[(&str, &str)] = &[
        ("STRING", "String"),
        ("FLOAT32", "Float32"),
        ("FLOAT64", "Float64"),
        ("DATE", "Date"),
        ("DATETIME", "DateTime"),
        ("BOOL", "Bool"),
        ("DECIMAL", "Decimal"),
    ];
    let mut spelt = String::with_capacity(printed.len());
    let mut word = String::new();
    for c in printed.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        let replacement = SPELLINGS.iter().find(|(from, _)| *from == word);
        spelt.push_str(replacement.map_or(word.as_str(), |(_, to)| to));
        word.clear();
        spelt.push(c);
    }
    spelt.pop();
    spelt
}

/// `isNull(x)` as `x IS NULL`, `isNotNull(x)` as `x IS NOT NULL`.
fn null_test(expr: &Expr) -> Option<Expr> {
    let Expr::Function(function) = expr else {
        return None;
    };
    let name = plain_name(function)?.to_ascii_lowercase();
    let [argument] = single_arguments(function)?;
    match name.as_str() {
        "isnull" => Some(Expr::IsNull(Box::new(argument))),
        "isnotnull" => Some(Expr::IsNotNull(Box::new(argument))),
        _ => None,
    }
}

/// `toUnixTimestamp(t)` as `toUInt32(to_unixtime(t))`.
fn unix_timestamp(function: &Function) -> Option<Expr> {
    if !plain_name(function)?.eq_ignore_ascii_case("toUnixTimestamp") {
        return None;
    }
    let [time] = single_arguments(function)?;
    Some(call("toUInt32", vec![call("to_unixtime", vec![time])]))
}

/// The one plain argument of a call.
fn single_arguments(function: &Function) -> Option<[Expr; 1]> {
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(argument))] if list.clauses.is_empty() => {
            Some([argument.clone()])
        }
        _ => None,
    }
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
            .map(|pair| {
                let mut condition = pair[0].clone();
                as_condition(&mut condition);
                CaseWhen {
                    condition,
                    result: pair[1].clone(),
                }
            })
            .collect(),
        else_result: Some(Box::new(otherwise[0].clone())),
    })
}

/// The levels of a parametric aggregate (`quantile(0.5, 0.9)(x)`), or None without any.
fn levels(function: &Function) -> Option<Vec<Expr>> {
    let FunctionArguments::List(list) = &function.parameters else {
        return None;
    };
    list.args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(level)) => Some(level.clone()),
            _ => None,
        })
        .collect()
}

/// `quantile(level)(x)` as `quantile(x, level)` (the level defaults to 0.5), the aggregate
/// `functions::quantile` implements.
fn quantile_with_level_argument(function: &mut Function) {
    let level = match levels(function).as_deref() {
        None => Expr::value(Value::Number("0.5".to_string(), false)),
        Some([level]) => level.clone(),
        Some(_) => return,
    };
    if let FunctionArguments::List(list) = &mut function.args
        && list.args.len() == 1
    {
        list.args
            .push(FunctionArg::Unnamed(FunctionArgExpr::Expr(level)));
        function.parameters = FunctionArguments::None;
        rename(function, "quantile");
    }
}

/// `quantiles(l1, l2, ...)(x)` as an array of `quantile(x, l)`, filter kept.
fn quantiles_as_array(function: &Function) -> Option<Expr> {
    if !plain_name(function)?.eq_ignore_ascii_case("quantiles") {
        return None;
    }
    let quantiles = levels(function)?
        .into_iter()
        .map(|level| {
            let mut quantile = function.clone();
            quantile.parameters = FunctionArguments::List(FunctionArgumentList {
                duplicate_treatment: None,
                args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(level))],
                clauses: Vec::new(),
            });
            quantile_with_level_argument(&mut quantile);
            Expr::Function(quantile)
        })
        .collect();
    Some(call("make_array", quantiles))
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

/// Gives the unaliased expressions of every SELECT their ClickHouse names, so a subquery's
/// or a pipe node's columns are called as ClickHouse calls them.
struct NameSelected;

impl VisitorMut for NameSelected {
    type Break = ();

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        name_selected_expressions(select);
        ControlFlow::Continue(())
    }
}

fn name_selected_expressions(select: &mut Select) {
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
        let mut condition = condition;
        as_condition(&mut condition);
        if base == "count" && list.args.is_empty() {
            // `countIf(cond)` counts the rows where the condition holds: the non-NULL values
            // of `nullif(cond, false)`. (A FILTER clause would copy every column the query
            // reads, once per filtered aggregate, when there is no GROUP BY.)
            let only_true = call(
                "nullif",
                vec![condition, Expr::Value(Value::Boolean(false).into())],
            );
            list.args
                .push(FunctionArg::Unnamed(FunctionArgExpr::Expr(only_true)));
        } else {
            function.filter = Some(Box::new(condition));
        }
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
    // groupArray and groupUniqArray skip NULLs (DataFusion's array_agg keeps them).
    if matches!(lower.as_deref(), Some("grouparray" | "groupuniqarray"))
        && let FunctionArguments::List(list) = &function.args
        && let [FunctionArg::Unnamed(FunctionArgExpr::Expr(value))] = list.args.as_slice()
    {
        let not_null = Expr::IsNotNull(Box::new(value.clone()));
        function.filter = Some(Box::new(match function.filter.take() {
            Some(condition) => Expr::BinaryOp {
                left: Box::new(Expr::Nested(condition)),
                op: BinaryOperator::And,
                right: Box::new(not_null),
            },
            None => not_null,
        }));
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
    // ClickHouse's median is quantile(0.5), sampled as it is.
    if matches!(lower.as_deref(), Some("quantile" | "median")) {
        quantile_with_level_argument(function);
    }
    // `sum(x = 1)`, `max(x = 1)`: ClickHouse aggregates comparisons as the UInt8 they are.
    if matches!(lower.as_deref(), Some("sum" | "avg" | "min" | "max"))
        && let FunctionArguments::List(list) = &mut function.args
        && let [FunctionArg::Unnamed(FunctionArgExpr::Expr(argument))] = list.args.as_mut_slice()
        && is_boolean_form(argument)
    {
        let boolean = std::mem::replace(argument, Expr::value(Value::Null));
        *argument = call("toUInt8", vec![boolean]);
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
            "SELECT toUInt64(count(nullif(a > 1, false))) AS n, sum(b) FILTER (WHERE c = 'x') AS s, \
             CASE WHEN CAST(a AS BOOLEAN) THEN 1 ELSE 2 END AS m FROM t"
        );
        assert_eq!(
            rewritten("SELECT uniqExactIf(u, ok) AS a, countDistinct(u) AS b FROM t"),
            "SELECT toUInt64(uniqExact(u) FILTER (WHERE CAST(ok AS BOOLEAN))) AS a, \
             toUInt64(count(DISTINCT u)) AS b FROM t"
        );
    }

    #[test]
    fn unaliased_expressions_get_clickhouse_names() {
        assert_eq!(
            rewritten("SELECT count(), a + 1, sum(x), -1, quantile(0.5)(d), k FROM t"),
            "SELECT toUInt64(count()) AS `count()`, a + 1 AS `plus(a, 1)`, \
             sum(x) AS `sum(x)`, -1 AS `-1`, quantile(d, 0.5) AS `quantile(0.5)(d)`, k FROM t"
        );
    }
}
