//! Encodings: `hex`, upper-case hexadecimal of a value as ClickHouse prints it: a string's
//! bytes; an integer's (or date's) big-endian bytes without leading zero bytes; a float's
//! little-endian bytes.

use std::fmt::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::{ValueBytes, columnar, nullable_if_an_argument_is};

pub fn functions() -> Vec<ScalarUDF> {
    vec![ScalarUDF::new_from_impl(Hex {
        signature: Signature::any(1, Volatility::Immutable),
    })]
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Hex {
    signature: Signature,
}

impl ScalarUDFImpl for Hex {
    fn name(&self) -> &str {
        "hex"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if !ValueBytes::supports(&args[0]) {
            return plan_err!("hex does not take a value of type {}", args[0]);
        }
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let is_scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let values = ColumnarValue::values_to_arrays(&args.args)?;
        let data_type = values[0].data_type().clone();
        let floating = data_type.is_floating();
        let number = data_type.primitive_width().is_some();
        let bytes = ValueBytes::new(&values[0])?;
        let texts: StringArray = (0..values[0].len())
            .map(|row| {
                bytes.get(row).map(|bytes| {
                    let ordered: Vec<u8> = if number && !floating {
                        let big_endian: Vec<u8> = bytes.iter().rev().copied().collect();
                        let first = big_endian
                            .iter()
                            .position(|&b| b != 0)
                            .unwrap_or(big_endian.len() - 1);
                        big_endian[first..].to_vec()
                    } else {
                        bytes.to_vec()
                    };
                    ordered.iter().fold(String::new(), |mut text, byte| {
                        let _ = write!(text, "{byte:02X}");
                        text
                    })
                })
            })
            .collect();
        columnar(Arc::new(texts) as ArrayRef, is_scalar)
    }
}
