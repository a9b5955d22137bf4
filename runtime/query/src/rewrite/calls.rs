//! ClickHouse calls said with other calls:
//! - lambdas: `arrayMap(x -> body, arr)` becomes `arrayMap('x', '<body>', arr, c...)`, the
//!   lambda's parameters and its body as text, then the arrays, then the outer values the body
//!   reads (`c...`, named `__capture_0`... in the body), which the higher-order functions plan
//!   and evaluate over the arrays' elements (`functions::lambdas`);
//! - `toDecimal256(x, s)` becomes `arrow_cast(x, 'Decimal256(76, s)')` (the narrower ones are
//!   functions of their own);
//! - `toStartOfWeek(t, mode)` becomes `toMonday(t)` for the modes whose weeks start on Monday;
//! - `toStartOfInterval(t, INTERVAL n unit)` becomes `toStartOfInterval(t, n, 'unit')`;
//! - `topK(n)(x)` becomes `topK(x, n)`;
//! - `uniq(a, b)`, `uniqExact(a, b)` and `count(DISTINCT a, b)` count distinct `struct(a, b)`;
//! - `addDays(t, n)` and its siblings become `t + toIntervalDay(n)`, `subtractDays` `-`;
//! - `indexOf(arr, x)` becomes the 1-based `array_position` (0 when absent), `isNaN`,
//!   `isInfinite`, `isFinite` tests on `isnan` and `abs`, `multiMatchAny(s, ['a', 'b'])` one
//!   `regexp_like` of the alternatives;
//! - `mapKeys`, `mapValues`, `mapFromArrays` become `map_keys`, `map_values`, `map`,
//!   `mapContains(m, k)` a search of its keys, and `mapFilter((k, v) -> cond, m)` the map of
//!   the keys and of the values `arrayFilter` keeps;
//! - `groupArraySample(n)(x)` becomes the first `n` of `groupArray(x)`;
//! - `arrayStringConcat` becomes `array_to_string`, `extract(s, re)` the first group of
//!   `regexp_match` ('' without a match), `replaceRegexpAll`/`replaceRegexpOne`
//!   `regexp_replace` with the replacement's `\1` spelt `${1}`.

use std::ops::ControlFlow;

use colibri_types::ChType;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, DateTimeField, DuplicateTreatment, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArguments, Ident, LambdaFunction, OneOrManyWithParens, UnaryOperator,
    Value, visit_expressions_mut,
};

use super::{call, levels, plain_name};
use crate::functions::capture_name;

/// Higher-order functions (lower-case) that take a lambda first.
const HIGHER_ORDER: &[&str] = &[
    "arraymap",
    "arrayfilter",
    "arrayexists",
    "arrayall",
    "arraycount",
    "arraysort",
    "arrayreversesort",
];

/// The call `function` said another way, or None when it stays as it is.
pub(super) fn translate(function: &Function) -> Option<Expr> {
    let name = plain_name(function)?.to_ascii_lowercase();
    if HIGHER_ORDER.contains(&name.as_str()) {
        return lambda_call(function);
    }
    if name == "topk" {
        let n = match levels(function).as_deref() {
            None => Expr::value(Value::Number("10".to_string(), false)),
            Some([n]) => n.clone(),
            Some(_) => return None,
        };
        let mut args = arguments(function)?;
        args.push(n);
        return Some(call("topK", args));
    }
    if name == "grouparraysample" {
        let [n] = levels(function)?.try_into().ok()?;
        let [value] = arguments(function)?.try_into().ok()?;
        let one = Expr::value(Value::Number("1".to_string(), false));
        // groupArray's values: the non-NULL ones.
        let mut all = call("array_agg", vec![value.clone()]);
        if let Expr::Function(aggregate) = &mut all {
            aggregate.filter = Some(Box::new(Expr::IsNotNull(Box::new(value))));
        }
        return Some(call("array_slice", vec![all, one, n]));
    }
    if function.filter.is_some() || function.over.is_some() {
        return None;
    }
    let distinct = matches!(&function.args, FunctionArguments::List(list)
        if list.duplicate_treatment == Some(DuplicateTreatment::Distinct));
    let args = arguments(function)?;
    match (name.as_str(), args.as_slice()) {
        ("uniq" | "uniqexact" | "count", [_, _, ..]) if name != "count" || distinct => {
            let mut count = call("count", vec![call("struct", args.clone())]);
            if let Expr::Function(count) = &mut count
                && let FunctionArguments::List(list) = &mut count.args
            {
                list.duplicate_treatment = Some(DuplicateTreatment::Distinct);
            }
            Some(count)
        }
        ("todecimal256", [value, scale]) => {
            let Expr::Value(scale) = scale else {
                return None;
            };
            let decimal: ChType = format!("Decimal(76, {scale})").parse().ok()?;
            Some(call(
                "arrow_cast",
                vec![value.clone(), text(&decimal.arrow_type().to_string())],
            ))
        }
        ("tostartofweek", [time, Expr::Value(mode)]) => {
            let monday = mode.to_string().parse::<u8>().ok()? % 2 == 1;
            let name = if monday { "toMonday" } else { "toStartOfWeek" };
            Some(call(name, vec![time.clone()]))
        }
        ("tostartofinterval", [time, Expr::Interval(interval)]) => {
            let unit = match interval.leading_field.as_ref()? {
                DateTimeField::Second | DateTimeField::Seconds => "second",
                DateTimeField::Minute | DateTimeField::Minutes => "minute",
                DateTimeField::Hour | DateTimeField::Hours => "hour",
                DateTimeField::Day | DateTimeField::Days => "day",
                DateTimeField::Week(_) | DateTimeField::Weeks => "week",
                DateTimeField::Month | DateTimeField::Months => "month",
                DateTimeField::Quarter => "quarter",
                DateTimeField::Year | DateTimeField::Years => "year",
                _ => return None,
            };
            Some(call(
                "toStartOfInterval",
                vec![time.clone(), (*interval.value).clone(), text(unit)],
            ))
        }
        ("indexof", [array, value]) => {
            let position = call("array_position", vec![array.clone(), value.clone()]);
            let zero = Expr::value(Value::Number("0".to_string(), false));
            Some(call(
                "toUInt64",
                vec![call("coalesce", vec![position, zero])],
            ))
        }
        ("isnan", [x]) => Some(call("toUInt8", vec![call("isnan", vec![x.clone()])])),
        ("isinfinite" | "isfinite", [x]) => {
            let infinite = Expr::BinaryOp {
                left: Box::new(call("abs", vec![x.clone()])),
                op: BinaryOperator::Eq,
                right: Box::new(call("arrow_cast", vec![text("inf"), text("Float64")])),
            };
            let test = match name.as_str() {
                "isinfinite" => infinite,
                _ => Expr::UnaryOp {
                    op: UnaryOperator::Not,
                    expr: Box::new(Expr::BinaryOp {
                        left: Box::new(Expr::Nested(Box::new(infinite))),
                        op: BinaryOperator::Or,
                        right: Box::new(call("isnan", vec![x.clone()])),
                    }),
                },
            };
            Some(call("toUInt8", vec![test]))
        }
        ("multimatchany", [haystack, Expr::Array(patterns)]) => {
            let patterns = patterns
                .elem
                .iter()
                .map(|pattern| match pattern {
                    Expr::Value(value) => match &value.value {
                        Value::SingleQuotedString(pattern) => Some(format!("(?:{pattern})")),
                        _ => None,
                    },
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            let matches = call(
                "regexp_like",
                vec![haystack.clone(), text(&patterns.join("|"))],
            );
            Some(call("toUInt8", vec![matches]))
        }
        (shift, [time, amount]) if shift.starts_with("add") || shift.starts_with("subtract") => {
            let (unit, op) = match shift.strip_prefix("add") {
                Some(unit) => (unit, BinaryOperator::Plus),
                None => (&shift["subtract".len()..], BinaryOperator::Minus),
            };
            let unit = unit.strip_suffix('s')?;
            if ![
                "second", "minute", "hour", "day", "week", "month", "quarter", "year",
            ]
            .contains(&unit)
            {
                return None;
            }
            Some(Expr::BinaryOp {
                left: Box::new(time.clone()),
                op,
                right: Box::new(call(&format!("toInterval{unit}"), vec![amount.clone()])),
            })
        }
        ("mapkeys", [map]) => Some(call("map_keys", vec![map.clone()])),
        ("mapvalues", [map]) => Some(call("map_values", vec![map.clone()])),
        ("mapfromarrays", [keys, values]) => Some(call("map", vec![keys.clone(), values.clone()])),
        ("mapcontains", [map, key]) => {
            let keys = call("map_keys", vec![map.clone()]);
            Some(call(
                "toUInt8",
                vec![call("array_has", vec![keys, key.clone()])],
            ))
        }
        ("mapfilter", [Expr::Lambda(lambda), map]) => map_filter(lambda, map),
        ("arraystringconcat", [array]) => {
            Some(call("array_to_string", vec![array.clone(), text("")]))
        }
        ("arraystringconcat", [array, separator]) => Some(call(
            "array_to_string",
            vec![array.clone(), separator.clone()],
        )),
        ("extract", [haystack, pattern]) => {
            let first = Expr::value(Value::Number("1".to_string(), false));
            let matched = call("regexp_match", vec![haystack.clone(), pattern.clone()]);
            Some(call(
                "coalesce",
                vec![call("array_element", vec![matched, first]), text("")],
            ))
        }
        ("replaceregexpall" | "replaceregexpone", [haystack, pattern, Expr::Value(value)]) => {
            let Value::SingleQuotedString(replacement) = &value.value else {
                return None;
            };
            let mut args = vec![
                haystack.clone(),
                pattern.clone(),
                text(&rust_regex_replacement(replacement)),
            ];
            if name == "replaceregexpall" {
                args.push(text("g"));
            }
            Some(call("regexp_replace", args))
        }
        _ => None,
    }
}

/// `mapFilter((k, v) -> cond, m)`: the map of the keys `arrayFilter` keeps and of the values
/// it keeps, the second filter's lambda taking its parameters the other way round.
fn map_filter(lambda: &LambdaFunction, map: &Expr) -> Option<Expr> {
    let OneOrManyWithParens::Many(params) = &lambda.params else {
        return None;
    };
    let [key, value] = params.as_slice() else {
        return None;
    };
    let swapped = LambdaFunction {
        params: OneOrManyWithParens::Many(vec![value.clone(), key.clone()]),
        ..lambda.clone()
    };
    let keys = call("map_keys", vec![map.clone()]);
    let values = call("map_values", vec![map.clone()]);
    let filtered = |lambda: LambdaFunction, first: &Expr, second: &Expr| {
        let Expr::Function(filter) = call(
            "arrayFilter",
            vec![Expr::Lambda(lambda), first.clone(), second.clone()],
        ) else {
            return None;
        };
        lambda_call(&filter)
    };
    Some(call(
        "map",
        vec![
            filtered(lambda.clone(), &keys, &values)?,
            filtered(swapped, &values, &keys)?,
        ],
    ))
}

/// `f(x, y -> body, a, b)` as `f('x,y', '<body>', a, b, captures...)`.
fn lambda_call(function: &Function) -> Option<Expr> {
    let mut args = arguments(function)?;
    let Some(Expr::Lambda(lambda)) = args.first() else {
        // `arrayCount(arr)`, `arrayReverseSort(arr)`: the elements themselves, `x -> x`.
        let [array] = args.as_slice() else {
            return None;
        };
        let name = plain_name(function)?;
        if ["arraymap", "arrayfilter", "arraysort"].contains(&name.to_ascii_lowercase().as_str()) {
            return None;
        }
        return Some(call(name, vec![text("x"), text("x"), array.clone()]));
    };
    let params: Vec<String> = match &lambda.params {
        OneOrManyWithParens::One(param) => vec![param.name.value.clone()],
        OneOrManyWithParens::Many(params) => params.iter().map(|p| p.name.value.clone()).collect(),
    };
    let mut body = (*lambda.body).clone();
    let mut captured: Vec<Expr> = Vec::new();
    let _ = visit_expressions_mut(&mut body, |expr| {
        let free = match expr {
            Expr::Identifier(ident) => !params.contains(&ident.value),
            Expr::CompoundIdentifier(_) => true,
            _ => false,
        };
        if free {
            let index = match captured.iter().position(|c| c == expr) {
                Some(index) => index,
                None => {
                    captured.push(expr.clone());
                    captured.len() - 1
                }
            };
            *expr = Expr::Identifier(Ident::new(capture_name(index)));
        }
        ControlFlow::<()>::Continue(())
    });
    args.remove(0);
    let mut rewritten = vec![text(&params.join(",")), text(&body.to_string())];
    rewritten.extend(args);
    rewritten.extend(captured);
    Some(call(plain_name(function)?, rewritten))
}

/// The plain arguments of a call (no named arguments, no clauses).
fn arguments(function: &Function) -> Option<Vec<Expr>> {
    let FunctionArguments::List(list) = &function.args else {
        return Some(Vec::new());
    };
    if !list.clauses.is_empty() {
        return None;
    }
    list.args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn text(value: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(value.to_string()))
}

/// A ClickHouse (RE2) replacement, where `\0`..`\9` name groups and `$` is itself, in the
/// syntax of Rust's `regex`, where groups are `${n}` and `$` is written `$$`.
fn rust_regex_replacement(replacement: &str) -> String {
    let mut rust = String::with_capacity(replacement.len());
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(digit @ '0'..='9') => {
                    rust.push_str("${");
                    rust.push(digit);
                    rust.push('}');
                }
                Some('$') => rust.push_str("$$"),
                Some(other) => rust.push(other),
                None => rust.push('\\'),
            },
            '$' => rust.push_str("$$"),
            c => rust.push(c),
        }
    }
    rust
}

#[cfg(test)]
mod tests {
    use super::rust_regex_replacement;

    #[test]
    fn replacements_name_groups_as_rust_regex_does() {
        assert_eq!(rust_regex_replacement(r"<\1> $ \0"), "<${1}> $$ ${0}");
        assert_eq!(rust_regex_replacement(r"a\\b"), r"a\b");
    }
}
