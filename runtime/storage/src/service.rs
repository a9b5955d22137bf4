//! Service data sources (`tinybird.*`): tables of their own with fixed ids and columns,
//! written by the host (the ops log, pipe_stats_rt), durable like any data source.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use crate::catalog::{ColumnDef, DataSource};
use crate::location::Location;
use crate::table::Table;
use crate::{Error, FlushPolicy, Result};

/// Opens the table of a service data source (`tinybird.<name>`): a data source of its own
/// with a fixed id and columns, durable like any other.
pub(crate) async fn open_service_table(
    id: &str,
    name: &str,
    columns: &[(&str, &str)],
    sorting_key: &str,
    location: &Location,
    wal_dir: &Path,
    policy: FlushPolicy,
) -> Result<Arc<Table>> {
    let now = Utc::now();
    let datasource = DataSource {
        id: id.to_string(),
        name: name.to_string(),
        format: "service".to_string(),
        columns: columns
            .iter()
            .map(|(name, type_name)| ColumnDef {
                name: name.to_string(),
                type_name: type_name.to_string(),
                jsonpath: None,
                default_value: None,
            })
            .collect(),
        engine: "MergeTree".to_string(),
        sorting_key: sorting_key.to_string(),
        partition_key: String::new(),
        engine_params: Default::default(),
        description: String::new(),
        created_at: now,
        updated_at: now,
        quarantine_of: None,
        new_columns_detected: Default::default(),
    };
    Table::open(&datasource, location, wal_dir.join(id), policy).await
}

/// Appends rows (serialisable as the table's columns) to a service table.
pub(crate) async fn append_rows<T: Serialize>(table: &Table, rows: &[T]) -> Result<()> {
    let mut decoder = arrow::json::ReaderBuilder::new(table.schema())
        .with_batch_size(rows.len().max(1))
        .build_decoder()?;
    decoder.serialize(rows)?;
    let batch = decoder
        .flush()?
        .ok_or_else(|| Error::Invalid("no service rows were encoded".into()))?;
    table.append(vec![batch], false).await?;
    Ok(())
}

/// Runs `flush` on a service every `interval`, for the rows it keeps in memory; a failure is
/// logged and retried at the next tick.
pub(crate) fn spawn_flusher<T, F, Fut>(
    service: Arc<T>,
    interval: Duration,
    name: &'static str,
    flush: F,
) where
    T: Send + Sync + 'static,
    F: Fn(Arc<T>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            if let Err(error) = flush(service.clone()).await {
                tracing::warn!(%error, table = name, "writing a service table failed");
            }
        }
    });
}
