//! JSON functions over String values (`JSONExtractString(payload, 'meta', 'source')`). The
//! path is keys (strings) and 1-based indexes (negative from the end), given as literals. As
//! in ClickHouse, a missing or mistyped value gives the type's default (`''`, `0`), never an
//! error; a NULL document gives NULL.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
    UInt8Builder, UInt64Builder,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use serde_json::Value;

use super::{columnar, nullable_if_an_argument_is};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Extract {
    Has,
    Length,
    String,
    Int,
    UInt,
    Float,
    Bool,
    Raw,
    ArrayRaw,
    Keys,
}

impl Extract {
    fn result(self) -> DataType {
        let strings = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
        match self {
            Extract::Has | Extract::Bool => DataType::UInt8,
            Extract::Length | Extract::UInt => DataType::UInt64,
            Extract::Int => DataType::Int64,
            Extract::Float => DataType::Float64,
            Extract::String | Extract::Raw => DataType::Utf8,
            Extract::ArrayRaw | Extract::Keys => strings,
        }
    }
}

pub fn functions() -> Vec<ScalarUDF> {
    [
        ("jsonhas", Extract::Has),
        ("jsonlength", Extract::Length),
        ("jsonextractstring", Extract::String),
        ("jsonextractint", Extract::Int),
        ("jsonextractuint", Extract::UInt),
        ("jsonextractfloat", Extract::Float),
        ("jsonextractbool", Extract::Bool),
        ("jsonextractraw", Extract::Raw),
        ("jsonextractarrayraw", Extract::ArrayRaw),
        ("jsonextractkeys", Extract::Keys),
        ("simplejsonextractstring", Extract::String),
        ("simplejsonextractint", Extract::Int),
        ("simplejsonextractuint", Extract::UInt),
        ("simplejsonextractfloat", Extract::Float),
        ("simplejsonextractbool", Extract::Bool),
        ("simplejsonextractraw", Extract::Raw),
        ("simplejsonhas", Extract::Has),
        ("visitparamextractstring", Extract::String),
    ]
    .into_iter()
    .map(|(name, extract)| {
        ScalarUDF::new_from_impl(JsonFunction {
            name,
            extract,
            signature: Signature::variadic_any(Volatility::Immutable),
        })
    })
    .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonFunction {
    name: &'static str,
    extract: Extract,
    signature: Signature,
}

/// One step of a path: a key, or a 1-based index (negative from the end).
enum Step {
    Key(String),
    Index(i64),
}

fn step(value: &ScalarValue) -> Result<Step> {
    if let Ok(ScalarValue::Int64(Some(index))) = value.cast_to(&DataType::Int64)
        && value.data_type().is_integer()
    {
        return Ok(Step::Index(index));
    }
    match value.cast_to(&DataType::Utf8)? {
        ScalarValue::Utf8(Some(key)) => Ok(Step::Key(key)),
        other => exec_err!("a JSON path step must be a key or an index, not {other}"),
    }
}

fn find<'a>(mut value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    for step in path {
        value = match (step, value) {
            (Step::Key(key), Value::Object(object)) => object.get(key)?,
            (Step::Index(index), Value::Array(items)) => {
                let position = if *index > 0 {
                    *index - 1
                } else {
                    items.len() as i64 + index
                };
                items.get(usize::try_from(position).ok()?)?
            }
            (Step::Index(index), Value::Object(object)) => {
                let position = if *index > 0 {
                    *index - 1
                } else {
                    object.len() as i64 + index
                };
                object.values().nth(usize::try_from(position).ok()?)?
            }
            _ => return None,
        };
    }
    Some(value)
}

impl JsonFunction {
    fn extract(&self, documents: &ArrayRef, path: &[Step]) -> Result<ArrayRef> {
        let documents = cast(documents, &DataType::Utf8)?;
        let documents = documents.as_string::<i32>();
        let found = |row: usize| -> Option<Option<Value>> {
            if documents.is_null(row) {
                return None;
            }
            let parsed: Option<Value> = serde_json::from_str(documents.value(row)).ok();
            Some(parsed.and_then(|document| find(&document, path).cloned()))
        };
        let rows = documents.len();
        Ok(match self.extract {
            Extract::Has | Extract::Bool => {
                let mut out = UInt8Builder::with_capacity(rows);
                for row in 0..rows {
                    out.append_option(found(row).map(|value| match (self.extract, value) {
                        (Extract::Has, value) => value.is_some() as u8,
                        (_, Some(Value::Bool(b))) => b as u8,
                        _ => 0,
                    }));
                }
                Arc::new(out.finish())
            }
            Extract::Length | Extract::UInt => {
                let mut out = UInt64Builder::with_capacity(rows);
                for row in 0..rows {
                    out.append_option(found(row).map(|value| {
                        match (self.extract, value) {
                            (Extract::Length, Some(Value::Array(items))) => items.len() as u64,
                            (Extract::Length, Some(Value::Object(object))) => object.len() as u64,
                            (Extract::UInt, Some(Value::Number(n))) => n
                                .as_u64()
                                .or_else(|| n.as_f64().map(|f| f as u64))
                                .unwrap_or(0),
                            _ => 0,
                        }
                    }));
                }
                Arc::new(out.finish())
            }
            Extract::Int => {
                let mut out = Int64Builder::with_capacity(rows);
                for row in 0..rows {
                    out.append_option(found(row).map(|value| {
                        match value {
                            Some(Value::Number(n)) => n
                                .as_i64()
                                .or_else(|| n.as_f64().map(|f| f as i64))
                                .unwrap_or(0),
                            _ => 0,
                        }
                    }));
                }
                Arc::new(out.finish())
            }
            Extract::Float => {
                let mut out = Float64Builder::with_capacity(rows);
                for row in 0..rows {
                    out.append_option(found(row).map(|value| match value {
                        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
                        _ => 0.0,
                    }));
                }
                Arc::new(out.finish())
            }
            Extract::String | Extract::Raw => {
                let mut out = StringBuilder::with_capacity(rows, rows * 8);
                for row in 0..rows {
                    out.append_option(found(row).map(|value| match (self.extract, value) {
                        (Extract::String, Some(Value::String(text))) => text,
                        (Extract::Raw, Some(value)) => value.to_string(),
                        _ => String::new(),
                    }));
                }
                Arc::new(out.finish())
            }
            Extract::ArrayRaw | Extract::Keys => {
                let mut out = ListBuilder::new(StringBuilder::new());
                for row in 0..rows {
                    match found(row) {
                        None => out.append_null(),
                        Some(value) => {
                            match (self.extract, value) {
                                (Extract::ArrayRaw, Some(Value::Array(items))) => {
                                    for item in items {
                                        out.values().append_value(item.to_string());
                                    }
                                }
                                (Extract::Keys, Some(Value::Object(object))) => {
                                    for key in object.keys() {
                                        out.values().append_value(key);
                                    }
                                }
                                _ => {}
                            }
                            out.append(true);
                        }
                    }
                }
                Arc::new(out.finish())
            }
        })
    }
}

impl ScalarUDFImpl for JsonFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.extract.result())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        // Only the document makes the result nullable; the path is literals.
        let document = args.arg_fields.first().map(|f| f.is_nullable());
        let field = nullable_if_an_argument_is(self, args)?;
        Ok(Arc::new(
            field
                .as_ref()
                .clone()
                .with_nullable(document.unwrap_or(false)),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some((document, path)) = args.args.split_first() else {
            return exec_err!("{} expects a JSON document", self.name);
        };
        let path = path
            .iter()
            .map(|step_arg| match step_arg {
                ColumnarValue::Scalar(value) => step(value),
                ColumnarValue::Array(_) => {
                    exec_err!("{}: the path must be literal keys or indexes", self.name)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let is_scalar = matches!(document, ColumnarValue::Scalar(_));
        let documents = document.to_array(args.number_rows)?;
        let result = self.extract(&documents, &path)?;
        columnar(result, is_scalar)
    }
}
