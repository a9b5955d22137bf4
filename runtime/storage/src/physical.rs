//! Delta Lake cannot store every Arrow type Colibri uses (no unsigned integers, timestamps
//! only in microseconds). Rows are stored in a "physical" schema and cast back to the
//! logical one on read; both directions are exact.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use deltalake::logstore::{
    LogStore, LogStoreFactory, StorageConfig, default_logstore, logstore_factories,
};
use deltalake::{DeltaResult, ObjectStore};
use url::Url;

use crate::Result;

/// The Delta-compatible type that stores values of `logical`.
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

/// Converts a batch read from a table's files back to the logical schema.
pub fn to_logical(batch: &RecordBatch, logical: &SchemaRef) -> Result<RecordBatch> {
    cast_columns(batch, logical)
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
