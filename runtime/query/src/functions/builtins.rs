//! DataFusion's own scalar functions that Colibri uses for ClickHouse's (`trim`, `replace`,
//! `regexp_replace` for `replaceRegexpAll`, `array_to_string` for `arrayStringConcat`, ...),
//! given ClickHouse's nullability: DataFusion declares every function's result nullable, so
//! `trim(browser)` would be a `Nullable(String)` column; in ClickHouse it is nullable only when
//! an argument is. Only functions that never make a NULL of non-NULL arguments are listed.
//! Likewise `make_array` (`[1, 2]`): its values are nullable only when an argument is
//! (`Array(UInt8)`, not `Array(Nullable(UInt8))`). The wrappers do not pass on the functions'
//! simplifications, which would put the unwrapped function back in the plan.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Float64Array};
use arrow::buffer::NullBuffer;
use arrow::datatypes::Float64Type;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::logical_expr::interval_arithmetic::Interval;
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature,
};

/// DataFusion functions whose result is NULL only when an argument is.
const NULL_ONLY_FROM_ARGUMENTS: &[&str] = &[
    "replace",
    "regexp_replace",
    "regexp_like",
    "array_to_string",
    "array_sort",
    "array_has",
    "array_distinct",
    "starts_with",
    "ends_with",
    "strpos",
    "btrim",
    "ltrim",
    "rtrim",
    "left",
    "right",
    "lpad",
    "rpad",
    "repeat",
    "reverse",
    "initcap",
    "translate",
    "split_part",
    "character_length",
    "md5",
    "to_hex",
    "abs",
    "floor",
    "ceil",
    "trunc",
    "signum",
    "power",
    "exp",
    "ln",
    "log2",
    "log10",
    "date_trunc",
];

/// Replaces each listed DataFusion function in `state` by itself with ClickHouse's
/// nullability.
pub fn register(state: &mut SessionState) {
    let wrapped = NULL_ONLY_FROM_ARGUMENTS
        .iter()
        .map(|name| (*name, Nullable::Result))
        .chain([
            ("make_array", Nullable::Items),
            ("concat", Nullable::Propagated),
            ("round", Nullable::FloatsHalfToEven),
        ]);
    for (name, nullable) in wrapped {
        let Ok(inner) = state.udf(name) else {
            continue;
        };
        state
            .register_udf(Arc::new(ScalarUDF::new_from_impl(NullableLikeArguments {
                inner,
                nullable,
            })))
            .expect("registering a scalar function cannot fail");
    }
}

/// What is nullable only when an argument is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Nullable {
    /// The result.
    Result,
    /// The items of the resulting array (which is never NULL).
    Items,
    /// The result, NULL where an argument is (ClickHouse's `concat`; DataFusion's skips NULLs).
    Propagated,
    /// The result; and floats round half to even, as ClickHouse rounds them (`round(2.5)` is
    /// 2), where DataFusion rounds half away from zero (as ClickHouse rounds integers and
    /// decimals).
    FloatsHalfToEven,
}

/// Where any argument is NULL, when some is (None when none is).
fn argument_nulls(args: &ScalarFunctionArgs) -> Result<Option<NullBuffer>> {
    let mut nulls: Option<NullBuffer> = None;
    for arg in &args.args {
        let array = arg.to_array(args.number_rows)?;
        if let Some(arg_nulls) = array.logical_nulls().filter(|n| n.null_count() > 0) {
            nulls = NullBuffer::union(nulls.as_ref(), Some(&arg_nulls));
        }
    }
    Ok(nulls)
}

/// `round(x[, n])` of a float, half to even at `n` decimal places (None for other types).
fn round_floats_half_to_even(args: &ScalarFunctionArgs) -> Result<Option<ColumnarValue>> {
    if args.args.first().map(ColumnarValue::data_type) != Some(DataType::Float64) {
        return Ok(None);
    }
    let places = match args.args.get(1) {
        None => 0,
        Some(ColumnarValue::Scalar(places)) => match places.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(Some(places)) => places,
            _ => return Ok(None),
        },
        Some(ColumnarValue::Array(_)) => return Ok(None),
    };
    let is_scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
    let values = args.args[0].to_array(args.number_rows)?;
    let scale = 10f64.powi(places.unsigned_abs().min(308) as i32);
    let rounded: Float64Array = values
        .as_primitive::<Float64Type>()
        .unary(|x| match places >= 0 {
            true => (x * scale).round_ties_even() / scale,
            false => (x / scale).round_ties_even() * scale,
        });
    super::columnar(Arc::new(rounded), is_scalar).map(Some)
}

/// A DataFusion function whose result (or its items) is nullable only when an argument is;
/// everything else is the function's own.
#[derive(Debug, PartialEq, Eq, Hash)]
struct NullableLikeArguments {
    inner: Arc<ScalarUDF>,
    nullable: Nullable,
}

impl ScalarUDFImpl for NullableLikeArguments {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        self.inner.inner().schema_name(args)
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let nullable = args.arg_fields.iter().any(|f| f.is_nullable());
        let field = self.inner.return_field_from_args(args)?;
        Ok(Arc::new(match (self.nullable, field.data_type()) {
            (Nullable::Items, DataType::List(item)) => {
                let items = Arc::new(item.as_ref().clone().with_nullable(nullable));
                Field::new(field.name(), DataType::List(items), false)
            }
            _ => Field::new(field.name(), field.data_type().clone(), nullable),
        }))
    }

    fn is_strict(&self) -> bool {
        self.inner.is_strict()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let declared = args.return_field.data_type().clone();
        if self.nullable == Nullable::FloatsHalfToEven
            && let Some(rounded) = round_floats_half_to_even(&args)?
        {
            return Ok(rounded);
        }
        let nulls = match self.nullable {
            Nullable::Propagated => argument_nulls(&args)?,
            _ => None,
        };
        let mut result = self.inner.invoke_with_args(args)?;
        if let Some(nulls) = nulls {
            let array = result.to_array(nulls.len())?;
            let combined = NullBuffer::union(array.logical_nulls().as_ref(), Some(&nulls));
            let data = array.to_data().into_builder().nulls(combined).build()?;
            result = ColumnarValue::Array(arrow::array::make_array(data));
        }
        if result.data_type() == declared {
            return Ok(result);
        }
        match result {
            // A list scalar is a one-row array: cast as such, as `ScalarValue::cast_to` would
            // rebuild the list with nullable values.
            ColumnarValue::Scalar(ScalarValue::List(list)) => {
                let cast = arrow::compute::cast(list.as_ref(), &declared)?;
                Ok(ColumnarValue::Scalar(ScalarValue::List(Arc::new(
                    cast.as_list::<i32>().clone(),
                ))))
            }
            other => other.cast_to(&declared, None),
        }
    }

    fn short_circuits(&self) -> bool {
        self.inner.short_circuits()
    }

    fn evaluate_bounds(&self, input: &[&Interval]) -> Result<Interval> {
        self.inner.evaluate_bounds(input)
    }

    fn propagate_constraints(
        &self,
        interval: &Interval,
        inputs: &[&Interval],
    ) -> Result<Option<Vec<Interval>>> {
        self.inner.propagate_constraints(interval, inputs)
    }

    fn output_ordering(&self, inputs: &[ExprProperties]) -> Result<SortProperties> {
        self.inner.output_ordering(inputs)
    }

    fn preserves_lex_ordering(&self, inputs: &[ExprProperties]) -> Result<bool> {
        self.inner.preserves_lex_ordering(inputs)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_nullable_only_when_an_argument_is() {
        let mut state = datafusion::execution::SessionStateBuilder::new()
            .with_default_features()
            .build();
        register(&mut state);
        let trim = state.udf("ltrim").unwrap();
        let field = |nullable| Arc::new(Field::new("s", DataType::Utf8, nullable));
        let value = ScalarValue::Utf8(None);
        for nullable in [false, true] {
            let result = trim
                .return_field_from_args(ReturnFieldArgs {
                    arg_fields: &[field(nullable)],
                    scalar_arguments: &[Some(&value)],
                })
                .unwrap();
            assert_eq!(result.is_nullable(), nullable);
        }
    }
}
