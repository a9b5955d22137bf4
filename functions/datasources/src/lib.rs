//! `/v0/datasources`: list data sources and get one, as the Data Source object of DS-O1. The
//! write side of this API (create, append, replace, alter, ...) is not built yet and answers
//! 405 or 404 with a JSON error.

use colibri_guest::{ApiError, Params, catalog, json, respond, types::Datasource};
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
        (method, _) => Err(ApiError::new(
            405,
            format!("{method} is not supported on {} yet", request.path()),
        )),
    }
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
