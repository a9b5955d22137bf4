//! ClickHouse's semantics applied to a planned statement, before DataFusion optimises it:
//! - outer joins fill the columns of rows without a match with their type's default (`0`,
//!   `''`), as ClickHouse does with its default `join_use_nulls = 0`, where DataFusion gives
//!   NULL; a column that was already nullable keeps its NULLs;
//! - the keys of `ROLLUP`, `CUBE` and `GROUPING SETS` rows that total over a key hold the
//!   key's default, as ClickHouse's (default `group_by_use_nulls = 0`), not NULL;
//! - computed boolean columns of the result are UInt8, as ClickHouse has no boolean results.

use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result, ScalarValue};
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::logical_expr::{
    Expr, ExprSchemable, JoinType, LogicalPlan, LogicalPlanBuilder, lit,
};

/// The planned statement with ClickHouse's semantics.
pub(crate) fn apply(plan: LogicalPlan) -> Result<LogicalPlan> {
    let plan = defaults_above(plan, padded_join_columns)?;
    let plan = defaults_above(plan, rolled_up_keys)?;
    computed_booleans_as_uint8(plan)
}

/// Adds above each node for which `filled` marks columns a projection that gives those
/// columns their type's default where they are NULL, and recomputes the schemas above it.
fn defaults_above(
    plan: LogicalPlan,
    filled: impl Fn(&LogicalPlan) -> Option<Vec<bool>>,
) -> Result<LogicalPlan> {
    let mut any_filled = false;
    plan.transform_up_with_subqueries(|node| {
        let Some(columns) = filled(&node).filter(|columns| columns.contains(&true)) else {
            // Above a node given defaults, columns may no longer be nullable.
            return Ok(match any_filled {
                true => Transformed::yes(node.recompute_schema()?),
                false => Transformed::no(node),
            });
        };
        let outputs = node
            .schema()
            .iter()
            .zip(columns)
            .map(|((qualifier, field), fill)| {
                let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
                match (fill, ScalarValue::new_default(field.data_type())) {
                    (true, Ok(default)) => coalesce(vec![column, lit(default)])
                        .alias_qualified(qualifier.cloned(), field.name()),
                    _ => column,
                }
            })
            .collect::<Vec<_>>();
        any_filled = true;
        Ok(Transformed::yes(
            LogicalPlanBuilder::from(node).project(outputs)?.build()?,
        ))
    })
    .map(|transformed| transformed.data)
}

/// The columns of an outer join's side without a match that were not nullable before it.
fn padded_join_columns(node: &LogicalPlan) -> Option<Vec<bool>> {
    let LogicalPlan::Join(join) = node else {
        return None;
    };
    let (left_padded, right_padded) = match join.join_type {
        JoinType::Left => (false, true),
        JoinType::Right => (true, false),
        JoinType::Full => (true, true),
        _ => return None,
    };
    let left = join
        .left
        .schema()
        .fields()
        .iter()
        .map(|f| left_padded && !f.is_nullable());
    let right = join
        .right
        .schema()
        .fields()
        .iter()
        .map(|f| right_padded && !f.is_nullable());
    Some(left.chain(right).collect())
}

/// The keys of a `ROLLUP`, `CUBE` or `GROUPING SETS` aggregate that were not nullable before it.
fn rolled_up_keys(node: &LogicalPlan) -> Option<Vec<bool>> {
    let LogicalPlan::Aggregate(aggregate) = node else {
        return None;
    };
    let [Expr::GroupingSet(sets)] = aggregate.group_expr.as_slice() else {
        return None;
    };
    let keys: Vec<bool> = sets
        .distinct_expr()
        .iter()
        .map(|key| !key.nullable(aggregate.input.schema()).unwrap_or(true))
        .collect();
    let others = node.schema().fields().len() - keys.len();
    Some(
        keys.into_iter()
            .chain(std::iter::repeat_n(false, others))
            .collect(),
    )
}

/// ClickHouse has no boolean results: comparisons, `LIKE`, `AND`, `startsWith`... answer
/// UInt8 0 or 1 (a `Bool` column read as it is stays `Bool`). Casts the result's boolean
/// columns that were computed, wherever in the plan, to UInt8.
fn computed_booleans_as_uint8(plan: LogicalPlan) -> Result<LogicalPlan> {
    use datafusion::logical_expr::cast;
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
/// from a table or an aggregate or cast to Bool on purpose (false), followed through
/// projections, group keys and the nodes that pass their input's columns on.
fn is_computed(plan: &LogicalPlan, index: usize) -> bool {
    use datafusion::logical_expr::Distinct;
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
