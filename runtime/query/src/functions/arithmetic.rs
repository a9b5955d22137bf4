//! Arithmetic functions: `intDiv` and `intDivOrZero`, integer division rounded towards zero
//! in ClickHouse's result type (the dividend's size, signed when either operand is; Int64 for
//! floats). `intDiv` by zero is an error, `intDivOrZero` by zero is 0. The operators
//! themselves are typed in `coercion.rs`.

use arrow::array::{ArrayRef, AsArray, Int64Array};
use arrow::compute::cast;
use arrow::compute::kernels::arity::binary;
use arrow::datatypes::{DataType, FieldRef, Float64Type, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::{arguments_as_arrays, columnar, nullable_if_an_argument_is};
use crate::coercion::{integer, integer_type};

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(IntDiv::new("intdiv", false)),
        ScalarUDF::new_from_impl(IntDiv::new("intdivorzero", true)),
    ]
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct IntDiv {
    name: &'static str,
    or_zero: bool,
    signature: Signature,
}

/// `a / b` rounded toward zero, wrapping on overflow as ClickHouse does; 0 for `b = 0` (which
/// `intDiv` refuses before dividing and `intDivOrZero` answers with).
fn integer_quotient(a: i64, b: i64) -> i64 {
    if b == 0 { 0 } else { a.wrapping_div(b) }
}

impl IntDiv {
    fn new(name: &'static str, or_zero: bool) -> Self {
        IntDiv {
            name,
            or_zero,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for IntDiv {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        let floating = |t: &DataType| matches!(t, DataType::Float32 | DataType::Float64);
        match (integer(&args[0]), integer(&args[1])) {
            (Some((bits, left_signed)), Some((_, right_signed))) => {
                Ok(integer_type(bits, left_signed || right_signed).expect("an integer's size"))
            }
            (left, right)
                if (left.is_some() || floating(&args[0]))
                    && (right.is_some() || floating(&args[1])) =>
            {
                Ok(DataType::Int64)
            }
            _ => plan_err!(
                "{} expects two numbers, got {} and {}",
                self.name,
                args[0],
                args[1]
            ),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // The usual call, a column by a constant (`intDiv(duration, 1000)`): one divisor.
        if let (ColumnarValue::Array(dividends), ColumnarValue::Scalar(divisor)) =
            (&args.args[0], &args.args[1])
            && integer(dividends.data_type()).is_some()
            && integer(&divisor.data_type()).is_some()
            && let Ok(ScalarValue::Int64(Some(divisor))) = divisor.cast_to(&DataType::Int64)
        {
            self.check_divisors(divisor == 0)?;
            let dividends = cast(dividends, &DataType::Int64)?;
            let quotients: Int64Array = dividends
                .as_primitive::<Int64Type>()
                .unary(|a| integer_quotient(a, divisor));
            return Ok(ColumnarValue::Array(cast(
                &quotients,
                args.return_field.data_type(),
            )?));
        }
        let (arrays, is_scalar) = arguments_as_arrays(&args.args)?;
        let integers =
            integer(arrays[0].data_type()).is_some() && integer(arrays[1].data_type()).is_some();
        let quotients: Int64Array = if integers {
            let dividends = cast(&arrays[0], &DataType::Int64)?;
            let divisors = cast(&arrays[1], &DataType::Int64)?;
            let divisors = divisors.as_primitive::<Int64Type>();
            self.check_divisors(divisors.iter().any(|d| d == Some(0)))?;
            binary(
                dividends.as_primitive::<Int64Type>(),
                divisors,
                integer_quotient,
            )?
        } else {
            let dividends = cast(&arrays[0], &DataType::Float64)?;
            let divisors = cast(&arrays[1], &DataType::Float64)?;
            let divisors = divisors.as_primitive::<Float64Type>();
            self.check_divisors(divisors.iter().any(|d| d == Some(0.0)))?;
            binary(dividends.as_primitive::<Float64Type>(), divisors, |a, b| {
                if b == 0.0 { 0 } else { (a / b).trunc() as i64 }
            })?
        };
        let result: ArrayRef = cast(&quotients, args.return_field.data_type())?;
        columnar(result, is_scalar)
    }
}

impl IntDiv {
    /// `intDiv` by zero is an error; `intDivOrZero` answers 0.
    fn check_divisors(&self, any_zero: bool) -> Result<()> {
        if any_zero && !self.or_zero {
            return exec_err!("Division by zero in {}", self.name);
        }
        Ok(())
    }
}
