//! Parquet files (DS-J7). A Parquet file is read whole (its footer, at the end, says where
//! everything is) and decoded a batch of records at a time. Each record becomes the JSON
//! object arrow-json writes for it, so a data source's JSONPaths apply to Parquet columns as
//! they apply to NDJSON fields (`$.col`, `$.a_struct.field`, `$.a_list[:]`), through the same
//! conversion and quarantine as events. The types the file declares are kept for schema
//! guessing (`declared_types`).

use std::collections::HashMap;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, Field};
use colibri_guest::{ApiError, limits};
use colibri_types::ChType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::Line;

/// The magic bytes a Parquet file starts (and ends) with.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Records decoded at a time.
const BATCH_ROWS: usize = 16 * 1024;

fn invalid(error: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("The file is not a readable Parquet file: {error}"))
}

/// The largest Parquet file, decompressed (LIM-7): a Parquet file is held whole in the
/// component's memory while it is decoded.
pub fn max_file_bytes() -> u64 {
    limits::current_sizes().parquet_file_bytes
}

/// The 413 of a Parquet file past `max_file_bytes` once `bytes` of it have arrived.
pub fn check_size(bytes: u64) -> Result<(), ApiError> {
    let max = max_file_bytes();
    if bytes <= max {
        return Ok(());
    }
    Err(ApiError::new(
        413,
        format!(
            "The Parquet file is larger than {max} bytes: Parquet files are read whole, split \
             larger ones"
        ),
    ))
}

/// The record batches of a whole Parquet file.
pub fn batches(file: Vec<u8>) -> Result<ParquetRecordBatchReader, ApiError> {
    ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file))
        .map_err(invalid)?
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(invalid)
}

/// The next batch of a reader, a decoding error being the file's fault.
pub fn next_batch(reader: &mut ParquetRecordBatchReader) -> Result<Option<RecordBatch>, ApiError> {
    reader.next().transpose().map_err(invalid)
}

/// The records of a batch as events (null fields left out, as a missing path).
pub fn events(batch: &RecordBatch) -> Result<Vec<Line>, ApiError> {
    if batch.num_rows() == 0 {
        return Ok(Vec::new());
    }
    let mut text = Vec::new();
    let mut writer = arrow_json::LineDelimitedWriter::new(&mut text);
    writer.write(batch).map_err(invalid)?;
    writer.finish().map_err(invalid)?;
    drop(writer);
    crate::parse_events(&text, false)
}

/// The ClickHouse type the file declares for each scalar path outside lists (`$.a`,
/// `$.a_struct.b`), without nullability: what a guess from values alone cannot tell (an
/// Int64 column of small numbers, a Decimal, a DateTime64's precision).
pub fn declared_types(reader: &ParquetRecordBatchReader) -> HashMap<String, ChType> {
    fn walk(prefix: &str, field: &Field, types: &mut HashMap<String, ChType>) {
        let path = format!("{prefix}.{}", field.name());
        match field.data_type() {
            DataType::Struct(children) => {
                for child in children {
                    walk(&path, child, types);
                }
            }
            DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::Map(..)
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Dictionary(..)
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::Null => {}
            scalar => {
                types.insert(path, ChType::from_arrow(scalar));
            }
        }
    }
    let mut types = HashMap::new();
    for field in reader.schema().fields() {
        walk("$", field, &mut types);
    }
    types
}
