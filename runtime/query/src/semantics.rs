//! ClickHouse's semantics applied to a planned statement, before DataFusion optimises it:
//! - outer joins fill the columns of rows without a match with their type's default (`0`,
//!   `''`), as ClickHouse does with its default `join_use_nulls = 0`, where DataFusion gives
//!   NULL; a column that was already nullable keeps its NULLs;
//! - computed boolean columns of the result are UInt8, as ClickHouse has no boolean results.

use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result, ScalarValue};
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::logical_expr::{JoinType, LogicalPlan, LogicalPlanBuilder, lit};

/// The planned statement with ClickHouse's semantics.
pub(crate) fn apply(plan: LogicalPlan) -> Result<LogicalPlan> {
    computed_booleans_as_uint8(outer_joins_with_defaults(plan)?)
}

fn outer_joins_with_defaults(plan: LogicalPlan) -> Result<LogicalPlan> {
    let mut any_filled = false;
    plan.transform_up_with_subqueries(|node| {
        let LogicalPlan::Join(join) = &node else {
            // Above a join given defaults, columns are no longer nullable.
            return Ok(match any_filled {
                true => Transformed::yes(node.recompute_schema()?),
                false => Transformed::no(node),
            });
        };
        let (left_padded, right_padded) = match join.join_type {
            JoinType::Left => (false, true),
            JoinType::Right => (true, false),
            JoinType::Full => (true, true),
            _ => return Ok(Transformed::no(node)),
        };
        let left_columns = join.left.schema().fields().len();
        let inputs: Vec<bool> = join
            .left
            .schema()
            .fields()
            .iter()
            .chain(join.right.schema().fields().iter())
            .map(|field| field.is_nullable())
            .collect();
        let mut filled = false;
        let outputs = node
            .schema()
            .iter()
            .enumerate()
            .map(|(index, (qualifier, field))| {
                let column = datafusion::logical_expr::Expr::Column(Column::new(
                    qualifier.cloned(),
                    field.name(),
                ));
                let padded = if index < left_columns {
                    left_padded
                } else {
                    right_padded
                };
                let default = ScalarValue::new_default(field.data_type()).ok();
                match default {
                    Some(default) if padded && !inputs[index] => {
                        filled = true;
                        coalesce(vec![column, lit(default)])
                            .alias_qualified(qualifier.cloned(), field.name())
                    }
                    _ => column,
                }
            })
            .collect::<Vec<_>>();
        if !filled {
            return Ok(Transformed::no(node));
        }
        any_filled = true;
        Ok(Transformed::yes(
            LogicalPlanBuilder::from(node).project(outputs)?.build()?,
        ))
    })
    .map(|transformed| transformed.data)
}

/// ClickHouse has no boolean results: comparisons, `LIKE`, `AND`, `startsWith`... answer
/// UInt8 0 or 1 (a `Bool` column read as it is stays `Bool`). Casts the result's boolean
/// columns that were computed, wherever in the plan, to UInt8.
fn computed_booleans_as_uint8(plan: LogicalPlan) -> Result<LogicalPlan> {
    use datafusion::logical_expr::{Expr, LogicalPlanBuilder, cast};
    let computed: Vec<bool> = plan
        .schema()
        .fields()
        .iter()
        .enumerate()
        .map(|(index, field)| {
            field.data_type() == &arrow::datatypes::DataType::Boolean && is_computed(&plan, index)
        })
        .collect();
    if !computed.contains(&true) {
        return Ok(plan);
    }
    let outputs: Vec<Expr> = plan
        .schema()
        .iter()
        .zip(computed)
        .map(|((qualifier, field), computed)| {
            let column = Expr::Column(datafusion::common::Column::new(
                qualifier.cloned(),
                field.name(),
            ));
            if computed {
                cast(column, arrow::datatypes::DataType::UInt8).alias(field.name())
            } else {
                column
            }
        })
        .collect();
    LogicalPlanBuilder::from(plan).project(outputs)?.build()
}

/// Whether column `index` of `plan` is computed by an expression (true) rather than read
/// from a table or an aggregate or cast to Bool on purpose (false), followed through projections, group keys and the
/// nodes that pass their input's columns on.
fn is_computed(plan: &LogicalPlan, index: usize) -> bool {
    use datafusion::logical_expr::{Distinct, Expr, LogicalPlan};
    let follow = |expr: &Expr, input: &LogicalPlan| match expr.clone().unalias() {
        Expr::Column(column) => input
            .schema()
            .index_of_column(&column)
            .is_ok_and(|index| is_computed(input, index)),
        // `CAST(x AS Bool)` asks for a Bool.
        Expr::Cast(_) | Expr::TryCast(_) => false,
        Expr::ScalarFunction(function) => function.func.name() != "arrow_cast",
        _ => true,
    };
    match plan {
        LogicalPlan::Projection(projection) => follow(&projection.expr[index], &projection.input),
        LogicalPlan::Aggregate(aggregate) => {
            let grouping_sets = aggregate
                .group_expr
                .iter()
                .any(|e| matches!(e, Expr::GroupingSet(_)));
            !grouping_sets
                && aggregate
                    .group_expr
                    .get(index)
                    .is_some_and(|key| follow(key, &aggregate.input))
        }
        LogicalPlan::Window(window) => {
            index < window.input.schema().fields().len() && is_computed(&window.input, index)
        }
        LogicalPlan::Sort(_)
        | LogicalPlan::Limit(_)
        | LogicalPlan::Filter(_)
        | LogicalPlan::SubqueryAlias(_)
        | LogicalPlan::Distinct(Distinct::All(_)) => is_computed(plan.inputs()[0], index),
        _ => false,
    }
}
