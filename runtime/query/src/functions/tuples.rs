//! Tuples: `tupleElement(t, n)` (also written `t.n`), the n-th element (1-based) of a tuple, or
//! the element of that name. (`tuple(a, b)` and `(a, b)` are DataFusion's `struct`.)

use std::sync::Arc;

use arrow::array::{Array, AsArray, make_array};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

pub fn functions() -> Vec<ScalarUDF> {
    vec![ScalarUDF::new_from_impl(TupleElement {
        signature: Signature::any(2, Volatility::Immutable),
    })]
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct TupleElement {
    signature: Signature,
}

/// The position of the element `which` (a 1-based index or a name) among `fields`.
fn position(fields: &arrow::datatypes::Fields, which: Option<&ScalarValue>) -> Result<usize> {
    let found = match which {
        Some(ScalarValue::Utf8(Some(name))) => fields.iter().position(|f| f.name() == name),
        Some(index) => match index.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(Some(index)) if index >= 1 => {
                Some(index as usize - 1).filter(|&i| i < fields.len())
            }
            _ => None,
        },
        None => return plan_err!("tupleElement takes a constant index or name"),
    };
    match found {
        Some(position) => Ok(position),
        None => plan_err!("the tuple has no element {}", which.expect("given")),
    }
}

impl ScalarUDFImpl for TupleElement {
    fn name(&self) -> &str {
        "tupleelement"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        plan_err!("tupleElement is typed from its arguments")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let DataType::Struct(fields) = args.arg_fields[0].data_type() else {
            return plan_err!(
                "tupleElement takes a tuple, not {}",
                args.arg_fields[0].data_type()
            );
        };
        let element = &fields[position(fields, args.scalar_arguments[1])?];
        let nullable = element.is_nullable() || args.arg_fields[0].is_nullable();
        Ok(Arc::new(Field::new(
            self.name(),
            element.data_type().clone(),
            nullable,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let ColumnarValue::Scalar(which) = &args.args[1] else {
            return exec_err!("tupleElement takes a constant index or name");
        };
        let is_scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let tuples = args.args[0].to_array(args.number_rows)?;
        let tuples = tuples.as_struct();
        let element = tuples.column(position(tuples.fields(), Some(which))?);
        // A NULL tuple's element is NULL.
        let nulls = NullBuffer::union(tuples.nulls(), element.logical_nulls().as_ref());
        let element = make_array(element.to_data().into_builder().nulls(nulls).build()?);
        super::columnar(element, is_scalar)
    }
}
