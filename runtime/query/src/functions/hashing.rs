//! Hash functions: `sipHash64`, SipHash-2-4 with zero keys over a value's bytes (a string's
//! bytes, a number's little-endian bytes at its width), as ClickHouse computes it.

use std::hash::Hasher;
use std::sync::Arc;

use arrow::array::{ArrayRef, UInt64Array};
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use siphasher::sip::SipHasher24;

use super::{ValueBytes, columnar, nullable_if_an_argument_is};

pub fn functions() -> Vec<ScalarUDF> {
    vec![ScalarUDF::new_from_impl(SipHash64 {
        signature: Signature::any(1, Volatility::Immutable),
    })]
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SipHash64 {
    signature: Signature,
}

impl ScalarUDFImpl for SipHash64 {
    fn name(&self) -> &str {
        "siphash64"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if !ValueBytes::supports(&args[0]) {
            return plan_err!("sipHash64 does not take a value of type {}", args[0]);
        }
        Ok(DataType::UInt64)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let is_scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let values = ColumnarValue::values_to_arrays(&args.args)?;
        let bytes = ValueBytes::new(&values[0])?;
        let hashes: UInt64Array = (0..values[0].len())
            .map(|row| {
                bytes.get(row).map(|bytes| {
                    let mut hasher = SipHasher24::new_with_keys(0, 0);
                    hasher.write(bytes);
                    hasher.finish()
                })
            })
            .collect();
        columnar(Arc::new(hashes) as ArrayRef, is_scalar)
    }
}
