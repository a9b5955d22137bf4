//! ClickHouse output formats: the `FORMAT JSON` envelope and its compact form, JSONEachRow and
//! JSONCompactEachRow, CSV and TSV with or without names, PrettyCompact, Prometheus and
//! Parquet, printing values the way ClickHouse prints them.

use std::io::Write;
use std::time::Duration;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Schema};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use colibri_types::ChType;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;

use crate::{QueryError, Result, codes};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    JsonCompact,
    JsonEachRow,
    JsonCompactEachRow,
    PrettyCompact,
    Prometheus,
    Parquet,
    Csv,
    CsvWithNames,
    Tsv,
    TsvWithNames,
}

impl Format {
    pub fn from_name(name: &str) -> Result<Format> {
        Ok(match name {
            "JSON" => Format::Json,
            "JSONCompact" => Format::JsonCompact,
            "JSONEachRow" | "NDJSON" | "JSONLines" => Format::JsonEachRow,
            "JSONCompactEachRow" => Format::JsonCompactEachRow,
            "PrettyCompact" => Format::PrettyCompact,
            "Prometheus" => Format::Prometheus,
            "Parquet" => Format::Parquet,
            "CSV" => Format::Csv,
            "CSVWithNames" => Format::CsvWithNames,
            "TSV" | "TabSeparated" => Format::Tsv,
            "TSVWithNames" | "TabSeparatedWithNames" => Format::TsvWithNames,
            other => {
                return Err(QueryError::bad_request(
                    codes::UNKNOWN_FORMAT,
                    format!("Unknown format {other}"),
                ));
            }
        })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json | Format::JsonCompact => "application/json",
            Format::JsonEachRow | Format::JsonCompactEachRow => "application/x-ndjson",
            Format::PrettyCompact => "text/plain; charset=utf-8",
            Format::Prometheus => "text/plain; version=0.0.4",
            Format::Parquet => "application/octet-stream",
            Format::Csv | Format::CsvWithNames => "text/csv",
            Format::Tsv | Format::TsvWithNames => "text/tab-separated-values",
        }
    }
}

/// Output settings of the Query API (Q-3).
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    /// `output_format_json_quote_64bit_integers`
    pub quote_64bit_integers: bool,
    /// `output_format_json_quote_denormals`
    pub quote_denormals: bool,
}

impl Settings {
    /// Reads the settings Colibri knows from name/value pairs; others are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Settings {
        let mut settings = Settings::default();
        for (name, value) in pairs {
            let on = value == "1" || value.eq_ignore_ascii_case("true");
            match name {
                "output_format_json_quote_64bit_integers" => settings.quote_64bit_integers = on,
                "output_format_json_quote_denormals" => settings.quote_denormals = on,
                _ => {}
            }
        }
        settings
    }
}

/// The `statistics` of the JSON envelope, and `rows_before_limit_at_least`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Statistics {
    pub elapsed: Duration,
    pub rows_read: usize,
    pub bytes_read: usize,
    pub rows_before_limit: Option<usize>,
}

impl Statistics {
    /// Reads rows and bytes scanned off the leaves of an executed plan, and the rows that
    /// reached the outermost limit.
    pub fn of_plan(plan: &dyn ExecutionPlan, elapsed: Duration) -> Statistics {
        let mut statistics = Statistics {
            elapsed,
            ..Default::default()
        };
        collect_leaves(plan, &mut statistics);
        statistics.rows_before_limit = rows_before_limit(plan);
        statistics
    }
}

fn collect_leaves(plan: &dyn ExecutionPlan, statistics: &mut Statistics) {
    let children = plan.children();
    if children.is_empty()
        && let Some(metrics) = plan.metrics()
    {
        let rows = metrics.output_rows().unwrap_or(0);
        statistics.rows_read += rows;
        let bytes = metrics
            .sum_by_name("bytes_scanned")
            .map(|v| v.as_usize())
            .unwrap_or(0);
        let width: usize = plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().primitive_width().unwrap_or(16))
            .sum();
        statistics.bytes_read += if bytes > 0 { bytes } else { rows * width };
    }
    for child in children {
        collect_leaves(child.as_ref(), statistics);
    }
}

/// Rows the outermost limit (or top-k sort) was offered: the output of the first operator
/// below it that neither has a fetch of its own nor only passes its input's rows on. A limit
/// may stop its input early, hence "at least".
fn rows_before_limit(plan: &dyn ExecutionPlan) -> Option<usize> {
    if plan.fetch().is_some() {
        return rows_below_fetch(plan);
    }
    plan.children()
        .into_iter()
        .find_map(|child| rows_before_limit(child.as_ref()))
}

fn rows_below_fetch(plan: &dyn ExecutionPlan) -> Option<usize> {
    let child = plan.children().into_iter().next()?;
    if child.fetch().is_some() || passes_rows_on(child.as_ref()) {
        rows_below_fetch(child.as_ref())
    } else {
        child.metrics()?.output_rows()
    }
}

/// Operators whose output rows are their input's rows, reshaped or moved between partitions.
fn passes_rows_on(plan: &dyn ExecutionPlan) -> bool {
    plan.is::<ProjectionExec>()
        || plan.is::<RepartitionExec>()
        || plan.is::<CoalescePartitionsExec>()
}

pub fn encode(
    format: Format,
    schema: &Schema,
    batches: &[RecordBatch],
    statistics: &Statistics,
    settings: &Settings,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let result = match format {
        Format::Json | Format::JsonCompact => write_json(
            &mut out,
            schema,
            batches,
            statistics,
            settings,
            format == Format::JsonCompact,
        ),
        Format::JsonEachRow | Format::JsonCompactEachRow => write_json_each_row(
            &mut out,
            schema,
            batches,
            settings,
            format == Format::JsonCompactEachRow,
        ),
        Format::PrettyCompact => write_pretty_compact(&mut out, schema, batches),
        Format::Prometheus => write_prometheus(&mut out, schema, batches),
        Format::Parquet => write_parquet(&mut out, schema, batches),
        Format::Csv | Format::CsvWithNames => write_separated(
            &mut out,
            schema,
            batches,
            format == Format::CsvWithNames,
            Separated::Csv,
        ),
        Format::Tsv | Format::TsvWithNames => write_separated(
            &mut out,
            schema,
            batches,
            format == Format::TsvWithNames,
            Separated::Tsv,
        ),
    };
    result.map_err(|e| {
        QueryError::new(
            crate::ErrorKind::Internal,
            codes::LOGICAL_ERROR,
            e.to_string(),
        )
    })?;
    Ok(out)
}

type WriteResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn format_options() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_null("")
        .with_date_format(Some("%Y-%m-%d"))
        .with_datetime_format(Some("%Y-%m-%d %H:%M:%S"))
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f"))
}

/// How one value is written; the ClickHouse rules differ by type family.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer { wide: bool },
    Float,
    Decimal,
    Bool,
    Text,
    DateTime { precision: u8 },
    Nested,
}

fn kind_of(data_type: &DataType) -> Kind {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => Kind::Integer { wide: false },
        DataType::Int64 | DataType::UInt64 => Kind::Integer { wide: true },
        DataType::Float16 | DataType::Float32 | DataType::Float64 => Kind::Float,
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => Kind::Decimal,
        DataType::Boolean => Kind::Bool,
        DataType::Timestamp(unit, _) => Kind::DateTime {
            precision: match unit {
                arrow::datatypes::TimeUnit::Second => 0,
                arrow::datatypes::TimeUnit::Millisecond => 3,
                arrow::datatypes::TimeUnit::Microsecond => 6,
                arrow::datatypes::TimeUnit::Nanosecond => 9,
            },
        },
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::FixedSizeList(..)
        | DataType::Map(..)
        | DataType::Struct(_) => Kind::Nested,
        DataType::Dictionary(_, value) => kind_of(value),
        _ => Kind::Text,
    }
}

/// A column ready to print: its formatter and how its values are written.
struct Column<'a> {
    array: &'a ArrayRef,
    formatter: ArrayFormatter<'a>,
    kind: Kind,
}

fn columns<'a>(
    batch: &'a RecordBatch,
    options: &'a FormatOptions<'a>,
) -> std::result::Result<Vec<Column<'a>>, arrow::error::ArrowError> {
    batch
        .columns()
        .iter()
        .map(|array| {
            Ok(Column {
                array,
                formatter: ArrayFormatter::try_new(array.as_ref(), options)?,
                kind: kind_of(array.data_type()),
            })
        })
        .collect()
}

/// The text of a non-null scalar cell: floats in their shortest form (`25`, `0.1`), other
/// values by Arrow's formatter with ClickHouse's date and time layout.
fn cell_text(column: &Column, row: usize) -> String {
    if column.kind == Kind::Nested {
        return nested_text(column.array, row);
    }
    match column.array.data_type() {
        DataType::Float64 => column
            .array
            .as_primitive::<arrow::datatypes::Float64Type>()
            .value(row)
            .to_string(),
        DataType::Float32 => column
            .array
            .as_primitive::<arrow::datatypes::Float32Type>()
            .value(row)
            .to_string(),
        _ => match column.kind {
            Kind::DateTime { precision } => {
                date_time_text(&column.formatter.value(row).to_string(), precision)
            }
            Kind::Decimal => decimal_text(column.formatter.value(row).to_string()),
            _ => column.formatter.value(row).to_string(),
        },
    }
}

/// Every value of an array as ClickHouse prints it as text (`toString`); NULL stays NULL.
pub(crate) fn texts(
    array: &ArrayRef,
) -> Result<arrow::array::StringArray, arrow::error::ArrowError> {
    let options = format_options();
    let column = Column {
        array,
        formatter: ArrayFormatter::try_new(array.as_ref(), &options)?,
        kind: kind_of(array.data_type()),
    };
    Ok((0..array.len())
        .map(|row| array.is_valid(row).then(|| cell_text(&column, row)))
        .collect())
}

/// A decimal without trailing fractional zeros, as ClickHouse prints it by default
/// (`output_format_decimal_trailing_zeros = 0`): `12.50` → `12.5`, `12.00` → `12`.
fn decimal_text(mut text: String) -> String {
    if text.contains('.') {
        let kept = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(kept);
    }
    text
}

/// A date-time printed with exactly its precision's fractional digits.
fn date_time_text(formatted: &str, precision: u8) -> String {
    let (base, fraction) = formatted.split_once('.').unwrap_or((formatted, ""));
    if precision == 0 {
        return base.to_string();
    }
    let mut digits: String = fraction.chars().take(precision as usize).collect();
    while digits.len() < precision as usize {
        digits.push('0');
    }
    format!("{base}.{digits}")
}

fn write_json_string(out: &mut Vec<u8>, text: &str) -> WriteResult {
    serde_json::to_writer(&mut *out, text)?;
    Ok(())
}

fn write_json_value(
    out: &mut Vec<u8>,
    array: &ArrayRef,
    row: usize,
    settings: &Settings,
) -> WriteResult {
    if array.is_null(row) {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    let options = format_options();
    let kind = kind_of(array.data_type());
    if kind == Kind::Nested {
        return write_json_nested(out, array, row, settings);
    }
    let column = Column {
        array,
        formatter: ArrayFormatter::try_new(array.as_ref(), &options)?,
        kind,
    };
    write_json_scalar(out, kind, &cell_text(&column, row), settings)
}

fn write_json_scalar(
    out: &mut Vec<u8>,
    kind: Kind,
    text: &str,
    settings: &Settings,
) -> WriteResult {
    match kind {
        Kind::Integer { wide } if wide && settings.quote_64bit_integers => {
            write_json_string(out, text)?
        }
        Kind::Integer { .. } | Kind::Decimal | Kind::Bool => out.extend_from_slice(text.as_bytes()),
        Kind::Float => match text {
            "NaN" | "inf" | "-inf" if settings.quote_denormals => {
                write_json_string(out, &text.to_lowercase())?
            }
            "NaN" | "inf" | "-inf" => out.extend_from_slice(b"null"),
            _ => out.extend_from_slice(text.as_bytes()),
        },
        Kind::DateTime { .. } => write_json_string(out, text)?,
        Kind::Text | Kind::Nested => write_json_string(out, text)?,
    }
    Ok(())
}

fn write_json_nested(
    out: &mut Vec<u8>,
    array: &ArrayRef,
    row: usize,
    settings: &Settings,
) -> WriteResult {
    match array.data_type() {
        DataType::List(_) => {
            let values = array.as_list::<i32>().value(row);
            write_json_array(out, &values, settings)
        }
        DataType::LargeList(_) => {
            let values = array.as_list::<i64>().value(row);
            write_json_array(out, &values, settings)
        }
        DataType::FixedSizeList(..) => {
            let values = array.as_fixed_size_list().value(row);
            write_json_array(out, &values, settings)
        }
        DataType::Struct(_) => {
            let strukt = array.as_struct();
            out.push(b'[');
            for (i, column) in strukt.columns().iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_value(out, column, row, settings)?;
            }
            out.push(b']');
            Ok(())
        }
        DataType::Map(..) => {
            let entries = array.as_map().value(row);
            let keys = entries.column(0);
            let values = entries.column(1);
            let options = format_options();
            let key_formatter = ArrayFormatter::try_new(keys.as_ref(), &options)?;
            out.push(b'{');
            for i in 0..entries.len() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(out, &key_formatter.value(i).to_string())?;
                out.push(b':');
                write_json_value(out, values, i, settings)?;
            }
            out.push(b'}');
            Ok(())
        }
        _ => Err("not a nested type".into()),
    }
}

fn write_json_array(out: &mut Vec<u8>, values: &ArrayRef, settings: &Settings) -> WriteResult {
    out.push(b'[');
    for i in 0..values.len() {
        if i > 0 {
            out.push(b',');
        }
        write_json_value(out, values, i, settings)?;
    }
    out.push(b']');
    Ok(())
}

fn write_json_cell(
    out: &mut Vec<u8>,
    column: &Column,
    row: usize,
    settings: &Settings,
) -> WriteResult {
    if column.array.is_null(row) {
        out.extend_from_slice(b"null");
        Ok(())
    } else if column.kind == Kind::Nested {
        write_json_nested(out, column.array, row, settings)
    } else {
        write_json_scalar(out, column.kind, &cell_text(column, row), settings)
    }
}

/// One row as an object of the columns (`{"a":1,"b":"x"}`), or, `compact`, an array of the
/// values (`[1, "x"]`).
fn write_json_row(
    out: &mut Vec<u8>,
    names: &[String],
    columns: &[Column],
    row: usize,
    settings: &Settings,
    compact: bool,
) -> WriteResult {
    out.push(if compact { b'[' } else { b'{' });
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(if compact { b", " } else { b"," });
        }
        if !compact {
            out.extend_from_slice(names[i].as_bytes());
            out.push(b':');
        }
        write_json_cell(out, column, row, settings)?;
    }
    out.push(if compact { b']' } else { b'}' });
    Ok(())
}

fn quoted_names(schema: &Schema) -> Vec<String> {
    schema
        .fields()
        .iter()
        .map(|f| serde_json::to_string(f.name()).expect("strings serialise"))
        .collect()
}

fn write_json(
    out: &mut Vec<u8>,
    schema: &Schema,
    batches: &[RecordBatch],
    statistics: &Statistics,
    settings: &Settings,
    compact: bool,
) -> WriteResult {
    let names = quoted_names(schema);
    out.extend_from_slice(b"{\n\t\"meta\":\n\t[");
    for (i, field) in schema.fields().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write!(
            out,
            "\n\t\t{{\n\t\t\t\"name\": {},\n\t\t\t\"type\": ",
            names[i]
        )?;
        write_json_string(out, &ChType::of_field(field).to_string())?;
        out.extend_from_slice(b"\n\t\t}");
    }
    out.extend_from_slice(b"\n\t],\n\n\t\"data\":\n\t[");
    let options = format_options();
    let mut rows = 0usize;
    for batch in batches {
        let columns = columns(batch, &options)?;
        for row in 0..batch.num_rows() {
            out.extend_from_slice(if rows == 0 { b"\n\t\t" } else { b",\n\t\t" });
            write_json_row(out, &names, &columns, row, settings, compact)?;
            rows += 1;
        }
    }
    write!(out, "\n\t],\n\n\t\"rows\": {rows},")?;
    if let Some(before_limit) = statistics.rows_before_limit {
        write!(
            out,
            "\n\n\t\"rows_before_limit_at_least\": {},",
            before_limit.max(rows)
        )?;
    }
    write!(
        out,
        "\n\n\t\"statistics\":\n\t{{\n\t\t\"elapsed\": {},\n\t\t\"rows_read\": {},\n\t\t\"bytes_read\": {}\n\t}}\n}}\n",
        statistics.elapsed.as_secs_f64(),
        statistics.rows_read,
        statistics.bytes_read
    )?;
    Ok(())
}

fn write_json_each_row(
    out: &mut Vec<u8>,
    schema: &Schema,
    batches: &[RecordBatch],
    settings: &Settings,
    compact: bool,
) -> WriteResult {
    let names = quoted_names(schema);
    let options = format_options();
    for batch in batches {
        let columns = columns(batch, &options)?;
        for row in 0..batch.num_rows() {
            write_json_row(out, &names, &columns, row, settings, compact)?;
            out.push(b'\n');
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Separated {
    Csv,
    Tsv,
}

fn write_csv_field(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for byte in text.bytes() {
        if byte == b'"' {
            out.push(b'"');
        }
        out.push(byte);
    }
    out.push(b'"');
}

fn write_tsv_field(out: &mut Vec<u8>, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\0' => out.extend_from_slice(b"\\0"),
            other => out.push(other),
        }
    }
}

fn write_separated(
    out: &mut Vec<u8>,
    schema: &Schema,
    batches: &[RecordBatch],
    with_names: bool,
    style: Separated,
) -> WriteResult {
    let separator = if style == Separated::Csv { b',' } else { b'\t' };
    if with_names {
        for (i, field) in schema.fields().iter().enumerate() {
            if i > 0 {
                out.push(separator);
            }
            match style {
                Separated::Csv => write_csv_field(out, field.name()),
                Separated::Tsv => write_tsv_field(out, field.name()),
            }
        }
        out.push(b'\n');
    }
    let options = format_options();
    for batch in batches {
        let columns = columns(batch, &options)?;
        for row in 0..batch.num_rows() {
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    out.push(separator);
                }
                if column.array.is_null(row) {
                    out.extend_from_slice(b"\\N");
                    continue;
                }
                let text = cell_text(column, row);
                let quoted = matches!(
                    column.kind,
                    Kind::Text | Kind::DateTime { .. } | Kind::Nested
                );
                match style {
                    Separated::Csv if quoted => write_csv_field(out, &text),
                    Separated::Csv => out.extend_from_slice(text.as_bytes()),
                    Separated::Tsv => write_tsv_field(out, &text),
                }
            }
            out.push(b'\n');
        }
    }
    Ok(())
}

/// An array, map or tuple as ClickHouse's text formats and `toString` print it, in its literal
/// form: `[1,2]`, `['a','b']`, `{'a':1}`, `(1,'x')`.
fn nested_text(array: &ArrayRef, row: usize) -> String {
    let options = format_options();
    let text = |values: &ArrayRef, row: usize| -> String {
        if values.is_null(row) {
            return "NULL".to_string();
        }
        let kind = kind_of(values.data_type());
        if kind == Kind::Nested {
            return nested_text(values, row);
        }
        let Ok(formatter) = ArrayFormatter::try_new(values.as_ref(), &options) else {
            return String::new();
        };
        let column = Column {
            array: values,
            formatter,
            kind,
        };
        let text = cell_text(&column, row);
        match kind {
            Kind::Text | Kind::DateTime { .. } => {
                format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
            }
            _ => text,
        }
    };
    let list = |values: ArrayRef| -> String {
        let items: Vec<String> = (0..values.len()).map(|i| text(&values, i)).collect();
        format!("[{}]", items.join(","))
    };
    match array.data_type() {
        DataType::List(_) => list(array.as_list::<i32>().value(row)),
        DataType::LargeList(_) => list(array.as_list::<i64>().value(row)),
        DataType::FixedSizeList(..) => list(array.as_fixed_size_list().value(row)),
        DataType::Struct(_) => {
            let fields: Vec<String> = array
                .as_struct()
                .columns()
                .iter()
                .map(|column| text(column, row))
                .collect();
            format!("({})", fields.join(","))
        }
        DataType::Map(..) => {
            let entries = array.as_map().value(row);
            let pairs: Vec<String> = (0..entries.len())
                .map(|i| {
                    format!(
                        "{}:{}",
                        text(entries.column(0), i),
                        text(entries.column(1), i)
                    )
                })
                .collect();
            format!("{{{}}}", pairs.join(","))
        }
        _ => String::new(),
    }
}

/// Numbers, dates and times are aligned right in Pretty formats, the rest left.
fn aligned_right(data_type: &DataType) -> bool {
    data_type.is_numeric()
        || matches!(
            data_type,
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
        )
}

/// PrettyCompact: a table drawn with box characters, rows numbered, numbers aligned right.
fn write_pretty_compact(
    out: &mut Vec<u8>,
    schema: &Schema,
    batches: &[RecordBatch],
) -> WriteResult {
    let options = format_options();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for batch in batches {
        let columns = columns(batch, &options)?;
        for row in 0..batch.num_rows() {
            rows.push(
                columns
                    .iter()
                    .map(|column| match column.array.is_null(row) {
                        true => "ᴺᵁᴸᴸ".to_string(),
                        false => cell_text(column, row),
                    })
                    .collect(),
            );
        }
    }
    let width = |text: &str| text.chars().count();
    let widths: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            rows.iter()
                .map(|r| width(&r[i]))
                .fold(width(field.name()), usize::max)
        })
        .collect();
    let right: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| aligned_right(f.data_type()))
        .collect();
    let number_width = rows.len().to_string().len() + 2;
    let indent = " ".repeat(number_width);
    let line = |left: &str, fill: &str, middle: &str, end: &str, cells: Option<&[String]>| {
        let mut text = String::new();
        for (i, column_width) in widths.iter().enumerate() {
            text.push_str(if i == 0 { left } else { middle });
            let cell = cells.map_or("", |cells| cells[i].as_str());
            let pad = fill.repeat(column_width - width(cell));
            text.push_str(fill);
            if right[i] {
                text.push_str(&pad);
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&pad);
            }
            text.push_str(fill);
        }
        text.push_str(end);
        text
    };
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    writeln!(out, "{indent}{}", line("┌", "─", "┬", "┐", Some(&names)))?;
    for (number, cells) in rows.iter().enumerate() {
        let label = format!("{}.", number + 1);
        writeln!(
            out,
            "{label:>0$} {1}",
            number_width - 1,
            line("│", " ", "│", "│", Some(cells))
        )?;
    }
    writeln!(out, "{indent}{}", line("└", "─", "┴", "┘", None))?;
    Ok(())
}

/// Prometheus's text exposition format from columns `name` and `value` (required), `help`,
/// `type`, `labels` (a Map(String, String)) and `timestamp`: the rows of each metric
/// together, in the order metrics first appear, each metric after its `# HELP` and `# TYPE`
/// lines and followed by an empty line.
fn write_prometheus(out: &mut Vec<u8>, schema: &Schema, batches: &[RecordBatch]) -> WriteResult {
    let index = |name: &str| schema.index_of(name).ok();
    let (Some(name_at), Some(value_at)) = (index("name"), index("value")) else {
        return Err("the Prometheus format needs columns `name` and `value`".into());
    };
    let (help_at, type_at, labels_at, timestamp_at) = (
        index("help"),
        index("type"),
        index("labels"),
        index("timestamp"),
    );
    // Each metric: its name, help, type and lines, in the order of first appearance.
    let mut metrics: Vec<(String, String, String, Vec<String>)> = Vec::new();
    let options = format_options();
    for batch in batches {
        let columns = columns(batch, &options)?;
        let text = |at: Option<usize>, row: usize| -> String {
            at.map(|at| &columns[at])
                .filter(|column| column.array.is_valid(row))
                .map_or_else(String::new, |column| cell_text(column, row))
        };
        for row in 0..batch.num_rows() {
            let name = text(Some(name_at), row);
            let mut sample = name.clone();
            if let Some(labels) = labels_at
                .map(|at| batch.column(at))
                .filter(|l| l.is_valid(row))
            {
                let DataType::Map(..) = labels.data_type() else {
                    return Err(
                        "the Prometheus `labels` column must be a Map(String, String)".into(),
                    );
                };
                let entries = labels.as_map().value(row);
                let keys = arrow::compute::cast(entries.column(0), &DataType::Utf8)?;
                let values = arrow::compute::cast(entries.column(1), &DataType::Utf8)?;
                let (keys, values) = (keys.as_string::<i32>(), values.as_string::<i32>());
                if !entries.is_empty() {
                    let pairs: Vec<String> = (0..entries.len())
                        .map(|i| {
                            let value = values
                                .value(i)
                                .replace('\\', "\\\\")
                                .replace('"', "\\\"")
                                .replace('\n', "\\n");
                            format!("{}=\"{value}\"", keys.value(i))
                        })
                        .collect();
                    sample.push_str(&format!("{{{}}}", pairs.join(",")));
                }
            }
            sample.push(' ');
            sample.push_str(&text(Some(value_at), row));
            let timestamp = text(timestamp_at, row);
            if !timestamp.is_empty() {
                sample.push(' ');
                sample.push_str(&timestamp);
            }
            match metrics.iter_mut().find(|metric| metric.0 == name) {
                Some(metric) => metric.3.push(sample),
                None => metrics.push((name, text(help_at, row), text(type_at, row), vec![sample])),
            }
        }
    }
    for (name, help, kind, samples) in metrics {
        if !help.is_empty() {
            writeln!(out, "# HELP {name} {help}")?;
        }
        if !kind.is_empty() {
            writeln!(out, "# TYPE {name} {kind}")?;
        }
        for sample in samples {
            writeln!(out, "{sample}")?;
        }
        out.push(b'\n');
    }
    Ok(())
}

/// A Parquet file of the rows (strings as Parquet strings, `output_format_parquet_string_as_string`).
fn write_parquet(out: &mut Vec<u8>, schema: &Schema, batches: &[RecordBatch]) -> WriteResult {
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(out, std::sync::Arc::new(schema.clone()), None)?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.close()?;
    Ok(())
}
