//! JSON functions over String values (`JSONExtractString(payload, 'meta', 'source')`). The
//! path is keys (strings) and 1-based indexes (negative from the end), given as literals. As
//! in ClickHouse, a missing or mistyped value gives the type's default (`''`, `0`), never an
//! error; a NULL document gives NULL.

use std::borrow::Cow;
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
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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

/// The value at `path` in `document`, None when the document is not JSON or the path leads
/// nowhere. Only the value found is built: the rest of the document is checked and skipped
/// by serde without allocating, which is what makes extraction from wide documents fast.
fn find(document: &str, path: &[Step]) -> Option<Value> {
    let mut deserializer = serde_json::Deserializer::from_str(document);
    let found = Seek(path).deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    found
}

/// Deserializes the value at its path (a seed for serde), skipping everything else.
struct Seek<'p>(&'p [Step]);

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        if self.0.is_empty() {
            Value::deserialize(deserializer).map(Some)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = Option<Value>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (step, rest) = self.0.split_first().expect("a step to take");
        if let Step::Index(index) = step
            && *index < 0
        {
            // Counting from the end needs every value.
            let mut values = Vec::new();
            while let Some((_, value)) = map.next_entry::<IgnoredAny, Value>()? {
                values.push(value);
            }
            return Ok(position(values.len(), *index).and_then(|p| descend(&values[p], rest)));
        }
        let mut found = None;
        let mut position = 0i64;
        while let Some(key) = map.next_key::<Key>()? {
            position += 1;
            let hit = found.is_none()
                && match step {
                    Step::Key(wanted) => key.0 == wanted.as_str(),
                    Step::Index(index) => position == *index,
                };
            if hit {
                found = map.next_value_seed(Seek(rest))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (step, rest) = self.0.split_first().expect("a step to take");
        let Step::Index(index) = step else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(None);
        };
        if *index < 0 {
            let mut values = Vec::new();
            while let Some(value) = seq.next_element::<Value>()? {
                values.push(value);
            }
            return Ok(position(values.len(), *index).and_then(|p| descend(&values[p], rest)));
        }
        let mut found = None;
        let mut position = 0i64;
        loop {
            position += 1;
            let element = if found.is_none() && position == *index {
                seq.next_element_seed(Seek(rest))?
                    .map(|value| found = value)
            } else {
                seq.next_element::<IgnoredAny>()?.map(|_| ())
            };
            if element.is_none() {
                return Ok(found);
            }
        }
    }

    // A scalar where the path goes on: nothing there.
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Where the 1-based `index` (negative from the end) falls among `len` values.
fn position(len: usize, index: i64) -> Option<usize> {
    let position = if index > 0 {
        index - 1
    } else {
        len as i64 + index
    };
    usize::try_from(position).ok().filter(|&p| p < len)
}

/// The value at `path` below an already built value.
fn descend(mut value: &Value, path: &[Step]) -> Option<Value> {
    for step in path {
        value = match (step, value) {
            (Step::Key(key), Value::Object(object)) => object.get(key)?,
            (Step::Index(index), Value::Array(items)) => {
                items.get(position(items.len(), *index)?)?
            }
            (Step::Index(index), Value::Object(object)) => {
                object.values().nth(position(object.len(), *index)?)?
            }
            _ => return None,
        };
    }
    Some(value.clone())
}

/// An object key, borrowed from the document when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("an object key")
            }

            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl JsonFunction {
    fn extract(&self, documents: &ArrayRef, path: &[Step]) -> Result<ArrayRef> {
        // Strings read from Parquet come as views: read them in place rather than copy.
        let documents = match documents.data_type() {
            DataType::Utf8View => documents.clone(),
            _ => cast(documents, &DataType::Utf8)?,
        };
        let text = |row: usize| match documents.data_type() {
            DataType::Utf8View => documents.as_string_view().value(row),
            _ => documents.as_string::<i32>().value(row),
        };
        let found = |row: usize| -> Option<Option<Value>> {
            if documents.is_null(row) {
                return None;
            }
            Some(find(text(row), path))
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
