//! String functions.

use arrow::compute::cast;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::nullable_if_an_argument_is;

pub fn functions() -> Vec<ScalarUDF> {
    vec![ScalarUDF::new_from_impl(Length::new())]
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
