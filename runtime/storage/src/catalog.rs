//! The catalog: workspace, data sources, pipes and tokens, kept in memory and persisted as one
//! JSON record per entity in the object store. New names are claimed with conditional puts, so
//! several nodes sharing one bucket never both create the same name.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use colibri_types::ChType;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::{Error, Result, paths};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// One column of a data source as declared: a ClickHouse type, an optional JSONPath and an
/// optional DEFAULT expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub jsonpath: Option<String>,
    pub default_value: Option<String>,
}

/// A data source to be created.
#[derive(Debug, Clone, Default)]
pub struct NewDataSource {
    pub name: String,
    /// csv, ndjson or parquet.
    pub format: String,
    pub columns: Vec<ColumnDef>,
    pub engine: String,
    /// `engine_*` parameters as given; `engine_sorting_key` and `engine_partition_key` are
    /// the keys.
    pub engine_params: BTreeMap<String, String>,
    pub description: String,
}

impl ColumnDef {
    pub fn ch_type(&self) -> ChType {
        self.type_name
            .parse()
            .expect("column types are validated when the data source is created")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataSource {
    pub id: String,
    pub name: String,
    /// How the data source was created: csv, ndjson or parquet.
    pub format: String,
    pub columns: Vec<ColumnDef>,
    pub engine: String,
    pub sorting_key: String,
    pub partition_key: String,
    /// Every `engine_*` parameter given at creation.
    #[serde(default)]
    pub engine_params: BTreeMap<String, String>,
    #[serde(default)]
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// For a quarantine table, the id of the data source it belongs to.
    pub quarantine_of: Option<String>,
    /// JSONPaths seen in events that no column reads, with their guessed types (EV-9).
    #[serde(default)]
    pub new_columns_detected: BTreeMap<String, String>,
}

impl DataSource {
    /// The Arrow schema of the data source's rows.
    pub fn arrow_schema(&self) -> arrow::datatypes::SchemaRef {
        self.schema_of(ChType::arrow_field)
    }

    /// The schema queries read the data source's rows in (LowCardinality text as
    /// dictionaries, see `ChType::query_type`).
    pub fn query_schema(&self) -> arrow::datatypes::SchemaRef {
        self.schema_of(ChType::query_field)
    }

    fn schema_of(
        &self,
        field: fn(&ChType, &str) -> arrow::datatypes::Field,
    ) -> arrow::datatypes::SchemaRef {
        Arc::new(arrow::datatypes::Schema::new(
            self.columns
                .iter()
                .map(|c| field(&c.ch_type(), &c.name))
                .collect::<Vec<_>>(),
        ))
    }

    pub fn quarantine_name(name: &str) -> String {
        format!("{name}_quarantine")
    }
}

/// A pipe. The pipes component owns its definition (description, nodes, endpoint), which the
/// catalog keeps as given; the catalog owns its name, in the namespace data sources share
/// (PIPE-GEN-05), and the data sources it reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pipe {
    pub id: String,
    pub name: String,
    pub definition: serde_json::Value,
    /// Ids of the data sources the pipe's nodes read, each readable by whoever saved it: a
    /// caller of the pipe's endpoint reads them through the pipe.
    pub reads: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A pipe to be created or saved again.
#[derive(Debug, Clone)]
pub struct NewPipe {
    pub name: String,
    pub definition: serde_json::Value,
    pub reads: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub token: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl Token {
    /// A new token, with a new id.
    pub fn new(name: &str, description: String, value: String, scopes: Vec<String>) -> Token {
        Token {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            description,
            token: value,
            scopes,
            created_at: Utc::now(),
        }
    }
}

#[derive(Default)]
struct State {
    workspace: Option<Workspace>,
    datasources: HashMap<String, DataSource>,
    ids_by_name: HashMap<String, String>,
    pipes: HashMap<String, Pipe>,
    tokens: HashMap<String, Token>,
}

impl State {
    /// The id of the data source or pipe called `name_or_id`, or that text (an id).
    fn id_of<'a>(&'a self, name_or_id: &'a str) -> &'a str {
        self.ids_by_name
            .get(name_or_id)
            .map(String::as_str)
            .unwrap_or(name_or_id)
    }
}

pub struct Catalog {
    store: Arc<dyn ObjectStore>,
    state: RwLock<State>,
}

/// Reserved words that cannot name a data source (GEN-12), compared case-insensitively.
const RESERVED_NAMES: &[&str] = &[
    "array",
    "boolean",
    "date",
    "date32",
    "datetime",
    "datetime32",
    "datetime64",
    "decimal",
    "decimal128",
    "decimal256",
    "decimal32",
    "decimal64",
    "enum",
    "enum16",
    "enum8",
    "fixedstring",
    "float32",
    "float64",
    "ipv4",
    "ipv6",
    "int128",
    "int16",
    "int256",
    "int32",
    "int64",
    "int8",
    "multipolygon",
    "point",
    "polygon",
    "ring",
    "string",
    "table",
    "uint128",
    "uint16",
    "uint256",
    "uint32",
    "uint64",
    "uint8",
    "uuid",
    "_temporary_and_external_tables",
    "add",
    "after",
    "all",
    "and",
    "anti",
    "any",
    "as",
    "asc",
    "asof",
    "between",
    "by",
    "case",
    "collate",
    "column",
    "columns",
    "cross",
    "cube",
    "custom_error",
    "day_diff",
    "default",
    "defined",
    "desc",
    "distinct",
    "else",
    "end",
    "enumerate_with_last",
    "error",
    "exists",
    "from",
    "full",
    "functions",
    "generaterandom",
    "global",
    "group",
    "having",
    "if",
    "ilike",
    "in",
    "inner",
    "insert",
    "interval",
    "into",
    "join",
    "left",
    "like",
    "limit",
    "limits",
    "max",
    "min",
    "not",
    "null",
    "numbers_mt",
    "on",
    "one",
    "or",
    "order",
    "outer",
    "prewhere",
    "public",
    "right",
    "sample",
    "select",
    "semi",
    "split_to_array",
    "sql_and",
    "sql_unescape",
    "system",
    "then",
    "tinybird",
    "to",
    "union",
    "using",
    "where",
    "with",
    "zeros_mt",
];

/// Checks a resource name against GEN-12 and GEN-14.
pub fn validate_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let well_formed = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        return Err(Error::Invalid(format!(
            "Invalid name '{name}': names start with a letter or underscore and contain only letters, digits and underscores"
        )));
    }
    if RESERVED_NAMES.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(Error::Invalid(format!(
            "Invalid name '{name}': it is a reserved word"
        )));
    }
    if name.ends_with("_quarantine") {
        return Err(Error::Invalid(format!(
            "Invalid name '{name}': the suffix _quarantine is reserved for quarantine tables"
        )));
    }
    Ok(())
}

/// Records oldest first, ties by name, as `created` (creation time and name) says.
fn oldest_first<'a, T: Clone + 'a>(
    records: impl Iterator<Item = &'a T>,
    created: impl Fn(&T) -> (DateTime<Utc>, &String),
) -> Vec<T> {
    let mut all: Vec<T> = records.cloned().collect();
    all.sort_by(|a, b| created(a).cmp(&created(b)));
    all
}

fn name_taken(name: &str) -> Error {
    Error::Conflict(format!(
        "'{name}' already exists: names of Data Sources and Pipes must be unique"
    ))
}

fn new_id() -> String {
    format!("t_{}", uuid::Uuid::new_v4().simple())
}

fn validate_columns(columns: &[ColumnDef]) -> Result<()> {
    if columns.is_empty() {
        return Err(Error::Invalid(
            "A Data Source needs at least one column".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for column in columns {
        if column.name.is_empty() {
            return Err(Error::Invalid("Column names cannot be empty".into()));
        }
        if !seen.insert(column.name.as_str()) {
            return Err(Error::Invalid(format!(
                "Duplicated column '{}'",
                column.name
            )));
        }
        column
            .type_name
            .parse::<ChType>()
            .map_err(|e| Error::Invalid(format!("Column '{}': {e}", column.name)))?;
    }
    Ok(())
}

fn quarantine_columns(columns: &[ColumnDef]) -> Vec<ColumnDef> {
    let column = |name: &str, type_name: &str| ColumnDef {
        name: name.to_string(),
        type_name: type_name.to_string(),
        jsonpath: None,
        default_value: None,
    };
    columns
        .iter()
        .map(|c| column(&c.name, "Nullable(String)"))
        .chain([
            column("c__error_column", "Array(String)"),
            column("c__error", "Array(String)"),
            column("c__import_id", "Nullable(String)"),
            column("insertion_date", "DateTime"),
        ])
        .collect()
}

impl Catalog {
    /// Loads every record under the catalog store.
    pub async fn open(store: Arc<dyn ObjectStore>) -> Result<Catalog> {
        let catalog = Catalog {
            store,
            state: RwLock::new(State::default()),
        };
        let workspace = catalog
            .read_record::<Workspace>(&paths::workspace_record())
            .await?;
        let datasources: Vec<DataSource> =
            catalog.read_records(&paths::datasource_records()).await?;
        let tokens: Vec<Token> = catalog.read_records(&paths::token_records()).await?;
        let pipes: Vec<Pipe> = catalog.read_records(&paths::pipe_records()).await?;
        {
            let mut state = catalog.state.write();
            state.workspace = workspace;
            for datasource in datasources {
                state
                    .ids_by_name
                    .insert(datasource.name.clone(), datasource.id.clone());
                state.datasources.insert(datasource.id.clone(), datasource);
            }
            for token in tokens {
                state.tokens.insert(token.id.clone(), token);
            }
            for pipe in pipes {
                state.ids_by_name.insert(pipe.name.clone(), pipe.id.clone());
                state.pipes.insert(pipe.id.clone(), pipe);
            }
        }
        Ok(catalog)
    }

    async fn read_record<T: serde::de::DeserializeOwned>(&self, path: &Path) -> Result<Option<T>> {
        match self.store.get(path).await {
            Ok(found) => Ok(Some(serde_json::from_slice(&found.bytes().await?)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn read_records<T: serde::de::DeserializeOwned>(&self, folder: &Path) -> Result<Vec<T>> {
        let metas: Vec<_> = self.store.list(Some(folder)).try_collect().await?;
        let mut records = Vec::with_capacity(metas.len());
        for meta in metas {
            if let Some(record) = self.read_record(&meta.location).await? {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// Saves the record of a job of the host's queue, so it survives a restart.
    pub async fn put_job<T: Serialize>(&self, id: &str, record: &T) -> Result<()> {
        self.write_record(&paths::job_record(id), record, PutMode::Overwrite)
            .await
    }

    /// Every saved job record.
    pub async fn jobs<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.read_records(&paths::job_records()).await
    }

    /// Forgets a job record.
    pub async fn delete_job(&self, id: &str) -> Result<()> {
        match self.store.delete(&paths::job_record(id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn write_record<T: Serialize>(
        &self,
        path: &Path,
        record: &T,
        mode: PutMode,
    ) -> Result<()> {
        let payload = PutPayload::from(serde_json::to_vec_pretty(record)?);
        let options = PutOptions {
            mode,
            ..Default::default()
        };
        match self.store.put_opts(path, payload, options).await {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => {
                Err(Error::Conflict(format!("{path} already exists")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The workspace, created with `name` on first use.
    pub async fn ensure_workspace(&self, name: &str) -> Result<Workspace> {
        if let Some(workspace) = self.state.read().workspace.clone() {
            return Ok(workspace);
        }
        let workspace = Workspace {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            created_at: Utc::now(),
        };
        match self
            .write_record(&paths::workspace_record(), &workspace, PutMode::Create)
            .await
        {
            Ok(()) => {}
            // Another node created it first: use theirs.
            Err(Error::Conflict(_)) => {
                let theirs = self
                    .read_record::<Workspace>(&paths::workspace_record())
                    .await?
                    .ok_or_else(|| Error::Conflict("workspace record vanished".into()))?;
                self.state.write().workspace = Some(theirs.clone());
                return Ok(theirs);
            }
            Err(e) => return Err(e),
        }
        self.state.write().workspace = Some(workspace.clone());
        Ok(workspace)
    }

    pub fn workspace(&self) -> Option<Workspace> {
        self.state.read().workspace.clone()
    }

    /// Every data source, quarantine tables included.
    pub fn datasources(&self) -> Vec<DataSource> {
        oldest_first(self.state.read().datasources.values(), |d| {
            (d.created_at, &d.name)
        })
    }

    /// A data source (or quarantine table) by name or id.
    pub fn datasource(&self, name_or_id: &str) -> Option<DataSource> {
        let state = self.state.read();
        state.datasources.get(state.id_of(name_or_id)).cloned()
    }

    /// Adds paths seen in events that no column reads (EV-9). The record is rewritten only
    /// when a path is new, so steady traffic costs no writes.
    pub async fn record_new_columns(&self, id: &str, found: &[(String, String)]) -> Result<()> {
        let updated = {
            let mut state = self.state.write();
            let datasource = state
                .datasources
                .get_mut(id)
                .ok_or_else(|| Error::NotFound(format!("Data Source '{id}' does not exist")))?;
            let mut changed = false;
            for (path, type_name) in found {
                if !datasource.new_columns_detected.contains_key(path) {
                    datasource
                        .new_columns_detected
                        .insert(path.clone(), type_name.clone());
                    changed = true;
                }
            }
            changed.then(|| datasource.clone())
        };
        match updated {
            Some(datasource) => {
                self.write_record(
                    &paths::datasource_record(id),
                    &datasource,
                    PutMode::Overwrite,
                )
                .await
            }
            None => Ok(()),
        }
    }

    /// Claims a name for the data source or pipe `id`, across every node sharing the store:
    /// a taken name is a conflict.
    async fn claim_name(&self, name: &str, id: &str) -> Result<()> {
        self.write_record(&paths::name_claim(name), &id, PutMode::Create)
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => name_taken(name),
                other => other,
            })
    }

    /// A conflict when a data source or pipe has the name already (PIPE-GEN-05).
    fn check_name_free(&self, name: &str) -> Result<()> {
        if self.state.read().ids_by_name.contains_key(name) {
            return Err(name_taken(name));
        }
        Ok(())
    }

    /// Creates a data source and its quarantine table; returns both.
    pub async fn create_datasource(&self, spec: NewDataSource) -> Result<(DataSource, DataSource)> {
        let name = spec.name.as_str();
        validate_name(name)?;
        validate_columns(&spec.columns)?;
        self.check_name_free(name)?;
        let quarantine_name = DataSource::quarantine_name(name);
        let now = Utc::now();
        let key = |param: &str| spec.engine_params.get(param).cloned().unwrap_or_default();
        let datasource = DataSource {
            id: new_id(),
            name: name.to_string(),
            format: spec.format.clone(),
            sorting_key: key("engine_sorting_key"),
            partition_key: key("engine_partition_key"),
            engine: spec.engine.clone(),
            engine_params: spec.engine_params.clone(),
            description: spec.description.clone(),
            created_at: now,
            updated_at: now,
            quarantine_of: None,
            new_columns_detected: BTreeMap::new(),
            columns: spec.columns,
        };
        Engine::of(&datasource)?;
        let quarantine = DataSource {
            id: new_id(),
            name: quarantine_name.clone(),
            columns: quarantine_columns(&datasource.columns),
            quarantine_of: Some(datasource.id.clone()),
            engine: "MergeTree".to_string(),
            sorting_key: String::new(),
            partition_key: String::new(),
            engine_params: BTreeMap::new(),
            ..datasource.clone()
        };
        self.claim_name(name, &datasource.id).await?;
        for record in [&quarantine, &datasource] {
            self.write_record(
                &paths::datasource_record(&record.id),
                record,
                PutMode::Create,
            )
            .await?;
        }
        let mut state = self.state.write();
        for record in [&datasource, &quarantine] {
            state
                .ids_by_name
                .insert(record.name.clone(), record.id.clone());
            state.datasources.insert(record.id.clone(), record.clone());
        }
        Ok((datasource, quarantine))
    }

    /// Removes a data source and its quarantine table from the catalog (records first, then
    /// the name claim, so a crash in between leaves no record without its claim); returns
    /// the removed records.
    pub async fn remove_datasource(&self, datasource: &DataSource) -> Result<Vec<DataSource>> {
        let mut removed = vec![datasource.clone()];
        removed.extend(self.datasource(&DataSource::quarantine_name(&datasource.name)));
        for record in &removed {
            self.store
                .delete(&paths::datasource_record(&record.id))
                .await?;
        }
        self.store
            .delete(&paths::name_claim(&datasource.name))
            .await?;
        let mut state = self.state.write();
        for record in &removed {
            state.ids_by_name.remove(&record.name);
            state.datasources.remove(&record.id);
        }
        Ok(removed)
    }

    /// Renames a data source and its quarantine table (DS-P1); ids, rows and files stay. The
    /// new name is claimed first (a taken name is a conflict), then the records are
    /// rewritten, then the old claim is released.
    pub async fn rename_datasource(
        &self,
        datasource: &DataSource,
        new_name: &str,
    ) -> Result<DataSource> {
        validate_name(new_name)?;
        self.check_name_free(new_name)?;
        self.claim_name(new_name, &datasource.id).await?;
        let now = Utc::now();
        let mut renamed = vec![DataSource {
            name: new_name.to_string(),
            updated_at: now,
            ..datasource.clone()
        }];
        if let Some(quarantine) = self.datasource(&DataSource::quarantine_name(&datasource.name)) {
            renamed.push(DataSource {
                name: DataSource::quarantine_name(new_name),
                updated_at: now,
                ..quarantine
            });
        }
        for record in &renamed {
            self.write_record(
                &paths::datasource_record(&record.id),
                record,
                PutMode::Overwrite,
            )
            .await?;
        }
        self.store
            .delete(&paths::name_claim(&datasource.name))
            .await?;
        let mut state = self.state.write();
        for record in &renamed {
            if let Some(old) = state.datasources.insert(record.id.clone(), record.clone()) {
                state.ids_by_name.remove(&old.name);
            }
            state
                .ids_by_name
                .insert(record.name.clone(), record.id.clone());
        }
        Ok(renamed.swap_remove(0))
    }

    /// Every pipe, oldest first.
    pub fn pipes(&self) -> Vec<Pipe> {
        oldest_first(self.state.read().pipes.values(), |p| {
            (p.created_at, &p.name)
        })
    }

    /// A pipe by name or id.
    pub fn pipe(&self, name_or_id: &str) -> Option<Pipe> {
        let state = self.state.read();
        state.pipes.get(state.id_of(name_or_id)).cloned()
    }

    /// Creates a pipe; its name must be free among data sources and pipes.
    pub async fn create_pipe(&self, spec: NewPipe) -> Result<Pipe> {
        validate_name(&spec.name)?;
        self.check_name_free(&spec.name)?;
        let now = Utc::now();
        let pipe = Pipe {
            id: new_id(),
            name: spec.name,
            definition: spec.definition,
            reads: spec.reads,
            created_at: now,
            updated_at: now,
        };
        self.claim_name(&pipe.name, &pipe.id).await?;
        self.write_record(&paths::pipe_record(&pipe.id), &pipe, PutMode::Create)
            .await?;
        let mut state = self.state.write();
        state.ids_by_name.insert(pipe.name.clone(), pipe.id.clone());
        state.pipes.insert(pipe.id.clone(), pipe.clone());
        Ok(pipe)
    }

    /// Saves a pipe again with a new definition, and a new name when `spec` has another (the
    /// new name claimed first, the old one released after the record is written).
    pub async fn update_pipe(&self, pipe: &Pipe, spec: NewPipe) -> Result<Pipe> {
        let renamed = spec.name != pipe.name;
        if renamed {
            validate_name(&spec.name)?;
            self.check_name_free(&spec.name)?;
            self.claim_name(&spec.name, &pipe.id).await?;
        }
        let updated = Pipe {
            name: spec.name,
            definition: spec.definition,
            reads: spec.reads,
            updated_at: Utc::now(),
            ..pipe.clone()
        };
        self.write_record(&paths::pipe_record(&pipe.id), &updated, PutMode::Overwrite)
            .await?;
        if renamed {
            self.store.delete(&paths::name_claim(&pipe.name)).await?;
        }
        let mut state = self.state.write();
        if renamed {
            state.ids_by_name.remove(&pipe.name);
            state
                .ids_by_name
                .insert(updated.name.clone(), updated.id.clone());
        }
        state.pipes.insert(updated.id.clone(), updated.clone());
        Ok(updated)
    }

    /// Removes a pipe (record first, then its name claim).
    pub async fn remove_pipe(&self, pipe: &Pipe) -> Result<()> {
        self.store.delete(&paths::pipe_record(&pipe.id)).await?;
        self.store.delete(&paths::name_claim(&pipe.name)).await?;
        let mut state = self.state.write();
        state.ids_by_name.remove(&pipe.name);
        state.pipes.remove(&pipe.id);
        Ok(())
    }

    /// The token whose secret is `value`.
    pub fn token_by_value(&self, value: &str) -> Option<Token> {
        self.state
            .read()
            .tokens
            .values()
            .find(|t| t.token == value)
            .cloned()
    }

    pub fn token_by_name(&self, name: &str) -> Option<Token> {
        self.state
            .read()
            .tokens
            .values()
            .find(|t| t.name == name)
            .cloned()
    }

    /// Creates a token, or with the name of an existing token, replaces its value and scopes.
    pub async fn put_token(&self, name: &str, value: String, scopes: Vec<String>) -> Result<Token> {
        let token = match self.token_by_name(name) {
            Some(existing) => Token {
                token: value,
                scopes,
                ..existing
            },
            None => Token::new(name, String::new(), value, scopes),
        };
        self.save_token(token).await
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Vec<Token> {
        oldest_first(self.state.read().tokens.values(), |t| {
            (t.created_at, &t.name)
        })
    }

    /// A token by name, id or value (TOK-15).
    pub fn token(&self, name_id_or_value: &str) -> Option<Token> {
        self.state
            .read()
            .tokens
            .values()
            .find(|t| {
                t.name == name_id_or_value
                    || t.id == name_id_or_value
                    || t.token == name_id_or_value
            })
            .cloned()
    }

    /// Writes a token's record, new or changed.
    pub async fn save_token(&self, token: Token) -> Result<Token> {
        self.write_record(&paths::token_record(&token.id), &token, PutMode::Overwrite)
            .await?;
        self.state
            .write()
            .tokens
            .insert(token.id.clone(), token.clone());
        Ok(token)
    }

    pub async fn remove_token(&self, token: &Token) -> Result<()> {
        self.store.delete(&paths::token_record(&token.id)).await?;
        self.state.write().tokens.remove(&token.id);
        Ok(())
    }
}
