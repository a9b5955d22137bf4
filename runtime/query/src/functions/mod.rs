//! ClickHouse functions as DataFusion UDFs and UDAFs, one module per family (as the
//! `datafusion-spark` crate organises Spark's). DataFusion lower-cases unquoted function
//! names, so each is registered under its lower-case name.

mod aggregates;
mod conversions;
mod dates;
mod json;
mod strings;

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::logical_expr::{ReturnFieldArgs, ScalarUDF, ScalarUDFImpl};

pub fn register_all(state: &mut SessionState) {
    let scalars: Vec<ScalarUDF> = dates::functions()
        .into_iter()
        .chain(strings::functions())
        .chain(conversions::functions())
        .chain(json::functions())
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
