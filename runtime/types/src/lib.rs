//! ClickHouse column types as Colibri understands them: parsed from and printed as
//! ClickHouse type names (`Nullable(DateTime64(3, 'UTC'))`) and mapped to the Arrow types
//! that carry their values; and the schema syntax of data sources (`schema`). This crate is
//! shared by the native host and the WebAssembly guests, so it depends on `arrow-schema`
//! alone and does no I/O.

pub mod schema;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, TimeUnit};

/// The time zone of `DateTime` values that carry none.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown or malformed ClickHouse type `{0}`")]
pub struct TypeError(pub String);

pub type Result<T, E = TypeError> = std::result::Result<T, E>;

/// A ClickHouse column type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChType {
    Int8,
    Int16,
    Int32,
    Int64,
    Int128,
    Int256,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    UInt128,
    UInt256,
    Float32,
    Float64,
    Decimal {
        precision: u8,
        scale: u8,
    },
    Bool,
    String,
    FixedString(u32),
    Uuid,
    Json,
    IPv4,
    IPv6,
    Date,
    Date32,
    DateTime(Option<String>),
    DateTime64(u8, Option<String>),
    Array(Box<ChType>),
    Nullable(Box<ChType>),
    LowCardinality(Box<ChType>),
    Map(Box<ChType>, Box<ChType>),
    Tuple(Vec<(Option<String>, ChType)>),
    /// `SimpleAggregateFunction(f, T)`: values of `T` that merges fold with the aggregate `f`.
    SimpleAggregateFunction(String, Box<ChType>),
}

impl ChType {
    /// True when values may be NULL (the outermost wrapper, through LowCardinality, is Nullable).
    pub fn is_nullable(&self) -> bool {
        match self {
            ChType::Nullable(_) => true,
            ChType::LowCardinality(inner) | ChType::SimpleAggregateFunction(_, inner) => {
                inner.is_nullable()
            }
            _ => false,
        }
    }

    /// The type without Nullable, LowCardinality and SimpleAggregateFunction wrappers.
    pub fn base(&self) -> &ChType {
        match self {
            ChType::Nullable(inner)
            | ChType::LowCardinality(inner)
            | ChType::SimpleAggregateFunction(_, inner) => inner.base(),
            other => other,
        }
    }

    /// The Arrow type that carries values of this type in Colibri.
    pub fn arrow_type(&self) -> DataType {
        match self {
            ChType::Int8 => DataType::Int8,
            ChType::Int16 => DataType::Int16,
            ChType::Int32 => DataType::Int32,
            ChType::Int64 => DataType::Int64,
            ChType::Int128 | ChType::UInt128 => DataType::Decimal128(38, 0),
            ChType::Int256 | ChType::UInt256 => DataType::Decimal256(76, 0),
            ChType::UInt8 => DataType::UInt8,
            ChType::UInt16 => DataType::UInt16,
            ChType::UInt32 => DataType::UInt32,
            ChType::UInt64 => DataType::UInt64,
            ChType::Float32 => DataType::Float32,
            ChType::Float64 => DataType::Float64,
            ChType::Decimal { precision, scale } if *precision <= 38 => {
                DataType::Decimal128(*precision, *scale as i8)
            }
            ChType::Decimal { precision, scale } => DataType::Decimal256(*precision, *scale as i8),
            ChType::Bool => DataType::Boolean,
            ChType::String
            | ChType::FixedString(_)
            | ChType::Uuid
            | ChType::Json
            | ChType::IPv4
            | ChType::IPv6 => DataType::Utf8,
            ChType::Date | ChType::Date32 => DataType::Date32,
            ChType::DateTime(tz) => {
                DataType::Timestamp(TimeUnit::Second, Some(time_zone(tz).into()))
            }
            ChType::DateTime64(precision, tz) => {
                let unit = match precision {
                    0 => TimeUnit::Second,
                    1..=3 => TimeUnit::Millisecond,
                    4..=6 => TimeUnit::Microsecond,
                    _ => TimeUnit::Nanosecond,
                };
                DataType::Timestamp(unit, Some(time_zone(tz).into()))
            }
            ChType::Array(inner) => DataType::List(Arc::new(inner.arrow_field("item"))),
            ChType::Nullable(inner)
            | ChType::LowCardinality(inner)
            | ChType::SimpleAggregateFunction(_, inner) => inner.arrow_type(),
            ChType::Map(key, value) => DataType::Map(
                Arc::new(Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![
                        Field::new("key", key.arrow_type(), false),
                        value.arrow_field("value"),
                    ])),
                    false,
                )),
                false,
            ),
            ChType::Tuple(elements) => DataType::Struct(
                elements
                    .iter()
                    .enumerate()
                    .map(|(i, (name, ty))| {
                        ty.arrow_field(&name.clone().unwrap_or_else(|| (i + 1).to_string()))
                    })
                    .collect(),
            ),
        }
    }

    /// An Arrow field of this type, nullable as the type says.
    pub fn arrow_field(&self, name: &str) -> Field {
        Field::new(name, self.arrow_type(), self.is_nullable())
    }

    /// The Arrow type queries read a column of this type as: its carrier, except that
    /// LowCardinality text is a dictionary (Int32 keys), as its Parquet pages store it, so a
    /// filter or comparison works on the few distinct values, and the column's type reads
    /// back as `LowCardinality(String)`.
    pub fn query_type(&self) -> DataType {
        match self {
            ChType::LowCardinality(inner) if inner.arrow_type() == DataType::Utf8 => {
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
            }
            other => other.arrow_type(),
        }
    }

    /// An Arrow field of this type as queries read it (see [`ChType::query_type`]).
    pub fn query_field(&self, name: &str) -> Field {
        Field::new(name, self.query_type(), self.is_nullable())
    }

    /// The ClickHouse type of a field, derived from its Arrow type and nullability.
    /// (Arrow carries no ClickHouse name, so `LowCardinality`, `UUID` or `JSON` columns read
    /// back as their carrier types.)
    pub fn of_field(field: &Field) -> ChType {
        match ChType::from_arrow(field.data_type()) {
            // ClickHouse's spelling: LowCardinality(Nullable(String)).
            ChType::LowCardinality(inner) if field.is_nullable() => {
                ChType::LowCardinality(Box::new(ChType::Nullable(inner)))
            }
            base if field.is_nullable() => ChType::Nullable(Box::new(base)),
            base => base,
        }
    }

    /// The ClickHouse type closest to an Arrow type (used for computed columns).
    pub fn from_arrow(data_type: &DataType) -> ChType {
        match data_type {
            DataType::Int8 => ChType::Int8,
            DataType::Int16 => ChType::Int16,
            DataType::Int32 => ChType::Int32,
            DataType::Int64 => ChType::Int64,
            DataType::UInt8 => ChType::UInt8,
            DataType::UInt16 => ChType::UInt16,
            DataType::UInt32 => ChType::UInt32,
            DataType::UInt64 => ChType::UInt64,
            DataType::Float16 | DataType::Float32 => ChType::Float32,
            DataType::Float64 => ChType::Float64,
            DataType::Boolean => ChType::Bool,
            DataType::Decimal32(p, s)
            | DataType::Decimal64(p, s)
            | DataType::Decimal128(p, s)
            | DataType::Decimal256(p, s) => ChType::Decimal {
                precision: *p,
                scale: (*s).max(0) as u8,
            },
            DataType::Date32 | DataType::Date64 => ChType::Date,
            DataType::Timestamp(unit, tz) => {
                // The default zone is left implicit, as ClickHouse prints it.
                let tz = tz
                    .as_ref()
                    .map(|tz| tz.to_string())
                    .filter(|tz| tz != DEFAULT_TIME_ZONE);
                match unit {
                    TimeUnit::Second => ChType::DateTime(tz),
                    TimeUnit::Millisecond => ChType::DateTime64(3, tz),
                    TimeUnit::Microsecond => ChType::DateTime64(6, tz),
                    TimeUnit::Nanosecond => ChType::DateTime64(9, tz),
                }
            }
            DataType::List(field)
            | DataType::LargeList(field)
            | DataType::FixedSizeList(field, _) => ChType::Array(Box::new(ChType::of_field(field))),
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(fields) if fields.len() == 2 => ChType::Map(
                    Box::new(ChType::from_arrow(fields[0].data_type())),
                    Box::new(ChType::of_field(&fields[1])),
                ),
                _ => ChType::String,
            },
            DataType::Struct(fields) => ChType::Tuple(
                fields
                    .iter()
                    .map(|f| (Some(f.name().clone()), ChType::of_field(f)))
                    .collect(),
            ),
            DataType::Dictionary(_, value) => {
                ChType::LowCardinality(Box::new(ChType::from_arrow(value)))
            }
            DataType::Null => ChType::Nullable(Box::new(ChType::String)),
            _ => ChType::String,
        }
    }
}

fn time_zone(tz: &Option<String>) -> &str {
    tz.as_deref().unwrap_or(DEFAULT_TIME_ZONE)
}

impl fmt::Display for ChType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChType::Int8 => f.write_str("Int8"),
            ChType::Int16 => f.write_str("Int16"),
            ChType::Int32 => f.write_str("Int32"),
            ChType::Int64 => f.write_str("Int64"),
            ChType::Int128 => f.write_str("Int128"),
            ChType::Int256 => f.write_str("Int256"),
            ChType::UInt8 => f.write_str("UInt8"),
            ChType::UInt16 => f.write_str("UInt16"),
            ChType::UInt32 => f.write_str("UInt32"),
            ChType::UInt64 => f.write_str("UInt64"),
            ChType::UInt128 => f.write_str("UInt128"),
            ChType::UInt256 => f.write_str("UInt256"),
            ChType::Float32 => f.write_str("Float32"),
            ChType::Float64 => f.write_str("Float64"),
            ChType::Decimal { precision, scale } => write!(f, "Decimal({precision}, {scale})"),
            ChType::Bool => f.write_str("Bool"),
            ChType::String => f.write_str("String"),
            ChType::FixedString(n) => write!(f, "FixedString({n})"),
            ChType::Uuid => f.write_str("UUID"),
            ChType::Json => f.write_str("JSON"),
            ChType::IPv4 => f.write_str("IPv4"),
            ChType::IPv6 => f.write_str("IPv6"),
            ChType::Date => f.write_str("Date"),
            ChType::Date32 => f.write_str("Date32"),
            ChType::DateTime(None) => f.write_str("DateTime"),
            ChType::DateTime(Some(tz)) => write!(f, "DateTime('{tz}')"),
            ChType::DateTime64(p, None) => write!(f, "DateTime64({p})"),
            ChType::DateTime64(p, Some(tz)) => write!(f, "DateTime64({p}, '{tz}')"),
            ChType::Array(inner) => write!(f, "Array({inner})"),
            ChType::Nullable(inner) => write!(f, "Nullable({inner})"),
            ChType::LowCardinality(inner) => write!(f, "LowCardinality({inner})"),
            ChType::Map(k, v) => write!(f, "Map({k}, {v})"),
            ChType::Tuple(elements) => {
                f.write_str("Tuple(")?;
                for (i, (name, ty)) in elements.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if let Some(name) = name {
                        write!(f, "{name} ")?;
                    }
                    write!(f, "{ty}")?;
                }
                f.write_str(")")
            }
            ChType::SimpleAggregateFunction(function, inner) => {
                write!(f, "SimpleAggregateFunction({function}, {inner})")
            }
        }
    }
}

impl FromStr for ChType {
    type Err = TypeError;

    fn from_str(text: &str) -> Result<ChType> {
        let mut parser = Parser { text, pos: 0 };
        let ty = parser.parse_type()?;
        parser.skip_spaces();
        if parser.pos != text.len() {
            return Err(TypeError(text.to_string()));
        }
        Ok(ty)
    }
}

/// A small recursive-descent parser over a ClickHouse type name.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self) -> TypeError {
        TypeError(self.text.to_string())
    }

    fn skip_spaces(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_spaces();
        if self.text[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn identifier(&mut self) -> Result<&'a str> {
        self.skip_spaces();
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error());
        }
        self.pos += len;
        Ok(&rest[..len])
    }

    fn number(&mut self) -> Result<u32> {
        self.identifier()?.parse().map_err(|_| self.error())
    }

    fn quoted(&mut self) -> Result<String> {
        self.expect('\'')?;
        let rest = &self.text[self.pos..];
        let end = rest.find('\'').ok_or_else(|| self.error())?;
        self.pos += end + 1;
        Ok(rest[..end].to_string())
    }

    fn optional_time_zone(&mut self) -> Result<Option<String>> {
        if self.eat(',') || self.text[self.pos..].trim_start().starts_with('\'') {
            Ok(Some(self.quoted()?))
        } else {
            Ok(None)
        }
    }

    fn parse_type(&mut self) -> Result<ChType> {
        let name = self.identifier()?;
        let simple = match name {
            "Int8" => Some(ChType::Int8),
            "Int16" => Some(ChType::Int16),
            "Int32" => Some(ChType::Int32),
            "Int64" => Some(ChType::Int64),
            "Int128" => Some(ChType::Int128),
            "Int256" => Some(ChType::Int256),
            "UInt8" => Some(ChType::UInt8),
            "UInt16" => Some(ChType::UInt16),
            "UInt32" => Some(ChType::UInt32),
            "UInt64" => Some(ChType::UInt64),
            "UInt128" => Some(ChType::UInt128),
            "UInt256" => Some(ChType::UInt256),
            "Float32" => Some(ChType::Float32),
            "Float64" => Some(ChType::Float64),
            "Bool" | "Boolean" => Some(ChType::Bool),
            "String" => Some(ChType::String),
            "UUID" => Some(ChType::Uuid),
            "JSON" => Some(ChType::Json),
            "IPv4" => Some(ChType::IPv4),
            "IPv6" => Some(ChType::IPv6),
            "Date" => Some(ChType::Date),
            "Date32" => Some(ChType::Date32),
            _ => None,
        };
        if let Some(ty) = simple {
            return Ok(ty);
        }
        match name {
            "DateTime" | "DateTime32" => {
                if self.eat('(') {
                    let tz = Some(self.quoted()?);
                    self.expect(')')?;
                    Ok(ChType::DateTime(tz))
                } else {
                    Ok(ChType::DateTime(None))
                }
            }
            "DateTime64" => {
                self.expect('(')?;
                let precision = self.number()?;
                if precision > 9 {
                    return Err(self.error());
                }
                let tz = self.optional_time_zone()?;
                self.expect(')')?;
                Ok(ChType::DateTime64(precision as u8, tz))
            }
            "Decimal" => {
                self.expect('(')?;
                let precision = self.number()?;
                self.expect(',')?;
                let scale = self.number()?;
                self.expect(')')?;
                decimal(precision, scale).ok_or_else(|| self.error())
            }
            "Decimal32" | "Decimal64" | "Decimal128" | "Decimal256" => {
                let precision = match name {
                    "Decimal32" => 9,
                    "Decimal64" => 18,
                    "Decimal128" => 38,
                    _ => 76,
                };
                self.expect('(')?;
                let scale = self.number()?;
                self.expect(')')?;
                decimal(precision, scale).ok_or_else(|| self.error())
            }
            "FixedString" => {
                self.expect('(')?;
                let n = self.number()?;
                self.expect(')')?;
                Ok(ChType::FixedString(n))
            }
            "Array" | "Nullable" | "LowCardinality" => {
                self.expect('(')?;
                let inner = Box::new(self.parse_type()?);
                self.expect(')')?;
                Ok(match name {
                    "Array" => ChType::Array(inner),
                    "Nullable" => ChType::Nullable(inner),
                    _ => ChType::LowCardinality(inner),
                })
            }
            "Map" => {
                self.expect('(')?;
                let key = Box::new(self.parse_type()?);
                self.expect(',')?;
                let value = Box::new(self.parse_type()?);
                self.expect(')')?;
                Ok(ChType::Map(key, value))
            }
            "Tuple" => {
                self.expect('(')?;
                let mut elements = Vec::new();
                loop {
                    elements.push(self.tuple_element()?);
                    if !self.eat(',') {
                        break;
                    }
                }
                self.expect(')')?;
                Ok(ChType::Tuple(elements))
            }
            "SimpleAggregateFunction" => {
                self.expect('(')?;
                let function = self.identifier()?.to_string();
                self.expect(',')?;
                let inner = Box::new(self.parse_type()?);
                self.expect(')')?;
                Ok(ChType::SimpleAggregateFunction(function, inner))
            }
            _ => Err(self.error()),
        }
    }

    /// `T` or `name T` inside `Tuple(...)`.
    fn tuple_element(&mut self) -> Result<(Option<String>, ChType)> {
        let start = self.pos;
        let first = self.identifier()?.to_string();
        self.skip_spaces();
        let rest = &self.text[self.pos..];
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            Ok((Some(first), self.parse_type()?))
        } else {
            self.pos = start;
            Ok((None, self.parse_type()?))
        }
    }
}

fn decimal(precision: u32, scale: u32) -> Option<ChType> {
    (1..=76)
        .contains(&precision)
        .then_some(())
        .filter(|_| scale <= precision)
        .map(|_| ChType::Decimal {
            precision: precision as u8,
            scale: scale as u8,
        })
}

/// The unscaled value of the decimal number written `text` at `scale` fractional digits,
/// further digits truncated as ClickHouse truncates them (`-1.005` at scale 2 is -100); None
/// when it is not a number or does not fit.
pub fn decimal_of_text(text: &str, scale: u32) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut unscaled: i128 = 0;
    for digit in whole.bytes().chain(
        fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(scale as usize),
    ) {
        unscaled = unscaled
            .checked_mul(10)?
            .checked_add(i128::from(digit - b'0'))?;
    }
    Some(if negative { -unscaled } else { unscaled })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "Int16",
            "UInt64",
            "Nullable(String)",
            "LowCardinality(Nullable(String))",
            "DateTime",
            "DateTime('America/New_York')",
            "DateTime64(3)",
            "DateTime64(6, 'UTC')",
            "Array(Nullable(Int32))",
            "Map(String, Array(UInt8))",
            "Decimal(18, 4)",
            "Tuple(a Int32, b String)",
            "Tuple(Int32, String)",
            "FixedString(16)",
            "SimpleAggregateFunction(max, Nullable(Int32))",
        ] {
            let ty: ChType = name.parse().unwrap();
            assert_eq!(ty.to_string(), name);
        }
    }

    #[test]
    fn rejects_unknown_types() {
        assert!("Strin".parse::<ChType>().is_err());
        assert!("Array(".parse::<ChType>().is_err());
        assert!("Decimal(80, 2)".parse::<ChType>().is_err());
    }

    #[test]
    fn maps_to_arrow_and_back() {
        let ty: ChType = "Nullable(DateTime64(3))".parse().unwrap();
        let field = ty.arrow_field("ts");
        assert!(field.is_nullable());
        assert_eq!(
            field.data_type(),
            &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
        assert_eq!(ChType::of_field(&field), ty);
        let plain = Field::new("n", DataType::UInt64, false);
        assert_eq!(ChType::of_field(&plain), ChType::UInt64);
    }

    #[test]
    fn text_decimals_truncate_as_clickhouse_does() {
        assert_eq!(decimal_of_text("-1.005", 2), Some(-100));
        assert_eq!(decimal_of_text("3.14159", 3), Some(3141));
        assert_eq!(decimal_of_text("12", 2), Some(1200));
        assert_eq!(decimal_of_text(".5", 1), Some(5));
        assert_eq!(decimal_of_text("-0.001", 3), Some(-1));
        assert_eq!(decimal_of_text("abc", 2), None);
        assert_eq!(decimal_of_text("-", 2), None);
    }
}
