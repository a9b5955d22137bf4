//! Colibri's query engine: ClickHouse SQL on Apache DataFusion. It parses with the ClickHouse
//! dialect, accepts only read statements, resolves every table through a caller-supplied
//! resolver (which is where authorisation happens), runs with ClickHouse functions and
//! encodes results in ClickHouse's output formats. It holds no data and knows no HTTP.

mod coercion;
mod dialect;
mod format;
mod functions;
mod nodes;
mod rewrite;
mod semantics;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::record_batch::RecordBatch;
use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, MemoryCatalogProvider, MemoryCatalogProviderList,
    MemorySchemaProvider, TableProvider,
};
use datafusion::execution::context::SessionState;
use datafusion::execution::{FunctionRegistry, SessionStateBuilder};
use datafusion::optimizer::{Analyzer, AnalyzerRule};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::aggregate_statistics::AggregateStatistics;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{SessionConfig, SessionContext};

pub use format::{Format, Settings};
pub use nodes::with_nodes;

/// Longest SQL text accepted.
pub const MAX_SQL_BYTES: usize = 8 * 1024;
/// Longest time a query may run.
pub const MAX_EXECUTION_TIME: Duration = Duration::from_secs(10);
/// Largest encoded result.
pub const MAX_RESULT_BYTES: usize = 100 * 1024 * 1024;

/// The schema service data sources live in (`tinybird.datasources_ops_log`).
pub const SERVICE_SCHEMA: &str = "tinybird";

/// Why a query failed, with the HTTP-facing class and the ClickHouse error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub kind: ErrorKind,
    pub message: String,
    pub code: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Forbidden,
    Timeout,
    Internal,
}

/// ClickHouse error codes Colibri produces.
pub mod codes {
    pub const SYNTAX_ERROR: u32 = 62;
    pub const UNKNOWN_TABLE: u32 = 60;
    pub const UNKNOWN_IDENTIFIER: u32 = 47;
    pub const UNKNOWN_FUNCTION: u32 = 46;
    pub const BAD_ARGUMENTS: u32 = 36;
    pub const UNKNOWN_FORMAT: u32 = 73;
    pub const TIMEOUT_EXCEEDED: u32 = 159;
    pub const TOO_MANY_BYTES: u32 = 307;
    pub const READONLY: u32 = 164;
    pub const ACCESS_DENIED: u32 = 497;
    pub const EMPTY_QUERY: u32 = 211;
    pub const QUERY_IS_TOO_LARGE: u32 = 393;
    pub const LOGICAL_ERROR: u32 = 49;
}

impl QueryError {
    pub fn new(kind: ErrorKind, code: u32, message: impl Into<String>) -> Self {
        QueryError {
            kind,
            message: message.into(),
            code,
        }
    }

    pub fn bad_request(code: u32, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, message)
    }

    fn from_datafusion(error: datafusion::error::DataFusionError) -> Self {
        let message = error.to_string();
        let code = if message.contains("not found") && message.contains("table") {
            codes::UNKNOWN_TABLE
        } else if message.contains("Invalid function")
            || message.contains("function") && message.contains("not found")
        {
            codes::UNKNOWN_FUNCTION
        } else if message.contains("No field named") || message.contains("Schema error") {
            codes::UNKNOWN_IDENTIFIER
        } else if message.contains("SQL error") || message.contains("ParserError") {
            codes::SYNTAX_ERROR
        } else {
            codes::BAD_ARGUMENTS
        };
        Self::bad_request(code, message)
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}

pub type Result<T, E = QueryError> = std::result::Result<T, E>;

/// Resolves the tables a statement names. Implementations check the caller's rights and
/// answer `Forbidden` or an unknown-table error.
pub trait TableResolver: Send + Sync {
    /// The table called `name`; with `final_read` (`FROM t FINAL`), its rows folded by the
    /// table's engine.
    fn resolve(&self, name: &str, final_read: bool) -> Result<Arc<dyn TableProvider>>;
}

/// An encoded query result.
#[derive(Debug)]
pub struct QueryOutput {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Rows and bytes the query read, and rows it returned.
    pub rows_read: u64,
    pub bytes_read: u64,
    pub result_rows: u64,
}

/// The shared, immutable part of every query session: configuration and functions.
pub struct QueryEngine {
    state: SessionState,
}

impl Default for QueryEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl QueryEngine {
    pub fn new() -> Self {
        Self::with_rule_after_aggregate_statistics(None)
    }

    /// An engine whose physical optimizer also runs `rule` right after DataFusion's
    /// `AggregateStatistics` (the storage layer's, which removes the statistics it gave).
    pub fn with_rule_after_aggregate_statistics(
        rule: Option<Arc<dyn PhysicalOptimizerRule + Send + Sync>>,
    ) -> Self {
        let config = SessionConfig::new()
            .with_information_schema(false)
            .set_bool("datafusion.sql_parser.enable_ident_normalization", false)
            .set_str("datafusion.sql_parser.dialect", "ClickHouse")
            // ClickHouse sorts NULLs last, ascending and descending.
            .set_str("datafusion.sql_parser.default_null_ordering", "nulls_last")
            .set_bool("datafusion.execution.parquet.pushdown_filters", true)
            // `rows_before_limit_at_least` is the total a UI pages through: every row offered
            // to the outermost LIMIT. A top-k sort's dynamic filter would drop rows in the scan
            // before they are counted.
            .set_bool(
                "datafusion.optimizer.enable_topk_dynamic_filter_pushdown",
                false,
            );
        // ClickHouse's number types first, then DataFusion's own coercion and checks.
        let mut analyzer_rules: Vec<Arc<dyn AnalyzerRule + Send + Sync>> =
            vec![Arc::new(coercion::ClickHouseNumbers)];
        analyzer_rules.extend(Analyzer::new().rules);
        let mut physical_rules = PhysicalOptimizer::new().rules;
        if let Some(rule) = rule {
            let statistics = AggregateStatistics::new();
            let at = physical_rules
                .iter()
                .position(|r| r.name() == statistics.name())
                .map_or(0, |index| index + 1);
            physical_rules.insert(at, rule);
        }
        let mut state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .with_analyzer_rules(analyzer_rules)
            .with_physical_optimizer_rules(physical_rules)
            .build();
        functions::register_all(&mut state);
        state
            .register_expr_planner(Arc::new(coercion::TimeArithmetic))
            .expect("registering an expression planner cannot fail");
        QueryEngine { state }
    }

    /// Runs one statement and encodes its result: the format is the statement's `FORMAT`
    /// clause, else JSON.
    pub async fn execute(
        &self,
        sql: &str,
        settings: &Settings,
        tables: &dyn TableResolver,
    ) -> Result<QueryOutput> {
        let started = Instant::now();
        let statement = dialect::parse(sql)?;
        let format = match &statement.format {
            Some(name) => Format::from_name(name)?,
            None => Format::Json,
        };
        let (batches, plan) = tokio::time::timeout(MAX_EXECUTION_TIME, self.run(statement, tables))
            .await
            .map_err(|_| {
                QueryError::new(
                    ErrorKind::Timeout,
                    codes::TIMEOUT_EXCEEDED,
                    format!(
                        "Timeout exceeded: elapsed {:.1} seconds, maximum: {}",
                        started.elapsed().as_secs_f64(),
                        MAX_EXECUTION_TIME.as_secs()
                    ),
                )
            })??;
        let statistics = format::Statistics::of_plan(plan.as_ref(), started.elapsed());
        let body = format::encode(format, &plan.schema(), &batches, &statistics, settings)?;
        if body.len() > MAX_RESULT_BYTES {
            return Err(QueryError::bad_request(
                codes::TOO_MANY_BYTES,
                format!("Result is larger than {MAX_RESULT_BYTES} bytes"),
            ));
        }
        Ok(QueryOutput {
            content_type: format.content_type(),
            body,
            rows_read: statistics.rows_read as u64,
            bytes_read: statistics.bytes_read as u64,
            result_rows: batches.iter().map(|b| b.num_rows() as u64).sum(),
        })
    }

    /// Encodes rows that are not a query's result (an IPC stream's `schema` and `batches`)
    /// in the format named `format_name`.
    pub fn encode(
        &self,
        format_name: &str,
        schema: &arrow::datatypes::Schema,
        batches: &[RecordBatch],
        settings: &Settings,
    ) -> Result<QueryOutput> {
        let started = Instant::now();
        let format = Format::from_name(format_name)?;
        let statistics = format::Statistics {
            elapsed: started.elapsed(),
            rows_read: batches.iter().map(RecordBatch::num_rows).sum(),
            bytes_read: batches.iter().map(RecordBatch::get_array_memory_size).sum(),
            rows_before_limit: None,
        };
        Ok(QueryOutput {
            content_type: format.content_type(),
            body: format::encode(format, schema, batches, &statistics, settings)?,
            rows_read: statistics.rows_read as u64,
            bytes_read: statistics.bytes_read as u64,
            result_rows: statistics.rows_read as u64,
        })
    }

    /// A session of its own for one query: the shared configuration and functions, and an
    /// empty catalog that will hold only the tables this query was allowed to resolve.
    fn session_state(&self) -> Result<SessionState> {
        let options = self.state.config().options();
        let schema = Arc::new(MemorySchemaProvider::new());
        let catalog = Arc::new(MemoryCatalogProvider::new());
        catalog
            .register_schema(&options.catalog.default_schema, schema)
            .map_err(QueryError::from_datafusion)?;
        // Service data sources are read as `tinybird.<name>` (SDS-1).
        catalog
            .register_schema(SERVICE_SCHEMA, Arc::new(MemorySchemaProvider::new()))
            .map_err(QueryError::from_datafusion)?;
        let catalogs = Arc::new(MemoryCatalogProviderList::new());
        catalogs.register_catalog(options.catalog.default_catalog.clone(), catalog);
        // A clone with its own catalog list, not a rebuild: `SessionStateBuilder::
        // new_from_existing` re-registers every function in hash-map order, so a built-in with
        // an alias that is one of ClickHouse's names (`character_length` is also `length`)
        // could replace ours, and it redoes that work for every query.
        let mut state = self.state.clone();
        state.register_catalog_list(catalogs);
        Ok(state)
    }

    /// Runs a statement and returns its batches (for the storage `read` capability).
    pub async fn collect(&self, sql: &str, tables: &dyn TableResolver) -> Result<Vec<RecordBatch>> {
        let statement = dialect::parse(sql)?;
        Ok(self.run(statement, tables).await?.0)
    }

    /// The names of the tables a statement reads (not its CTEs or table functions).
    pub fn tables(&self, sql: &str) -> Result<Vec<String>> {
        Ok(dialect::parse(sql)?
            .tables
            .into_iter()
            .map(|t| t.name)
            .collect())
    }

    /// Plans a statement without running it: a syntax error, an unknown table, column or
    /// function, or a table `tables` refuses is an error. Returns the names of the tables it
    /// reads (not its CTEs or table functions).
    pub async fn check(&self, sql: &str, tables: &dyn TableResolver) -> Result<Vec<String>> {
        let statement = dialect::parse(sql)?;
        let names = statement.tables.iter().map(|t| t.name.clone()).collect();
        self.plan(statement, tables).await?;
        Ok(names)
    }

    async fn plan(
        &self,
        statement: dialect::ReadStatement,
        tables: &dyn TableResolver,
    ) -> Result<(SessionContext, Arc<dyn ExecutionPlan>)> {
        let ctx = SessionContext::new_with_state(self.session_state()?);
        for table in &statement.tables {
            let provider = tables.resolve(&table.name, table.final_read)?;
            ctx.register_table(table.reference.clone(), provider)
                .map_err(QueryError::from_datafusion)?;
        }
        let state = ctx.state();
        let plan = state
            .statement_to_plan(statement.statement)
            .await
            .map_err(QueryError::from_datafusion)?;
        let plan = semantics::apply(plan).map_err(QueryError::from_datafusion)?;
        let plan = state
            .create_physical_plan(&plan)
            .await
            .map_err(QueryError::from_datafusion)?;
        Ok((ctx, plan))
    }

    async fn run(
        &self,
        statement: dialect::ReadStatement,
        tables: &dyn TableResolver,
    ) -> Result<(Vec<RecordBatch>, Arc<dyn ExecutionPlan>)> {
        let (ctx, plan) = self.plan(statement, tables).await?;
        let batches = collect(plan.clone(), ctx.task_ctx())
            .await
            .map_err(QueryError::from_datafusion)?;
        Ok((batches, plan))
    }
}
