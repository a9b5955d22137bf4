//! Type conversions: `toInt8` ... `toUInt64`, `toFloat32`/`toFloat64` (with their `OrZero` and
//! `OrNull` forms), `toDecimal32/64/128` (truncating, and their forms), `toString`,
//! `toTypeName` and `assumeNotNull`. Integers narrow by wrapping, as ClickHouse does
//! (`toInt8(300)` is 44); a string that is not a number is an error, zero (`OrZero`) or NULL
//! (`OrNull`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, new_null_array};
use arrow::compute::kernels::cast::{CastOptions, cast_with_options};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, is_null};
use arrow::datatypes::{DataType, Field, FieldRef, Int64Type, UInt64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::{OnFailure, nullable_if_an_argument_is};

const NUMBER_TYPES: [(&str, DataType); 10] = [
    ("Int8", DataType::Int8),
    ("Int16", DataType::Int16),
    ("Int32", DataType::Int32),
    ("Int64", DataType::Int64),
    ("UInt8", DataType::UInt8),
    ("UInt16", DataType::UInt16),
    ("UInt32", DataType::UInt32),
    ("UInt64", DataType::UInt64),
    ("Float32", DataType::Float32),
    ("Float64", DataType::Float64),
];

pub fn functions() -> Vec<ScalarUDF> {
    let mut functions: Vec<ScalarUDF> = NUMBER_TYPES
        .iter()
        .flat_map(|(name, target)| {
            [
                (OnFailure::Error, ""),
                (OnFailure::Zero, "OrZero"),
                (OnFailure::Null, "OrNull"),
            ]
            .map(|(on_failure, suffix)| {
                ScalarUDF::new_from_impl(ToNumber {
                    name: format!("to{name}{suffix}").to_lowercase(),
                    target: target.clone(),
                    on_failure,
                    signature: Signature::any(1, Volatility::Immutable),
                })
            })
        })
        .collect();
    functions.push(ScalarUDF::new_from_impl(ToString {
        signature: Signature::any(1, Volatility::Immutable),
    }));
    functions.push(ScalarUDF::new_from_impl(ToTypeName {
        signature: Signature::any(1, Volatility::Immutable),
    }));
    functions.push(ScalarUDF::new_from_impl(AssumeNotNull {
        signature: Signature::any(1, Volatility::Immutable),
    }));
    for (bits, precision) in [(32, 9), (64, 18), (128, 38)] {
        for (on_failure, suffix) in [
            (OnFailure::Error, ""),
            (OnFailure::Zero, "orzero"),
            (OnFailure::Null, "ornull"),
        ] {
            functions.push(ScalarUDF::new_from_impl(ToDecimal {
                name: format!("todecimal{bits}{suffix}"),
                precision,
                on_failure,
                signature: Signature::any(2, Volatility::Immutable),
            }));
        }
    }
    functions
}

/// `assumeNotNull(x)`: `x` as a non-nullable value; a NULL reads as what lies under it, the
/// type's default (`0`, `''`), as in ClickHouse.
#[derive(Debug, PartialEq, Eq, Hash)]
struct AssumeNotNull {
    signature: Signature,
}

impl ScalarUDFImpl for AssumeNotNull {
    fn name(&self) -> &str {
        "assumenotnull"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args[0].clone())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let data_type = args.arg_fields[0].data_type().clone();
        Ok(Arc::new(Field::new(self.name(), data_type, false)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let is_scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let values = args.args[0].to_array(args.number_rows)?;
        let filled = match values.logical_nulls() {
            Some(nulls) if nulls.null_count() > 0 => {
                let defaults =
                    ScalarValue::new_default(values.data_type())?.to_array_of_size(values.len())?;
                let valid = arrow::array::BooleanArray::new(nulls.into_inner(), None);
                zip(&valid, &values, &defaults)?
            }
            _ => values,
        };
        super::columnar(filled, is_scalar)
    }
}

/// `toTypeName(x)`: the ClickHouse name of the argument's type.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ToTypeName {
    signature: Signature,
}

impl ScalarUDFImpl for ToTypeName {
    fn name(&self) -> &str {
        "totypename"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(self.name(), DataType::Utf8, false)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = colibri_types::ChType::of_field(&args.arg_fields[0]).to_string();
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(name))))
    }
}

/// Runs an array function on a value, keeping a scalar a scalar.
fn map_value(
    value: &ColumnarValue,
    rows: usize,
    f: impl Fn(&ArrayRef) -> Result<ArrayRef>,
) -> Result<ColumnarValue> {
    match value {
        ColumnarValue::Scalar(scalar) => {
            let result = f(&scalar.to_array_of_size(1)?)?;
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result, 0,
            )?))
        }
        ColumnarValue::Array(array) => {
            debug_assert_eq!(array.len(), rows);
            Ok(ColumnarValue::Array(f(array)?))
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ToNumber {
    name: String,
    target: DataType,
    on_failure: OnFailure,
    signature: Signature,
}

impl ToNumber {
    fn convert(&self, array: &ArrayRef) -> Result<ArrayRef> {
        let target = &self.target;
        let from = array.data_type();
        if from.is_integer() && target.is_integer() {
            // Wrap, as ClickHouse narrows integers.
            let wide = if from.is_signed_integer() {
                let values = cast(array, &DataType::Int64)?;
                let wrapped: arrow::array::UInt64Array =
                    values.as_primitive::<Int64Type>().unary(|v| v as u64);
                Arc::new(wrapped) as ArrayRef
            } else {
                cast(array, &DataType::UInt64)?
            };
            let bits = wide.as_primitive::<UInt64Type>();
            return Ok(match target {
                DataType::Int8 => {
                    Arc::new(bits.unary::<_, arrow::datatypes::Int8Type>(|v| v as i8))
                }
                DataType::Int16 => {
                    Arc::new(bits.unary::<_, arrow::datatypes::Int16Type>(|v| v as i16))
                }
                DataType::Int32 => {
                    Arc::new(bits.unary::<_, arrow::datatypes::Int32Type>(|v| v as i32))
                }
                DataType::Int64 => Arc::new(bits.unary::<_, Int64Type>(|v| v as i64)),
                DataType::UInt8 => {
                    Arc::new(bits.unary::<_, arrow::datatypes::UInt8Type>(|v| v as u8))
                }
                DataType::UInt16 => {
                    Arc::new(bits.unary::<_, arrow::datatypes::UInt16Type>(|v| v as u16))
                }
                DataType::UInt32 => {
                    Arc::new(bits.unary::<_, arrow::datatypes::UInt32Type>(|v| v as u32))
                }
                _ => wide,
            });
        }
        let safe = self.on_failure != OnFailure::Error;
        let options = CastOptions {
            safe,
            ..Default::default()
        };
        let converted = cast_with_options(array, target, &options)?;
        if self.on_failure != OnFailure::Zero {
            return Ok(converted);
        }
        // Values that did not convert (NULL now, not before) become zero.
        let failed = arrow::compute::and_not(&is_null(&converted)?, &is_null(array)?)?;
        let zero = cast(&ScalarValue::Int8(Some(0)).to_array()?, target)?;
        Ok(zip(&failed, &arrow::array::Scalar::new(zero), &converted)?)
    }
}

impl ScalarUDFImpl for ToNumber {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.target.clone())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        if self.on_failure == OnFailure::Null {
            return Ok(Arc::new(Field::new(self.name(), self.target.clone(), true)));
        }
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_value(&args.args[0], args.number_rows, |array| self.convert(array))
    }
}

/// `toString(x)`: the value as ClickHouse prints it.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ToString {
    signature: Signature,
}

impl ScalarUDFImpl for ToString {
    fn name(&self) -> &str {
        "tostring"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_value(&args.args[0], args.number_rows, |array| {
            if array.data_type() == &DataType::Null {
                return Ok(new_null_array(&DataType::Utf8, array.len()));
            }
            Ok(Arc::new(crate::format::texts(array)?))
        })
    }
}

/// `toDecimal32(x, S)`, `toDecimal64`, `toDecimal128` (and their `OrZero`/`OrNull` forms): `x`
/// as a Decimal(9|18|38, S), truncated toward zero past `S` digits as ClickHouse converts
/// (`toDecimal32(1.239, 2)` is 1.23; Arrow's cast rounds). Numbers, decimals and text are read.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ToDecimal {
    name: String,
    precision: u8,
    on_failure: OnFailure,
    signature: Signature,
}

impl ToDecimal {
    fn scale(&self, value: Option<&ScalarValue>) -> Result<i8> {
        let scale = match value.map(|v| v.cast_to(&DataType::Int64)) {
            Some(Ok(ScalarValue::Int64(Some(scale)))) => scale,
            _ => return plan_err!("{} takes a constant scale", self.name),
        };
        match i8::try_from(scale) {
            Ok(scale) if (0..=self.precision as i8).contains(&scale) => Ok(scale),
            _ => plan_err!("{}: the scale must be 0 to {}", self.name, self.precision),
        }
    }
}

impl ScalarUDFImpl for ToDecimal {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        plan_err!("{} is typed from its scale", self.name)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let scale = self.scale(args.scalar_arguments[1])?;
        let nullable = args.arg_fields[0].is_nullable() || self.on_failure == OnFailure::Null;
        Ok(Arc::new(Field::new(
            self.name(),
            DataType::Decimal128(self.precision, scale),
            nullable,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scale = match &args.args[1] {
            ColumnarValue::Scalar(scale) => self.scale(Some(scale))?,
            ColumnarValue::Array(_) => self.scale(None)?,
        };
        let limit = 10i128.pow(u32::from(self.precision));
        let factor = 10i128.pow(scale as u32);
        map_value(&args.args[0], args.number_rows, |values| {
            let unscaled: Vec<Option<std::result::Result<i128, String>>> = match values.data_type()
            {
                DataType::Decimal128(_, from_scale) => {
                    let values = values.as_primitive::<arrow::datatypes::Decimal128Type>();
                    let shift = i32::from(*from_scale) - i32::from(scale);
                    values
                        .iter()
                        .map(|v| {
                            v.map(|v| {
                                Ok(match shift {
                                    s if s >= 0 => v / 10i128.pow(s as u32),
                                    s => v * 10i128.pow((-s) as u32),
                                })
                            })
                        })
                        .collect()
                }
                data_type if data_type.is_integer() => {
                    let values = cast(values, &DataType::Int64)?;
                    values
                        .as_primitive::<Int64Type>()
                        .iter()
                        .map(|v| v.map(|v| Ok(i128::from(v) * factor)))
                        .collect()
                }
                data_type if data_type.is_floating() => {
                    let values = cast(values, &DataType::Float64)?;
                    values
                        .as_primitive::<arrow::datatypes::Float64Type>()
                        .iter()
                        .map(|v| {
                            v.map(|v| {
                                let scaled = (v * factor as f64).trunc();
                                match scaled.is_finite() && scaled.abs() < limit as f64 {
                                    true => Ok(scaled as i128),
                                    false => Err(v.to_string()),
                                }
                            })
                        })
                        .collect()
                }
                _ => {
                    let texts = cast(values, &DataType::Utf8)?;
                    texts
                        .as_string::<i32>()
                        .iter()
                        .map(|v| {
                            v.map(|text| {
                                colibri_types::decimal_of_text(text, scale as u32)
                                    .ok_or_else(|| text.to_string())
                            })
                        })
                        .collect()
                }
            };
            let mut out = arrow::array::Decimal128Builder::with_capacity(unscaled.len());
            for value in unscaled {
                match value.map(|v| {
                    v.and_then(|v| match v.abs() < limit {
                        true => Ok(v),
                        false => Err(v.to_string()),
                    })
                }) {
                    None => out.append_null(),
                    Some(Ok(value)) => out.append_value(value),
                    Some(Err(text)) => match self.on_failure {
                        OnFailure::Error => {
                            return exec_err!("Cannot convert '{text}' to {}", self.name);
                        }
                        OnFailure::Zero => out.append_value(0),
                        OnFailure::Null => out.append_null(),
                    },
                }
            }
            let decimals = out
                .finish()
                .with_precision_and_scale(self.precision, scale)?;
            Ok(Arc::new(decimals) as ArrayRef)
        })
    }
}
