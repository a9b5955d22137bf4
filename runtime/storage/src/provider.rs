//! The DataFusion views of a table: the committed Delta snapshot (cast from the physical
//! schema to the one queries read) unioned with the rows still in the write buffer; and, for engines that
//! fold, the same rows read in insertion order and folded, as `SELECT ... FINAL` reads them.
//! The plain view carries the table's exact statistics (`statistics.rs`).

use std::sync::Arc;

use arrow::datatypes::{DataType, Schema, SchemaRef};
use async_trait::async_trait;
use deltalake::datafusion::catalog::{Session, TableProvider};
use deltalake::datafusion::common::Result as DfResult;
use deltalake::datafusion::datasource::listing::PartitionedFile;
use deltalake::datafusion::datasource::memory::MemorySourceConfig;
use deltalake::datafusion::datasource::physical_plan::parquet::{
    CachedParquetFileReaderFactory, ParquetFileReaderFactory,
};
use deltalake::datafusion::datasource::physical_plan::{
    FileGroup, FileScanConfigBuilder, ParquetSource,
};
use deltalake::datafusion::datasource::source::DataSourceExec;
use deltalake::datafusion::error::DataFusionError;
use deltalake::datafusion::logical_expr::{Expr, TableType};
use deltalake::datafusion::parquet::arrow::parquet_to_arrow_schema;
use deltalake::datafusion::physical_expr::expressions::{CastExpr, Column};
use deltalake::datafusion::physical_plan::ExecutionPlan;
use deltalake::datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
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

    /// A DataFusion table provider over a snapshot of the table, in the schema queries read.
    pub(crate) fn view_of(&self, snapshot: TableSnapshot) -> Arc<dyn TableProvider> {
        Arc::new(TableView {
            schema: self.queried.clone(),
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
            logical: self.schema(),
            queried: self.queried.clone(),
            engine: self.engine.clone(),
            snapshot: self.snapshot(),
        })
    }
}

/// A table folded by its engine's rule, computed when it is scanned.
struct FinalView {
    /// The schema rows are stored and folded in, and the one queries read them in.
    logical: SchemaRef,
    queried: SchemaRef,
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
        let mut batches = read_files(delta, &self.logical, &files).await?;
        if !self.snapshot.buffered.is_empty() {
            let buffered = arrow::compute::concat_batches(&self.logical, &self.snapshot.buffered)?;
            batches.push(self.engine.fold(&buffered, FoldFor::Merge)?);
        }
        let all = arrow::compute::concat_batches(&self.logical, &batches)?;
        physical::to_queried(&self.engine.fold(&all, FoldFor::Final)?, &self.queried)
    }
}

#[async_trait]
impl TableProvider for FinalView {
    fn schema(&self) -> SchemaRef {
        self.queried.clone()
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
            self.queried.clone(),
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
            let scan = parquet_scan(state, delta, &self.schema, &files, projection).await?;
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
        let buffered = self
            .snapshot
            .buffered
            .iter()
            .map(|batch| physical::to_queried(batch, &self.schema))
            .collect::<crate::Result<Vec<_>>>()
            .map_err(external)?;
        if !buffered.is_empty() || inputs.is_empty() {
            inputs.push(MemorySourceConfig::try_new_exec(
                std::slice::from_ref(&buffered),
                self.schema.clone(),
                projection.cloned(),
            )?);
        }
        Ok(ExactStatistics::wrap(
            UnionExec::try_new(inputs)?,
            delta.clone(),
            self.schema.clone(),
            buffered,
            projection,
        ))
    }
}

/// DataFusion's Parquet scan of the committed `files` of `delta`, in their physical schema
/// (the queried `schema` as stored, dictionaries read as such), projected. The files are
/// listed from the Delta snapshot the view holds; the table has no Delta partitions, deletion
/// vectors or column mapping, so a plain Parquet scan reads exactly what the snapshot holds,
/// and DataFusion applies its pruning (statistics, bloom filters, page index) and filter
/// pushdown to it directly.
async fn parquet_scan(
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
    let read_schema = physical::physical_schema(schema);
    let reads_dictionaries = read_schema
        .fields()
        .iter()
        .any(|field| matches!(field.data_type(), DataType::Dictionary(_, _)));
    let mut partitioned = Vec::with_capacity(files.len());
    for file in files {
        let mut partitioned_file = PartitionedFile::from(ObjectMeta {
            location: file.path.clone(),
            size: file.size,
            last_modified: chrono::DateTime::UNIX_EPOCH,
            e_tag: None,
            version: None,
        });
        if reads_dictionaries {
            let schema = read_as_dictionaries(&readers, &partitioned_file, &read_schema).await?;
            partitioned_file = partitioned_file.with_arrow_schema(schema);
        }
        partitioned.push(partitioned_file);
    }
    let source = ParquetSource::new(read_schema)
        .with_table_parquet_options(state.table_options().parquet.clone())
        .with_parquet_file_reader_factory(Arc::new(readers));
    let config = FileScanConfigBuilder::new(store_url, Arc::new(source))
        .with_file_groups(vec![FileGroup::new(partitioned)])
        .with_projection_indices(projection.cloned())?
        .build();
    Ok(DataSourceExec::from_data_source(config))
}

/// The schema to read `file` in: the one its footer records, with the text columns that
/// `read_schema` reads as dictionaries read as such. The Parquet reader then gives those
/// columns' values as dictionaries, as their pages store them, without decoding every value.
/// (The footer is read through the session's metadata cache, which the scan uses too.)
async fn read_as_dictionaries(
    readers: &CachedParquetFileReaderFactory,
    file: &PartitionedFile,
    read_schema: &SchemaRef,
) -> DfResult<SchemaRef> {
    let metadata = readers
        .create_reader(0, file.clone(), None, &ExecutionPlanMetricsSet::new())?
        .get_metadata(None)
        .await?;
    let footer = metadata.file_metadata();
    let stored = parquet_to_arrow_schema(footer.schema_descr(), footer.key_value_metadata())?;
    let fields = stored
        .fields()
        .iter()
        .map(|field| {
            let wanted = read_schema.field_with_name(field.name()).ok();
            match wanted.map(|wanted| wanted.data_type()) {
                Some(dictionary @ DataType::Dictionary(_, value))
                    if value.as_ref() == field.data_type() =>
                {
                    Arc::new(field.as_ref().clone().with_data_type(dictionary.clone()))
                }
                _ => field.clone(),
            }
        })
        .collect::<Vec<_>>();
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        stored.metadata().clone(),
    )))
}

fn external(error: crate::Error) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}
