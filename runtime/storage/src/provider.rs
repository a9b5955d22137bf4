//! The DataFusion views of a table: the committed Delta snapshot (cast from the physical to
//! the logical schema) unioned with the rows still in the write buffer; and, for engines that
//! fold, the same rows read in insertion order and folded, as `SELECT ... FINAL` reads them.
//! The plain view carries the table's exact statistics (`statistics.rs`).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use deltalake::datafusion::catalog::{Session, TableProvider};
use deltalake::datafusion::common::Result as DfResult;
use deltalake::datafusion::datasource::listing::PartitionedFile;
use deltalake::datafusion::datasource::memory::MemorySourceConfig;
use deltalake::datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use deltalake::datafusion::datasource::physical_plan::{
    FileGroup, FileScanConfigBuilder, ParquetSource,
};
use deltalake::datafusion::datasource::source::DataSourceExec;
use deltalake::datafusion::error::DataFusionError;
use deltalake::datafusion::logical_expr::{Expr, TableType};
use deltalake::datafusion::physical_expr::expressions::{CastExpr, Column};
use deltalake::datafusion::physical_plan::ExecutionPlan;
use deltalake::datafusion::physical_plan::projection::ProjectionExec;
use deltalake::datafusion::physical_plan::union::UnionExec;
use deltalake::{DeltaTable, ObjectMeta};

use arrow::record_batch::RecordBatch;

use crate::engine::{Engine, FoldFor};
use crate::physical;
use crate::statistics::ExactStatistics;
use crate::table::{CommittedFile, Table, TableSnapshot, files_in_insertion_order, read_files};

/// A table as DataFusion reads it, frozen at the moment it was created.
pub struct TableView {
    schema: SchemaRef,
    snapshot: TableSnapshot,
}

impl std::fmt::Debug for TableView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableView")
            .field("schema", &self.schema)
            .finish()
    }
}

impl Table {
    /// A DataFusion table provider over what the table holds now.
    pub fn view(&self) -> Arc<dyn TableProvider> {
        self.view_of(self.snapshot())
    }

    /// A DataFusion table provider over a snapshot of the table.
    pub(crate) fn view_of(&self, snapshot: TableSnapshot) -> Arc<dyn TableProvider> {
        Arc::new(TableView {
            schema: self.schema(),
            snapshot,
        })
    }

    /// The table as `SELECT ... FINAL` reads it: every row folded by the engine's rule (the
    /// plain view for MergeTree, whose merges change nothing).
    pub fn final_view(&self) -> Arc<dyn TableProvider> {
        if !self.engine.folds() {
            return self.view();
        }
        Arc::new(FinalView {
            schema: self.schema(),
            engine: self.engine.clone(),
            snapshot: self.snapshot(),
        })
    }
}

/// A table folded by its engine's rule, computed when it is scanned.
struct FinalView {
    schema: SchemaRef,
    engine: Engine,
    snapshot: TableSnapshot,
}

impl std::fmt::Debug for FinalView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinalView")
            .field("engine", &self.engine)
            .finish()
    }
}

impl FinalView {
    /// The committed files are folded blocks already; the buffered rows are folded as the one
    /// block they will be committed as, then everything is folded for the final read.
    async fn folded(&self) -> crate::Result<RecordBatch> {
        let delta = &self.snapshot.delta;
        let files = files_in_insertion_order(delta)?;
        let mut batches = read_files(delta, &self.schema, &files).await?;
        if !self.snapshot.buffered.is_empty() {
            let buffered = arrow::compute::concat_batches(&self.schema, &self.snapshot.buffered)?;
            batches.push(self.engine.fold(&buffered, FoldFor::Merge)?);
        }
        let all = arrow::compute::concat_batches(&self.schema, &batches)?;
        self.engine.fold(&all, FoldFor::Final)
    }
}

#[async_trait]
impl TableProvider for FinalView {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let folded = self
            .folded()
            .await
            .map_err(|e| deltalake::datafusion::error::DataFusionError::External(Box::new(e)))?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![folded]],
            self.schema.clone(),
            projection.cloned(),
        )?)
    }
}

#[async_trait]
impl TableProvider for TableView {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let projected = match projection {
            Some(indices) => Arc::new(self.schema.project(indices)?),
            None => self.schema.clone(),
        };
        let mut inputs: Vec<Arc<dyn ExecutionPlan>> = Vec::new();

        let delta = &self.snapshot.delta;
        let files = files_in_insertion_order(delta).map_err(external)?;
        if !files.is_empty() {
            let scan = parquet_scan(state, delta, &self.schema, &files, projection)?;
            let scan_schema = scan.schema();
            let casts = projected
                .fields()
                .iter()
                .enumerate()
                .map(|(i, field)| {
                    let column = Arc::new(Column::new(scan_schema.field(i).name(), i));
                    let expr: Arc<dyn deltalake::datafusion::physical_expr::PhysicalExpr> =
                        if scan_schema.field(i).data_type() == field.data_type() {
                            column
                        } else {
                            Arc::new(CastExpr::new(column, field.data_type().clone(), None))
                        };
                    (expr, field.name().clone())
                })
                .collect::<Vec<_>>();
            inputs.push(Arc::new(ProjectionExec::try_new(casts, scan)?));
        }
        if !self.snapshot.buffered.is_empty() || inputs.is_empty() {
            inputs.push(MemorySourceConfig::try_new_exec(
                std::slice::from_ref(&self.snapshot.buffered),
                self.schema.clone(),
                projection.cloned(),
            )?);
        }
        Ok(ExactStatistics::wrap(
            UnionExec::try_new(inputs)?,
            delta.clone(),
            self.schema.clone(),
            self.snapshot.buffered.clone(),
            projection,
        ))
    }
}

/// DataFusion's Parquet scan of the committed `files` of `delta`, in their physical schema
/// (the logical `schema` as stored), projected. The files are listed from the Delta snapshot
/// the view holds; the table has no Delta partitions, deletion vectors or column mapping, so
/// a plain Parquet scan reads exactly what the snapshot holds, and DataFusion applies its
/// pruning (statistics, bloom filters, page index) and filter pushdown to it directly.
fn parquet_scan(
    state: &dyn Session,
    delta: &DeltaTable,
    schema: &SchemaRef,
    files: &[CommittedFile],
    projection: Option<&Vec<usize>>,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    // The table's store, rooted at the table, under the URL deltalake names it by.
    let store_url = delta.log_store().object_store_url();
    let runtime = state.runtime_env();
    let store = match runtime.object_store(&store_url) {
        Ok(store) => store,
        Err(_) => {
            let store = delta.object_store();
            runtime.register_object_store(store_url.as_ref(), store.clone());
            store
        }
    };
    let readers =
        CachedParquetFileReaderFactory::new(store, runtime.cache_manager.get_file_metadata_cache());
    let source = ParquetSource::new(physical::physical_schema(schema))
        .with_table_parquet_options(state.table_options().parquet.clone())
        .with_parquet_file_reader_factory(Arc::new(readers));
    let files = files
        .iter()
        .map(|file| {
            PartitionedFile::from(ObjectMeta {
                location: file.path.clone(),
                size: file.size,
                last_modified: chrono::DateTime::UNIX_EPOCH,
                e_tag: None,
                version: None,
            })
        })
        .collect::<Vec<_>>();
    let config = FileScanConfigBuilder::new(store_url, Arc::new(source))
        .with_file_groups(vec![FileGroup::new(files)])
        .with_projection_indices(projection.cloned())?
        .build();
    Ok(DataSourceExec::from_data_source(config))
}

fn external(error: crate::Error) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}
