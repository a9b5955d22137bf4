//! Colibri's storage layer: the catalog (workspace, data sources, tokens) and one Delta Lake
//! table per data source, on any `object_store` backend (a local folder by default, S3, GCS
//! or Azure in production). Appends go to an in-memory write buffer backed by a local
//! write-ahead log and are committed to Delta in groups; buffered rows are visible to readers
//! and acknowledged rows survive a crash. This crate knows nothing of HTTP or WebAssembly.

mod catalog;
mod compaction;
mod engine;
mod location;
mod ops_log;
mod paths;
mod physical;
mod pipe_stats;
mod provider;
mod service;
mod statistics;
mod table;
mod wal;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use parking_lot::RwLock;

pub use catalog::{Catalog, ColumnDef, DataSource, NewDataSource, NewPipe, Pipe, Token, Workspace};
pub use location::Location;
pub use ops_log::{Append, OPS_LOG_TABLE, OpsLog};
pub use paths::ADMIN_TOKEN_FILE;
pub use pipe_stats::{PIPE_STATS_TABLE, PipeRequest, PipeStats};
pub use statistics::DropExactStatistics;
pub use table::{Staged, Stager, Table, TableStats};

/// Everything that can go wrong in storage, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    #[error("delta: {0}")]
    Delta(#[from] deltalake::DeltaTableError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("write-ahead log: {0}")]
    Io(#[from] std::io::Error),
    #[error("catalog record: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the commit holding these rows failed: {0}")]
    CommitFailed(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// When buffered rows are committed to Delta: after `interval`, or as soon as `max_rows`
/// rows are waiting, or at once when a writer waits for its rows.
#[derive(Debug, Clone, Copy)]
pub struct FlushPolicy {
    pub interval: Duration,
    pub max_rows: usize,
}

impl Default for FlushPolicy {
    fn default() -> Self {
        FlushPolicy {
            interval: Duration::from_millis(1000),
            max_rows: 200_000,
        }
    }
}

/// The storage of one Colibri node: catalog plus open tables.
pub struct Storage {
    location: Location,
    catalog: Catalog,
    tables: RwLock<HashMap<String, Arc<Table>>>,
    ops_log: Arc<OpsLog>,
    pipe_stats: Arc<PipeStats>,
    wal_dir: PathBuf,
    policy: FlushPolicy,
}

impl Storage {
    /// Opens (or initialises) the storage at `location`, replays the write-ahead log found in
    /// `wal_dir` and starts the committers of every table.
    pub async fn open(
        location: Location,
        wal_dir: PathBuf,
        policy: FlushPolicy,
    ) -> Result<Arc<Self>> {
        std::fs::create_dir_all(&wal_dir)?;
        let catalog = Catalog::open(location.catalog_store()).await?;
        let ops_log = OpsLog::open(&location, &wal_dir, policy).await?;
        let pipe_stats = PipeStats::open(&location, &wal_dir, policy).await?;
        let storage = Arc::new(Storage {
            location,
            catalog,
            tables: RwLock::new(HashMap::new()),
            ops_log,
            pipe_stats,
            wal_dir,
            policy,
        });
        for datasource in storage.catalog.datasources() {
            storage.open_table(&datasource).await?;
        }
        Ok(storage)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// `tinybird.datasources_ops_log`.
    pub fn ops_log(&self) -> &OpsLog {
        &self.ops_log
    }

    /// `tinybird.pipe_stats_rt`.
    pub fn pipe_stats(&self) -> &PipeStats {
        &self.pipe_stats
    }

    async fn open_table(&self, datasource: &DataSource) -> Result<Arc<Table>> {
        let table = Table::open(
            datasource,
            &self.location,
            self.wal_dir.join(&datasource.id),
            self.policy,
        )
        .await?;
        self.tables
            .write()
            .insert(datasource.id.clone(), table.clone());
        Ok(table)
    }

    /// Creates a data source and its `_quarantine` companion, with their Delta tables.
    pub async fn create_datasource(&self, spec: NewDataSource) -> Result<DataSource> {
        let (datasource, quarantine) = self.catalog.create_datasource(spec).await?;
        self.open_table(&datasource).await?;
        self.open_table(&quarantine).await?;
        Ok(datasource)
    }

    /// Drops a data source and its quarantine table: their catalog records, their committers,
    /// their Delta tables and write-ahead logs.
    pub async fn drop_datasource(&self, datasource: &DataSource) -> Result<()> {
        for removed in self.catalog.remove_datasource(datasource).await? {
            if let Some(table) = self.tables.write().remove(&removed.id) {
                table.close();
            }
            let store = self.location.store();
            let folder = object_store::path::Path::from(paths::table_folder(&removed.id));
            let files: Vec<_> = store.list(Some(&folder)).try_collect().await?;
            for file in files {
                store.delete(&file.location).await?;
            }
            match std::fs::remove_dir_all(self.wal_dir.join(&removed.id)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        Ok(())
    }

    /// The open table of a data source.
    pub fn table(&self, datasource: &DataSource) -> Result<Arc<Table>> {
        self.tables
            .read()
            .get(&datasource.id)
            .cloned()
            .ok_or_else(|| {
                Error::NotFound(format!("Data Source '{}' has no table", datasource.name))
            })
    }

    /// Appends batches (in the data source's schema) to a data source. The returned future
    /// resolves once the rows are in the write-ahead log and visible; `wait` makes it resolve
    /// only after the Delta commit that holds them.
    pub async fn append(
        &self,
        datasource: &DataSource,
        batches: Vec<RecordBatch>,
        wait: bool,
    ) -> Result<u64> {
        let table = self.table(datasource)?;
        table.append(batches, wait).await
    }

    /// Deletes every row of a data source or quarantine table; returns how many it had.
    pub async fn truncate(&self, datasource: &DataSource) -> Result<u64> {
        self.table(datasource)?.truncate().await
    }

    /// Commits every buffered row now (used at shutdown and by tests of durability).
    pub async fn flush_all(&self) -> Result<()> {
        self.ops_log.flush_pending().await?;
        self.pipe_stats.flush_pending().await?;
        let mut tables: Vec<_> = self.tables.read().values().cloned().collect();
        tables.push(self.ops_log.table().clone());
        tables.push(self.pipe_stats.table().clone());
        for table in tables {
            table.flush().await?;
        }
        Ok(())
    }
}
