//! Exact statistics of a table view, so that `count()`, `min(ts)` and `max(ts)` over a whole
//! table are answered from the Delta log instead of a scan, as ClickHouse answers them from
//! its parts' indexes. Delta records each file's row count and, per column, its minimum,
//! maximum and NULL count; the write buffer's rows are counted and measured directly.
//!
//! DataFusion's `AggregateStatistics` rule reads statistics from the plan below an aggregate,
//! but the Parquet scan of the snapshot's files (`provider.rs`) carries none. The scan is
//! therefore wrapped in [`ExactStatistics`], a node that only carries the table's statistics;
//! [`DropExactStatistics`], the physical optimizer rule that runs right after
//! `AggregateStatistics`, removes it, so no later rule (filter, limit or projection pushdown)
//! ever sees it and the plan that runs is the plain scan.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, SchemaRef, TimeUnit};
use chrono::{DateTime, NaiveDate};
use deltalake::DeltaTable;
use deltalake::datafusion::common::config::ConfigOptions;
use deltalake::datafusion::common::stats::Precision;
use deltalake::datafusion::common::tree_node::{
    Transformed, TransformedResult, TreeNode, TreeNodeRecursion,
};
use deltalake::datafusion::common::{ColumnStatistics, Result, ScalarValue, Statistics};
use deltalake::datafusion::execution::TaskContext;
use deltalake::datafusion::functions_aggregate::min_max::{MaxAccumulator, MinAccumulator};
use deltalake::datafusion::logical_expr::Accumulator;
use deltalake::datafusion::physical_optimizer::PhysicalOptimizerRule;
use deltalake::datafusion::physical_plan::statistics::{ChildStats, StatisticsArgs};
use deltalake::datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};
use serde_json::Value;

/// The statistics of the committed files of `delta` and the `buffered` rows, in the logical
/// `schema`; `None` when a file does not record its row count. Minimum and maximum are given
/// only for columns whose Delta statistics are exact (see [`has_exact_bounds`]), not
/// Nullable, and known for every file.
fn table_statistics(
    delta: &DeltaTable,
    schema: &SchemaRef,
    buffered: &[RecordBatch],
) -> Option<Statistics> {
    let mut rows = buffered.iter().map(RecordBatch::num_rows).sum::<usize>();
    let mut columns: Vec<Bounds> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(index, field)| Bounds::of_buffered(buffered, index, field))
        .collect();
    if let Ok(snapshot) = delta.snapshot() {
        for file in snapshot.log_data().iter() {
            let stats: Value = serde_json::from_str(&file.stats()?).ok()?;
            rows += usize::try_from(stats.get("numRecords")?.as_u64()?).ok()?;
            for (field, column) in schema.fields().iter().zip(columns.iter_mut()) {
                let value = |kind: &str| {
                    let value = stats.get(kind)?.get(field.name())?;
                    logical_value(value, field.data_type())
                };
                let nulls = stats
                    .get("nullCount")
                    .and_then(|counts| counts.get(field.name()))
                    .and_then(Value::as_u64);
                column.add(value("minValues"), value("maxValues"), nulls);
            }
        }
    }
    Some(Statistics {
        num_rows: Precision::Exact(rows),
        total_byte_size: Precision::Absent,
        column_statistics: columns.into_iter().map(Bounds::statistics).collect(),
    })
}

/// What is known of one column so far: its NULL count and, while every part seen had
/// them, its bounds.
struct Bounds {
    nulls: Option<u64>,
    /// `None` once a part's bounds are unknown; `Some(None)` while no value was seen.
    range: Option<Option<(ScalarValue, ScalarValue)>>,
}

impl Bounds {
    /// The buffered rows' bounds, computed from them.
    fn of_buffered(buffered: &[RecordBatch], index: usize, field: &Field) -> Bounds {
        let data_type = field.data_type();
        let nulls = buffered
            .iter()
            .map(|b| b.column(index).null_count() as u64)
            .sum();
        let mut bounds = Bounds {
            nulls: Some(nulls),
            // A Nullable column's bounds would answer `min` as a constant, of a type that is not
            // Nullable: ClickHouse's `min` of a Nullable column is Nullable.
            range: (has_exact_bounds(data_type) && !field.is_nullable()).then_some(None),
        };
        let values = buffered.iter().map(|b| b.column(index).clone());
        if bounds.range.is_some() && buffered.iter().any(|b| b.num_rows() > 0) {
            let min = fold(MinAccumulator::try_new(data_type).ok(), values.clone());
            let max = fold(MaxAccumulator::try_new(data_type).ok(), values);
            bounds.range = Some(min.zip(max));
        }
        bounds
    }

    /// Adds a file's bounds (`None`: unknown) and NULL count.
    fn add(&mut self, min: Option<ScalarValue>, max: Option<ScalarValue>, nulls: Option<u64>) {
        self.nulls = self.nulls.zip(nulls).map(|(a, b)| a + b);
        self.range = match (self.range.take(), min.zip(max)) {
            (Some(None), Some(file)) => Some(Some(file)),
            (Some(Some((low, high))), Some((min, max))) => {
                let low = if min < low { min } else { low };
                let high = if max > high { max } else { high };
                Some(Some((low, high)))
            }
            _ => None,
        };
    }

    fn statistics(self) -> ColumnStatistics {
        let (min, max) = match self.range {
            Some(Some((min, max))) => (Precision::Exact(min), Precision::Exact(max)),
            _ => (Precision::Absent, Precision::Absent),
        };
        ColumnStatistics {
            null_count: self
                .nulls
                .map_or(Precision::Absent, |n| Precision::Exact(n as usize)),
            min_value: min,
            max_value: max,
            ..ColumnStatistics::new_unknown()
        }
    }
}

/// The result of an aggregate over arrays, when it has one.
fn fold<A: Accumulator>(
    accumulator: Option<A>,
    arrays: impl Iterator<Item = arrow::array::ArrayRef>,
) -> Option<ScalarValue> {
    let mut accumulator = accumulator?;
    for array in arrays {
        accumulator.update_batch(&[array]).ok()?;
    }
    accumulator.evaluate().ok().filter(|value| !value.is_null())
}

/// Columns whose Delta minimum and maximum are the exact values: integers (except UInt64,
/// stored as a decimal), dates, and times to the second or millisecond (Delta keeps
/// milliseconds). Strings are left out (writers may truncate them), and floats (NaN).
fn has_exact_bounds(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::Date32
            | DataType::Timestamp(TimeUnit::Second | TimeUnit::Millisecond, _)
    )
}

/// A Delta statistics value (a JSON number, date or UTC time) as a value of `data_type`.
fn logical_value(value: &Value, data_type: &DataType) -> Option<ScalarValue> {
    if !has_exact_bounds(data_type) {
        return None;
    }
    let physical = match (value, data_type) {
        (Value::String(text), DataType::Date32) => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
            ScalarValue::Date32(Some((date - epoch).num_days() as i32))
        }
        (Value::String(text), DataType::Timestamp(..)) => {
            let time = DateTime::parse_from_rfc3339(text).ok()?;
            // As stored (`physical.rs`), then cast as the scan casts it.
            ScalarValue::TimestampMicrosecond(Some(time.timestamp_micros()), Some("UTC".into()))
        }
        (Value::Number(number), _) => ScalarValue::Int64(Some(number.as_i64()?)),
        _ => return None,
    };
    physical.cast_to(data_type).ok()
}

/// A scan with the table's exact statistics, read by `AggregateStatistics` and then removed
/// by [`DropExactStatistics`]. It runs as its input if it is ever executed. The statistics are
/// computed when asked for, which only `AggregateStatistics` does, and only for an aggregate
/// with no GROUP BY: other queries never read the files' statistics.
#[derive(Debug)]
pub(crate) struct ExactStatistics {
    input: Arc<dyn ExecutionPlan>,
    table: Arc<TableOfStatistics>,
}

/// What the statistics are computed from.
#[derive(Debug)]
struct TableOfStatistics {
    delta: DeltaTable,
    schema: SchemaRef,
    buffered: Vec<RecordBatch>,
    projection: Option<Vec<usize>>,
}

impl ExactStatistics {
    pub(crate) fn wrap(
        input: Arc<dyn ExecutionPlan>,
        delta: DeltaTable,
        schema: SchemaRef,
        buffered: Vec<RecordBatch>,
        projection: Option<&Vec<usize>>,
    ) -> Arc<dyn ExecutionPlan> {
        let table = TableOfStatistics {
            delta,
            schema,
            buffered,
            projection: projection.cloned(),
        };
        Arc::new(ExactStatistics {
            input,
            table: Arc::new(table),
        })
    }
}

impl DisplayAs for ExactStatistics {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "ExactStatistics")
    }
}

impl ExecutionPlan for ExactStatistics {
    fn name(&self) -> &str {
        "ExactStatistics"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(
            &Arc<dyn deltalake::datafusion::physical_expr::PhysicalExpr>,
        ) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(ExactStatistics {
            input: children.swap_remove(0),
            table: self.table.clone(),
        }))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }

    fn child_stats_requests(&self, _partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::Skip]
    }

    fn statistics_from_inputs(
        &self,
        _input_stats: &[Arc<Statistics>],
        args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        let table = &self.table;
        let statistics = match args.partition() {
            None => table_statistics(&table.delta, &table.schema, &table.buffered)
                .map(|statistics| statistics.project(table.projection.as_ref())),
            Some(_) => None,
        };
        Ok(Arc::new(statistics.unwrap_or_else(|| {
            Statistics::new_unknown(&self.schema())
        })))
    }
}

/// Removes every [`ExactStatistics`] node, leaving its input: runs right after
/// `AggregateStatistics`, the one rule the node is for.
#[derive(Debug, Default)]
pub struct DropExactStatistics;

impl PhysicalOptimizerRule for DropExactStatistics {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            Ok(match node.downcast_ref::<ExactStatistics>() {
                Some(hint) => Transformed::yes(hint.input.clone()),
                None => Transformed::no(node),
            })
        })
        .data()
    }

    fn name(&self) -> &str {
        "drop_exact_statistics"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
