//! String functions.

use std::sync::Arc;

use arrow::array::{Array, AsArray, ListBuilder, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};

use super::{arguments_as_arrays, columnar, nullable_if_an_argument_is};

pub fn functions() -> Vec<ScalarUDF> {
    let split = ["splitbychar", "splitbystring"].map(|name| {
        ScalarUDF::new_from_impl(SplitBy {
            name,
            signature: Signature::any(2, Volatility::Immutable),
        })
    });
    let emptiness = ["empty", "notempty"].map(|name| {
        ScalarUDF::new_from_impl(Emptiness {
            name,
            signature: Signature::any(1, Volatility::Immutable),
        })
    });
    let substrings = [false, true].map(|characters| {
        ScalarUDF::new_from_impl(Substring {
            characters,
            signature: Signature::one_of(
                vec![TypeSignature::Any(2), TypeSignature::Any(3)],
                Volatility::Immutable,
            ),
        })
    });
    let cases = [Case::Lower, Case::Upper, Case::LowerUtf8, Case::UpperUtf8].map(|case| {
        ScalarUDF::new_from_impl(CaseMap {
            case,
            signature: Signature::any(1, Volatility::Immutable),
        })
    });
    std::iter::once(ScalarUDF::new_from_impl(Length::new()))
        .chain(split)
        .chain(emptiness)
        .chain(substrings)
        .chain(cases)
        .collect()
}

/// ClickHouse `length`: the bytes of a string, the elements of an array or a map, as UInt64
/// (DataFusion's `length` counts characters and does not take arrays).
#[derive(Debug, PartialEq, Eq, Hash)]
struct Length {
    signature: Signature,
}

impl Length {
    fn new() -> Self {
        Length {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Length {
    fn name(&self) -> &str {
        "length"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let lengths = arrow::compute::kernels::length::length(&arrays[0])?;
        Ok(ColumnarValue::Array(cast(&lengths, &DataType::UInt64)?))
    }
}

/// `splitByChar(separator, s)` and `splitByString(separator, s)`: the pieces of `s` between
/// separators, empty ones included, as an Array(String) (an empty separator splits
/// `splitByString` into characters).
#[derive(Debug, PartialEq, Eq, Hash)]
struct SplitBy {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for SplitBy {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            false,
        ))))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, is_scalar) = arguments_as_arrays(&args.args)?;
        let separators = cast(&arrays[0], &DataType::Utf8)?;
        let texts = cast(&arrays[1], &DataType::Utf8)?;
        let (separators, texts) = (separators.as_string::<i32>(), texts.as_string::<i32>());
        if self.name == "splitbychar"
            && let Some(separator) = separators.iter().flatten().find(|s| s.chars().count() != 1)
        {
            return exec_err!(
                "splitByChar takes a separator of exactly one character, not '{separator}'"
            );
        }
        let mut pieces = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            false,
        )));
        for (separator, text) in separators.iter().zip(texts.iter()) {
            match (separator, text) {
                (Some(""), Some(text)) => {
                    for c in text.chars() {
                        pieces.values().append_value(c.encode_utf8(&mut [0; 4]));
                    }
                    pieces.append(true);
                }
                (Some(separator), Some(text)) => {
                    for piece in text.split(separator) {
                        pieces.values().append_value(piece);
                    }
                    pieces.append(true);
                }
                _ => pieces.append_null(),
            }
        }
        columnar(Arc::new(pieces.finish()), is_scalar)
    }
}

/// `empty(x)` and `notEmpty(x)` of a string or an array, as UInt8.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Emptiness {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for Emptiness {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, is_scalar) = arguments_as_arrays(&args.args)?;
        let values = &arrays[0];
        let lengths = match values.data_type() {
            DataType::Utf8View | DataType::LargeUtf8 => {
                arrow::compute::kernels::length::length(&cast(values, &DataType::Utf8)?)?
            }
            DataType::List(_) | DataType::LargeList(_) | DataType::Utf8 | DataType::Binary => {
                arrow::compute::kernels::length::length(values)?
            }
            other => return exec_err!("{} does not take a value of type {other}", self.name),
        };
        let lengths = cast(&lengths, &DataType::Int64)?;
        let want_empty = self.name == "empty";
        let flags: arrow::array::UInt8Array = lengths
            .as_primitive::<arrow::datatypes::Int64Type>()
            .iter()
            .map(|length| length.map(|length| u8::from((length == 0) == want_empty)))
            .collect();
        columnar(Arc::new(flags), is_scalar)
    }
}

/// `substring(s, offset[, length])` (also `substr`, `mid`), on bytes, and `substringUTF8`, on
/// characters, as ClickHouse counts: the offset is 1-based, negative from the end, and 0 gives
/// ''; a negative length stops that many before the end.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Substring {
    characters: bool,
    signature: Signature,
}

/// The range `offset`/`length` selects in `count` units.
fn substring_range(count: usize, offset: i64, length: Option<i64>) -> std::ops::Range<usize> {
    let count = count as i64;
    let start = match offset {
        0 => return 0..0,
        offset if offset > 0 => offset - 1,
        offset => count + offset,
    };
    let end = match length {
        None => count,
        Some(length) if length >= 0 => start.saturating_add(length),
        Some(length) => count + length,
    };
    let (start, end) = (start.clamp(0, count), end.clamp(0, count));
    if start >= end {
        return 0..0;
    }
    start as usize..end as usize
}

impl ScalarUDFImpl for Substring {
    fn name(&self) -> &str {
        if self.characters {
            "substringutf8"
        } else {
            "substring"
        }
    }

    fn aliases(&self) -> &[String] {
        static ALIASES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        match self.characters {
            true => &[],
            false => ALIASES.get_or_init(|| vec!["substr".to_string(), "mid".to_string()]),
        }
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
        let (arrays, is_scalar) = arguments_as_arrays(&args.args)?;
        let texts = cast(&arrays[0], &DataType::Utf8)?;
        let offsets = cast(&arrays[1], &DataType::Int64)?;
        let lengths = arrays
            .get(2)
            .map(|lengths| cast(lengths, &DataType::Int64))
            .transpose()?;
        let offsets = offsets.as_primitive::<arrow::datatypes::Int64Type>();
        let lengths = lengths
            .as_ref()
            .map(|l| l.as_primitive::<arrow::datatypes::Int64Type>());
        let mut out = StringBuilder::new();
        for (row, text) in texts.as_string::<i32>().iter().enumerate() {
            let length = match lengths {
                Some(lengths) if lengths.is_null(row) => {
                    out.append_null();
                    continue;
                }
                Some(lengths) => Some(lengths.value(row)),
                None => None,
            };
            let (Some(text), false) = (text, offsets.is_null(row)) else {
                out.append_null();
                continue;
            };
            let offset = offsets.value(row);
            if self.characters {
                let count = text.chars().count();
                let range = substring_range(count, offset, length);
                let piece: String = text.chars().skip(range.start).take(range.len()).collect();
                out.append_value(piece);
            } else {
                let range = substring_range(text.len(), offset, length);
                out.append_value(String::from_utf8_lossy(&text.as_bytes()[range]));
            }
        }
        columnar(Arc::new(out.finish()), is_scalar)
    }
}

#[cfg(test)]
mod tests {
    use super::substring_range;

    #[test]
    fn substrings_count_as_clickhouse_does() {
        // (text, offset, length, ClickHouse's answer), each checked with chDB.
        let cases = [
            ("abc", -5, None, "abc"),
            ("abc", 2, Some(-1), "b"),
            ("abcdef", -4, Some(-1), "cde"),
            ("abc", 5, None, ""),
            ("abc", 2, Some(0), ""),
            ("abc", 2, Some(10), "bc"),
            ("abc", -1, Some(5), "c"),
            ("abc", 0, Some(2), ""),
            ("ClickHouse", -5, None, "House"),
            ("ClickHouse", -5, Some(2), "Ho"),
        ];
        for (text, offset, length, expected) in cases {
            let range = substring_range(text.len(), offset, length);
            assert_eq!(&text[range], expected, "{text} {offset} {length:?}");
        }
    }
}

/// `lower`/`upper` change ASCII letters only, as ClickHouse's do; `lowerUTF8`/`upperUTF8` every
/// letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Case {
    Lower,
    Upper,
    LowerUtf8,
    UpperUtf8,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CaseMap {
    case: Case,
    signature: Signature,
}

impl ScalarUDFImpl for CaseMap {
    fn name(&self) -> &str {
        match self.case {
            Case::Lower => "lower",
            Case::Upper => "upper",
            Case::LowerUtf8 => "lowerutf8",
            Case::UpperUtf8 => "upperutf8",
        }
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
        let (arrays, is_scalar) = arguments_as_arrays(&args.args)?;
        let texts = cast(&arrays[0], &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        let mut out = StringBuilder::with_capacity(texts.len(), texts.values().len());
        for text in texts {
            match (text, self.case) {
                (None, _) => out.append_null(),
                (Some(text), Case::Lower) => out.append_value(text.to_ascii_lowercase()),
                (Some(text), Case::Upper) => out.append_value(text.to_ascii_uppercase()),
                (Some(text), Case::LowerUtf8) => out.append_value(text.to_lowercase()),
                (Some(text), Case::UpperUtf8) => out.append_value(text.to_uppercase()),
            }
        }
        columnar(Arc::new(out.finish()), is_scalar)
    }
}
