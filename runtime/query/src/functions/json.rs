//! JSON functions over String values (`JSONExtractString(payload, 'meta', 'source')`,
//! `JSONExtract(payload, 'tags', 'Array(String)')`). The
//! path is keys (strings) and 1-based indexes (negative from the end), given as literals. As
//! in ClickHouse, a missing or mistyped value gives the type's default (`''`, `0`), never an
//! error; a NULL document gives NULL.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
    UInt8Builder, UInt64Builder,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef};
use colibri_types::ChType;
use datafusion::common::scalar::ScalarStructBuilder;
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err, plan_err};
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
        // The document itself, at the empty path, is found when it is JSON.
        ("isvalidjson", Extract::Has),
        ("visitparamextractstring", Extract::String),
    ]
    .into_iter()
    .map(|(name, extract)| {
        ScalarUDF::new_from_impl(JsonFunction {
            name,
            extract,
            anywhere: name.starts_with("simple") || name.starts_with("visitparam"),
            signature: Signature::variadic_any(Volatility::Immutable),
        })
    })
    .chain(std::iter::once(ScalarUDF::new_from_impl(
        JsonExtractTyped {
            signature: Signature::variadic_any(Volatility::Immutable),
        },
    )))
    .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonFunction {
    name: &'static str,
    extract: Extract,
    /// The `simpleJSON*` (`visitParam*`) functions: the value of the first field of that name
    /// anywhere in the document, found in its text.
    anywhere: bool,
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

/// A JSON value as a number, as ClickHouse reads numbers leniently: numbers, numbers in
/// strings (`"7"`), booleans as 0 and 1.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// The text of the value of the first field called `name` anywhere in `document` (ClickHouse's
/// `visitParam` rule: `"name":` as written, at any depth), as it is written there.
fn field_anywhere<'a>(document: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\":");
    let start = document.find(&key)? + key.len();
    let rest = document[start..].trim_start();
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<IgnoredAny>();
    values.next()?.ok()?;
    Some(&rest[..values.byte_offset()])
}

/// The steps of a path given as arguments, which must be literals.
fn literal_path(args: &[ColumnarValue], function: &str) -> Result<Vec<Step>> {
    args.iter()
        .map(|arg| match arg {
            ColumnarValue::Scalar(value) => step(value),
            ColumnarValue::Array(_) => {
                exec_err!("{function}: the path must be literal keys or indexes")
            }
        })
        .collect()
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
            Some(match (self.anywhere, path) {
                (true, [Step::Key(name)]) => {
                    field_anywhere(text(row), name).and_then(|raw| serde_json::from_str(raw).ok())
                }
                (true, _) => None,
                (false, path) => find(text(row), path),
            })
        };
        let rows = documents.len();
        Ok(match self.extract {
            Extract::Has | Extract::Bool => {
                let mut out = UInt8Builder::with_capacity(rows);
                for row in 0..rows {
                    out.append_option(found(row).map(|value| match (self.extract, value) {
                        (Extract::Has, value) => value.is_some() as u8,
                        (_, Some(Value::Bool(b))) => b as u8,
                        (_, Some(Value::Number(n))) => u8::from(n.as_f64() != Some(0.0)),
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
                            (Extract::UInt, Some(value)) => number(&value)
                                .filter(|n| *n >= 0.0)
                                .map_or(0, |n| match value.as_u64() {
                                    Some(exact) => exact,
                                    None => n as u64,
                                }),
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
                            Some(value) => value
                                .as_i64()
                                .or_else(|| number(&value).map(|n| n as i64))
                                .unwrap_or(0),
                            None => 0,
                        }
                    }));
                }
                Arc::new(out.finish())
            }
            Extract::Float => {
                let mut out = Float64Builder::with_capacity(rows);
                for row in 0..rows {
                    out.append_option(
                        found(row).map(|value| value.as_ref().and_then(number).unwrap_or(0.0)),
                    );
                }
                Arc::new(out.finish())
            }
            Extract::String | Extract::Raw => {
                let mut out = StringBuilder::with_capacity(rows, rows * 8);
                for row in 0..rows {
                    out.append_option(found(row).map(|value| {
                        match (self.extract, value) {
                            (Extract::String, Some(Value::String(text))) => text,
                            (Extract::Raw, Some(_)) if self.anywhere => match path {
                                [Step::Key(name)] => field_anywhere(text(row), name)
                                    .unwrap_or_default()
                                    .to_string(),
                                _ => String::new(),
                            },
                            (Extract::Raw, Some(value)) => value.to_string(),
                            _ => String::new(),
                        }
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
        let path = literal_path(path, self.name)?;
        let is_scalar = matches!(document, ColumnarValue::Scalar(_));
        let documents = document.to_array(args.number_rows)?;
        let result = self.extract(&documents, &path)?;
        columnar(result, is_scalar)
    }
}

/// `JSONExtract(json, path..., 'Type')`: the value at the path as the ClickHouse type named
/// last, read leniently as ClickHouse reads it: numbers from strings (`"12"` as Int64 is 12),
/// any value as String (its JSON text when it is not a string), arrays, maps and tuples element
/// by element, and the type's default for what does not convert (a NULL for Nullable types).
#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonExtractTyped {
    signature: Signature,
}

/// The ClickHouse type named by the last argument.
fn extracted_type(value: Option<&ScalarValue>) -> Result<ChType> {
    match value {
        Some(ScalarValue::Utf8(Some(name))) => name
            .parse::<ChType>()
            .map_err(|e| DataFusionError::Plan(format!("JSONExtract: {e}"))),
        _ => plan_err!("JSONExtract takes the name of a type as its last argument"),
    }
}

/// `value` (None when absent) as a scalar of ClickHouse type `ty`.
fn typed(value: Option<&Value>, ty: &ChType) -> Result<ScalarValue> {
    let arrow = ty.arrow_type();
    let default = || match ty.is_nullable() {
        true => ScalarValue::try_from(&arrow),
        false => ScalarValue::new_default(&arrow),
    };
    Ok(match (ty, value) {
        (ChType::Nullable(_), None | Some(Value::Null)) => default()?,
        (ChType::Nullable(inner) | ChType::LowCardinality(inner), value) => typed(value, inner)?,
        (ChType::Array(item), value) => {
            let items = match value {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| typed(Some(v), item))
                    .collect::<Result<Vec<_>>>()?,
                _ => Vec::new(),
            };
            ScalarValue::List(ScalarValue::new_list(
                &items,
                &item.arrow_type(),
                item.is_nullable(),
            ))
        }
        (ChType::Tuple(elements), value) => {
            let DataType::Struct(fields) = &arrow else {
                unreachable!("a tuple is a struct");
            };
            let mut tuple = ScalarStructBuilder::new();
            for (i, ((name, element), field)) in elements.iter().zip(fields.iter()).enumerate() {
                let found = match (name, value) {
                    (Some(name), Some(Value::Object(object))) => object.get(name),
                    (None, Some(Value::Object(object))) => object.values().nth(i),
                    (_, Some(Value::Array(items))) => items.get(i),
                    _ => None,
                };
                tuple = tuple.with_scalar(field.as_ref().clone(), typed(found, element)?);
            }
            tuple.build()?
        }
        (ChType::Map(key, item), value) => {
            let DataType::Map(entries, sorted) = &arrow else {
                unreachable!("a map is a map");
            };
            let DataType::Struct(entry_fields) = entries.data_type() else {
                unreachable!("map entries are structs");
            };
            let (mut keys, mut values) = (Vec::new(), Vec::new());
            if let Some(Value::Object(object)) = value {
                for (k, v) in object {
                    keys.push(typed(Some(&Value::String(k.clone())), key)?);
                    values.push(typed(Some(v), item)?);
                }
            }
            let column = |scalars: Vec<ScalarValue>, field: &FieldRef| match scalars.is_empty() {
                true => Ok(arrow::array::new_empty_array(field.data_type())),
                false => ScalarValue::iter_to_array(scalars),
            };
            let entries_array = arrow::array::StructArray::try_new(
                entry_fields.clone(),
                vec![
                    column(keys, &entry_fields[0])?,
                    column(values, &entry_fields[1])?,
                ],
                None,
            )?;
            let length = entries_array.len();
            ScalarValue::Map(Arc::new(arrow::array::MapArray::try_new(
                Arc::clone(entries),
                OffsetBuffer::from_lengths([length]),
                entries_array,
                None,
                *sorted,
            )?))
        }
        (ChType::String, Some(Value::String(text))) => ScalarValue::Utf8(Some(text.clone())),
        (ChType::String, Some(Value::Null) | None) => default()?,
        (ChType::String, Some(other)) => ScalarValue::Utf8(Some(other.to_string())),
        (_, Some(value)) => {
            let source = match value {
                Value::String(text) => ScalarValue::Utf8(Some(text.clone())),
                Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => ScalarValue::Int64(Some(i)),
                    (None, Some(u)) => ScalarValue::UInt64(Some(u)),
                    _ => ScalarValue::Float64(n.as_f64()),
                },
                Value::Bool(b) => ScalarValue::UInt8(Some(u8::from(*b))),
                _ => return default(),
            };
            match source.cast_to(&arrow) {
                Ok(converted) if !converted.is_null() => converted,
                _ => default()?,
            }
        }
        (_, None) => default()?,
    })
}

impl ScalarUDFImpl for JsonExtractTyped {
    fn name(&self) -> &str {
        "jsonextract"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        plan_err!("JSONExtract is typed from its last argument")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        if args.arg_fields.len() < 2 {
            return plan_err!("JSONExtract takes a JSON document and the name of a type");
        }
        let ty = extracted_type(*args.scalar_arguments.last().expect("two arguments"))?;
        let nullable = ty.is_nullable() || args.arg_fields[0].is_nullable();
        Ok(Arc::new(Field::new(self.name(), ty.arrow_type(), nullable)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [document, path @ .., ty] = args.args.as_slice() else {
            return exec_err!("JSONExtract takes a JSON document and the name of a type");
        };
        let ty = match ty {
            ColumnarValue::Scalar(name) => extracted_type(Some(name))?,
            ColumnarValue::Array(_) => extracted_type(None)?,
        };
        let path = literal_path(path, self.name())?;
        let is_scalar = matches!(document, ColumnarValue::Scalar(_));
        let documents = cast(&document.to_array(args.number_rows)?, &DataType::Utf8)?;
        let documents = documents.as_string::<i32>();
        let null = ScalarValue::try_from(&ty.arrow_type())?;
        let values = documents
            .iter()
            .map(|document| match document {
                None => Ok(null.clone()),
                Some(document) => typed(find(document, &path).as_ref(), &ty),
            })
            .collect::<Result<Vec<_>>>()?;
        let result = if values.is_empty() {
            arrow::array::new_empty_array(&ty.arrow_type())
        } else {
            ScalarValue::iter_to_array(values)?
        };
        columnar(result, is_scalar)
    }
}
