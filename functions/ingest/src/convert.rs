//! Events and CSV records to rows. An event's value for a column is found by the column's
//! JSONPath and converted strictly to its ClickHouse type (DS-J5: a JSON string is not a
//! number); a CSV record's value is the text at the column's position, read as ClickHouse
//! reads CSV (DS-C8: empty is NULL, the DEFAULT or the type's zero; `\N` is NULL). A row
//! with any value that does not fit goes to quarantine with the raw values and the reasons
//! (DS-Q2, DS-Q8).

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    ArrayRef, BooleanArray, ListArray, PrimitiveArray, RecordBatch, StringArray,
    TimestampSecondArray,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType, Schema, TimeUnit};
use chrono::TimeZone as _;
use colibri_guest::ApiError;
use colibri_guest::types::Column;
use colibri_types::ChType;
use serde_json::Value;

use crate::Line;
use crate::jsonpath::{self, Step};

/// A converted value, before it is placed in an Arrow column.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i128),
    Float(f64),
    Bool(bool),
    Text(String),
    /// Days since the epoch.
    Date(i32),
    /// Nanoseconds since the epoch.
    Instant(i128),
    Decimal(i128),
    List(Vec<Cell>),
}

/// Rows ready to append: those that fit the data source and those for its quarantine.
#[derive(Default)]
pub struct Converted {
    pub rows: Vec<RecordBatch>,
    pub quarantine: Vec<RecordBatch>,
    pub quarantined: u64,
}

impl Converted {
    /// Adds the rows of another part of the same import.
    pub fn extend(&mut self, other: Converted) {
        self.rows.extend(other.rows);
        self.quarantine.extend(other.quarantine);
        self.quarantined += other.quarantined;
    }
}

/// A row that goes to quarantine: its raw values, the columns that failed and why.
struct QuarantinedRow {
    raw: Vec<Option<String>>,
    columns: Vec<String>,
    errors: Vec<String>,
}

struct Target {
    name: String,
    ty: ChType,
    path: Vec<Step>,
    /// The position of the column's value in a CSV record; `None` when the file lacks it.
    field: Option<usize>,
    default: Option<Value>,
}

impl Target {
    /// The column's non-null value in `event`, if any.
    fn found<'a>(&self, event: &'a Value) -> Option<std::borrow::Cow<'a, Value>> {
        jsonpath::extract(event, &self.path).filter(|v| !v.is_null())
    }

    /// The column's text in a CSV record; a column the file lacks reads as empty.
    fn text<'a>(&self, record: &'a csv::StringRecord) -> &'a str {
        self.field.and_then(|i| record.get(i)).unwrap_or("")
    }

    /// The raw value of this column in a row, as kept in quarantine.
    fn raw(&self, line: &Line) -> Option<String> {
        match line {
            Line::Event(event) => self.found(event).as_deref().map(raw_text),
            Line::Fields(record) => self.field.and_then(|i| record.get(i)).map(str::to_string),
            Line::Invalid(..) => None,
        }
    }

    /// Converts this column's value of an event or record, or says why it does not fit.
    fn convert(&self, line: &Line) -> Result<Cell, String> {
        match line {
            Line::Event(event) => match (self.found(event).as_deref(), &self.default) {
                (Some(value), _) => convert_value(value, &self.ty),
                (None, Some(default)) => convert_value(default, &self.ty),
                (None, None) if self.ty.is_nullable() => Ok(Cell::Null),
                (None, None) => Err("missing value for a non-nullable column".to_string()),
            },
            Line::Fields(record) => {
                convert_text(self.text(record), &self.ty, self.default.as_ref())
            }
            Line::Invalid(..) => Ok(Cell::Null),
        }
    }
}

/// A DEFAULT expression Colibri can evaluate on the guest side: literals and `now()`.
fn default_value(expression: &str) -> Option<Value> {
    let text = expression.trim();
    if text.eq_ignore_ascii_case("now()") {
        return Some(Value::String(
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        ));
    }
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        return Some(Value::String(inner.replace("\\'", "'")));
    }
    serde_json::from_str(text).ok()
}

fn raw_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse_instant(text: &str) -> Option<i128> {
    crate::temporal::parse(text).map(|t| t.nanos)
}

/// The instant of a date-time text for a column in time zone `zone`: text without a zone is
/// a local time there (DateTime('Europe/Madrid') reads "10:00:00" as 09:00 UTC in winter).
fn parse_instant_in(text: &str, zone: Option<&str>) -> Option<i128> {
    let temporal = crate::temporal::parse(text)?;
    let Some(zone) = zone.filter(|z| !temporal.zoned && *z != colibri_types::DEFAULT_TIME_ZONE)
    else {
        return Some(temporal.nanos);
    };
    let tz: chrono_tz::Tz = zone.parse().ok()?;
    let wall_clock = chrono::DateTime::from_timestamp(
        i64::try_from(temporal.nanos.div_euclid(1_000_000_000)).ok()?,
        temporal.nanos.rem_euclid(1_000_000_000) as u32,
    )?
    .naive_utc();
    let instant = tz.from_local_datetime(&wall_clock).earliest()?;
    instant.timestamp_nanos_opt().map(i128::from)
}

fn integer_range(ty: &ChType) -> Option<(i128, i128)> {
    Some(match ty {
        ChType::Int8 => (i8::MIN as i128, i8::MAX as i128),
        ChType::Int16 => (i16::MIN as i128, i16::MAX as i128),
        ChType::Int32 => (i32::MIN as i128, i32::MAX as i128),
        ChType::Int64 => (i64::MIN as i128, i64::MAX as i128),
        ChType::UInt8 => (0, u8::MAX as i128),
        ChType::UInt16 => (0, u16::MAX as i128),
        ChType::UInt32 => (0, u32::MAX as i128),
        ChType::UInt64 => (0, u64::MAX as i128),
        _ => return None,
    })
}

/// Converts one JSON value to a cell of `ty`, or says why it does not fit.
fn convert_value(value: &Value, ty: &ChType) -> Result<Cell, String> {
    let mismatch = |expected: &str| format!("value {value} of type {ty}: expected {expected}");
    if value.is_null() {
        return if ty.is_nullable() {
            Ok(Cell::Null)
        } else {
            Err(format!("null for non-nullable type {ty}"))
        };
    }
    match ty {
        ChType::Nullable(inner)
        | ChType::LowCardinality(inner)
        | ChType::SimpleAggregateFunction(_, inner) => convert_value(value, inner),
        ty if integer_range(ty).is_some() => {
            let (min, max) = integer_range(ty).expect("checked");
            let n = value
                .as_i64()
                .map(i128::from)
                .or(value.as_u64().map(i128::from))
                .ok_or_else(|| mismatch("an integer"))?;
            if n < min || n > max {
                return Err(format!("value {n} is out of range for {ty}"));
            }
            Ok(Cell::Int(n))
        }
        ChType::Float32 | ChType::Float64 => value
            .as_f64()
            .map(Cell::Float)
            .ok_or_else(|| mismatch("a number")),
        ChType::Bool => match value {
            Value::Bool(b) => Ok(Cell::Bool(*b)),
            Value::Number(n) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => {
                Ok(Cell::Bool(n.as_u64() == Some(1)))
            }
            _ => Err(mismatch("true or false")),
        },
        ChType::String
        | ChType::FixedString(_)
        | ChType::Uuid
        | ChType::Json
        | ChType::IPv4
        | ChType::IPv6 => Ok(Cell::Text(raw_text(value))),
        ChType::Date | ChType::Date32 => {
            let text = value.as_str().ok_or_else(|| mismatch("a date string"))?;
            let instant = parse_instant(text).ok_or_else(|| mismatch("a date YYYY-MM-DD"))?;
            Ok(Cell::Date((instant.div_euclid(86_400_000_000_000)) as i32))
        }
        ChType::DateTime(zone) | ChType::DateTime64(_, zone) => match value {
            Value::String(text) => parse_instant_in(text, zone.as_deref())
                .map(Cell::Instant)
                .ok_or_else(|| mismatch("a date-time")),
            Value::Number(n) => n
                .as_f64()
                .map(|seconds| Cell::Instant((seconds * 1e9) as i128))
                .ok_or_else(|| mismatch("a date-time")),
            _ => Err(mismatch("a date-time")),
        },
        ChType::Decimal { scale, .. } => {
            let text = raw_text(value);
            colibri_types::decimal_of_text(&text, u32::from(*scale))
                .map(Cell::Decimal)
                .ok_or_else(|| mismatch("a decimal number"))
        }
        ChType::Array(inner) => {
            let items = value.as_array().ok_or_else(|| mismatch("an array"))?;
            items
                .iter()
                .map(|item| convert_value(item, inner))
                .collect::<Result<_, _>>()
                .map(Cell::List)
        }
        other => Err(format!(
            "columns of type {other} cannot be filled from events yet"
        )),
    }
}

/// Converts the text of a CSV field to a cell of `ty` (DS-C8): `\N` is NULL, an empty field
/// is NULL in a Nullable column and otherwise the column's DEFAULT or the type's zero value.
fn convert_text(text: &str, ty: &ChType, default: Option<&Value>) -> Result<Cell, String> {
    if text == "\\N" || text.is_empty() {
        return match default {
            _ if ty.is_nullable() => Ok(Cell::Null),
            Some(default) => convert_value(default, ty),
            None if text.is_empty() => Ok(zero(ty)),
            None => Err(format!("NULL (\\N) for non-nullable type {ty}")),
        };
    }
    let mismatch = |expected: &str| format!("value '{text}' of type {ty}: expected {expected}");
    match ty {
        ChType::Nullable(inner)
        | ChType::LowCardinality(inner)
        | ChType::SimpleAggregateFunction(_, inner) => convert_text(text, inner, default),
        ty if integer_range(ty).is_some() => {
            let (min, max) = integer_range(ty).expect("checked");
            let n: i128 = text.trim().parse().map_err(|_| mismatch("an integer"))?;
            if n < min || n > max {
                return Err(format!("value {n} is out of range for {ty}"));
            }
            Ok(Cell::Int(n))
        }
        ChType::Float32 | ChType::Float64 => text
            .trim()
            .parse()
            .map(Cell::Float)
            .map_err(|_| mismatch("a number")),
        ChType::Bool => match text.trim() {
            "1" => Ok(Cell::Bool(true)),
            "0" => Ok(Cell::Bool(false)),
            t if t.eq_ignore_ascii_case("true") => Ok(Cell::Bool(true)),
            t if t.eq_ignore_ascii_case("false") => Ok(Cell::Bool(false)),
            _ => Err(mismatch("true or false")),
        },
        ChType::DateTime(_) | ChType::DateTime64(..) | ChType::Decimal { .. }
            if text.trim().parse::<f64>().is_ok() =>
        {
            let number = serde_json::from_str(text.trim()).map_err(|_| mismatch("a number"))?;
            convert_value(&number, ty)
        }
        ChType::Array(_) => {
            let items: Value = serde_json::from_str(text)
                .or_else(|_| serde_json::from_str(&text.replace('\'', "\"")))
                .map_err(|_| mismatch("an array like [1,2] or ['a','b']"))?;
            convert_value(&items, ty)
        }
        _ => convert_value(&Value::String(text.to_string()), ty),
    }
}

/// The value an empty CSV field takes in a non-Nullable column without DEFAULT.
fn zero(ty: &ChType) -> Cell {
    match ty.base() {
        ty if integer_range(ty).is_some() => Cell::Int(0),
        ChType::Float32 | ChType::Float64 => Cell::Float(0.0),
        ChType::Bool => Cell::Bool(false),
        ChType::Date | ChType::Date32 => Cell::Date(0),
        ChType::DateTime(_) | ChType::DateTime64(..) => Cell::Instant(0),
        ChType::Decimal { .. } => Cell::Decimal(0),
        ChType::Array(_) => Cell::List(Vec::new()),
        _ => Cell::Text(String::new()),
    }
}

fn timestamp_unit(data_type: &DataType) -> (TimeUnit, i128) {
    match data_type {
        DataType::Timestamp(TimeUnit::Second, _) => (TimeUnit::Second, 1_000_000_000),
        DataType::Timestamp(TimeUnit::Millisecond, _) => (TimeUnit::Millisecond, 1_000_000),
        DataType::Timestamp(TimeUnit::Microsecond, _) => (TimeUnit::Microsecond, 1_000),
        _ => (TimeUnit::Nanosecond, 1),
    }
}

/// A primitive Arrow array whose value per cell is `value` (None = null).
fn primitive<T: ArrowPrimitiveType>(
    cells: &[&Cell],
    value: impl Fn(&Cell) -> Option<T::Native>,
) -> PrimitiveArray<T> {
    cells.iter().map(|c| value(c)).collect()
}

/// Builds the Arrow array of a column from its cells.
fn build_array(data_type: &DataType, cells: &[&Cell]) -> ArrayRef {
    let int = |c: &Cell| match c {
        Cell::Int(n) => Some(*n),
        _ => None,
    };
    let float = |c: &Cell| match c {
        Cell::Float(f) => Some(*f),
        _ => None,
    };
    match data_type {
        DataType::Int8 => Arc::new(primitive::<Int8Type>(cells, |c| int(c).map(|n| n as i8))),
        DataType::Int16 => Arc::new(primitive::<Int16Type>(cells, |c| int(c).map(|n| n as i16))),
        DataType::Int32 => Arc::new(primitive::<Int32Type>(cells, |c| int(c).map(|n| n as i32))),
        DataType::Int64 => Arc::new(primitive::<Int64Type>(cells, |c| int(c).map(|n| n as i64))),
        DataType::UInt8 => Arc::new(primitive::<UInt8Type>(cells, |c| int(c).map(|n| n as u8))),
        DataType::UInt16 => Arc::new(primitive::<UInt16Type>(cells, |c| int(c).map(|n| n as u16))),
        DataType::UInt32 => Arc::new(primitive::<UInt32Type>(cells, |c| int(c).map(|n| n as u32))),
        DataType::UInt64 => Arc::new(primitive::<UInt64Type>(cells, |c| int(c).map(|n| n as u64))),
        DataType::Float32 => Arc::new(primitive::<Float32Type>(cells, |c| {
            float(c).map(|f| f as f32)
        })),
        DataType::Float64 => Arc::new(primitive::<Float64Type>(cells, float)),
        DataType::Boolean => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Cell::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
        DataType::Utf8 => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Cell::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect::<StringArray>(),
        ),
        DataType::Date32 => Arc::new(primitive::<Date32Type>(cells, |c| match c {
            Cell::Date(d) => Some(*d),
            _ => None,
        })),
        DataType::Timestamp(_, tz) => {
            let (unit, divisor) = timestamp_unit(data_type);
            let instant = |c: &Cell| match c {
                Cell::Instant(nanos) => Some(nanos.div_euclid(divisor) as i64),
                _ => None,
            };
            let tz = tz.clone();
            match unit {
                TimeUnit::Second => {
                    Arc::new(primitive::<TimestampSecondType>(cells, instant).with_timezone_opt(tz))
                }
                TimeUnit::Millisecond => Arc::new(
                    primitive::<TimestampMillisecondType>(cells, instant).with_timezone_opt(tz),
                ),
                TimeUnit::Microsecond => Arc::new(
                    primitive::<TimestampMicrosecondType>(cells, instant).with_timezone_opt(tz),
                ),
                TimeUnit::Nanosecond => Arc::new(
                    primitive::<TimestampNanosecondType>(cells, instant).with_timezone_opt(tz),
                ),
            }
        }
        DataType::Decimal128(precision, scale) => Arc::new(
            primitive::<Decimal128Type>(cells, |c| match c {
                Cell::Decimal(d) => Some(*d),
                _ => None,
            })
            .with_precision_and_scale(*precision, *scale)
            .expect("precision and scale come from a valid type"),
        ),
        DataType::List(item) => {
            let mut offsets = vec![0i32];
            let mut children: Vec<&Cell> = Vec::new();
            for cell in cells {
                if let Cell::List(items) = cell {
                    children.extend(items.iter());
                }
                offsets.push(children.len() as i32);
            }
            let values = build_array(item.data_type(), &children);
            let nulls = cells
                .iter()
                .map(|c| !matches!(c, Cell::Null))
                .collect::<Vec<_>>();
            Arc::new(ListArray::new(
                item.clone(),
                OffsetBuffer::new(offsets.into()),
                values,
                Some(nulls.into()),
            ))
        }
        other => unreachable!("convert_value rejects columns of Arrow type {other}"),
    }
}

/// An `Array(String)` column from one list of strings per row.
fn string_list<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> ArrayRef {
    let mut builder = ListBuilder::new(StringBuilder::new())
        .with_field(Arc::new(ChType::String.arrow_field("item")));
    for list in lists {
        for text in list {
            builder.values().append_value(text);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}

fn batch(schema: Arc<Schema>, columns: Vec<ArrayRef>) -> Result<RecordBatch, ApiError> {
    RecordBatch::try_new(schema, columns)
        .map_err(|e| ApiError::new(500, format!("building rows: {e}")))
}

/// Converts events or CSV records for a data source with `columns`. `positions` says where
/// each column is in a CSV record (empty for events). Quarantined rows carry `import_id` in
/// `c__import_id` (imports through the Data Sources API have one, events do not).
pub fn convert(
    columns: &[Column],
    lines: &[Line],
    positions: &[Option<usize>],
    import_id: Option<&str>,
) -> Result<Converted, ApiError> {
    let targets = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(Target {
                name: c.name.clone(),
                ty: c
                    .type_
                    .parse()
                    .map_err(|e| ApiError::new(500, format!("{e}")))?,
                path: jsonpath::parse(c.jsonpath.as_deref().unwrap_or(&format!("$.{}", c.name))),
                field: positions.get(i).copied().flatten(),
                default: c.default_value.as_deref().and_then(default_value),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;

    let mut good: Vec<Vec<Cell>> = Vec::new();
    let mut bad: Vec<QuarantinedRow> = Vec::new();
    for line in lines {
        match line {
            Line::Invalid(text, reason) => bad.push(QuarantinedRow {
                raw: vec![None; targets.len()],
                columns: vec![],
                errors: vec![format!(
                    "{reason}: {}",
                    text.chars().take(200).collect::<String>()
                )],
            }),
            line => {
                let mut cells = Vec::with_capacity(targets.len());
                let mut failed_columns = Vec::new();
                let mut errors = Vec::new();
                for target in &targets {
                    match target.convert(line) {
                        Ok(cell) => cells.push(cell),
                        Err(reason) => {
                            failed_columns.push(target.name.clone());
                            errors.push(format!("column '{}': {reason}", target.name));
                            cells.push(Cell::Null);
                        }
                    }
                }
                if errors.is_empty() {
                    good.push(cells);
                } else {
                    // The raw values are only kept for rows that go to quarantine.
                    let raw = targets.iter().map(|target| target.raw(line)).collect();
                    bad.push(QuarantinedRow {
                        raw,
                        columns: failed_columns,
                        errors,
                    });
                }
            }
        }
    }

    let rows = if good.is_empty() {
        Vec::new()
    } else {
        let fields: Vec<_> = targets.iter().map(|t| t.ty.arrow_field(&t.name)).collect();
        let arrays = fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                build_array(
                    field.data_type(),
                    &good.iter().map(|row| &row[i]).collect::<Vec<_>>(),
                )
            })
            .collect();
        vec![batch(Arc::new(Schema::new(fields)), arrays)?]
    };

    let quarantined = bad.len() as u64;
    let quarantine = if bad.is_empty() {
        Vec::new()
    } else {
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        let nullable_string: ChType = "Nullable(String)".parse().expect("valid type");
        for (i, target) in targets.iter().enumerate() {
            fields.push(nullable_string.arrow_field(&target.name));
            arrays.push(Arc::new(
                bad.iter()
                    .map(|row| row.raw[i].clone())
                    .collect::<StringArray>(),
            ));
        }
        let array_of_strings: ChType = "Array(String)".parse().expect("valid type");
        fields.push(array_of_strings.arrow_field("c__error_column"));
        arrays.push(string_list(bad.iter().map(|row| &row.columns)));
        fields.push(array_of_strings.arrow_field("c__error"));
        arrays.push(string_list(bad.iter().map(|row| &row.errors)));
        fields.push(nullable_string.arrow_field("c__import_id"));
        arrays.push(Arc::new(StringArray::from(vec![import_id; bad.len()])));
        let insertion: ChType = "DateTime".parse().expect("valid type");
        fields.push(insertion.arrow_field("insertion_date"));
        let now = chrono::Utc::now().timestamp();
        arrays.push(Arc::new(
            TimestampSecondArray::from(vec![now; bad.len()])
                .with_timezone(colibri_types::DEFAULT_TIME_ZONE),
        ));
        vec![batch(Arc::new(Schema::new(fields)), arrays)?]
    };
    Ok(Converted {
        rows,
        quarantine,
        quarantined,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_json_typing() {
        let int16: ChType = "Int16".parse().unwrap();
        assert_eq!(
            convert_value(&serde_json::json!(3), &int16),
            Ok(Cell::Int(3))
        );
        assert!(convert_value(&serde_json::json!("3"), &int16).is_err());
        assert!(convert_value(&serde_json::json!(70000), &int16).is_err());
        let datetime: ChType = "DateTime".parse().unwrap();
        assert_eq!(
            convert_value(
                &serde_json::json!("2022-11-14 12:08:46.574295 +0100"),
                &datetime
            ),
            Ok(Cell::Instant(1_668_424_126_574_295_000))
        );
    }

    #[test]
    fn naive_date_times_are_local_to_the_column_zone() {
        let madrid: ChType = "DateTime('Europe/Madrid')".parse().unwrap();
        let utc_nine = 1_704_099_600_000_000_000; // 2024-01-01 09:00:00 UTC
        assert_eq!(
            convert_value(&serde_json::json!("2024-01-01 10:00:00"), &madrid),
            Ok(Cell::Instant(utc_nine))
        );
        assert_eq!(
            convert_value(&serde_json::json!("2024-01-01T09:00:00Z"), &madrid),
            Ok(Cell::Instant(utc_nine))
        );
        let unknown: ChType = "DateTime('Nowhere/Atlantis')".parse().unwrap();
        assert!(convert_value(&serde_json::json!("2024-01-01 10:00:00"), &unknown).is_err());
    }

    #[test]
    fn decimals_keep_their_scale() {
        let price: ChType = "Decimal(10, 2)".parse().unwrap();
        assert_eq!(
            convert_value(&serde_json::json!(12.5), &price),
            Ok(Cell::Decimal(1250))
        );
        assert_eq!(
            convert_value(&serde_json::json!("-0.009"), &price),
            Ok(Cell::Decimal(0))
        );
        assert!(convert_value(&serde_json::json!("abc"), &price).is_err());
    }
}
