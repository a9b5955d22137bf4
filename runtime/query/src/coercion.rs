//! ClickHouse's types for numbers, applied to the logical plan as an analyzer rule that runs
//! before DataFusion's own type coercion:
//! - an integer literal has the smallest type that holds it (`1` is UInt8, `-200` Int16),
//!   where it is selected or is an operand of arithmetic (operators and `intDiv`);
//! - `a + b` and `a * b` widen to twice the wider operand's size (UInt8 + UInt8 is UInt16,
//!   capped at 64 bits), signed when either operand is; `a - b` likewise, always signed;
//!   `a / b` is Float64; `a % b` has the divisor's size (signed, and wider when the dividend
//!   is signed and the divisor is not); any float makes Float64;
//! - a boolean (a comparison, which ClickHouse answers as UInt8) is UInt8 where it meets a
//!   number: in arithmetic and in a comparison with a number (`sum(x = 1)` is rewritten on
//!   the statement, `rewrite.rs`, as the aggregate's argument types are checked earlier).
//!
//! - a time plus or minus an integer adds seconds (`t + 60`), as an interval;
//! - a CASE (`if`, `multiIf`) whose results are integers, some literals, has their
//!   supertype (`if(c, 1, 0)` is UInt8).
//!
//! Decimals, dates and intervals keep DataFusion's rules.
//!
//! LowCardinality text columns are read as dictionaries (comparisons and GROUP BY keys work
//! on them as such); a function's (but `toTypeName`'s), an aggregate's or a CASE result's
//! argument gets their values instead, as a String: what every function of the library takes,
//! and the type ClickHouse gives `if(c, 'x', country)`, `groupArray(country)` or
//! `topK(1)(country)`.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, cast};
use datafusion::optimizer::AnalyzerRule;
use datafusion::sql::sqlparser::ast::BinaryOperator as SqlOperator;

/// The analyzer rule; see the module documentation.
#[derive(Debug, Default)]
pub struct ClickHouseNumbers;

impl AnalyzerRule for ClickHouseNumbers {
    fn name(&self) -> &str {
        "clickhouse_numbers"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        Ok(plan.transform_up_with_subqueries(retype_plan)?.data)
    }
}

fn retype_plan(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let mut schema = merge_schema(&plan.inputs());
    if let LogicalPlan::TableScan(scan) = &plan {
        schema.merge(&DFSchema::try_from_qualified_schema(
            scan.table_name.clone(),
            &scan.source.schema(),
        )?);
    }
    let selects = matches!(plan, LogicalPlan::Projection(_));
    let names = NamePreserver::new(&plan);
    plan.map_expressions(|expr| {
        let name = names.save(&expr);
        let expr = if selects {
            select_literal(expr)
        } else {
            Transformed::no(expr)
        };
        expr.transform_data(|expr| {
            expr.transform_up(|e| {
                dictionary_values(e, &schema)?.transform_data(|e| retype(e, &schema))
            })
        })
        .map(|retyped| retyped.update_data(|e| name.restore(e)))
    })?
    .map_data(|plan| plan.recompute_schema())
}

/// A selected integer literal (`SELECT 1`) in its smallest type.
fn select_literal(expr: Expr) -> Transformed<Expr> {
    let (inner, alias) = match expr {
        Expr::Alias(alias) => (*alias.expr, Some((alias.relation, alias.name))),
        other => (other, None),
    };
    let Some(narrowed) = narrowed_literal(&inner) else {
        let expr = match alias {
            Some((relation, name)) => inner.alias_qualified(relation, name),
            None => inner,
        };
        return Transformed::no(expr);
    };
    let narrowed = Expr::Literal(narrowed, None);
    Transformed::yes(match alias {
        Some((relation, name)) => narrowed.alias_qualified(relation, name),
        None => narrowed,
    })
}

/// The arguments of functions and aggregates, and the results of a CASE, that are
/// dictionaries, cast to their values.
fn dictionary_values(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let mut changed = false;
    let mut values = |arg: &mut Expr| -> Result<()> {
        if let DataType::Dictionary(_, value) = arg.get_type(schema)? {
            *arg = cast(std::mem::take(arg), *value);
            changed = true;
        }
        Ok(())
    };
    let expr = match expr {
        // `toTypeName` names the argument's own type.
        Expr::ScalarFunction(mut function) if function.func.name() != "totypename" => {
            function.args.iter_mut().try_for_each(&mut values)?;
            Expr::ScalarFunction(function)
        }
        Expr::AggregateFunction(mut aggregate) => {
            aggregate.params.args.iter_mut().try_for_each(&mut values)?;
            Expr::AggregateFunction(aggregate)
        }
        Expr::Case(mut case) => {
            for (_, then) in &mut case.when_then_expr {
                values(then)?;
            }
            if let Some(otherwise) = &mut case.else_expr {
                values(otherwise)?;
            }
            Expr::Case(case)
        }
        other => other,
    };
    Ok(if changed {
        Transformed::yes(expr)
    } else {
        Transformed::no(expr)
    })
}

fn retype(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (Some(left_type), Some(right_type)) = (
                clickhouse_type(&left, schema),
                clickhouse_type(&right, schema),
            ) else {
                return Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr {
                    left,
                    op,
                    right,
                })));
            };
            Ok(match op {
                Operator::Plus
                | Operator::Minus
                | Operator::Multiply
                | Operator::Divide
                | Operator::Modulo => {
                    arithmetic(*left, op, *right, &left_type, &right_type, schema)
                }
                Operator::Eq
                | Operator::NotEq
                | Operator::Lt
                | Operator::LtEq
                | Operator::Gt
                | Operator::GtEq => {
                    let left_boolean = is_boolean(&left, schema);
                    let right_boolean = is_boolean(&right, schema);
                    if left_boolean != right_boolean {
                        Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                            left: Box::new(boolean_as_uint8(*left, left_boolean)),
                            op,
                            right: Box::new(boolean_as_uint8(*right, right_boolean)),
                        }))
                    } else {
                        Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right }))
                    }
                }
                _ => Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right })),
            })
        }
        // `intDiv(x, 3)`: the divisor is a UInt8, as in any ClickHouse arithmetic.
        Expr::ScalarFunction(mut function) if function.func.name().starts_with("intdiv") => {
            let mut narrowed = false;
            for arg in &mut function.args {
                if let Some(literal) = narrowed_literal(arg) {
                    *arg = Expr::Literal(literal, None);
                    narrowed = true;
                }
            }
            Ok(if narrowed {
                Transformed::yes(Expr::ScalarFunction(function))
            } else {
                Transformed::no(Expr::ScalarFunction(function))
            })
        }
        Expr::Case(case) => Ok(integer_results(case, schema)),
        other => Ok(Transformed::no(other)),
    }
}

/// `if(c, 1, 0)`, `multiIf(c1, x, c2, 10, 0)`: when a CASE's results are integers and some are
/// literals, the CASE has their ClickHouse supertype (UInt8 for `if(c, 1, 0)`, the column's
/// type for `if(c, x, 0)` where `x` holds the literals), not DataFusion's Int64.
fn integer_results(
    mut case: datafusion::logical_expr::expr::Case,
    schema: &DFSchema,
) -> Transformed<Expr> {
    let results: Vec<&Expr> = case
        .when_then_expr
        .iter()
        .map(|(_, then)| then.as_ref())
        .chain(case.else_expr.as_deref())
        .filter(|result| !matches!(result, Expr::Literal(ScalarValue::Null, _)))
        .collect();
    let literals = results.iter().any(|r| narrowed_literal(r).is_some());
    let kinds: Option<Vec<(u32, bool)>> = results
        .iter()
        .map(|r| clickhouse_type(r, schema).as_ref().and_then(integer))
        .collect();
    let (Some(kinds), true) = (kinds, literals) else {
        return Transformed::no(Expr::Case(case));
    };
    let unsigned_bits = kinds.iter().filter(|k| !k.1).map(|k| k.0).max();
    let signed_bits = kinds.iter().filter(|k| k.1).map(|k| k.0).max();
    let target = match (unsigned_bits, signed_bits) {
        (Some(bits), None) => integer_type(bits, false),
        (None, Some(bits)) => integer_type(bits, true),
        (Some(unsigned), Some(signed)) => integer_type(signed.max(unsigned * 2).min(64), true),
        (None, None) => None,
    };
    let Some(target) = target else {
        return Transformed::no(Expr::Case(case));
    };
    let retyped = |result: Expr| -> Expr {
        if matches!(result, Expr::Literal(ScalarValue::Null, _)) {
            return result;
        }
        let result = match narrowed_literal(&result) {
            Some(narrowed) => Expr::Literal(narrowed, None),
            None => result,
        };
        if result.get_type(schema).is_ok_and(|t| t == target) {
            result
        } else {
            cast(result, target.clone())
        }
    };
    for (_, then) in &mut case.when_then_expr {
        let result = std::mem::replace(then.as_mut(), Expr::Literal(ScalarValue::Null, None));
        **then = retyped(result);
    }
    if let Some(otherwise) = case.else_expr.as_mut() {
        let result = std::mem::replace(otherwise.as_mut(), Expr::Literal(ScalarValue::Null, None));
        **otherwise = retyped(result);
    }
    Transformed::yes(Expr::Case(case))
}

/// Plans `time + n` and `time - n` (`n` an integer) as ClickHouse means them, `n` seconds
/// (`toIntervalSecond(n)`), where DataFusion has no arithmetic between times and numbers.
/// An expression planner, because DataFusion types each operation as it plans it.
#[derive(Debug)]
pub struct TimeArithmetic;

impl ExprPlanner for TimeArithmetic {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        let op = match expr.op {
            SqlOperator::Plus => Operator::Plus,
            SqlOperator::Minus => Operator::Minus,
            _ => return Ok(PlannerResult::Original(expr)),
        };
        let (Ok(left_type), Ok(right_type)) =
            (expr.left.get_type(schema), expr.right.get_type(schema))
        else {
            return Ok(PlannerResult::Original(expr));
        };
        let is_time = |t: &DataType| matches!(t, DataType::Timestamp(..));
        let is_whole = |t: &DataType| {
            integer(t).is_some()
                || matches!(t, DataType::Decimal128(_, 0) | DataType::Decimal256(_, 0))
        };
        let time_and_number = (is_time(&left_type) && is_whole(&right_type))
            || (op == Operator::Plus && is_whole(&left_type) && is_time(&right_type));
        if !time_and_number {
            return Ok(PlannerResult::Original(expr));
        }
        let seconds = |side: Expr, data_type: &DataType| match is_whole(data_type) {
            true => Expr::ScalarFunction(ScalarFunction::new_udf(
                Arc::new(crate::functions::seconds_interval()),
                vec![side],
            )),
            false => side,
        };
        Ok(PlannerResult::Planned(Expr::BinaryExpr(BinaryExpr::new(
            Box::new(seconds(expr.left, &left_type)),
            op,
            Box::new(seconds(expr.right, &right_type)),
        ))))
    }
}

fn is_boolean(expr: &Expr, schema: &DFSchema) -> bool {
    expr.get_type(schema)
        .is_ok_and(|data_type| data_type == DataType::Boolean)
}

fn boolean_as_uint8(expr: Expr, boolean: bool) -> Expr {
    if boolean {
        cast(expr, DataType::UInt8)
    } else {
        expr
    }
}

/// An arithmetic operation in ClickHouse's result type, when both operands are numbers.
fn arithmetic(
    left: Expr,
    op: Operator,
    right: Expr,
    left_type: &DataType,
    right_type: &DataType,
    schema: &DFSchema,
) -> Transformed<Expr> {
    let Some(result) = arithmetic_type(op, left_type, right_type) else {
        return Transformed::no(Expr::BinaryExpr(BinaryExpr::new(
            Box::new(left),
            op,
            Box::new(right),
        )));
    };
    let operand = |expr: Expr, to: &DataType| -> Expr {
        let expr = match narrowed_literal(&expr) {
            Some(narrowed) => Expr::Literal(narrowed, None),
            None => expr,
        };
        if expr.get_type(schema).is_ok_and(|t| &t == to) {
            expr
        } else {
            cast(expr, to.clone())
        }
    };
    Transformed::yes(if op == Operator::Modulo && !result.is_floating() {
        // The remainder fits the result type, the operands may not: compute in DataFusion's
        // common type, then narrow.
        let left = boolean_as_uint8(left.clone(), left_type == &DataType::Boolean);
        let right = boolean_as_uint8(right.clone(), right_type == &DataType::Boolean);
        cast(
            Expr::BinaryExpr(BinaryExpr::new(Box::new(left), op, Box::new(right))),
            result,
        )
    } else {
        Expr::BinaryExpr(BinaryExpr::new(
            Box::new(operand(left, &result)),
            op,
            Box::new(operand(right, &result)),
        ))
    })
}

/// The type ClickHouse gives an operand: literals in their smallest type, booleans UInt8.
fn clickhouse_type(expr: &Expr, schema: &DFSchema) -> Option<DataType> {
    if let Some(narrowed) = narrowed_literal(expr) {
        return Some(narrowed.data_type());
    }
    match expr.get_type(schema).ok()? {
        DataType::Boolean => Some(DataType::UInt8),
        other => Some(other),
    }
}

/// An integer literal in the smallest type that holds it, as ClickHouse types literals.
fn narrowed_literal(expr: &Expr) -> Option<ScalarValue> {
    let Expr::Literal(ScalarValue::Int64(Some(value)), None) = expr else {
        return None;
    };
    let value = *value;
    Some(if value >= 0 {
        if let Ok(v) = u8::try_from(value) {
            ScalarValue::UInt8(Some(v))
        } else if let Ok(v) = u16::try_from(value) {
            ScalarValue::UInt16(Some(v))
        } else if let Ok(v) = u32::try_from(value) {
            ScalarValue::UInt32(Some(v))
        } else {
            ScalarValue::UInt64(Some(value as u64))
        }
    } else if let Ok(v) = i8::try_from(value) {
        ScalarValue::Int8(Some(v))
    } else if let Ok(v) = i16::try_from(value) {
        ScalarValue::Int16(Some(v))
    } else if let Ok(v) = i32::try_from(value) {
        ScalarValue::Int32(Some(v))
    } else {
        ScalarValue::Int64(Some(value))
    })
}

/// ClickHouse's result type of `left op right`; None when either is not a plain number.
fn arithmetic_type(op: Operator, left: &DataType, right: &DataType) -> Option<DataType> {
    let floating = |t: &DataType| matches!(t, DataType::Float32 | DataType::Float64);
    let (left_int, right_int) = (integer(left), integer(right));
    if !(left_int.is_some() || floating(left)) || !(right_int.is_some() || floating(right)) {
        return None;
    }
    if op == Operator::Divide {
        return Some(DataType::Float64);
    }
    let (Some((left_bits, left_signed)), Some((right_bits, right_signed))) = (left_int, right_int)
    else {
        return Some(DataType::Float64);
    };
    let widened = (left_bits.max(right_bits) * 2).min(64);
    let (bits, signed) = match op {
        Operator::Plus | Operator::Multiply => (widened, left_signed || right_signed),
        Operator::Minus => (widened, true),
        Operator::Modulo if left_signed && !right_signed => ((right_bits * 2).min(64), true),
        Operator::Modulo => (right_bits, left_signed),
        _ => return None,
    };
    integer_type(bits, signed)
}

/// Bits and signedness of a ClickHouse integer type (a boolean counts as UInt8).
pub(crate) fn integer(data_type: &DataType) -> Option<(u32, bool)> {
    Some(match data_type {
        DataType::UInt8 | DataType::Boolean => (8, false),
        DataType::UInt16 => (16, false),
        DataType::UInt32 => (32, false),
        DataType::UInt64 => (64, false),
        DataType::Int8 => (8, true),
        DataType::Int16 => (16, true),
        DataType::Int32 => (32, true),
        DataType::Int64 => (64, true),
        _ => return None,
    })
}

pub(crate) fn integer_type(bits: u32, signed: bool) -> Option<DataType> {
    Some(match (bits, signed) {
        (8, false) => DataType::UInt8,
        (16, false) => DataType::UInt16,
        (32, false) => DataType::UInt32,
        (64, false) => DataType::UInt64,
        (8, true) => DataType::Int8,
        (16, true) => DataType::Int16,
        (32, true) => DataType::Int32,
        (64, true) => DataType::Int64,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_types_follow_clickhouse() {
        use DataType::*;
        // Each line checked with chDB's toTypeName.
        let cases = [
            (Operator::Plus, UInt8, UInt8, UInt16),
            (Operator::Plus, UInt32, UInt8, UInt64),
            (Operator::Plus, Int64, UInt8, Int64),
            (Operator::Plus, UInt8, Int8, Int16),
            (Operator::Minus, UInt8, UInt8, Int16),
            (Operator::Minus, UInt64, UInt64, Int64),
            (Operator::Multiply, UInt32, Int8, Int64),
            (Operator::Multiply, UInt16, UInt16, UInt32),
            (Operator::Plus, Float32, Float32, Float64),
            (Operator::Multiply, UInt8, Float64, Float64),
            (Operator::Divide, UInt8, UInt8, Float64),
            (Operator::Modulo, UInt32, UInt8, UInt8),
            (Operator::Modulo, Int8, UInt32, Int64),
            (Operator::Modulo, UInt32, Int8, UInt8),
            (Operator::Modulo, Int8, UInt8, Int16),
            (Operator::Modulo, Float64, UInt8, Float64),
        ];
        for (op, left, right, expected) in cases {
            assert_eq!(
                arithmetic_type(op, &left, &right),
                Some(expected.clone()),
                "{left} {op} {right}"
            );
        }
        assert_eq!(
            arithmetic_type(Operator::Plus, &Decimal128(9, 2), &UInt8),
            None
        );
    }

    #[test]
    fn literals_take_their_smallest_type() {
        let typed = |v: i64| narrowed_literal(&Expr::Literal(ScalarValue::Int64(Some(v)), None));
        assert_eq!(typed(1), Some(ScalarValue::UInt8(Some(1))));
        assert_eq!(typed(300), Some(ScalarValue::UInt16(Some(300))));
        assert_eq!(typed(70_000), Some(ScalarValue::UInt32(Some(70_000))));
        assert_eq!(
            typed(5_000_000_000),
            Some(ScalarValue::UInt64(Some(5_000_000_000)))
        );
        assert_eq!(typed(-1), Some(ScalarValue::Int8(Some(-1))));
        assert_eq!(typed(-200), Some(ScalarValue::Int16(Some(-200))));
    }
}
