//! String functions.

use std::sync::Arc;

use arrow::array::{AsArray, ListBuilder, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::{arguments_as_arrays, columnar, nullable_if_an_argument_is};

pub fn functions() -> Vec<ScalarUDF> {
    let split = ["splitbychar", "splitbystring"].map(|name| {
        ScalarUDF::new_from_impl(SplitBy {
            name,
            signature: Signature::any(2, Volatility::Immutable),
        })
    });
    let emptiness = ["empty", "notempty"].map(|name| {
        ScalarUDF::new_from_impl(Emptiness {
            name,
            signature: Signature::any(1, Volatility::Immutable),
        })
    });
    std::iter::once(ScalarUDF::new_from_impl(Length::new()))
        .chain(split)
        .chain(emptiness)
        .collect()
}

/// ClickHouse `length`: the bytes of a string, the elements of an array or a map, as UInt64
/// (DataFusion's `length` counts characters and does not take arrays).
#[derive(Debug, PartialEq, Eq, Hash)]
struct Length {
    signature: Signature,
}

impl Length {
    fn new() -> Self {
        Length {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Length {
    fn name(&self) -> &str {
        "length"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let lengths = arrow::compute::kernels::length::length(&arrays[0])?;
        Ok(ColumnarValue::Array(cast(&lengths, &DataType::UInt64)?))
    }
}

/// `splitByChar(separator, s)` and `splitByString(separator, s)`: the pieces of `s` between
/// separators, empty ones included, as an Array(String) (an empty separator splits
/// `splitByString` into characters).
#[derive(Debug, PartialEq, Eq, Hash)]
struct SplitBy {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for SplitBy {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            false,
        ))))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, is_scalar) = arguments_as_arrays(&args.args)?;
        let separators = cast(&arrays[0], &DataType::Utf8)?;
        let texts = cast(&arrays[1], &DataType::Utf8)?;
        let (separators, texts) = (separators.as_string::<i32>(), texts.as_string::<i32>());
        if self.name == "splitbychar"
            && let Some(separator) = separators.iter().flatten().find(|s| s.chars().count() != 1)
        {
            return exec_err!(
                "splitByChar takes a separator of exactly one character, not '{separator}'"
            );
        }
        let mut pieces = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            false,
        )));
        for (separator, text) in separators.iter().zip(texts.iter()) {
            match (separator, text) {
                (Some(""), Some(text)) => {
                    for c in text.chars() {
                        pieces.values().append_value(c.encode_utf8(&mut [0; 4]));
                    }
                    pieces.append(true);
                }
                (Some(separator), Some(text)) => {
                    for piece in text.split(separator) {
                        pieces.values().append_value(piece);
                    }
                    pieces.append(true);
                }
                _ => pieces.append_null(),
            }
        }
        columnar(Arc::new(pieces.finish()), is_scalar)
    }
}

/// `empty(x)` and `notEmpty(x)` of a string or an array, as UInt8.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Emptiness {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for Emptiness {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, is_scalar) = arguments_as_arrays(&args.args)?;
        let values = &arrays[0];
        let lengths = match values.data_type() {
            DataType::Utf8View | DataType::LargeUtf8 => {
                arrow::compute::kernels::length::length(&cast(values, &DataType::Utf8)?)?
            }
            DataType::List(_) | DataType::LargeList(_) | DataType::Utf8 | DataType::Binary => {
                arrow::compute::kernels::length::length(values)?
            }
            other => return exec_err!("{} does not take a value of type {other}", self.name),
        };
        let lengths = cast(&lengths, &DataType::Int64)?;
        let want_empty = self.name == "empty";
        let flags: arrow::array::UInt8Array = lengths
            .as_primitive::<arrow::datatypes::Int64Type>()
            .iter()
            .map(|length| length.map(|length| u8::from((length == 0) == want_empty)))
            .collect();
        columnar(Arc::new(flags), is_scalar)
    }
}
