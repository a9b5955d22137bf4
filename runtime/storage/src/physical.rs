//! Delta Lake cannot store every Arrow type Colibri uses (no unsigned integers, timestamps
//! only in microseconds). Rows are stored in a "physical" schema and cast back to the
//! logical one on read; both directions are exact. The files' layout is decided here too:
//! which columns carry a Parquet bloom filter.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use colibri_types::ChType;
use deltalake::logstore::{
    LogStore, LogStoreFactory, StorageConfig, default_logstore, logstore_factories,
};
use deltalake::{DeltaResult, ObjectStore};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use url::Url;

use crate::Result;
use crate::catalog::DataSource;

/// The Delta-compatible type that stores values of `logical`. (A dictionary, which only the
/// schema queries read in has, stays one: its values are text, which Parquet stores as such.)
pub fn physical_type(logical: &DataType) -> DataType {
    match logical {
        DataType::UInt8 => DataType::Int16,
        DataType::UInt16 => DataType::Int32,
        DataType::UInt32 => DataType::Int64,
        DataType::UInt64 => DataType::Decimal128(20, 0),
        DataType::Timestamp(_, _) => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        DataType::Decimal256(_, _) => DataType::Utf8,
        DataType::List(item) => DataType::List(Arc::new(physical_field(item))),
        DataType::Map(entries, sorted) => DataType::Map(Arc::new(physical_field(entries)), *sorted),
        DataType::Struct(fields) => {
            DataType::Struct(fields.iter().map(|f| physical_field(f)).collect())
        }
        other => other.clone(),
    }
}

fn physical_field(field: &Field) -> Field {
    Field::new(
        field.name(),
        physical_type(field.data_type()),
        field.is_nullable(),
    )
}

pub fn physical_schema(logical: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        logical
            .fields()
            .iter()
            .map(|f| physical_field(f))
            .collect::<Vec<_>>(),
    ))
}

/// How a table's rows are written as Parquet files: in the physical schema, with a bloom
/// filter per row group on every text column that is neither LowCardinality nor part of the
/// sorting key. Those are the columns looked up by one value (`WHERE session_id = '...'`):
/// their values are spread over every file, so min/max statistics cannot skip a file, while
/// a bloom filter skips each row group that does not hold the value. (ClickHouse needs a
/// declared skip index for this; Colibri keeps it implicit, at about a byte per row.)
#[derive(Debug)]
pub struct Layout {
    pub schema: SchemaRef,
    bloom_filtered: Vec<ColumnPath>,
}

/// The false-positive rate of a bloom filter: 1% of the row groups without the value are read.
const BLOOM_FILTER_FPP: f64 = 0.01;

/// Rows per row group: the unit that statistics and bloom filters skip, and that a lookup
/// by one value decodes whole (Parquet's default is 1,048,576; DuckDB's row groups hold
/// 122,880 rows).
const ROW_GROUP_ROWS: usize = 128 * 1024;

impl Layout {
    pub fn of(datasource: &DataSource) -> Layout {
        let key: HashSet<&str> = datasource
            .sorting_key
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .collect();
        let bloom_filtered = datasource
            .columns
            .iter()
            .filter(|column| !key.contains(column.name.as_str()))
            .filter(|column| {
                ChType::from_str(&column.type_name).is_ok_and(|t| is_looked_up_by_value(&t))
            })
            .map(|column| ColumnPath::from(column.name.as_str()))
            .collect();
        Layout {
            schema: physical_schema(&datasource.arrow_schema()),
            bloom_filtered,
        }
    }

    /// Parquet writer settings for a file of `rows` rows: snappy, row groups of
    /// [`ROW_GROUP_ROWS`], and bloom filters sized for the distinct values a row group of
    /// that file can hold.
    pub fn writer_properties(&self, rows: usize) -> WriterProperties {
        let mut builder = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
        let row_group_rows = rows.clamp(1, ROW_GROUP_ROWS);
        for column in &self.bloom_filtered {
            builder = builder
                .set_column_bloom_filter_enabled(column.clone(), true)
                .set_column_bloom_filter_fpp(column.clone(), BLOOM_FILTER_FPP)
                .set_column_bloom_filter_max_ndv(column.clone(), row_group_rows as u64);
        }
        builder.build()
    }
}

/// Plain text columns (String, FixedString, UUID, Nullable or not): LowCardinality ones have
/// few values, each in most row groups, where a filter would skip nothing.
fn is_looked_up_by_value(column_type: &ChType) -> bool {
    match column_type {
        ChType::Nullable(inner) => is_looked_up_by_value(inner),
        ChType::String | ChType::FixedString(_) | ChType::Uuid => true,
        _ => false,
    }
}

fn cast_columns(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(column.clone())
            } else {
                cast(column, field.data_type())
            }
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Converts a batch in the logical schema to the physical one.
pub fn to_physical(batch: &RecordBatch, physical: &SchemaRef) -> Result<RecordBatch> {
    cast_columns(batch, physical)
}

/// Converts a batch read from a table's files (or read by a query) back to the logical schema.
pub fn to_logical(batch: &RecordBatch, logical: &SchemaRef) -> Result<RecordBatch> {
    cast_columns(batch, logical)
}

/// Converts a batch in the logical schema to the one queries read (LowCardinality text as
/// dictionaries).
pub fn to_queried(batch: &RecordBatch, queried: &SchemaRef) -> Result<RecordBatch> {
    cast_columns(batch, queried)
}

/// Log stores for the cloud schemes: Delta's default log store commits with conditional puts,
/// which S3, GCS and Azure all support.
#[derive(Debug, Default)]
struct ConditionalPutLogStoreFactory;

impl LogStoreFactory for ConditionalPutLogStoreFactory {
    fn with_options(
        &self,
        prefixed_store: Arc<dyn ObjectStore>,
        root_store: Arc<dyn ObjectStore>,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(
            prefixed_store,
            root_store,
            location,
            options,
        ))
    }
}

/// Makes Delta accept tables under `url`'s scheme with the object store Colibri built.
pub fn register_cloud_log_store(url: &Url) {
    if let Ok(scheme) = Url::parse(&format!("{}://", url.scheme())) {
        logstore_factories().insert(scheme, Arc::new(ConditionalPutLogStoreFactory));
    }
}
