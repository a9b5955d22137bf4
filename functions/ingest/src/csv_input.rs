//! CSV files (DS-C*): the dialect (delimiter, record separator, escape character, given or
//! detected), whether the first record is a header, how the file's fields map to a data
//! source's columns (by header name in any order, else by position), and the conversion of
//! the records to rows. A file arrives in pieces of a few MB cut at record boundaries; a
//! piece whose values all read cleanly goes straight to Arrow through `arrow-csv`, any other
//! piece is read record by record with the `csv` crate (leniently: a record with the wrong
//! number of fields is an invalid line, never a failed import) and converted by `convert`,
//! which quarantines what does not fit.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use colibri_guest::ApiError;
use colibri_guest::types::Column;
use colibri_types::ChType;

use crate::Line;
use crate::convert::{self, Converted};

/// How the fields and records of a CSV file are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    /// `None`: `\r\n`, `\n` and `\r` all end a record (RFC 4180 and its common variants).
    pub new_line: Option<u8>,
    pub escape: Option<u8>,
}

/// Delimiters tried when the request names none (DS-C2), in order of preference on a tie.
const DELIMITER_CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Records looked at to detect the delimiter.
const DETECTION_RECORDS: usize = 100;

impl Dialect {
    /// The dialect from `dialect_delimiter`, `dialect_new_line` and `dialect_escapechar`, the
    /// delimiter detected on `sample` when not given (DS-C2, DS-C3, DS-C4).
    pub fn new(
        delimiter: Option<&str>,
        new_line: Option<&str>,
        escape: Option<&str>,
        sample: &[u8],
    ) -> Result<Dialect, ApiError> {
        let new_line = new_line_of(new_line)?;
        let escape = escape_of(escape)?;
        let delimiter = match delimiter.filter(|d| !d.is_empty()) {
            Some("\\t") => b'\t',
            Some(d) => single_byte("dialect_delimiter", d)?,
            None => detect_delimiter(sample, new_line, escape),
        };
        Ok(Dialect {
            delimiter,
            new_line,
            escape,
        })
    }

    /// A reader of records in this dialect: no header handling (the caller decides) and any
    /// number of fields per record (the caller counts them).
    pub fn reader<R: std::io::Read>(&self, input: R) -> csv::Reader<R> {
        let mut builder = csv::ReaderBuilder::new();
        builder
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .escape(self.escape)
            .terminator(match self.new_line {
                Some(byte) => csv::Terminator::Any(byte),
                None => csv::Terminator::CRLF,
            });
        builder.from_reader(input)
    }
}

/// `dialect_new_line` (DS-C3): `None` lets `\r\n`, `\n` and `\r` all end a record.
fn new_line_of(new_line: Option<&str>) -> Result<Option<u8>, ApiError> {
    match new_line.filter(|n| !n.is_empty()) {
        None | Some("\\n" | "\n" | "\\r\\n" | "\r\n") => Ok(None),
        Some("\\r" | "\r") => Ok(Some(b'\r')),
        Some(other) => single_byte("dialect_new_line", other).map(Some),
    }
}

/// `dialect_escapechar` (DS-C4).
fn escape_of(escape: Option<&str>) -> Result<Option<u8>, ApiError> {
    match escape.filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) => single_byte("dialect_escapechar", e).map(Some),
    }
}

/// The byte a file of this `dialect_new_line` and `dialect_escapechar` can be cut into
/// pieces after (see `record_boundary`); `None` when it cannot be cut, because an escape
/// character stops quotes from being counted.
pub fn cut_byte(new_line: Option<&str>, escape: Option<&str>) -> Result<Option<u8>, ApiError> {
    if escape_of(escape)?.is_some() {
        return Ok(None);
    }
    Ok(Some(new_line_of(new_line)?.unwrap_or(b'\n')))
}

fn single_byte(parameter: &str, value: &str) -> Result<u8, ApiError> {
    match value.as_bytes() {
        [byte] if byte.is_ascii() => Ok(*byte),
        _ => Err(ApiError::bad_request(format!(
            "Invalid {parameter} '{value}': it must be a single ASCII character"
        ))),
    }
}

/// The candidate whose field count is the same on most of the first records, and more than
/// one; `,` when none splits the records.
fn detect_delimiter(sample: &[u8], new_line: Option<u8>, escape: Option<u8>) -> u8 {
    let mut best = (b',', 0usize);
    for candidate in DELIMITER_CANDIDATES {
        let dialect = Dialect {
            delimiter: candidate,
            new_line,
            escape,
        };
        let counts: Vec<usize> = dialect
            .reader(sample)
            .records()
            .take(DETECTION_RECORDS)
            .filter_map(Result::ok)
            .map(|record| record.len())
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        let consistent = counts.iter().filter(|&&count| count == first).count();
        if first > 1 && consistent > best.1 {
            best = (candidate, consistent);
        }
    }
    best.0
}

/// Reads every record of `input`; a record that cannot be read (bad UTF-8, a broken quote at
/// the end) is an invalid line and reading goes on.
fn read_records(dialect: &Dialect, input: &[u8]) -> Vec<Result<csv::StringRecord, String>> {
    let mut reader = dialect.reader(input);
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => records.push(Ok(record.clone())),
            Ok(false) => break,
            Err(error) => {
                let recoverable = matches!(error.kind(), csv::ErrorKind::Utf8 { .. });
                records.push(Err(format!("the line cannot be read as CSV: {error}")));
                if !recoverable {
                    break;
                }
            }
        }
    }
    records
}

/// A column name from a header value (DS-C6): characters outside `[A-Za-z0-9_]` become `_`, a
/// leading digit gets a `_` before it.
pub fn normalize_name(value: &str) -> String {
    let mut name: String = value
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// Column names for a header (normalised, `_1`, `_2`... on duplicates) or, without one,
/// `column_00`, `column_01`... (DS-C5, DS-C6).
pub fn column_names(header: Option<&csv::StringRecord>, fields: usize) -> Vec<String> {
    let Some(header) = header else {
        return (0..fields).map(|i| format!("column_{i:02}")).collect();
    };
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for value in header {
        let base = normalize_name(value);
        let mut name = base.clone();
        let mut suffix = 0;
        while names.contains(&name) {
            suffix += 1;
            name = format!("{base}_{suffix}");
        }
        names.push(name);
    }
    names
}

/// What a CSV value looks like when guessing: text that reads as a number, a boolean or a
/// date is not a header value.
fn is_plain_text(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty()
        && value.parse::<f64>().is_err()
        && !value.eq_ignore_ascii_case("true")
        && !value.eq_ignore_ascii_case("false")
        && crate::temporal::parse(value).is_none()
}

/// Whether the first record of a file is a header, for a file that creates its data source
/// (DS-C5): every value is non-empty text that is not a number or a date, and either some
/// column below it holds numbers, booleans or dates, or its values are distinct and differ
/// from the second record's.
pub fn is_header(records: &[csv::StringRecord]) -> bool {
    let Some(first) = records.first() else {
        return false;
    };
    if !first.iter().all(is_plain_text) {
        return false;
    }
    let typed_below = (0..first.len()).any(|i| {
        records[1..]
            .iter()
            .filter_map(|record| record.get(i))
            .any(|value| !value.trim().is_empty() && !is_plain_text(value))
    });
    let mut distinct: Vec<&str> = first.iter().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let differs_from_second = records
        .get(1)
        .is_none_or(|second| first.iter().zip(second.iter()).all(|(a, b)| a != b));
    typed_below || (distinct.len() == first.len() && differs_from_second)
}

/// Where each column's value is in a record: by header name when the first record names every
/// column (DS-C7; extra header fields are ignored), else by position. Returns the positions
/// and whether the first record is that header.
pub fn map_columns(
    columns: &[Column],
    first: Option<&csv::StringRecord>,
) -> (Vec<Option<usize>>, bool) {
    if let Some(header) = first {
        let names: Vec<String> = header.iter().map(normalize_name).collect();
        let by_name: Option<Vec<Option<usize>>> = columns
            .iter()
            .map(|c| names.iter().position(|n| *n == c.name).map(Some))
            .collect();
        if let Some(positions) = by_name {
            return (positions, true);
        }
    }
    ((0..columns.len()).map(Some).collect(), false)
}

/// The records as lines for conversion: a record with a different number of fields than
/// `fields` is an invalid line (DS-C11).
fn lines(
    records: impl Iterator<Item = Result<csv::StringRecord, String>>,
    fields: usize,
) -> Vec<Line> {
    records
        .map(|record| match record {
            Ok(record) if record.len() == fields => Line::Fields(record),
            Ok(record) => {
                let text = record.iter().collect::<Vec<_>>().join(",");
                Line::Invalid(
                    text,
                    format!("expected {fields} fields, found {}", record.len()),
                )
            }
            Err(reason) => Line::Invalid(String::new(), reason),
        })
        .collect()
}

/// Rows per Arrow batch of the direct path.
const BATCH_ROWS: usize = 64 * 1024;

/// Converts one piece of a file (whole records) for `columns`, whose values are at
/// `positions` of records of `fields` fields; returns the rows and how many lines were
/// invalid.
pub fn convert_piece(
    piece: &[u8],
    dialect: &Dialect,
    columns: &[Column],
    positions: &[Option<usize>],
    fields: usize,
    import_id: &str,
) -> Result<(Converted, u64), ApiError> {
    if let Some(rows) = decode_clean(piece, dialect, columns, positions, fields) {
        return Ok((
            Converted {
                rows,
                ..Converted::default()
            },
            0,
        ));
    }
    let lines = lines(read_records(dialect, piece).into_iter(), fields);
    let invalid_lines = crate::invalid_lines(&lines);
    let converted = convert::convert(columns, &lines, positions, Some(import_id))?;
    Ok((converted, invalid_lines))
}

/// Where a piece of about `target` bytes of `data` can end: after the first `new_line` at or
/// past `target` with an even number of quotes before it (RFC 4180 doubles quotes inside
/// quoted fields, which keeps the count even). `None` when `data` holds no such place yet.
/// (With an escape character quotes cannot be counted this way: see `cut_byte`.)
pub fn record_boundary(data: &[u8], target: usize, new_line: u8) -> Option<usize> {
    if data.len() <= target {
        return None;
    }
    let mut quotes = memchr::memchr_iter(b'"', &data[..target]).count();
    let mut at = target;
    loop {
        let found = at + memchr::memchr2(new_line, b'"', &data[at..])?;
        at = found + 1;
        if data[found] == b'"' {
            quotes += 1;
        } else if quotes.is_multiple_of(2) {
            return Some(at);
        }
    }
}

/// Where the second record of `data` starts (the end of a header).
pub fn after_first_record(dialect: &Dialect, data: &[u8]) -> usize {
    let mut reader = dialect.reader(data);
    let mut record = csv::ByteRecord::new();
    let _ = reader.read_byte_record(&mut record);
    reader.position().byte() as usize
}

/// Whether arrow-csv reads values of `ty` as `convert` reads their text (types it reads
/// differently, or not at all, go record by record).
fn decodes_directly(ty: &ChType) -> bool {
    match ty {
        ChType::Nullable(inner)
        | ChType::LowCardinality(inner)
        | ChType::SimpleAggregateFunction(_, inner) => decodes_directly(inner),
        ChType::Int8
        | ChType::Int16
        | ChType::Int32
        | ChType::Int64
        | ChType::UInt8
        | ChType::UInt16
        | ChType::UInt32
        | ChType::UInt64
        | ChType::Float32
        | ChType::Float64
        | ChType::String
        | ChType::Date
        | ChType::Date32
        | ChType::DateTime(_)
        | ChType::DateTime64(..)
        | ChType::Decimal { .. } => true,
        _ => false,
    }
}

/// Reads a piece straight into Arrow with arrow-csv when every value reads cleanly: every
/// column is in the file and of a type it reads like `convert`, no `\N`, every record has
/// `fields` fields, every value parses, and only Nullable or String columns are empty (an
/// empty String is `''`). `None` sends the piece record by record.
fn decode_clean(
    piece: &[u8],
    dialect: &Dialect,
    columns: &[Column],
    positions: &[Option<usize>],
    fields: usize,
) -> Option<Vec<RecordBatch>> {
    let types: Vec<ChType> = columns
        .iter()
        .map(|c| c.type_.parse().ok())
        .collect::<Option<_>>()?;
    let projection: Vec<usize> = positions.iter().copied().collect::<Option<_>>()?;
    if !types.iter().all(decodes_directly)
        || columns.iter().any(|c| c.default_value.is_some())
        || memchr::memmem::find(piece, b"\\N").is_some()
    {
        return None;
    }
    let mut file_fields: Vec<Field> = (0..fields)
        .map(|j| Field::new(format!("field_{j}"), DataType::Utf8, true))
        .collect();
    for ((column, ty), &j) in columns.iter().zip(&types).zip(&projection) {
        *file_fields.get_mut(j)? = Field::new(&column.name, ty.arrow_type(), true);
    }
    let mut builder = arrow_csv::ReaderBuilder::new(Arc::new(Schema::new(file_fields)))
        .with_header(false)
        .with_delimiter(dialect.delimiter)
        .with_batch_size(BATCH_ROWS)
        .with_projection(projection);
    if let Some(terminator) = dialect.new_line {
        builder = builder.with_terminator(terminator);
    }
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .zip(&types)
            .map(|(c, ty)| ty.arrow_field(&c.name))
            .collect::<Vec<_>>(),
    ));
    let mut batches = Vec::new();
    for batch in builder.build(piece).ok()? {
        let batch = batch.ok()?;
        let arrays = batch
            .columns()
            .iter()
            .zip(&types)
            .map(
                |(array, ty)| match (array.null_count(), ty.is_nullable(), ty.base()) {
                    (0, _, _) | (_, true, _) => Some(array.clone()),
                    (_, false, ChType::String) => Some(empty_strings_for_nulls(array)),
                    _ => None,
                },
            )
            .collect::<Option<Vec<_>>>()?;
        batches.push(RecordBatch::try_new(schema.clone(), arrays).ok()?);
    }
    Some(batches)
}

/// A String column with `''` where arrow-csv saw an empty field (and made it null).
fn empty_strings_for_nulls(array: &ArrayRef) -> ArrayRef {
    let strings = array
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("String columns are read as Utf8");
    Arc::new(
        strings
            .iter()
            .map(|value| Some(value.unwrap_or("")))
            .collect::<StringArray>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<csv::StringRecord> {
        let dialect = Dialect::new(None, None, None, text.as_bytes()).unwrap();
        read_records(&dialect, text.as_bytes())
            .into_iter()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn detects_the_delimiter() {
        let detect = |text: &str| Dialect::new(None, None, None, text.as_bytes()).unwrap();
        assert_eq!(detect("a;b;c\n1;2;3\n").delimiter, b';');
        assert_eq!(detect("a\tb\n1\t2\n").delimiter, b'\t');
        assert_eq!(detect("a,b\n\"x;y\",2\n").delimiter, b',');
        assert_eq!(detect("single\nvalue\n").delimiter, b',');
        assert!(Dialect::new(Some(";;"), None, None, b"").is_err());
    }

    #[test]
    fn reads_quotes_and_embedded_new_lines() {
        let rows = records("a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\r\nlast,row");
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[1][0], "x, \"y\"");
        assert_eq!(&rows[1][1], "two\nlines");
        assert_eq!(&rows[2][1], "row");
    }

    #[test]
    fn tells_headers_from_data() {
        assert!(is_header(&records("name,age\nann,31\n")));
        assert!(is_header(&records("city,country\nParis,France\n")));
        assert!(!is_header(&records("ann,31\nbob,40\n")));
        assert!(!is_header(&records("Paris,France\nParis,Spain\n")));
    }

    #[test]
    fn files_are_cut_after_their_own_record_separator() {
        assert_eq!(cut_byte(None, None).unwrap(), Some(b'\n'));
        assert_eq!(cut_byte(Some("\\r\\n"), None).unwrap(), Some(b'\n'));
        assert_eq!(cut_byte(Some("\\r"), None).unwrap(), Some(b'\r'));
        assert_eq!(cut_byte(Some(";"), None).unwrap(), Some(b';'));
        assert_eq!(cut_byte(None, Some("\\")).unwrap(), None);
        assert!(cut_byte(Some("ab"), None).is_err());
    }

    #[test]
    fn splits_at_record_boundaries_only() {
        let dialect = Dialect::new(Some(","), None, None, b"").unwrap();
        let data: &[u8] = b"1,\"a\nb\"\n2,c\n3,\"d\"\"\ne\"\n4,f\n";
        for target in 1..data.len() {
            let mut pieces = Vec::new();
            let mut rest = data;
            while let Some(end) = record_boundary(rest, target, b'\n') {
                pieces.push(&rest[..end]);
                rest = &rest[end..];
            }
            pieces.push(rest);
            assert_eq!(pieces.concat(), data);
            let records: usize = pieces
                .iter()
                .map(|piece| read_records(&dialect, piece).len())
                .sum();
            assert_eq!(records, 4, "pieces of {target}: {pieces:?}");
        }
    }

    #[test]
    fn clean_pieces_decode_directly_and_others_do_not() {
        let dialect = Dialect::new(Some(","), None, None, b"").unwrap();
        let column = |name: &str, ty: &str| Column {
            name: name.into(),
            type_: ty.into(),
            jsonpath: None,
            default_value: None,
        };
        let columns = [
            column("n", "Int32"),
            column("s", "String"),
            column("x", "Nullable(Float64)"),
        ];
        let positions = [Some(2), Some(0), Some(1)];
        let batches = decode_clean(b"a,1.5,7\n,,8\n", &dialect, &columns, &positions, 3).unwrap();
        assert_eq!(batches[0].num_rows(), 2);
        assert_eq!(batches[0].schema().field(0).name(), "n");
        let strings = batches[0]
            .column(1)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(strings.value(1), "");
        assert_eq!(batches[0].column(2).null_count(), 1);
        // A bad number, a missing field, an empty non-nullable number, \N: record by record.
        for piece in ["a,1.5,x\n", "a,1.5\n", "a,1.5,\n", "\\N,1,2\n"] {
            assert!(
                decode_clean(piece.as_bytes(), &dialect, &columns, &positions, 3).is_none(),
                "{piece}"
            );
        }
    }

    #[test]
    fn names_columns() {
        let header = &records("user id,2nd,user id\n")[0];
        assert_eq!(
            column_names(Some(header), 3),
            ["user_id", "_2nd", "user_id_1"]
        );
        assert_eq!(column_names(None, 2), ["column_00", "column_01"]);
    }
}
