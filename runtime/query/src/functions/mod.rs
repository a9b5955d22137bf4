//! ClickHouse functions as DataFusion UDFs and UDAFs, one module per family (as the
//! `datafusion-spark` crate organises Spark's). DataFusion lower-cases unquoted function
//! names, so each is registered under its lower-case name.

mod aggregates;
mod arithmetic;
mod builtins;
mod conversions;
mod dates;
mod encoding;
mod formatting;
mod hashing;
mod json;
mod lambdas;
mod quantile;
mod strings;
mod tuples;
mod url_parts;
mod urls;

use std::sync::Arc;

pub(crate) use dates::seconds_interval;
pub(crate) use lambdas::capture_name;

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::logical_expr::{ReturnFieldArgs, ScalarUDF, ScalarUDFImpl};

pub fn register_all(state: &mut SessionState) {
    builtins::register(state);
    let scalars: Vec<ScalarUDF> = dates::functions()
        .into_iter()
        .chain(strings::functions())
        .chain(conversions::functions())
        .chain(json::functions())
        .chain(arithmetic::functions())
        .chain(hashing::functions())
        .chain(encoding::functions())
        .chain(formatting::functions())
        .chain(lambdas::functions())
        .chain(urls::functions())
        .chain(tuples::functions())
        .collect();
    for function in scalars {
        state
            .register_udf(Arc::new(function))
            .expect("registering a scalar function cannot fail");
    }
    for function in aggregates::functions() {
        state
            .register_udaf(Arc::new(function))
            .expect("registering an aggregate function cannot fail");
    }
}

/// What a conversion or parse answers for a value it cannot read: an error, zero (the `OrZero`
/// forms) or NULL (the `OrNull` forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum OnFailure {
    Error,
    Zero,
    Null,
}

/// Like ClickHouse, a function's result is nullable only when an argument is.
pub(crate) fn nullable_if_an_argument_is(
    function: &impl ScalarUDFImpl,
    args: ReturnFieldArgs,
) -> Result<FieldRef> {
    let types: Vec<DataType> = args
        .arg_fields
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    let nullable = args.arg_fields.iter().any(|f| f.is_nullable());
    Ok(Arc::new(Field::new(
        function.name(),
        function.return_type(&types)?,
        nullable,
    )))
}

/// A call's arguments as arrays, and whether they were all scalars (then the result is one).
pub(crate) fn arguments_as_arrays(
    args: &[datafusion::logical_expr::ColumnarValue],
) -> Result<(Vec<arrow::array::ArrayRef>, bool)> {
    use datafusion::logical_expr::ColumnarValue;
    let all_scalars = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    Ok((ColumnarValue::values_to_arrays(args)?, all_scalars))
}

/// A function's result: a scalar when its arguments were scalars, else the array.
pub(crate) fn columnar(
    result: arrow::array::ArrayRef,
    is_scalar: bool,
) -> Result<datafusion::logical_expr::ColumnarValue> {
    use datafusion::logical_expr::ColumnarValue;
    if is_scalar && result.len() == 1 {
        Ok(ColumnarValue::Scalar(
            datafusion::common::ScalarValue::try_from_array(&result, 0)?,
        ))
    } else {
        Ok(ColumnarValue::Array(result))
    }
}

/// The bytes ClickHouse hashes and prints for a value: a string's bytes, a number's
/// (or date's) little-endian bytes at its width.
pub(crate) struct ValueBytes {
    data: arrow::array::ArrayData,
    width: Option<usize>,
}

impl ValueBytes {
    pub(crate) fn supports(data_type: &DataType) -> bool {
        matches!(
            data_type,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Binary
        ) || data_type.primitive_width().is_some()
    }

    pub(crate) fn new(array: &arrow::array::ArrayRef) -> Result<Self> {
        let array = match array.data_type() {
            DataType::LargeUtf8 | DataType::Utf8View => {
                arrow::compute::cast(array, &DataType::Utf8)?
            }
            _ => array.clone(),
        };
        let width = array.data_type().primitive_width();
        if width.is_none() && !matches!(array.data_type(), DataType::Utf8 | DataType::Binary) {
            return datafusion::common::exec_err!(
                "no bytes for values of type {}",
                array.data_type()
            );
        }
        Ok(ValueBytes {
            data: array.to_data(),
            width,
        })
    }

    /// Whether the values are numbers or dates (fixed width), not strings.
    pub(crate) fn is_fixed_width(&self) -> bool {
        self.width.is_some()
    }

    /// The bytes of row `row`, None when it is NULL.
    pub(crate) fn get(&self, row: usize) -> Option<&[u8]> {
        if self.data.is_null(row) {
            return None;
        }
        let row = self.data.offset() + row;
        Some(match self.width {
            Some(width) => &self.data.buffers()[0].as_slice()[row * width..(row + 1) * width],
            None => {
                let offsets = self.data.buffers()[0].typed_data::<i32>();
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                &self.data.buffers()[1].as_slice()[start..end]
            }
        })
    }
}
