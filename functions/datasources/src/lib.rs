//! `/v0/datasources`: list data sources and get one, as the Data Source object of DS-O1, and
//! create an empty data source from a schema (`POST` with `mode=create`). Importing data
//! through this route (files, URLs, append, replace) and the management calls (alter,
//! truncate, delete, rename, drop) are not built yet and answer 501 or 405 with a JSON error.

use colibri_guest::types::{self, Datasource};
use colibri_guest::{ApiError, Params, catalog, header, json, respond};
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
        (method, _) => Err(ApiError::new(
            405,
            format!("{method} is not supported on {} yet", request.path()),
        )),
    }
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

/// `POST /v0/datasources`. Built so far: `mode=create` with a `schema` and no data, which
/// creates an empty data source (DS-M1, DS-M3, DS-R1).
fn import(request: &Request) -> Result<Response, ApiError> {
    let mut params = Params::of(request);
    let form = header(request, "content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if form {
        params.merge_form(request.body());
    }
    let has_data = (!form && !request.body().is_empty()) || params.get("url").is_some();
    let mode = params.get("mode").unwrap_or("create");
    if !matches!(mode, "create" | "append" | "replace") {
        return Err(ApiError::bad_request(format!(
            "Invalid mode '{mode}': use create, append or replace"
        )));
    }
    if mode != "create" || has_data {
        return Err(ApiError::new(
            501,
            "Importing data through /v0/datasources (files, URLs, append, replace) is not built \
             yet; send rows to /v0/events",
        ));
    }
    let Some(schema) = params.get("schema").filter(|s| !s.trim().is_empty()) else {
        return Err(ApiError::bad_request(
            "A schema is needed to create an empty Data Source: pass `schema`",
        ));
    };
    match params.get("engine").unwrap_or("MergeTree") {
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
    let format = match params.get("format").unwrap_or("csv") {
        "csv" => "csv",
        "ndjson" | "json" | "jsonl" => "ndjson",
        "parquet" => "parquet",
        other => {
            return Err(ApiError::bad_request(format!(
                "Invalid format '{other}': use csv, ndjson or parquet"
            )));
        }
    };
    let columns = parse_schema(schema)
        .map_err(|e| ApiError::bad_request(e.to_string()))?
        .into_iter()
        .map(|c| types::Column {
            name: c.name,
            type_: c.type_name,
            jsonpath: c.jsonpath,
            default_value: c.default_value,
        })
        .collect::<Vec<_>>();
    let name = params
        .get("name")
        .map(str::to_string)
        .unwrap_or_else(generated_name);
    let datasource = catalog::create_datasource(&name, format, &columns)?;
    Ok(json(
        200,
        &serde_json::json!({ "datasource": datasource_json(&datasource) }),
    ))
}

/// The name of a data source created without one (DS-M2): `datasource_<8 hex digits>`.
fn generated_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
        .unwrap_or_default();
    format!("datasource_{nanos:08x}")
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
        "engine": {
            "engine": d.engine,
            "engine_sorting_key": d.sorting_key,
            "engine_partition_key": d.partition_key,
            "sorting_key": d.sorting_key,
            "partition_key": d.partition_key,
        },
        "description": "",
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
