//! The DataFusion view of a table: the committed Delta snapshot (cast from the physical to
//! the logical schema) unioned with the rows still in the write buffer.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use deltalake::datafusion::catalog::{Session, TableProvider};
use deltalake::datafusion::common::Result as DfResult;
use deltalake::datafusion::datasource::memory::MemorySourceConfig;
use deltalake::datafusion::logical_expr::{Expr, TableType};
use deltalake::datafusion::physical_expr::expressions::{CastExpr, Column};
use deltalake::datafusion::physical_plan::ExecutionPlan;
use deltalake::datafusion::physical_plan::projection::ProjectionExec;
use deltalake::datafusion::physical_plan::union::UnionExec;

use crate::table::{Table, TableSnapshot};

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
        let has_files = delta
            .snapshot()
            .map(|s| s.log_data().num_files() > 0)
            .unwrap_or(false);
        if has_files {
            delta.update_datafusion_session(state).map_err(|e| {
                deltalake::datafusion::error::DataFusionError::External(Box::new(e))
            })?;
            let provider = delta.table_provider().await.map_err(|e| {
                deltalake::datafusion::error::DataFusionError::External(Box::new(e))
            })?;
            let scan = provider.scan(state, projection, &[], None).await?;
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
        UnionExec::try_new(inputs)
    }
}
