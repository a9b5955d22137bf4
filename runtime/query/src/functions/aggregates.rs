//! Aggregate functions: `uniq`, `topK`, and DataFusion's with ClickHouse's results.
//!
//! `sum`, `min`, `max`, `avg`, `quantile` (`quantile.rs`), `first_value`, `last_value` and
//! `array_agg` are DataFusion's, given ClickHouse's result types: nullable only when the
//! argument is, and, over no rows, the type's default (`0`, `''`) or `nan` (`avg`, `quantile`)
//! where DataFusion answers NULL; `array_agg` (`groupArray`) is an array of non-NULL values,
//! empty over no rows.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::compute::is_null;
use arrow::compute::kernels::zip::zip;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::functions_aggregate::array_agg::array_agg_udaf;
use datafusion::functions_aggregate::average::avg_udaf;
use datafusion::functions_aggregate::count::Count;
use datafusion::functions_aggregate::first_last::{first_value_udaf, last_value_udaf};
use datafusion::functions_aggregate::min_max::{max_udaf, min_udaf};
use datafusion::functions_aggregate::sum::sum_udaf;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, ReversedUDAF,
    SetMonotonicity, Signature, StatisticsArgs, Volatility,
};
use datafusion::physical_expr::expressions::Literal;

pub fn functions() -> Vec<AggregateUDF> {
    vec![
        AggregateUDF::new_from_impl(Uniq::new()),
        AggregateUDF::new_from_impl(TopK {
            signature: Signature::any(2, Volatility::Immutable),
        }),
        ClickHouseAggregate::wrap(sum_udaf(), Empty::Default),
        ClickHouseAggregate::wrap(min_udaf(), Empty::Default),
        ClickHouseAggregate::wrap(max_udaf(), Empty::Default),
        ClickHouseAggregate::wrap(avg_udaf(), Empty::NaN),
        // `quantile(level)(x)` and `median(x)` are rewritten to `quantile(x, level)`.
        ClickHouseAggregate::wrap(
            Arc::new(AggregateUDF::new_from_impl(super::quantile::Quantile::new())),
            Empty::NaN,
        ),
        // `any`, `anyLast`, `argMin` and `argMax` are rewritten to these (`rewrite.rs`).
        ClickHouseAggregate::wrap(first_value_udaf(), Empty::Default),
        ClickHouseAggregate::wrap(last_value_udaf(), Empty::Default),
        // `groupArray` and `groupUniqArray` are rewritten to this (`rewrite/mod.rs`).
        ClickHouseAggregate::wrap(array_agg_udaf(), Empty::Array),
    ]
}

/// What a ClickHouse aggregate of a non-nullable argument answers over no rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Empty {
    /// The type's default value.
    Default,
    /// Not a number (`avg`).
    NaN,
    /// An empty array: the result, an array of non-NULL values, is never NULL
    /// (`groupArray`, which skips NULLs).
    Array,
}

/// A DataFusion aggregate with ClickHouse's nullability and empty results.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ClickHouseAggregate {
    inner: Arc<AggregateUDF>,
    empty: Empty,
}

impl ClickHouseAggregate {
    fn wrap(inner: Arc<AggregateUDF>, empty: Empty) -> AggregateUDF {
        AggregateUDF::new_from_impl(ClickHouseAggregate { inner, empty })
    }

    /// The value replacing NULL results, when the result is not nullable.
    fn replacement(&self, field: &Field) -> Result<Option<ScalarValue>> {
        if field.is_nullable() {
            return Ok(None);
        }
        Ok(Some(match self.empty {
            // Decimals have no NaN: their default stands in.
            Empty::NaN => ScalarValue::Float64(Some(f64::NAN))
                .cast_to(field.data_type())
                .or_else(|_| ScalarValue::new_default(field.data_type()))?,
            Empty::Default | Empty::Array => ScalarValue::new_default(field.data_type())?,
        }))
    }
}

impl AggregateUDFImpl for ClickHouseAggregate {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let mut types = self.inner.coerce_types(arg_types)?;
        // ClickHouse's `avg` and quantiles of decimals are Float64.
        if self.empty == Empty::NaN
            && let Some(first) = types.first_mut()
            && matches!(first, DataType::Decimal128(..) | DataType::Decimal256(..))
        {
            *first = DataType::Float64;
        }
        Ok(types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field(&self, arg_fields: &[FieldRef]) -> Result<FieldRef> {
        let field = self.inner.return_field(arg_fields)?;
        if let (Empty::Array, DataType::List(item)) = (self.empty, field.data_type()) {
            let items = Arc::new(item.as_ref().clone().with_nullable(false));
            return Ok(Arc::new(Field::new(
                field.name(),
                DataType::List(items),
                false,
            )));
        }
        let nullable = arg_fields.iter().any(|f| f.is_nullable());
        Ok(Arc::new(field.as_ref().clone().with_nullable(nullable)))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let replacement = self.replacement(args.return_field.as_ref())?;
        let inner = self.inner.accumulator(args)?;
        Ok(match replacement {
            Some(replacement) => Box::new(NonNull { inner, replacement }),
            None => inner,
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        // A partial state is NULL where a partition saw no rows, whatever the final result.
        let return_field = Arc::new(args.return_field.as_ref().clone().with_nullable(true));
        self.inner.state_fields(StateFieldsArgs {
            return_field,
            ..args
        })
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.inner.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let replacement = self.replacement(args.return_field.as_ref())?;
        let inner = self.inner.create_groups_accumulator(args)?;
        Ok(match replacement {
            Some(replacement) => Box::new(NonNull { inner, replacement }),
            None => inner,
        })
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.create_sliding_accumulator(args)
    }

    fn with_beneficial_ordering(
        self: Arc<Self>,
        beneficial_ordering: bool,
    ) -> Result<Option<Arc<dyn AggregateUDFImpl>>> {
        let inner = self.inner.as_ref().clone();
        Ok(inner
            .with_beneficial_ordering(beneficial_ordering)?
            .map(|updated| {
                Arc::new(ClickHouseAggregate {
                    inner: Arc::new(updated),
                    empty: self.empty,
                }) as Arc<dyn AggregateUDFImpl>
            }))
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        self.inner.inner().order_sensitivity()
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        self.inner.reverse_udf()
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        self.inner.default_value(data_type)
    }

    /// `min`/`max` read from exact statistics (a Delta file's min and max), without a scan.
    /// An empty input is left to the accumulator, which knows the result's nullability.
    fn value_from_stats(&self, statistics_args: &StatisticsArgs) -> Option<ScalarValue> {
        self.inner
            .value_from_stats(statistics_args)
            .filter(|value| !value.is_null())
    }

    fn is_descending(&self) -> Option<bool> {
        self.inner.is_descending()
    }

    fn set_monotonicity(&self, data_type: &DataType) -> SetMonotonicity {
        self.inner.inner().set_monotonicity(data_type)
    }
}

/// An accumulator whose NULL results become a replacement value.
#[derive(Debug)]
struct NonNull<A: ?Sized> {
    inner: Box<A>,
    replacement: ScalarValue,
}

impl Accumulator for NonNull<dyn Accumulator> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.update_batch(values)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let value = self.inner.evaluate()?;
        if value.is_null() {
            Ok(self.replacement.clone())
        } else if value.data_type() != self.replacement.data_type() {
            // Arrays of values declared non-NULL (DataFusion's are of nullable values).
            value.cast_to(&self.replacement.data_type())
        } else {
            Ok(value)
        }
    }

    fn size(&self) -> usize {
        self.inner.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.inner.state()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.inner.merge_batch(states)
    }
}

impl GroupsAccumulator for NonNull<dyn GroupsAccumulator> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.inner
            .update_batch(values, group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let mut values = self.inner.evaluate(emit_to)?;
        let declared = self.replacement.data_type();
        if values.data_type() != &declared {
            values = arrow::compute::cast(&values, &declared)?;
        }
        if values.null_count() == 0 {
            return Ok(values);
        }
        let replacement = arrow::array::Scalar::new(self.replacement.to_array()?);
        Ok(zip(&is_null(&values)?, &replacement, &values)?)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        self.inner.state(emit_to)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.inner
            .merge_batch(values, group_indices, total_num_groups)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        self.inner.convert_to_state(values, opt_filter)
    }

    fn size(&self) -> usize {
        self.inner.size()
    }
}

/// `uniq(x)`: the number of distinct values. ClickHouse's is an adaptive estimate that is
/// exact below 65,536 distinct values; Colibri counts exactly, with DataFusion's distinct
/// count accumulators.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Uniq {
    count: Count,
    signature: Signature,
}

impl Uniq {
    fn new() -> Self {
        Uniq {
            count: Count::new(),
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Uniq {
    fn name(&self) -> &str {
        "uniq"
    }

    fn aliases(&self) -> &[String] {
        static ALIASES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        // Exact, where ClickHouse's uniq, uniqCombined and uniqHLL12 estimate beyond small
        // counts (`docs/decisions.md`).
        ALIASES.get_or_init(|| {
            [
                "uniqexact",
                "uniqcombined",
                "uniqcombined64",
                "uniqhll12",
                "uniqtheta",
            ]
            .map(String::from)
            .to_vec()
        })
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.count.return_type(arg_types)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.count.state_fields(StateFieldsArgs {
            is_distinct: true,
            ..args
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.count.accumulator(AccumulatorArgs {
            is_distinct: true,
            ..args
        })
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.count.groups_accumulator_supported(AccumulatorArgs {
            is_distinct: true,
            ..args
        })
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        self.count.create_groups_accumulator(AccumulatorArgs {
            is_distinct: true,
            ..args
        })
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        self.count.default_value(data_type)
    }
}

/// `topK(k)(x)`, rewritten to `topK(x, k)`: the `k` most frequent values, most frequent first
/// (ties in the order first seen). Exact: ClickHouse's Space-Saving sketch gives the same
/// answer while the distinct values fit its table.
#[derive(Debug, PartialEq, Eq, Hash)]
struct TopK {
    signature: Signature,
}

impl AggregateUDFImpl for TopK {
    fn name(&self) -> &str {
        "topk"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            arg_types[0].clone(),
            false,
        ))))
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let values = args.input_fields[0].data_type().clone();
        Ok(vec![
            Arc::new(Field::new_list(
                format!("{}[values]", args.name),
                Field::new_list_field(values, true),
                true,
            )),
            Arc::new(Field::new_list(
                format!("{}[counts]", args.name),
                Field::new_list_field(DataType::UInt64, true),
                true,
            )),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let k = args
            .exprs
            .get(1)
            .and_then(|k| k.downcast_ref::<Literal>())
            .and_then(|k| k.value().cast_to(&DataType::UInt64).ok())
            .and_then(|k| match k {
                ScalarValue::UInt64(Some(k)) => Some(k as usize),
                _ => None,
            });
        let Some(k) = k else {
            return datafusion::common::plan_err!("topK takes a constant number of values");
        };
        Ok(Box::new(TopKAccumulator {
            k,
            data_type: args.expr_fields[0].data_type().clone(),
            positions: std::collections::HashMap::new(),
            counts: Vec::new(),
        }))
    }
}

#[derive(Debug)]
struct TopKAccumulator {
    k: usize,
    data_type: DataType,
    /// Where each value seen is in `counts`.
    positions: std::collections::HashMap<ScalarValue, usize>,
    /// Each value seen with how many times, in the order first seen.
    counts: Vec<(ScalarValue, u64)>,
}

impl TopKAccumulator {
    fn add(&mut self, value: ScalarValue, count: u64) {
        match self.positions.get(&value) {
            Some(&position) => self.counts[position].1 += count,
            None => {
                self.positions.insert(value.clone(), self.counts.len());
                self.counts.push((value, count));
            }
        }
    }
}

impl Accumulator for TopKAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = &values[0];
        for row in 0..values.len() {
            if values.is_valid(row) {
                self.add(ScalarValue::try_from_array(values, row)?, 1);
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        use arrow::array::AsArray;
        let (values, counts) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        for row in 0..values.len() {
            if values.is_null(row) {
                continue;
            }
            let (row_values, row_counts) = (values.value(row), counts.value(row));
            let row_counts = row_counts.as_primitive::<arrow::datatypes::UInt64Type>();
            for i in 0..row_values.len() {
                self.add(
                    ScalarValue::try_from_array(&row_values, i)?,
                    row_counts.value(i),
                );
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (values, counts): (Vec<ScalarValue>, Vec<ScalarValue>) = self
            .counts
            .iter()
            .map(|(value, count)| (value.clone(), ScalarValue::UInt64(Some(*count))))
            .unzip();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list(&values, &self.data_type, true)),
            ScalarValue::List(ScalarValue::new_list(&counts, &DataType::UInt64, true)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let mut ranked: Vec<&(ScalarValue, u64)> = self.counts.iter().collect();
        ranked.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        let top: Vec<ScalarValue> = ranked
            .into_iter()
            .take(self.k)
            .map(|(value, _)| value.clone())
            .collect();
        Ok(ScalarValue::List(ScalarValue::new_list(
            &top,
            &self.data_type,
            false,
        )))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .counts
                .iter()
                .map(|(value, _)| 2 * value.size() + 16)
                .sum::<usize>()
    }
}
