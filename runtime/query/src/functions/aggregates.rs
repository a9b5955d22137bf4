//! Aggregate functions.

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::functions_aggregate::count::Count;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, GroupsAccumulator, Signature, Volatility,
};

pub fn functions() -> Vec<AggregateUDF> {
    vec![AggregateUDF::new_from_impl(Uniq::new())]
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
        ALIASES.get_or_init(|| vec!["uniqexact".to_string()])
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
