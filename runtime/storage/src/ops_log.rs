//! `tinybird.datasources_ops_log` (SDS-2): one row per operation on a data source, kept in a
//! table of its own, durable like any data source's. Events API appends come thousands a
//! second, so they are summed per data source and written as one row per data source and
//! flush (EV-15 allows batching); other operations are one row each.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;

use crate::catalog::DataSource;
use crate::location::Location;
use crate::service::{append_rows, open_service_table, spawn_flusher};
use crate::table::Table;
use crate::{FlushPolicy, Result};

/// How the log is named in SQL.
pub const OPS_LOG_TABLE: &str = "tinybird.datasources_ops_log";
const OPS_LOG_ID: &str = "tinybird_datasources_ops_log";

/// The columns of SDS-2 (all but the `Options` Nested pair, not kept yet).
const COLUMNS: &[(&str, &str)] = &[
    ("timestamp", "DateTime"),
    ("event_type", "String"),
    ("operation_id", "String"),
    ("datasource_id", "String"),
    ("datasource_name", "String"),
    ("result", "String"),
    ("elapsed_time", "Float32"),
    ("error", "Nullable(String)"),
    ("import_id", "Nullable(String)"),
    ("job_id", "Nullable(String)"),
    ("request_id", "String"),
    ("rows", "Nullable(UInt64)"),
    ("rows_quarantine", "Nullable(UInt64)"),
    ("blocks_ids", "Array(String)"),
    ("read_bytes", "UInt64"),
    ("read_rows", "UInt64"),
    ("written_rows", "UInt64"),
    ("written_bytes", "UInt64"),
    ("written_rows_quarantine", "UInt64"),
    ("written_bytes_quarantine", "UInt64"),
    ("pipe_id", "String"),
    ("pipe_name", "String"),
    ("release", "String"),
    ("resource_tags", "Array(String)"),
    ("cpu_time", "Float32"),
];

/// One row of the log, named and typed as `COLUMNS`.
#[derive(Debug, Clone, Serialize)]
struct Row {
    timestamp: String,
    event_type: String,
    operation_id: String,
    datasource_id: String,
    datasource_name: String,
    result: String,
    elapsed_time: f32,
    error: Option<String>,
    import_id: Option<String>,
    job_id: Option<String>,
    request_id: String,
    rows: Option<u64>,
    rows_quarantine: Option<u64>,
    blocks_ids: Vec<String>,
    read_bytes: u64,
    read_rows: u64,
    written_rows: u64,
    written_bytes: u64,
    written_rows_quarantine: u64,
    written_bytes_quarantine: u64,
    pipe_id: String,
    pipe_name: String,
    release: String,
    resource_tags: Vec<String>,
    cpu_time: f32,
}

impl Row {
    fn new(event_type: &str, datasource: &DataSource, request_id: &str, at: DateTime<Utc>) -> Row {
        Row {
            timestamp: at.format("%Y-%m-%d %H:%M:%S").to_string(),
            event_type: event_type.to_string(),
            operation_id: request_id.to_string(),
            datasource_id: datasource.id.clone(),
            datasource_name: datasource.name.clone(),
            result: "ok".to_string(),
            elapsed_time: 0.0,
            error: None,
            import_id: None,
            job_id: None,
            request_id: request_id.to_string(),
            rows: None,
            rows_quarantine: None,
            blocks_ids: Vec::new(),
            read_bytes: 0,
            read_rows: 0,
            written_rows: 0,
            written_bytes: 0,
            written_rows_quarantine: 0,
            written_bytes_quarantine: 0,
            pipe_id: String::new(),
            pipe_name: String::new(),
            release: String::new(),
            resource_tags: Vec::new(),
            cpu_time: 0.0,
        }
    }
}

/// An append to report: to the data source itself or to its quarantine table.
pub struct Append<'a> {
    pub event_type: &'a str,
    /// The data source the rows went to (a quarantine table counts for its data source).
    pub datasource: &'a DataSource,
    pub quarantine: bool,
    pub request_id: &'a str,
    pub rows: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

pub struct OpsLog {
    table: Arc<Table>,
    /// Appends summed per (event type, data source id) until the next flush.
    pending: Mutex<HashMap<(String, String), Row>>,
}

impl OpsLog {
    pub(crate) async fn open(
        location: &Location,
        wal_dir: &Path,
        policy: FlushPolicy,
    ) -> Result<Arc<OpsLog>> {
        let table = open_service_table(
            OPS_LOG_ID,
            OPS_LOG_TABLE,
            COLUMNS,
            "timestamp",
            location,
            wal_dir,
            policy,
        )
        .await?;
        let log = Arc::new(OpsLog {
            table,
            pending: Mutex::new(HashMap::new()),
        });
        spawn_flusher(
            log.clone(),
            policy.interval,
            "the ops log",
            |log| async move { log.flush_pending().await },
        );
        Ok(log)
    }

    /// The table holding the log, for queries.
    pub fn table(&self) -> &Arc<Table> {
        &self.table
    }

    /// Logs one operation other than an append (e.g. `create`, or `truncate` with the `rows`
    /// it removed) that took `elapsed`.
    pub async fn log(
        &self,
        event_type: &str,
        datasource: &DataSource,
        request_id: &str,
        elapsed: Duration,
        rows: Option<u64>,
    ) -> Result<()> {
        let mut row = Row::new(event_type, datasource, request_id, Utc::now());
        row.elapsed_time = elapsed.as_secs_f32();
        row.rows = rows;
        self.write(vec![row]).await
    }

    /// Adds an append to its data source's row of the current flush.
    pub fn add_append(&self, append: Append<'_>) {
        let key = (append.event_type.to_string(), append.datasource.id.clone());
        let mut pending = self.pending.lock();
        let row = pending.entry(key).or_insert_with(|| {
            let mut row = Row::new(
                append.event_type,
                append.datasource,
                append.request_id,
                Utc::now(),
            );
            row.rows = Some(0);
            row.rows_quarantine = Some(0);
            row
        });
        row.elapsed_time += append.elapsed.as_secs_f32();
        if append.quarantine {
            *row.rows_quarantine.get_or_insert(0) += append.rows;
            row.written_rows_quarantine += append.rows;
            row.written_bytes_quarantine += append.bytes;
        } else {
            *row.rows.get_or_insert(0) += append.rows;
            row.written_rows += append.rows;
            row.written_bytes += append.bytes;
        }
    }

    /// Writes the summed appends to the log.
    pub async fn flush_pending(&self) -> Result<()> {
        let rows: Vec<Row> = self.pending.lock().drain().map(|(_, row)| row).collect();
        if rows.is_empty() {
            return Ok(());
        }
        self.write(rows).await
    }

    async fn write(&self, rows: Vec<Row>) -> Result<()> {
        append_rows(&self.table, &rows).await
    }
}
