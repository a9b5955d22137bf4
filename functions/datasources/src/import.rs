//! `POST /v0/datasources` (DS-M*, DS-R*): create a data source from a `schema`, or create or
//! append from a CSV, NDJSON or Parquet file or URL. The file streams through: the request
//! body (raw, or the file part of a multipart body) is gunzipped on the way when it is gzip,
//! cut into pieces of a few MB at record boundaries, and each piece is converted and staged
//! with the host as it arrives, so memory holds a piece, not the file. When the file ends, everything staged is
//! committed at once (one commit per table): readers see all of an import or none of it.
//! `mode=replace` swaps the rows in that same commit. A Parquet file is held whole (its
//! footer comes last) and decoded a batch at a time. A `url` queues a job whose run is this
//! same request replayed by the host with the downloaded file as its body. With
//! `replace_condition` only the incoming rows the condition keeps are staged, and the commit
//! removes only the existing rows it matches.

use std::io::Write;

use colibri_guest::types::{self, Datasource};
use colibri_guest::{
    ApiError, Params, auth, catalog, job_envelope, job_json, jobs, json, limits, storage,
};
use colibri_ingest::csv_input::{self, Dialect};
use colibri_ingest::upload::{self, too_large};
use colibri_ingest::{convert, infer, parquet_input, parse_events};
use colibri_types::schema::parse_schema;
use spin_sdk::http::{IncomingRequest, Response};

use crate::datasource_json;

/// Size of the pieces a file is converted in.
const PIECE_BYTES: usize = 4 << 20;

/// Bytes looked at to detect a CSV file's delimiter.
const DIALECT_SAMPLE_BYTES: usize = 64 * 1024;

/// Records sampled to guess a CSV file's header and column types (DS-T1).
const GUESS_SAMPLE_RECORDS: usize = 10_000;

/// `POST /v0/datasources`.
pub async fn import(request: IncomingRequest) -> Result<Response, ApiError> {
    let authority = request.authority().unwrap_or_default();
    let (params, import) = upload::receive(request, is_parameter, |params, file| {
        Import::new(params.clone(), file)
    })
    .await?;
    match import {
        Some(import) => import.finish(),
        None => match params.get("url").filter(|url| !url.is_empty()) {
            Some(url) => queue_url_import(&params, url, &authority),
            None => without_data(&params),
        },
    }
}

/// A URL import (DS-U*): checked now, then queued as a job that downloads the file and
/// replays this request with it as the body (DS-R4).
fn queue_url_import(params: &Params, url: &str, authority: &str) -> Result<Response, ApiError> {
    let mode = mode_of(params)?;
    if let Some(format) = params.get("format") {
        upload::format_of(format)?;
    }
    let given_name = params.get("name").filter(|n| !n.is_empty());
    let existing = named_target(mode, given_name)?;
    let name = match given_name {
        Some(name) => name.to_string(),
        None => derived_name(url)?,
    };
    if mode == "create" && catalog::get_datasource(&name)?.is_some() {
        return Err(ApiError::new(
            409,
            format!("Data Source \"{name}\" already exists"),
        ));
    }
    let mut replayed = params.clone();
    replayed.insert("name", name.clone());
    let text = |value: &str| serde_json::json!(value).to_string();
    let mut details = vec![
        ("mode".to_string(), text(mode)),
        ("url".to_string(), text(url)),
        ("statistics".to_string(), "null".to_string()),
    ];
    if let Some(condition) = params.get("replace_condition") {
        details.push(("replace_condition".to_string(), text(condition)));
    }
    let job = jobs::submit(&jobs::JobSpec {
        kind: "import".to_string(),
        path_and_query: format!(
            "/v0/datasources?{}",
            replayed.query_string(&["url", "token"])
        ),
        url: Some(url.to_string()),
        datasource: name,
        details,
    })?;
    let mut job = job_json(&job, authority)?;
    if let Some(datasource) = &existing {
        job["datasource"] = datasource_json(datasource);
    }
    Ok(job_envelope(job, &["import_id"]))
}

/// The name of a data source created without one (DS-M2): the file's name (or the URL's last
/// path segment) without its extensions, made a valid name, with `_1`, `_2`... when taken;
/// `datasource_<8 hex digits>` without a usable name.
fn derived_name(file_name: &str) -> Result<String, ApiError> {
    let path = file_name.split(['?', '#']).next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let stem: String = last
        .split('.')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !stem.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return Ok(generated_name());
    }
    let mut name = stem.clone();
    let mut suffix = 0;
    while catalog::get_datasource(&name)?.is_some() {
        suffix += 1;
        name = format!("{stem}_{suffix}");
    }
    Ok(name)
}

/// The mode of an import (DS-M*), checked.
fn mode_of(params: &Params) -> Result<&str, ApiError> {
    let mode = params.get("mode").unwrap_or("create");
    match mode {
        "create" | "append" | "replace" => Ok(mode),
        other => Err(ApiError::bad_request(format!(
            "Invalid mode '{other}': use create, append or replace"
        ))),
    }
}

/// `replace_condition` (DS-M7), when given.
fn replace_condition(params: &Params) -> Option<&str> {
    params
        .get("replace_condition")
        .filter(|c| !c.trim().is_empty())
}

/// The data source an `append` or `replace` names: an append may create it, a replace needs
/// it to exist (DS-M5, DS-M6).
fn named_target(mode: &str, name: Option<&str>) -> Result<Option<Datasource>, ApiError> {
    match (mode, name) {
        ("append" | "replace", None) => Err(name_required()),
        ("append", Some(name)) => Ok(catalog::get_datasource(name)?),
        ("replace", Some(name)) => match catalog::get_datasource(name)? {
            Some(datasource) => Ok(Some(datasource)),
            None => Err(ApiError::new(
                404,
                format!("Data Source '{name}' does not exist: replace needs an existing one"),
            )),
        },
        _ => Ok(None),
    }
}

/// A request without a file: creates an empty data source from its `schema` (DS-M1, DS-M3),
/// or, for `append`, does nothing to the existing one.
fn without_data(params: &Params) -> Result<Response, ApiError> {
    let mode = mode_of(params)?;
    let format = upload::format_of(params.get("format").unwrap_or("csv"))?;
    let name = params.get("name").filter(|n| !n.is_empty());
    let existing = named_target(mode, name)?;
    if let Some(datasource) = existing.as_ref().filter(|_| mode == "replace") {
        // Replacing with no data leaves the rows, unless asked to truncate (DS-M9); with a
        // condition no row comes, so no partition is touched (DS-M7).
        if params.flag("replace_truncate_when_empty")?.unwrap_or(false)
            && replace_condition(params).is_none()
        {
            storage::truncate(&datasource.name)?;
        }
    }
    let datasource = match existing {
        Some(datasource) => datasource,
        None => create(params, name, format, None)?,
    };
    Ok(json(
        200,
        &serde_json::json!({ "datasource": datasource_json(&datasource) }),
    ))
}

fn name_required() -> ApiError {
    ApiError::bad_request("The `name` parameter (the Data Source to append to) is required")
}

/// How the pieces of a file map to the data source, fixed by its first piece.
enum Layout {
    /// By JSONPaths (NDJSON, Parquet).
    Json,
    Csv {
        dialect: Dialect,
        positions: Vec<Option<usize>>,
        fields: usize,
    },
}

/// One import in progress: bytes are written to it as they arrive; each whole piece is
/// converted and staged, and `finish` commits.
struct Import {
    params: Params,
    format: &'static str,
    name: Option<String>,
    /// `mode=replace`: the commit swaps the data source's rows for the file's.
    replace: bool,
    /// The byte pieces end after (a new line); `None` keeps the file whole.
    cut_byte: Option<u8>,
    /// The data source appended to, once known (at once for an existing one).
    datasource: Option<Datasource>,
    /// This import created the data source: if it fails, the data source goes too.
    created: bool,
    /// The import was committed and answered.
    finished: bool,
    layout: Option<Layout>,
    import_id: String,
    /// The largest file, decompressed (LIM-8).
    max_file_bytes: u64,
    /// The first bytes were looked at: a Parquet file is one whatever its part or name says
    /// (the classic CLI uploads Parquet under `ndjson`).
    sniffed: bool,
    pending: Vec<u8>,
    file_bytes: u64,
    successful_rows: u64,
    quarantined_rows: u64,
    invalid_lines: u64,
    /// What each processed piece did (`debug=blocks`, DS-R5).
    blocks: Vec<serde_json::Value>,
    /// The steps of each piece (`debug=block_log`, DS-R5).
    block_log: Vec<serde_json::Value>,
}

/// Seconds since the epoch, as `block_log` timestamps are written.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Import {
    /// Checks the parameters and finds the data source of an import whose file is about to
    /// arrive, of the format its part or name stands for when no `format` parameter is given.
    fn new(params: Params, file: upload::FileInfo) -> Result<Import, ApiError> {
        let mode = mode_of(&params)?;
        if params.get("url").is_some() {
            return Err(ApiError::bad_request(
                "Send either a file or a `url`, not both",
            ));
        }
        let format = match params.get("format") {
            Some(format) => upload::format_of(format)?,
            None => file.hint.unwrap_or("csv"),
        };
        let name = match params.get("name").filter(|n| !n.is_empty()) {
            Some(name) => Some(name.to_string()),
            // A file creating a data source without a name names it (DS-M2).
            None if mode == "create" => file.name.as_deref().map(derived_name).transpose()?,
            None => None,
        };
        let cut_byte = match format {
            "ndjson" => Some(b'\n'),
            "parquet" => None,
            _ => csv_input::cut_byte(
                params.get("dialect_new_line"),
                params.get("dialect_escapechar"),
            )?,
        };
        let datasource = named_target(mode, name.as_deref())?;
        Ok(Import {
            replace: mode == "replace",
            cut_byte,
            params,
            format,
            name,
            datasource,
            created: false,
            finished: false,
            layout: None,
            // A URL import's run is its job: the job's id is the import's (DS-R4).
            import_id: auth::current_principal()
                .job
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            max_file_bytes: limits::current_sizes().file_bytes,
            sniffed: false,
            pending: Vec::new(),
            file_bytes: 0,
            successful_rows: 0,
            quarantined_rows: 0,
            invalid_lines: 0,
            blocks: Vec::new(),
            block_log: Vec::new(),
        })
    }

    /// Looks at the file's first bytes once: Parquet's magic makes it a Parquet file.
    fn sniff(&mut self) {
        if !self.sniffed {
            self.sniffed = true;
            if self.pending.starts_with(parquet_input::MAGIC) {
                self.format = "parquet";
                self.cut_byte = None;
            }
        }
    }

    /// Where the next piece of `pending` ends, if it holds a whole one.
    fn piece_end(&self) -> Option<usize> {
        let cut_byte = self.cut_byte?;
        match self.format {
            "ndjson" => memchr::memchr(cut_byte, self.pending.get(PIECE_BYTES..)?)
                .map(|i| PIECE_BYTES + i + 1),
            _ => csv_input::record_boundary(&self.pending, PIECE_BYTES, cut_byte),
        }
    }

    /// Converts and stages one piece (whole records, or a whole Parquet file) as one block,
    /// recording what it did (DS-R5); the first one also fixes the layout, creating the data
    /// source when needed.
    fn piece(&mut self, piece: Vec<u8>) -> Result<(), ApiError> {
        let block_id = uuid::Uuid::new_v4().to_string();
        let log = |status: String| serde_json::json!({"block_id": block_id, "status": status, "timestamp": unix_now()});
        let chunk = self.blocks.len();
        self.block_log.push(log("processing".to_string()));
        if self.layout.is_none() {
            self.block_log.push(log("guessing".to_string()));
        }
        self.block_log.push(log(format!("inserting_chunk:{chunk}")));
        let started = std::time::Instant::now();
        let before = (
            self.successful_rows,
            self.quarantined_rows,
            self.invalid_lines,
        );
        let bytes = piece.len();
        let outcome = self.stage_piece(piece);
        let error = outcome.as_ref().err().map(|e| e.message.clone());
        let quarantine = self.quarantined_rows - before.1;
        let invalid_lines = self.invalid_lines - before.2;
        let processing_time = started.elapsed().as_secs_f64();
        self.blocks.push(serde_json::json!({
            "block_id": block_id,
            "process_return": [{
                "lines": self.successful_rows - before.0 + quarantine,
                "parser": self.format,
                "quarantine": quarantine - invalid_lines,
                "time": processing_time,
                "invalid_lines": invalid_lines,
                "empty_lines": 0,
                "bytes": bytes,
            }],
            "processing_time": processing_time,
            "processing_error": error,
            "processing_error_type": error.as_ref().map(|_| "ingestion"),
        }));
        self.block_log
            .push(log(format!("done_inserting_chunk:{chunk}")));
        self.block_log.push(log("done".to_string()));
        outcome
    }

    fn stage_piece(&mut self, piece: Vec<u8>) -> Result<(), ApiError> {
        match self.format {
            "ndjson" => self.stage_events(&parse_events(&piece, false)?),
            "parquet" => {
                // The footer is read before the data source is created from the schema.
                let mut batches = parquet_input::batches(piece)?;
                self.target(None)?;
                while let Some(batch) = parquet_input::next_batch(&mut batches)? {
                    self.stage_events(&parquet_input::events(&batch)?)?;
                }
                Ok(())
            }
            _ => self.stage_csv(&piece),
        }
    }

    /// Converts and stages events by the data source's JSONPaths.
    fn stage_events(&mut self, lines: &[colibri_ingest::Line]) -> Result<(), ApiError> {
        let datasource = self.target(None)?;
        self.layout.get_or_insert(Layout::Json);
        let converted = convert::convert(&datasource.columns, lines, &[], Some(&self.import_id))?;
        self.stage(&datasource, converted, colibri_ingest::invalid_lines(lines))
    }

    /// Converts and stages CSV records, the first piece fixing the layout.
    fn stage_csv(&mut self, piece: &[u8]) -> Result<(), ApiError> {
        let records = match self.layout {
            Some(_) => piece,
            None => &piece[self.csv_layout(piece)?..],
        };
        let datasource = self.target(None)?;
        let Some(Layout::Csv {
            dialect,
            positions,
            fields,
        }) = &self.layout
        else {
            unreachable!("the first piece fixes a CSV layout");
        };
        let (converted, invalid_lines) = csv_input::convert_piece(
            records,
            dialect,
            &datasource.columns,
            positions,
            *fields,
            &self.import_id,
        )?;
        self.stage(&datasource, converted, invalid_lines)
    }

    /// Stages converted rows and their quarantined ones.
    fn stage(
        &mut self,
        datasource: &Datasource,
        converted: convert::Converted,
        invalid_lines: u64,
    ) -> Result<(), ApiError> {
        self.invalid_lines += invalid_lines;
        self.quarantined_rows += converted.quarantined;
        if !converted.rows.is_empty() {
            let ipc = colibri_ingest::encode_ipc(&converted.rows)?;
            let keep_where = replace_condition(&self.params).filter(|_| self.replace);
            self.successful_rows += storage::stage(&datasource.name, &ipc, keep_where)?;
        }
        if !converted.quarantine.is_empty() {
            let ipc = colibri_ingest::encode_ipc(&converted.quarantine)?;
            storage::stage(&format!("{}_quarantine", datasource.name), &ipc, None)?;
        }
        Ok(())
    }

    /// The data source rows go to: the existing one, or one created now from the `schema`
    /// (or from `guessed` columns).
    fn target(&mut self, guessed: Option<Vec<types::Column>>) -> Result<Datasource, ApiError> {
        if let Some(datasource) = &self.datasource {
            return Ok(datasource.clone());
        }
        let created = create(&self.params, self.name.as_deref(), self.format, guessed)?;
        self.created = true;
        Ok(self.datasource.insert(created).clone())
    }

    /// Fixes the CSV layout from the file's first piece: the dialect (DS-C2..C4), the header
    /// (DS-C5, DS-C7), the schema guessed when there is no data source and no `schema`
    /// (DS-M3, DS-T*). Returns where the records start (after the header).
    fn csv_layout(&mut self, first: &[u8]) -> Result<usize, ApiError> {
        let dialect = Dialect::new(
            self.params.get("dialect_delimiter"),
            self.params.get("dialect_new_line"),
            self.params.get("dialect_escapechar"),
            &first[..first.len().min(DIALECT_SAMPLE_BYTES)],
        )?;
        let sample: Vec<csv::StringRecord> = dialect
            .reader(first)
            .records()
            .take(GUESS_SAMPLE_RECORDS)
            .filter_map(Result::ok)
            .collect();
        let guess_schema = self.datasource.is_none()
            && self
                .params
                .get("schema")
                .is_none_or(|s| s.trim().is_empty());
        let (positions, header) = if guess_schema {
            let header = csv_input::is_header(&sample);
            let fields = sample.first().map_or(0, |r| r.len());
            let names = csv_input::column_names(header.then(|| &sample[0]), fields);
            let type_guessing = self.params.flag("type_guessing")?.unwrap_or(true);
            let columns: Vec<_> =
                infer::guess_csv_columns(&names, &sample[usize::from(header)..], type_guessing)
                    .into_iter()
                    .map(|guessed| guessed.column)
                    .collect();
            if columns.is_empty() {
                return Err(ApiError::bad_request("The CSV file holds no records"));
            }
            let (partition_key, sorting_key) = infer::guess_keys(&columns);
            for (key, guessed) in [
                ("engine_partition_key", partition_key),
                ("engine_sorting_key", sorting_key),
            ] {
                if self.params.get(key).is_none() && !guessed.is_empty() {
                    self.params.insert(key, guessed);
                }
            }
            self.target(Some(columns))?;
            ((0..fields).map(Some).collect(), header)
        } else {
            let datasource = self.target(None)?;
            csv_input::map_columns(&datasource.columns, sample.first())
        };
        let columns = self.datasource.as_ref().map_or(0, |d| d.columns.len());
        let (fields, start) = match sample.first() {
            Some(first_record) if header => (
                first_record.len(),
                csv_input::after_first_record(&dialect, first),
            ),
            _ => (columns, 0),
        };
        self.layout = Some(Layout::Csv {
            dialect,
            positions,
            fields,
        });
        Ok(start)
    }

    /// Converts what is left, commits everything staged, and answers (DS-R2, DS-R3).
    fn finish(mut self) -> Result<Response, ApiError> {
        self.sniff();
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() || self.layout.is_none() {
            self.piece(rest)?;
        }
        let Some(datasource) = self.datasource.clone() else {
            return Err(ApiError::bad_request("The file holds no rows"));
        };
        // A replace without rows leaves the data source as it is, unless asked to truncate
        // it (DS-M9); a conditional one without rows touches no partition (DS-M7).
        let condition = replace_condition(&self.params).map(str::to_string);
        let truncate_when_empty = self
            .params
            .flag("replace_truncate_when_empty")?
            .unwrap_or(false)
            && condition.is_none();
        let replace = self.replace && (self.successful_rows > 0 || truncate_when_empty);
        let replacement = replace.then(|| storage::Replacement {
            datasource: datasource.name.clone(),
            condition,
        });
        storage::commit_staged(replacement.as_ref())?;
        self.finished = true;
        let datasource = catalog::get_datasource(&datasource.id)?.unwrap_or(datasource);
        let quarantine_rows = self.quarantined_rows - self.invalid_lines;
        let error = if self.quarantined_rows > 0 {
            serde_json::json!(format!(
                "There was an error with file contents: {quarantine_rows} rows in quarantine \
                 and {} invalid lines",
                self.invalid_lines
            ))
        } else {
            serde_json::json!(false)
        };
        let mut answer = serde_json::json!({
            "id": self.import_id,
            "import_id": self.import_id,
            "datasource": datasource_json(&datasource),
            "error": error,
            "quarantine_rows": quarantine_rows,
            "invalid_lines": self.invalid_lines,
            "successful_rows": self.successful_rows,
            "quarantined_rows": self.quarantined_rows,
            // What a finished import job reports (DS-U3).
            "statistics": {"bytes": self.file_bytes, "row_count": self.successful_rows},
        });
        // `debug` is read leniently: the tb CLI sends `blocks_block_log`, job polling
        // `blocks,block_log` (DS-R5).
        let debug = self.params.get("debug").unwrap_or("").to_string();
        let block_log_asked = debug.contains("block_log");
        if debug.replace("block_log", "").contains("blocks") {
            answer["blocks"] = serde_json::Value::Array(std::mem::take(&mut self.blocks));
        }
        if block_log_asked {
            answer["block_log"] = serde_json::Value::Array(std::mem::take(&mut self.block_log));
        }
        if debug.contains("hook_log") {
            answer["hook_log"] = serde_json::json!([]);
        }
        Ok(json(200, &answer))
    }
}

/// An import that fails leaves nothing: the data source it created goes (its staged rows
/// were never committed).
impl Drop for Import {
    fn drop(&mut self) {
        let failed = self.created && !self.finished;
        if let Some(datasource) = self.datasource.as_ref().filter(|_| failed)
            && let Err(error) = catalog::drop_datasource(&datasource.id)
        {
            eprintln!("removing the data source of a failed import failed: {error:?}");
        }
    }
}

impl Write for Import {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file_bytes += buf.len() as u64;
        if self.file_bytes > self.max_file_bytes {
            return Err(std::io::Error::other(too_large(self.max_file_bytes)));
        }
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= parquet_input::MAGIC.len() {
            self.sniff();
        }
        if self.format == "parquet" {
            parquet_input::check_size(self.file_bytes).map_err(std::io::Error::other)?;
        }
        while let Some(end) = self.piece_end() {
            let rest = self.pending.split_off(end);
            let piece = std::mem::replace(&mut self.pending, rest);
            self.piece(piece).map_err(std::io::Error::other)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The engines of DS-E1 Colibri stores (the host checks their parameters); `Null` is not
/// built yet.
const ENGINES: [&str; 6] = [
    "MergeTree",
    "ReplacingMergeTree",
    "SummingMergeTree",
    "AggregatingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
];

/// The parameters of `POST /v0/datasources` (DS-2), besides `engine_*` and `dialect_*`.
const PARAMETERS: [&str; 12] = [
    "mode",
    "description",
    "name",
    "url",
    "format",
    "schema",
    "engine",
    "type_guessing",
    "progress",
    "debug",
    "replace_condition",
    "token",
];

/// Whether a form field is a parameter of this endpoint.
fn is_parameter(key: &str) -> bool {
    PARAMETERS.contains(&key)
        || key.starts_with("engine_")
        || key.starts_with("dialect_")
        || key.starts_with("replace_")
}

/// Creates the data source of an import from its `schema` or the columns guessed from a CSV
/// file, and its `engine` (DS-M3, DS-E1).
fn create(
    params: &Params,
    name: Option<&str>,
    format: &str,
    guessed: Option<Vec<types::Column>>,
) -> Result<Datasource, ApiError> {
    let schema = params.get("schema").filter(|s| !s.trim().is_empty());
    if schema.is_none() && guessed.is_none() {
        return Err(ApiError::bad_request(format!(
            "A schema is needed to create {}: pass `schema` (the Analyze API suggests one)",
            if format == "csv" {
                "an empty Data Source".to_string()
            } else {
                format!("a Data Source from {format} data")
            }
        )));
    }
    let engine = params.get("engine").unwrap_or("MergeTree");
    match engine {
        engine if ENGINES.contains(&engine) => {}
        "Null" => {
            return Err(ApiError::new(
                501,
                "The Null engine is not built yet; use MergeTree",
            ));
        }
        engine => {
            return Err(ApiError::bad_request(format!(
                "Unknown engine '{engine}': use MergeTree, ReplacingMergeTree, SummingMergeTree, \
                 AggregatingMergeTree, CollapsingMergeTree, VersionedCollapsingMergeTree or Null"
            )));
        }
    }
    let columns = match (schema, guessed) {
        (Some(schema), _) => parse_schema(schema)
            .map_err(|e| ApiError::bad_request(e.to_string()))?
            .into_iter()
            .map(|c| types::Column {
                name: c.name,
                type_: c.type_name,
                jsonpath: c.jsonpath,
                default_value: c.default_value,
            })
            .collect::<Vec<_>>(),
        (None, guessed) => guessed.unwrap_or_default(),
    };
    let spec = types::NewDatasource {
        name: name.map(str::to_string).unwrap_or_else(generated_name),
        format: format.to_string(),
        columns,
        engine: engine.to_string(),
        engine_params: params
            .pairs()
            .filter(|(key, _)| key.starts_with("engine_"))
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
        description: params.get("description").unwrap_or_default().to_string(),
    };
    Ok(catalog::create_datasource(&spec)?)
}

/// The name of a data source created without one (DS-M2): `datasource_<8 hex digits>`.
fn generated_name() -> String {
    format!(
        "datasource_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}
