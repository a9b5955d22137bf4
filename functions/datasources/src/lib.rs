//! `/v0/datasources`: list data sources and get one, as the Data Source object of DS-O1;
//! create one from a schema or a CSV file (guessing its schema), empty or with data, and
//! append CSV and NDJSON files, sent as a multipart part or as the body (`POST`). Parquet
//! data, URL imports, `replace` and the management calls (alter, truncate, delete, rename,
//! drop) are not built yet and answer 501 or 405.

use colibri_guest::types::{self, Datasource};
use colibri_guest::{ApiError, Params, catalog, header, json, respond, storage};
use colibri_ingest::csv_input::{self, Dialect};
use colibri_ingest::upload::receive;
use colibri_ingest::{Line, convert, infer, parse_events};
use colibri_types::schema::parse_schema;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    respond(route(&request))
}

fn route(request: &Request) -> Result<Response, ApiError> {
    let params = Params::of(request);
    let rest = request
        .path()
        .trim_end_matches('/')
        .strip_prefix("/v0/datasources")
        .unwrap_or("")
        .trim_start_matches('/');
    match (request.method(), rest) {
        (Method::Get, "") => {
            let all = catalog::list_datasources()?;
            let items: Vec<_> = all
                .iter()
                .map(|d| select(datasource_json(d), &params))
                .collect();
            Ok(json(200, &serde_json::json!({ "datasources": items })))
        }
        (Method::Get, name) if !name.contains('/') => {
            let datasource = catalog::get_datasource(name)?.ok_or_else(|| {
                ApiError::new(404, format!("Data Source '{name}' does not exist"))
            })?;
            Ok(json(200, &select(datasource_json(&datasource), &params)))
        }
        (Method::Get, _) => Err(ApiError::new(404, format!("Not found: {}", request.path()))),
        (Method::Post, "") => import(request),
        (Method::Post, path) if path.ends_with("/truncate") => {
            let name = path.trim_end_matches("/truncate");
            storage::truncate(name)?;
            Ok(Response::builder().status(205).body(Vec::new()).build())
        }
        (Method::Delete, name) if !name.contains('/') => drop_datasource(name, &params),
        (method, _) => Err(ApiError::new(
            405,
            format!("{method} is not supported on {} yet", request.path()),
        )),
    }
}

/// `DELETE /v0/datasources/{name}` (DS-X*): with `dry_run=true` the dependencies that would
/// stop the drop (none can exist until pipes do), else the drop itself.
fn drop_datasource(name: &str, params: &Params) -> Result<Response, ApiError> {
    let datasource = catalog::get_datasource(name)?
        .ok_or_else(|| ApiError::new(404, format!("Data Source '{name}' does not exist")))?;
    if params.flag("dry_run")?.unwrap_or(false) {
        return Ok(json(
            200,
            &serde_json::json!({
                "dependent_pipes": [],
                "dependencies": { "pipes": [], "materializations": [] },
            }),
        ));
    }
    catalog::drop_datasource(&datasource.id)?;
    Ok(Response::builder().status(204).body(Vec::new()).build())
}

/// Engines of DS-E1 that Colibri does not store yet (MergeTree is the one it has).
const ENGINES_NOT_BUILT: [&str; 6] = [
    "ReplacingMergeTree",
    "SummingMergeTree",
    "AggregatingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
    "Null",
];

/// Largest raw (non-multipart) body of an import (LIM-4).
const MAX_RAW_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Largest multipart CSV or NDJSON file (LIM-5).
const MAX_MULTIPART_BYTES: usize = 500 * 1024 * 1024;

/// `POST /v0/datasources`. Built so far: `mode=create` (an empty data source from a
/// `schema`, or one filled from a CSV or NDJSON file, CSV guessing its schema when none is
/// given) and `mode=append` (DS-M1, DS-M3, DS-M5, DS-R1, DS-R2), the file being a multipart
/// part or the raw body. Parquet, URLs and `replace` answer 501.
fn import(request: &Request) -> Result<Response, ApiError> {
    let mut params = Params::of(request);
    let content_type = header(request, "content-type").unwrap_or_default();
    let form = content_type.starts_with("application/x-www-form-urlencoded")
        && holds_parameters(request.body());
    let upload = if form {
        params.merge_form(request.body());
        None
    } else {
        let received = receive(request, MAX_RAW_BODY_BYTES, MAX_MULTIPART_BYTES)?;
        for (name, value) in received.fields {
            params.insert(&name, value);
        }
        received.upload
    };
    let mode = params.get("mode").unwrap_or("create");
    if !matches!(mode, "create" | "append" | "replace") {
        return Err(ApiError::bad_request(format!(
            "Invalid mode '{mode}': use create, append or replace"
        )));
    }
    let format = match params.get("format") {
        Some(format) => format_of(format)?,
        None => upload
            .as_ref()
            .and_then(|u| u.format_hint())
            .unwrap_or("csv"),
    };
    if mode == "replace" || params.get("url").is_some() {
        return Err(not_built("replace and URL imports"));
    }
    let name = params.get("name").filter(|n| !n.is_empty());
    let existing = match (mode, name) {
        ("append", Some(name)) => catalog::get_datasource(name)?,
        ("append", None) => {
            return Err(ApiError::bad_request(
                "The `name` parameter (the Data Source to append to) is required",
            ));
        }
        _ => None,
    };
    let Some(upload) = upload else {
        let datasource = match existing {
            Some(datasource) => datasource,
            None => create(&params, name, format, None)?,
        };
        return Ok(json(
            200,
            &serde_json::json!({ "datasource": datasource_json(&datasource) }),
        ));
    };
    let import_id = uuid::Uuid::new_v4().to_string();
    let Rows {
        datasource,
        converted,
        invalid_lines,
    } = match format {
        "ndjson" => {
            let lines = parse_events(&upload.data, false)?;
            let datasource = match existing {
                Some(datasource) => datasource,
                None => create(&params, name, format, None)?,
            };
            let invalid_lines = lines
                .iter()
                .filter(|line| matches!(line, Line::Invalid(..)))
                .count() as u64;
            let converted = convert::convert(&datasource.columns, &lines, &[], Some(&import_id))?;
            Rows {
                datasource,
                converted,
                invalid_lines,
            }
        }
        "csv" => import_csv(&params, name, existing, &upload.data, &import_id)?,
        other => return Err(not_built(&format!("{other} data"))),
    };
    let (successful_rows, quarantined) = colibri_ingest::append(&datasource.name, converted, true)?;
    let quarantine_rows = quarantined - invalid_lines;
    let error = if quarantined > 0 {
        serde_json::json!(format!(
            "There was an error with file contents: {quarantine_rows} rows in quarantine and \
             {invalid_lines} invalid lines"
        ))
    } else {
        serde_json::json!(false)
    };
    let datasource = catalog::get_datasource(&datasource.id)?.unwrap_or(datasource);
    Ok(json(
        200,
        &serde_json::json!({
            "id": import_id,
            "import_id": import_id,
            "datasource": datasource_json(&datasource),
            "error": error,
            "quarantine_rows": quarantine_rows,
            "invalid_lines": invalid_lines,
            "successful_rows": successful_rows,
            "quarantined_rows": quarantined,
        }),
    ))
}

/// The rows of a file, converted for the data source they go to, and how many of its lines
/// were invalid.
struct Rows {
    datasource: Datasource,
    converted: convert::Converted,
    invalid_lines: u64,
}

/// Reads a CSV file for `existing` or for a data source it creates: the dialect (DS-C2..C4),
/// the header (DS-C5, DS-C7), the schema guessed when none is given (DS-M3, DS-T*), then the
/// records converted by each column's position in them.
fn import_csv(
    params: &Params,
    name: Option<&str>,
    existing: Option<Datasource>,
    data: &[u8],
    import_id: &str,
) -> Result<Rows, ApiError> {
    let dialect = Dialect::new(
        params.get("dialect_delimiter"),
        params.get("dialect_new_line"),
        params.get("dialect_escapechar"),
        &data[..data.len().min(DIALECT_SAMPLE_BYTES)],
    )?;
    let mut reader = dialect.reader(data);
    let sample: Vec<csv::StringRecord> = reader
        .records()
        .take(GUESS_SAMPLE_RECORDS)
        .filter_map(Result::ok)
        .collect();
    let guess_schema =
        existing.is_none() && params.get("schema").is_none_or(|s| s.trim().is_empty());
    let (datasource, positions, header) = if guess_schema {
        let header = csv_input::is_header(&sample);
        let fields = sample.first().map_or(0, |r| r.len());
        let names = csv_input::column_names(header.then(|| &sample[0]), fields);
        let type_guessing = params.flag("type_guessing")?.unwrap_or(true);
        let columns =
            infer::infer_csv_columns(&names, &sample[usize::from(header)..], type_guessing);
        if columns.is_empty() {
            return Err(ApiError::bad_request("The CSV file holds no records"));
        }
        let datasource = create(params, name, "csv", Some(columns))?;
        (datasource, (0..fields).map(Some).collect(), header)
    } else {
        let datasource = match existing {
            Some(datasource) => datasource,
            None => create(params, name, "csv", None)?,
        };
        let (positions, header) = csv_input::map_columns(&datasource.columns, sample.first());
        (datasource, positions, header)
    };
    let (fields, body) = match sample.first() {
        Some(first) if header => {
            // Where the file's second record starts.
            let mut reader = dialect.reader(data);
            let mut record = csv::ByteRecord::new();
            let _ = reader.read_byte_record(&mut record);
            (first.len(), &data[reader.position().byte() as usize..])
        }
        _ => (datasource.columns.len(), data),
    };
    let (converted, invalid_lines) = csv_input::convert_records(
        body,
        &dialect,
        &datasource.columns,
        &positions,
        fields,
        import_id,
    )?;
    Ok(Rows {
        datasource,
        converted,
        invalid_lines,
    })
}

/// Bytes looked at to detect a CSV file's delimiter.
const DIALECT_SAMPLE_BYTES: usize = 64 * 1024;

/// Records sampled to guess a CSV file's header and column types (DS-T1).
const GUESS_SAMPLE_RECORDS: usize = 10_000;

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

/// Whether a urlencoded body holds this endpoint's parameters rather than data: every key is
/// a plain name and one of them is a parameter of this endpoint. (curl sends `--data-binary
/// @file` with the form content type, so an NDJSON or CSV file arrives labelled as a form;
/// clients add parameters of their own, such as the CLI's `branch_mode`.)
fn holds_parameters(body: &[u8]) -> bool {
    let is_name =
        |key: &str| !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let is_parameter = |key: &str| {
        PARAMETERS.contains(&key)
            || key.starts_with("engine_")
            || key.starts_with("dialect_")
            || key.starts_with("replace_")
    };
    let mut pairs = form_urlencoded::parse(body);
    pairs.clone().all(|(key, _)| is_name(&key)) && pairs.any(|(key, _)| is_parameter(&key))
}

fn not_built(what: &str) -> ApiError {
    ApiError::new(
        501,
        format!("Importing {what} through /v0/datasources is not built yet"),
    )
}

/// The `format` parameter (DS-2), `json` and `jsonl` being NDJSON.
fn format_of(format: &str) -> Result<&'static str, ApiError> {
    match format {
        "csv" => Ok("csv"),
        "ndjson" | "json" | "jsonl" => Ok("ndjson"),
        "parquet" => Ok("parquet"),
        other => Err(ApiError::bad_request(format!(
            "Invalid format '{other}': use csv, ndjson or parquet"
        ))),
    }
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
        "MergeTree" => {}
        engine if ENGINES_NOT_BUILT.contains(&engine) => {
            return Err(ApiError::new(
                501,
                format!("The {engine} engine is not built yet; use MergeTree"),
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

/// Keeps only the attributes named by `attrs` (DS-L2); empty or absent keeps everything.
fn select(object: serde_json::Value, params: &Params) -> serde_json::Value {
    let Some(attrs) = params.get("attrs").filter(|a| !a.trim().is_empty()) else {
        return object;
    };
    let wanted: Vec<&str> = attrs.split(',').map(str::trim).collect();
    match object {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(k, _)| wanted.contains(&k.as_str()))
                .collect(),
        ),
        other => other,
    }
}

/// The `engine` object (DS-O1): the engine, its keys and every `engine_*` parameter given.
fn engine_json(d: &Datasource) -> serde_json::Value {
    let mut engine = serde_json::json!({
        "engine": d.engine,
        "engine_sorting_key": d.sorting_key,
        "engine_partition_key": d.partition_key,
        "sorting_key": d.sorting_key,
        "partition_key": d.partition_key,
    });
    for (key, value) in &d.engine_params {
        engine[key] = serde_json::json!(value);
    }
    engine
}

fn datasource_json(d: &Datasource) -> serde_json::Value {
    let columns: Vec<_> = d
        .columns
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "normalized_name": c.name,
                "type": c.type_,
                "codec": null,
                "default_value": c.default_value,
                "jsonpath": c.jsonpath,
                "nullable": c.type_.starts_with("Nullable("),
            })
        })
        .collect();
    serde_json::json!({
        "id": d.id,
        "name": d.name,
        "cluster": "default",
        "tags": {},
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "replicated": false,
        "version": 0,
        "project": null,
        "headers": {},
        "shared_with": [],
        "engine": engine_json(d),
        "description": d.description,
        "used_by": [],
        "type": d.format,
        "columns": columns,
        "statistics": { "bytes": d.bytes, "row_count": d.row_count },
        "new_columns_detected": d
            .new_columns_detected
            .iter()
            .map(|(path, type_name)| (path.clone(), serde_json::json!(type_name)))
            .collect::<serde_json::Map<_, _>>(),
        "quarantine_rows": d.quarantine_rows,
        "last_commit": { "content_sha": "", "status": "changed", "path": "" },
        "errors_discarded_at": null,
    })
}
