//! `tinybird.pipe_stats_rt` (SDS-5, PIPE-CALL-18, Q-16): one row per API Endpoint or Query
//! API request, fed by the host once the request is answered, kept in a service table of
//! its own. Rows wait in memory and are written once per flush interval.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::Serialize;

use crate::location::Location;
use crate::service::{append_rows, open_service_table, spawn_flusher};
use crate::table::Table;
use crate::{FlushPolicy, Result};

/// How the table is named in SQL.
pub const PIPE_STATS_TABLE: &str = "tinybird.pipe_stats_rt";
const PIPE_STATS_ID: &str = "tinybird_pipe_stats_rt";

const COLUMNS: &[(&str, &str)] = &[
    ("start_datetime", "DateTime"),
    ("pipe_id", "String"),
    ("pipe_name", "String"),
    ("duration", "Float32"),
    ("read_bytes", "UInt64"),
    ("read_rows", "UInt64"),
    ("result_rows", "UInt64"),
    ("url", "Nullable(String)"),
    ("error", "UInt8"),
    ("request_id", "String"),
    ("token", "String"),
    ("token_name", "String"),
    ("status_code", "Int32"),
    ("method", "String"),
    ("parameters", "Map(String, String)"),
    ("release", "String"),
    ("user_agent", "Nullable(String)"),
    ("resource_tags", "Array(String)"),
    ("cpu_time", "Float32"),
];

/// One request, as SDS-5 records it.
#[derive(Debug, Clone, Serialize)]
pub struct PipeRequest {
    /// UTC, `YYYY-MM-DD HH:MM:SS`.
    pub start_datetime: String,
    /// `query_api` for the Query API.
    pub pipe_id: String,
    pub pipe_name: String,
    /// Seconds.
    pub duration: f32,
    pub read_bytes: u64,
    pub read_rows: u64,
    pub result_rows: u64,
    /// The path and query string, without the `token` parameter.
    pub url: Option<String>,
    pub error: u8,
    pub request_id: String,
    /// The token's id (never its secret value).
    pub token: String,
    pub token_name: String,
    pub status_code: i32,
    pub method: String,
    pub parameters: BTreeMap<String, String>,
    pub release: String,
    pub user_agent: Option<String>,
    pub resource_tags: Vec<String>,
    pub cpu_time: f32,
}

pub struct PipeStats {
    table: Arc<Table>,
    pending: Mutex<Vec<PipeRequest>>,
}

impl PipeStats {
    pub(crate) async fn open(
        location: &Location,
        wal_dir: &Path,
        policy: FlushPolicy,
    ) -> Result<Arc<PipeStats>> {
        let table = open_service_table(
            PIPE_STATS_ID,
            PIPE_STATS_TABLE,
            COLUMNS,
            "start_datetime",
            location,
            wal_dir,
            policy,
        )
        .await?;
        let stats = Arc::new(PipeStats {
            table,
            pending: Mutex::new(Vec::new()),
        });
        spawn_flusher(
            stats.clone(),
            policy.interval,
            "pipe_stats_rt",
            |stats| async move { stats.flush_pending().await },
        );
        Ok(stats)
    }

    /// The table holding the rows, for queries.
    pub fn table(&self) -> &Arc<Table> {
        &self.table
    }

    /// Adds a request; it is written at the next flush.
    pub fn record(&self, request: PipeRequest) {
        self.pending.lock().push(request);
    }

    /// Writes the requests recorded since the last flush.
    pub async fn flush_pending(&self) -> Result<()> {
        let rows = std::mem::take(&mut *self.pending.lock());
        if rows.is_empty() {
            return Ok(());
        }
        append_rows(&self.table, &rows).await
    }
}
