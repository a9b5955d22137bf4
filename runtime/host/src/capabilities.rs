//! The host side of `colibri:platform`: every call is checked against the principal the host
//! resolved for the request, then served by the storage layer and the query engine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use colibri_query::{QueryEngine, QueryError, Settings, TableResolver};
use colibri_storage::{
    Append, DataSource, NewDataSource, OPS_LOG_TABLE, PIPE_STATS_TABLE, Staged, Stager, Storage,
};
use datafusion::catalog::TableProvider;

use crate::auth::Principal;
use crate::jobs::{Jobs, Replay};

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "colibri:platform/guest",
    imports: { default: async },
});

use colibri::platform::types::{
    Column, Datasource, Error, ErrorKind, NewDatasource, NewPipe, Pipe, Workspace,
};

/// The native services shared by every request.
pub struct Services {
    pub storage: Arc<Storage>,
    pub query: QueryEngine,
    pub jobs: Jobs,
    pub sizes: Sizes,
}

pub use colibri::platform::limits::Sizes;

impl Services {
    /// Removes the committed rows of a data source for which `condition` is true (NULL keeps
    /// a row, as ClickHouse's DELETE does) and adds `added`, in one commit; returns the rows
    /// before and the rows kept.
    pub(crate) async fn rewrite_where(
        &self,
        target: &DataSource,
        condition: &str,
        added: Vec<Staged>,
    ) -> Result<(u64, u64), colibri_storage::Error> {
        let table = self.storage.table(target)?;
        let query = &self.query;
        let kept = format!("({condition}) IS NOT TRUE");
        table
            .rewrite(
                |committed| async move {
                    OneTable::new(target, committed)
                        .select_where(query, &kept)
                        .await
                        .map_err(|e| colibri_storage::Error::Invalid(e.message))
                },
                added,
            )
            .await
    }

    /// How many rows of a data source `condition` is true for.
    pub(crate) async fn count_where(
        &self,
        target: &DataSource,
        condition: &str,
    ) -> Result<u64, QueryError> {
        let rows = self
            .storage
            .table(target)
            .map_err(|e| {
                QueryError::bad_request(colibri_query::codes::UNKNOWN_TABLE, e.to_string())
            })?
            .view();
        let one_table = OneTable::new(target, rows);
        let sql = format!("SELECT count() FROM `{}` WHERE {condition}", one_table.name);
        let batches = self.query.collect(&sql, &one_table).await?;
        let counts =
            arrow::compute::cast(batches[0].column(0), &arrow::datatypes::DataType::UInt64)
                .map_err(|e| {
                    QueryError::bad_request(colibri_query::codes::LOGICAL_ERROR, e.to_string())
                })?;
        Ok(counts
            .as_any()
            .downcast_ref::<arrow::array::UInt64Array>()
            .map_or(0, |c| c.value(0)))
    }
}

/// What a component instance may reach: the services, as the request's principal.
pub struct Capabilities {
    pub services: Arc<Services>,
    pub principal: Arc<Principal>,
    /// The component serving the request (a job it queues replays to it).
    pub component: String,
    /// The request's `x-request-id`, logged with the operations it makes.
    pub request_id: String,
    /// The ops-log event type of this request's appends (`append-hfi` for the Events API).
    pub append_event: &'static str,
    /// Rows this request staged, until `commit-staged`.
    pub staged: Vec<(DataSource, Stager)>,
    /// The ids of the data sources this request created.
    pub created: Vec<String>,
    /// What this request's queries read and returned.
    pub tally: Arc<QueryTally>,
}

/// What the queries of one request read and returned (for `tinybird.pipe_stats_rt`).
#[derive(Debug, Default)]
pub struct QueryTally {
    pub rows_read: AtomicU64,
    pub bytes_read: AtomicU64,
    pub result_rows: AtomicU64,
}

impl QueryTally {
    fn add(&self, output: &colibri_query::QueryOutput) {
        self.rows_read
            .fetch_add(output.rows_read, Ordering::Relaxed);
        self.bytes_read
            .fetch_add(output.bytes_read, Ordering::Relaxed);
        self.result_rows
            .fetch_add(output.result_rows, Ordering::Relaxed);
    }
}

fn error(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error {
        kind,
        message: message.into(),
        code: None,
    }
}

impl From<colibri_storage::Error> for Error {
    fn from(e: colibri_storage::Error) -> Error {
        use colibri_storage::Error as E;
        let kind = match &e {
            E::Invalid(_) => ErrorKind::BadRequest,
            E::NotFound(_) => ErrorKind::NotFound,
            E::Conflict(_) => ErrorKind::Conflict,
            _ => ErrorKind::Internal,
        };
        error(kind, e.to_string())
    }
}

impl From<QueryError> for Error {
    fn from(e: QueryError) -> Error {
        let kind = match e.kind {
            colibri_query::ErrorKind::BadRequest => ErrorKind::BadRequest,
            colibri_query::ErrorKind::Forbidden => ErrorKind::Forbidden,
            colibri_query::ErrorKind::Timeout => ErrorKind::Timeout,
            colibri_query::ErrorKind::Internal => ErrorKind::Internal,
        };
        Error {
            kind,
            message: e.message,
            code: Some(e.code),
        }
    }
}

/// The record batches of an Arrow IPC stream sent by a guest.
fn decode_ipc(stream: &[u8]) -> Result<Vec<arrow::record_batch::RecordBatch>, Error> {
    Ok(decode_ipc_with_schema(stream)?.1)
}

/// The schema and record batches of an Arrow IPC stream sent by a guest.
fn decode_ipc_with_schema(
    stream: &[u8],
) -> Result<
    (
        arrow::datatypes::SchemaRef,
        Vec<arrow::record_batch::RecordBatch>,
    ),
    Error,
> {
    let reader = StreamReader::try_new(stream, None).map_err(|e| {
        error(
            ErrorKind::BadRequest,
            format!("not an Arrow IPC stream: {e}"),
        )
    })?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| error(ErrorKind::BadRequest, format!("bad Arrow IPC stream: {e}")))?;
    Ok((schema, batches))
}

/// A time as the API prints it: UTC, `YYYY-MM-DD HH:MM:SS.ffffff`.
pub(crate) fn format_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

impl Capabilities {
    fn storage(&self) -> &Storage {
        &self.services.storage
    }

    /// A data source whose rows the caller may remove (truncate, delete): DATASOURCES:CREATE
    /// or DATASOURCES:DROP:<name>. `doing` names the operation in the error.
    fn removable(&self, datasource: &str, doing: &str) -> Result<DataSource, Error> {
        let target = self.existing(datasource)?;
        let catalog = self.storage().catalog();
        if !self.principal.can_create() && !self.principal.can_drop(catalog, &target) {
            return Err(error(
                ErrorKind::Forbidden,
                format!(
                    "{doing} '{}' needs the DATASOURCES:CREATE or DATASOURCES:DROP:{} scope",
                    target.name, target.name
                ),
            ));
        }
        Ok(target)
    }

    fn describe(&self, datasource: &DataSource) -> Datasource {
        let stats = self
            .storage()
            .table(datasource)
            .map(|t| t.stats())
            .unwrap_or_default();
        let quarantine_rows = self
            .storage()
            .catalog()
            .datasource(&DataSource::quarantine_name(&datasource.name))
            .and_then(|q| self.storage().table(&q).ok())
            .map(|t| t.stats().rows)
            .unwrap_or(0);
        Datasource {
            id: datasource.id.clone(),
            name: datasource.name.clone(),
            format: datasource.format.clone(),
            columns: datasource
                .columns
                .iter()
                .map(|c| Column {
                    name: c.name.clone(),
                    type_: c.type_name.clone(),
                    jsonpath: c.jsonpath.clone(),
                    default_value: c.default_value.clone(),
                })
                .collect(),
            engine: datasource.engine.clone(),
            sorting_key: datasource.sorting_key.clone(),
            partition_key: datasource.partition_key.clone(),
            engine_params: datasource
                .engine_params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            description: datasource.description.clone(),
            created_at: format_time(datasource.created_at),
            updated_at: format_time(datasource.updated_at),
            row_count: stats.rows,
            bytes: stats.bytes,
            quarantine_rows,
            new_columns_detected: datasource
                .new_columns_detected
                .iter()
                .map(|(path, type_name)| (path.clone(), type_name.clone()))
                .collect(),
        }
    }

    /// A data source the principal may append to.
    fn appendable(&self, name: &str) -> Result<DataSource, Error> {
        let catalog = self.storage().catalog();
        let target = self.existing(name)?;
        if !self.principal.can_append(catalog, &target) {
            return Err(error(
                ErrorKind::Forbidden,
                format!("Appending to '{name}' needs the DATASOURCES:APPEND:{name} scope"),
            ));
        }
        Ok(target)
    }

    /// Adds an append to the ops log; a quarantine table's rows are reported on its data
    /// source's row.
    /// Logs rows added to a table as this request's kind of append, or as `event_type`.
    fn log_append(
        &self,
        target: &DataSource,
        rows: u64,
        bytes: u64,
        started: Instant,
        event_type: Option<&'static str>,
    ) {
        let owner = self.quarantine_owner(target);
        self.storage().ops_log().add_append(Append {
            event_type: event_type.unwrap_or(self.append_event),
            datasource: owner.as_ref().unwrap_or(target),
            quarantine: owner.is_some(),
            request_id: &self.request_id,
            rows,
            bytes,
            elapsed: started.elapsed(),
        });
    }

    /// The data source a quarantine table belongs to (`None` for a data source).
    fn quarantine_owner(&self, target: &DataSource) -> Option<DataSource> {
        target
            .quarantine_of
            .as_deref()
            .and_then(|id| self.storage().catalog().datasource(id))
    }

    /// A data source that exists, or a not-found error naming it.
    fn existing(&self, name: &str) -> Result<DataSource, Error> {
        self.storage().catalog().datasource(name).ok_or_else(|| {
            error(
                ErrorKind::NotFound,
                format!("Data Source '{name}' does not exist"),
            )
        })
    }

    /// Logs an operation other than an append; a failure to log does not fail it.
    async fn log_operation(
        &self,
        event_type: &str,
        datasource: &DataSource,
        started: Instant,
        rows: Option<u64>,
    ) {
        let logged = self
            .storage()
            .ops_log()
            .log(
                event_type,
                datasource,
                &self.request_id,
                started.elapsed(),
                rows,
            )
            .await;
        if let Err(failure) = logged {
            tracing::warn!(%failure, datasource = %datasource.name, "logging a {event_type} failed");
        }
    }

    /// The rows of a data source as a query reads them; with `final_read`, folded by its
    /// engine.
    fn rows_of(
        &self,
        datasource: &DataSource,
        final_read: bool,
    ) -> Result<Arc<dyn TableProvider>, QueryError> {
        let table = self.storage().table(datasource).map_err(|e| {
            QueryError::new(
                colibri_query::ErrorKind::Internal,
                colibri_query::codes::LOGICAL_ERROR,
                e.to_string(),
            )
        })?;
        Ok(if final_read {
            table.final_view()
        } else {
            table.view()
        })
    }

    fn describe_pipe(&self, pipe: &colibri_storage::Pipe) -> Pipe {
        let catalog = self.storage().catalog();
        Pipe {
            id: pipe.id.clone(),
            name: pipe.name.clone(),
            definition: pipe.definition.to_string(),
            reads: pipe
                .reads
                .iter()
                .filter_map(|id| catalog.datasource(id).map(|d| d.name))
                .collect(),
            created_at: format_time(pipe.created_at),
            updated_at: format_time(pipe.updated_at),
        }
    }

    /// A pipe the caller may read, by name or id; 404 when there is none.
    fn readable_pipe(&self, name_or_id: &str) -> Result<colibri_storage::Pipe, Error> {
        let pipe = self.storage().catalog().pipe(name_or_id).ok_or_else(|| {
            error(
                ErrorKind::NotFound,
                format!("Pipe '{name_or_id}' not found"),
            )
        })?;
        if !self.principal.can_read_pipe(&pipe.name) {
            return Err(error(
                ErrorKind::Forbidden,
                format!(
                    "Not enough permissions for Pipe '{}': the token needs PIPES:READ:{}",
                    pipe.name, pipe.name
                ),
            ));
        }
        Ok(pipe)
    }

    /// What a pipe is saved as: its definition parsed and the data sources it reads, each
    /// readable by the caller.
    fn pipe_spec(&self, spec: NewPipe) -> Result<colibri_storage::NewPipe, Error> {
        if !self.principal.can_create_pipes() {
            return Err(error(
                ErrorKind::Forbidden,
                format!("Saving Pipe '{}' needs the PIPES:CREATE scope", spec.name),
            ));
        }
        let definition = serde_json::from_str(&spec.definition).map_err(|e| {
            error(
                ErrorKind::Internal,
                format!("the pipe's definition is not JSON: {e}"),
            )
        })?;
        let mut reads = Vec::new();
        for name in &spec.reads {
            let datasource = self.readable(name).map_err(Error::from)?;
            if !reads.contains(&datasource.id) {
                reads.push(datasource.id);
            }
        }
        Ok(colibri_storage::NewPipe {
            name: spec.name,
            definition,
            reads,
        })
    }

    /// A data source the principal may read, for a name or id used in SQL.
    fn readable(&self, name: &str) -> Result<DataSource, QueryError> {
        let catalog = self.storage().catalog();
        let datasource = catalog.datasource(name).ok_or_else(|| {
            QueryError::bad_request(
                colibri_query::codes::UNKNOWN_TABLE,
                format!("Table '{name}' doesn't exist"),
            )
        })?;
        if !self.principal.can_read(catalog, &datasource) {
            return Err(QueryError::new(
                colibri_query::ErrorKind::Forbidden,
                colibri_query::codes::ACCESS_DENIED,
                format!(
                    "Not enough permissions to read '{name}': the token needs DATASOURCES:READ:{name}"
                ),
            ));
        }
        Ok(datasource)
    }
}

/// The tables a condition on a data source's rows (delete, conditional replace) may read:
/// those rows, under the data source's name.
struct OneTable {
    name: String,
    rows: Arc<dyn TableProvider>,
}

impl OneTable {
    fn new(datasource: &DataSource, rows: Arc<dyn TableProvider>) -> OneTable {
        OneTable {
            name: datasource.name.replace('`', ""),
            rows,
        }
    }

    /// The rows for which the SQL condition `filter` is true.
    async fn select_where(
        &self,
        query: &QueryEngine,
        filter: &str,
    ) -> Result<Vec<arrow::record_batch::RecordBatch>, QueryError> {
        let sql = format!("SELECT * FROM `{}` WHERE {filter}", self.name);
        query.collect(&sql, self).await
    }
}

impl TableResolver for OneTable {
    fn resolve(&self, name: &str, _final_read: bool) -> Result<Arc<dyn TableProvider>, QueryError> {
        if name == self.name {
            return Ok(self.rows.clone());
        }
        Err(QueryError::bad_request(
            colibri_query::codes::UNKNOWN_TABLE,
            format!("A condition on a Data Source's rows reads only them, not '{name}'"),
        ))
    }
}

impl TableResolver for Capabilities {
    fn resolve(&self, name: &str, final_read: bool) -> Result<Arc<dyn TableProvider>, QueryError> {
        let service = match name {
            OPS_LOG_TABLE => Some(self.storage().ops_log().table()),
            PIPE_STATS_TABLE => Some(self.storage().pipe_stats().table()),
            _ => None,
        };
        if let Some(table) = service {
            if !self.principal.is_admin() {
                return Err(QueryError::new(
                    colibri_query::ErrorKind::Forbidden,
                    colibri_query::codes::ACCESS_DENIED,
                    format!("Reading {name} needs an admin token"),
                ));
            }
            return Ok(table.view());
        }
        let datasource = self.readable(name)?;
        self.rows_of(&datasource, final_read)
    }
}

/// The tables a pipe's endpoint reads: those its caller may read, and those the pipe reads.
struct ThroughPipe<'a> {
    capabilities: &'a Capabilities,
    /// Ids of the data sources the pipe reads.
    reads: Vec<String>,
}

impl TableResolver for ThroughPipe<'_> {
    fn resolve(&self, name: &str, final_read: bool) -> Result<Arc<dyn TableProvider>, QueryError> {
        match self.capabilities.storage().catalog().datasource(name) {
            Some(datasource) if self.reads.contains(&datasource.id) => {
                self.capabilities.rows_of(&datasource, final_read)
            }
            _ => self.capabilities.resolve(name, final_read),
        }
    }
}

impl colibri::platform::types::Host for Capabilities {}

impl colibri::platform::catalog::Host for Capabilities {
    async fn current_workspace(&mut self) -> Workspace {
        let workspace = self
            .storage()
            .catalog()
            .workspace()
            .expect("the workspace is created at start-up");
        Workspace {
            id: workspace.id,
            name: workspace.name,
        }
    }

    async fn get_datasource(&mut self, name_or_id: String) -> Result<Option<Datasource>, Error> {
        let catalog = self.storage().catalog();
        let found = catalog.datasource(&name_or_id);
        let name = found
            .as_ref()
            .map(|d| d.name.clone())
            .unwrap_or_else(|| name_or_id.clone());
        if !self.principal.can_see(catalog, &name) {
            return Err(error(
                ErrorKind::Forbidden,
                format!("Not enough permissions for Data Source '{name_or_id}'"),
            ));
        }
        Ok(found.map(|d| self.describe(&d)))
    }

    async fn create_datasource(&mut self, spec: NewDatasource) -> Result<Datasource, Error> {
        if !self.principal.can_create() {
            return Err(error(
                ErrorKind::Forbidden,
                format!(
                    "Creating Data Source '{}' needs the DATASOURCES:CREATE scope",
                    spec.name
                ),
            ));
        }
        let columns = spec
            .columns
            .into_iter()
            .map(|c| colibri_storage::ColumnDef {
                name: c.name,
                type_name: c.type_,
                jsonpath: c.jsonpath,
                default_value: c.default_value,
            })
            .collect();
        let started = Instant::now();
        let datasource = self
            .storage()
            .create_datasource(NewDataSource {
                name: spec.name,
                format: spec.format,
                columns,
                engine: spec.engine,
                engine_params: spec.engine_params.into_iter().collect(),
                description: spec.description,
            })
            .await?;
        if let Some(ttl) = crate::ttl::ttl_of(&datasource) {
            // An expression that cannot be evaluated on the rows is refused, not kept to fail
            // at every sweep.
            let condition = crate::ttl::expired_condition(ttl);
            if let Err(e) = self.services.count_where(&datasource, &condition).await {
                self.storage().drop_datasource(&datasource).await?;
                return Err(error(
                    ErrorKind::BadRequest,
                    format!("engine_ttl '{ttl}' cannot be evaluated: {}", e.message),
                ));
            }
        }
        self.log_operation("create", &datasource, started, None)
            .await;
        self.created.push(datasource.id.clone());
        Ok(self.describe(&datasource))
    }

    async fn drop_datasource(&mut self, name_or_id: String) -> Result<(), Error> {
        let target = self.existing(&name_or_id)?;
        // A request may undo what it created (an import that fails after creating its data
        // source leaves nothing behind).
        let created_here = self.created.contains(&target.id);
        if target.quarantine_of.is_some()
            || !(created_here || self.principal.can_drop(self.storage().catalog(), &target))
        {
            return Err(error(
                ErrorKind::Forbidden,
                format!(
                    "Dropping '{}' needs the DATASOURCES:DROP:{} scope",
                    target.name, target.name
                ),
            ));
        }
        let started = Instant::now();
        self.storage().drop_datasource(&target).await?;
        self.log_operation("delete", &target, started, None).await;
        Ok(())
    }

    async fn rename_datasource(
        &mut self,
        name_or_id: String,
        new_name: String,
    ) -> Result<Datasource, Error> {
        let target = self.existing(&name_or_id)?;
        if target.quarantine_of.is_some() || !self.principal.can_create() {
            return Err(error(
                ErrorKind::Forbidden,
                format!(
                    "Renaming '{}' needs the DATASOURCES:CREATE scope",
                    target.name
                ),
            ));
        }
        let started = Instant::now();
        let renamed = self
            .storage()
            .catalog()
            .rename_datasource(&target, &new_name)
            .await?;
        self.log_operation("rename", &renamed, started, None).await;
        Ok(self.describe(&renamed))
    }

    async fn record_new_columns(
        &mut self,
        datasource: String,
        columns: Vec<(String, String)>,
    ) -> Result<(), Error> {
        let target = self.appendable(&datasource)?;
        Ok(self
            .storage()
            .catalog()
            .record_new_columns(&target.id, &columns)
            .await?)
    }

    async fn dependent_pipes(&mut self, datasource: String) -> Result<Vec<String>, Error> {
        let target = self.existing(&datasource)?;
        Ok(self
            .storage()
            .catalog()
            .pipes()
            .into_iter()
            .filter(|pipe| pipe.reads.contains(&target.id))
            .map(|pipe| pipe.name)
            .collect())
    }

    async fn get_pipe(&mut self, name_or_id: String) -> Result<Option<Pipe>, Error> {
        match self.readable_pipe(&name_or_id) {
            Ok(pipe) => Ok(Some(self.describe_pipe(&pipe))),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn list_pipes(&mut self) -> Result<Vec<Pipe>, Error> {
        Ok(self
            .storage()
            .catalog()
            .pipes()
            .iter()
            .filter(|p| self.principal.can_read_pipe(&p.name))
            .map(|p| self.describe_pipe(p))
            .collect())
    }

    async fn create_pipe(&mut self, spec: NewPipe) -> Result<Pipe, Error> {
        let spec = self.pipe_spec(spec)?;
        let pipe = self.storage().catalog().create_pipe(spec).await?;
        Ok(self.describe_pipe(&pipe))
    }

    async fn update_pipe(&mut self, name_or_id: String, spec: NewPipe) -> Result<Pipe, Error> {
        let pipe = self.readable_pipe(&name_or_id)?;
        let spec = self.pipe_spec(spec)?;
        let updated = self.storage().catalog().update_pipe(&pipe, spec).await?;
        Ok(self.describe_pipe(&updated))
    }

    async fn drop_pipe(&mut self, name_or_id: String) -> Result<(), Error> {
        let pipe = self.readable_pipe(&name_or_id)?;
        if !self.principal.can_drop_pipe(&pipe.name) {
            return Err(error(
                ErrorKind::Forbidden,
                format!(
                    "Dropping Pipe '{}' needs the PIPES:DROP:{} scope",
                    pipe.name, pipe.name
                ),
            ));
        }
        Ok(self.storage().catalog().remove_pipe(&pipe).await?)
    }

    async fn list_datasources(&mut self) -> Result<Vec<Datasource>, Error> {
        let catalog = self.storage().catalog();
        Ok(catalog
            .datasources()
            .iter()
            .filter(|d| d.quarantine_of.is_none() && self.principal.can_read(catalog, d))
            .map(|d| self.describe(d))
            .collect())
    }
}

impl colibri::platform::storage::Host for Capabilities {
    async fn append(
        &mut self,
        datasource: String,
        arrow_ipc_stream: Vec<u8>,
        wait: bool,
    ) -> Result<u64, Error> {
        let target = self.appendable(&datasource)?;
        let batches = decode_ipc(&arrow_ipc_stream)?;
        let started = Instant::now();
        let rows = self.storage().append(&target, batches, wait).await?;
        self.log_append(&target, rows, arrow_ipc_stream.len() as u64, started, None);
        Ok(rows)
    }

    async fn stage(
        &mut self,
        datasource: String,
        arrow_ipc_stream: Vec<u8>,
        keep_where: Option<String>,
    ) -> Result<u64, Error> {
        let target = self.appendable(&datasource)?;
        let (schema, batches) = decode_ipc_with_schema(&arrow_ipc_stream)?;
        let batches = match keep_where {
            Some(condition) => {
                let incoming = datafusion::datasource::MemTable::try_new(schema, vec![batches])
                    .map_err(|e| error(ErrorKind::Internal, e.to_string()))?;
                let rows = OneTable::new(&target, Arc::new(incoming));
                rows.select_where(&self.services.query, &format!("({condition}) IS TRUE"))
                    .await?
            }
            None => batches,
        };
        let table = self.storage().table(&target)?;
        let index = match self.staged.iter().position(|(d, _)| d.id == target.id) {
            Some(index) => index,
            None => {
                self.staged.push((target, table.stager()?));
                self.staged.len() - 1
            }
        };
        Ok(table
            .stage_piece(&mut self.staged[index].1, &batches)
            .await?)
    }

    async fn commit_staged(
        &mut self,
        replace: Option<colibri::platform::storage::Replacement>,
    ) -> Result<(), Error> {
        let condition = replace.as_ref().and_then(|r| r.condition.clone());
        let replaced = match replace.map(|r| r.datasource) {
            Some(name) => {
                let target = self.appendable(&name)?;
                if !self.principal.can_create() {
                    return Err(error(
                        ErrorKind::Forbidden,
                        format!(
                            "Replacing the rows of '{name}' needs the DATASOURCES:CREATE scope"
                        ),
                    ));
                }
                Some(target)
            }
            None => None,
        };
        let mut by_table: Vec<(DataSource, Vec<Staged>)> = Vec::new();
        if let Some(target) = &replaced {
            by_table.push((target.clone(), Vec::new()));
        }
        for (target, stager) in std::mem::take(&mut self.staged) {
            let staged = stager.finish().await?;
            match by_table.iter_mut().find(|(d, _)| d.id == target.id) {
                Some((_, parts)) => parts.push(staged),
                None => by_table.push((target, vec![staged])),
            }
        }
        for (target, parts) in by_table {
            let started = Instant::now();
            let bytes = parts.iter().map(|p| p.bytes).sum();
            let replace = replaced.as_ref().is_some_and(|r| r.id == target.id);
            let table = self.storage().table(&target)?;
            let rows = match condition.as_deref().filter(|_| replace) {
                // DS-M7: the existing rows the condition matches go, the staged rows (already
                // filtered by it) come, in one commit.
                Some(condition) => {
                    let rows = parts.iter().map(|p| p.rows).sum();
                    self.services
                        .rewrite_where(&target, condition, parts)
                        .await?;
                    rows
                }
                None => table.commit_staged(parts, replace).await?,
            };
            // A replace's rows, and its quarantined ones, are logged as `replace` (DS-R8).
            let replacing = replaced.as_ref().is_some_and(|r| {
                r.id == target.id || target.quarantine_of.as_deref() == Some(r.id.as_str())
            });
            let event_type = replacing.then_some("replace");
            self.log_append(&target, rows, bytes, started, event_type);
        }
        Ok(())
    }

    async fn truncate(&mut self, datasource: String) -> Result<u64, Error> {
        let target = self.removable(&datasource, "Truncating")?;
        let started = Instant::now();
        let rows = self.storage().truncate(&target).await?;
        let owner = self.quarantine_owner(&target);
        self.log_operation(
            "truncate",
            owner.as_ref().unwrap_or(&target),
            started,
            Some(rows),
        )
        .await;
        Ok(rows)
    }

    async fn delete_where(&mut self, datasource: String, condition: String) -> Result<u64, Error> {
        let target = self.removable(&datasource, "Deleting rows of")?;
        let started = Instant::now();
        let (before, after) = self
            .services
            .rewrite_where(&target, &condition, Vec::new())
            .await?;
        // DS-D7: a deletion is logged with the rows the data source had.
        self.log_operation("delete", &target, started, Some(before))
            .await;
        Ok(before.saturating_sub(after))
    }

    async fn read(&mut self, datasource: String) -> Result<Vec<u8>, Error> {
        let table = self.readable(&datasource)?;
        let sql = format!("SELECT * FROM `{}`", table.name.replace('`', ""));
        let batches = self.services.query.collect(&sql, self).await?;
        let table = self.storage().table(&table)?;
        let mut out = Vec::new();
        let mut writer = StreamWriter::try_new(&mut out, &table.schema())
            .map_err(|e| error(ErrorKind::Internal, e.to_string()))?;
        for batch in &batches {
            writer
                .write(&table.as_stored(batch)?)
                .map_err(|e| error(ErrorKind::Internal, e.to_string()))?;
        }
        writer
            .finish()
            .map_err(|e| error(ErrorKind::Internal, e.to_string()))?;
        drop(writer);
        Ok(out)
    }
}

/// The output settings a guest passes as name/value pairs.
fn output_settings(pairs: &[(String, String)]) -> Settings {
    Settings::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

impl From<colibri_query::QueryOutput> for colibri::platform::query::Output {
    fn from(output: colibri_query::QueryOutput) -> Self {
        colibri::platform::query::Output {
            content_type: output.content_type.to_string(),
            body: output.body,
        }
    }
}

impl colibri::platform::query::Host for Capabilities {
    async fn execute(
        &mut self,
        sql: String,
        settings: Vec<(String, String)>,
    ) -> Result<colibri::platform::query::Output, Error> {
        let settings = output_settings(&settings);
        let output = self.services.query.execute(&sql, &settings, self).await?;
        self.tally.add(&output);
        Ok(output.into())
    }

    async fn check(&mut self, nodes: Vec<(String, String)>) -> Result<Vec<String>, Error> {
        let Some(((_, last), earlier)) = nodes.split_last() else {
            return Err(error(ErrorKind::BadRequest, "There is no node to check"));
        };
        let sql = colibri_query::with_nodes(earlier, last);
        Ok(self.services.query.check(&sql, self).await?)
    }

    async fn tables(&mut self, sql: String) -> Result<Vec<String>, Error> {
        Ok(self.services.query.tables(&sql)?)
    }

    async fn execute_for_pipe(
        &mut self,
        pipe: String,
        nodes: Vec<(String, String)>,
        query: Option<String>,
        settings: Vec<(String, String)>,
    ) -> Result<colibri::platform::query::Output, Error> {
        let pipe = self.readable_pipe(&pipe)?;
        let Some(((_, last), earlier)) = nodes.split_last() else {
            return Err(error(ErrorKind::BadRequest, "The pipe has no node to run"));
        };
        let sql = match &query {
            None => colibri_query::with_nodes(earlier, last),
            Some(query) => {
                // The caller's own SQL reads the nodes, `_`, and what the caller may read.
                for table in self.services.query.tables(query)? {
                    if table != "_" && !nodes.iter().any(|(name, _)| *name == table) {
                        self.resolve(&table, false)?;
                    }
                }
                let mut all = nodes.clone();
                all.push(("_".to_string(), last.clone()));
                colibri_query::with_nodes(&all, query)
            }
        };
        let settings = output_settings(&settings);
        let through = ThroughPipe {
            capabilities: self,
            reads: pipe.reads,
        };
        let output = self
            .services
            .query
            .execute(&sql, &settings, &through)
            .await?;
        self.tally.add(&output);
        Ok(output.into())
    }

    async fn encode(
        &mut self,
        arrow_ipc_stream: Vec<u8>,
        format: String,
        settings: Vec<(String, String)>,
    ) -> Result<colibri::platform::query::Output, Error> {
        let settings = output_settings(&settings);
        let (schema, batches) = decode_ipc_with_schema(&arrow_ipc_stream)?;
        let output = self
            .services
            .query
            .encode(&format, &schema, &batches, &settings)?;
        Ok(output.into())
    }
}

impl colibri::platform::auth::Host for Capabilities {
    async fn current_principal(&mut self) -> colibri::platform::auth::Principal {
        colibri::platform::auth::Principal {
            token_name: self.principal.token_name.clone(),
            scopes: self.principal.scope_texts.clone(),
            job: self.principal.job.clone(),
        }
    }
}

impl Capabilities {
    fn may_manage_tokens(&self) -> Result<(), Error> {
        if !self.principal.can_manage_tokens() {
            return Err(error(
                ErrorKind::Forbidden,
                "Managing tokens needs the ADMIN or TOKENS scope",
            ));
        }
        Ok(())
    }

    /// The token `token` names (by name, id or value), when the caller may manage tokens.
    fn managed_token(&self, token: &str) -> Result<Option<colibri_storage::Token>, Error> {
        self.may_manage_tokens()?;
        Ok(self.storage().catalog().token(token))
    }

    /// A conflict (a 400, as TOK-11 says) when a token is called `name` already.
    fn token_name_free(&self, name: &str) -> Result<(), Error> {
        match self.storage().catalog().token_by_name(name) {
            Some(_) => Err(error(
                ErrorKind::BadRequest,
                format!("A token named '{name}' already exists"),
            )),
            None => Ok(()),
        }
    }

    fn existing_token(&self, token: &str) -> Result<colibri_storage::Token, Error> {
        self.managed_token(token)?
            .ok_or_else(|| error(ErrorKind::NotFound, format!("Token '{token}' not found")))
    }

    fn canonical_scopes(&self, scopes: &[String]) -> Result<Vec<String>, Error> {
        let catalog = self.storage().catalog();
        scopes
            .iter()
            .map(|s| crate::auth::canonical_scope(s, catalog))
            .collect::<Result<_, _>>()
            .map_err(|e| error(ErrorKind::BadRequest, e))
    }

    fn new_token_value(&self) -> String {
        let workspace = self.storage().catalog().workspace();
        crate::auth::mint_token(&workspace.map(|w| w.id).unwrap_or_default())
    }
}

fn describe_token(token: colibri_storage::Token) -> colibri::platform::tokens::Token {
    colibri::platform::tokens::Token {
        id: token.id,
        name: token.name,
        description: token.description,
        scopes: token.scopes,
        token: token.token,
    }
}

impl colibri::platform::tokens::Host for Capabilities {
    async fn list_tokens(&mut self) -> Result<Vec<colibri::platform::tokens::Token>, Error> {
        self.may_manage_tokens()?;
        Ok(self
            .storage()
            .catalog()
            .tokens()
            .into_iter()
            .map(describe_token)
            .collect())
    }

    async fn get_token(
        &mut self,
        token: String,
    ) -> Result<Option<colibri::platform::tokens::Token>, Error> {
        Ok(self.managed_token(&token)?.map(describe_token))
    }

    async fn create_token(
        &mut self,
        name: String,
        description: String,
        scopes: Vec<String>,
    ) -> Result<colibri::platform::tokens::Token, Error> {
        self.may_manage_tokens()?;
        if name.trim().is_empty() {
            return Err(error(ErrorKind::BadRequest, "A token needs a name"));
        }
        self.token_name_free(&name)?;
        let scopes = self.canonical_scopes(&scopes)?;
        let token = colibri_storage::Token::new(&name, description, self.new_token_value(), scopes);
        Ok(describe_token(
            self.storage().catalog().save_token(token).await?,
        ))
    }

    async fn update_token(
        &mut self,
        token: String,
        name: Option<String>,
        description: Option<String>,
        scopes: Option<Vec<String>>,
    ) -> Result<colibri::platform::tokens::Token, Error> {
        let mut target = self.existing_token(&token)?;
        if let Some(name) = name.filter(|n| *n != target.name) {
            self.token_name_free(&name)?;
            target.name = name;
        }
        if let Some(description) = description {
            target.description = description;
        }
        if let Some(scopes) = scopes {
            target.scopes = self.canonical_scopes(&scopes)?;
        }
        Ok(describe_token(
            self.storage().catalog().save_token(target).await?,
        ))
    }

    async fn refresh_token(
        &mut self,
        token: String,
    ) -> Result<colibri::platform::tokens::Token, Error> {
        let mut target = self.existing_token(&token)?;
        target.token = self.new_token_value();
        Ok(describe_token(
            self.storage().catalog().save_token(target).await?,
        ))
    }

    async fn delete_token(&mut self, token: String) -> Result<(), Error> {
        let target = self.existing_token(&token)?;
        if target.name == self.principal.token_name {
            return Err(error(
                ErrorKind::Forbidden,
                format!("Token '{}' cannot delete itself", target.name),
            ));
        }
        Ok(self.storage().catalog().remove_token(&target).await?)
    }
}

impl colibri::platform::jobs::Host for Capabilities {
    async fn submit(&mut self, spec: colibri::platform::jobs::JobSpec) -> Result<String, Error> {
        if let Some(url) = &spec.url {
            crate::remote::check(url).map_err(|e| error(ErrorKind::BadRequest, e))?;
        }
        let mut fields = serde_json::Map::new();
        for (key, value) in spec.details {
            let value = serde_json::from_str(&value).map_err(|e| {
                error(
                    ErrorKind::Internal,
                    format!("job detail {key} is not JSON: {e}"),
                )
            })?;
            fields.insert(key, value);
        }
        let replay = Replay {
            component: self.component.clone(),
            token_name: self.principal.token_name.clone(),
            path_and_query: spec.path_and_query,
            url: spec.url,
        };
        let job = self
            .services
            .jobs
            .submit(spec.kind, spec.datasource, fields, replay)
            .await?;
        Ok(job.to_json().to_string())
    }

    async fn visible(&mut self) -> Result<Vec<String>, Error> {
        Ok(self
            .services
            .jobs
            .visible(&self.principal)
            .iter()
            .map(|job| job.to_json().to_string())
            .collect())
    }

    async fn get(&mut self, id: String) -> Result<Option<String>, Error> {
        let Some(job) = self.services.jobs.get(&id) else {
            return Ok(None);
        };
        if !job.visible_to(&self.principal) {
            return Err(error(
                ErrorKind::Forbidden,
                format!("The token has no access to job {id}"),
            ));
        }
        Ok(Some(job.to_json().to_string()))
    }

    async fn cancel(&mut self, id: String) -> Result<String, Error> {
        let not_found = || error(ErrorKind::NotFound, format!("Job {id} does not exist"));
        // Checks that the job exists and that the caller may see it.
        self.get(id.clone()).await?.ok_or_else(not_found)?;
        let mut cancelled = false;
        let job = self
            .services
            .jobs
            .update(&id, |job| {
                if job.status == crate::jobs::Status::Waiting {
                    job.status = crate::jobs::Status::Cancelled;
                    cancelled = true;
                }
            })
            .ok_or_else(not_found)?;
        if !cancelled {
            return Err(error(
                ErrorKind::BadRequest,
                format!("Job {id} cannot be cancelled: only waiting jobs can"),
            ));
        }
        Ok(job.to_json().to_string())
    }
}

impl colibri::platform::remote::Host for Capabilities {
    async fn fetch(
        &mut self,
        url: String,
        max_bytes: u64,
    ) -> Result<colibri::platform::remote::Fetched, Error> {
        let (name, bytes, truncated) = crate::remote::head(&url, max_bytes as usize)
            .await
            .map_err(|e| error(ErrorKind::BadRequest, e))?;
        Ok(colibri::platform::remote::Fetched {
            name,
            bytes,
            truncated,
        })
    }
}

impl colibri::platform::limits::Host for Capabilities {
    async fn current_sizes(&mut self) -> Sizes {
        self.services.sizes
    }
}
