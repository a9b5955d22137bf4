//! `/v0/datasources`: list data sources and get one, as the Data Source object of DS-O1 or as
//! its `.datasource` datafile;
//! create, append and replace (`POST`, streamed, or a URL import queued as a job: see
//! `import`); delete rows (a job), rename, truncate and drop. `alter` is not built yet and
//! answers 405.

mod import;

use colibri_guest::types::Datasource;
use colibri_guest::{
    ApiError, Params, auth, catalog, job_envelope, job_json, jobs, json, query, respond, send,
    storage,
};
use spin_sdk::http::conversions::TryFromIncomingRequest;
use spin_sdk::http::{IncomingRequest, Method, Request, Response, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
    send(respond(route(request).await), response_out).await;
}

/// Imports stream their body (`import`); every other call reads it whole first.
async fn route(request: IncomingRequest) -> Result<Response, ApiError> {
    let path = request.path_with_query().unwrap_or_default();
    let path = path
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_end_matches('/');
    if request.method() == Method::Post && path == "/v0/datasources" {
        return import::import(request).await;
    }
    let request = Request::try_from_incoming_request(request)
        .await
        .map_err(|e| ApiError::bad_request(format!("Reading the request failed: {e:?}")))?;
    manage(&request)
}

fn manage(request: &Request) -> Result<Response, ApiError> {
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
        (Method::Get, file) if file.ends_with(".datasource") && !file.contains('/') => {
            let name = file.trim_end_matches(".datasource");
            let datasource = existing(name)?;
            Ok(Response::builder()
                .status(200)
                .header("content-type", "text/plain")
                .body(datafile(&datasource))
                .build())
        }
        (Method::Get, name) if !name.contains('/') => {
            let datasource = existing(name)?;
            Ok(json(200, &select(datasource_json(&datasource), &params)))
        }
        (Method::Get, _) => Err(ApiError::new(404, format!("Not found: {}", request.path()))),
        (Method::Post, path) if path.ends_with("/truncate") => {
            let name = path.trim_end_matches("/truncate");
            storage::truncate(name)?;
            Ok(Response::builder().status(205).body(Vec::new()).build())
        }
        (Method::Post, path) if path.ends_with("/delete") => {
            let authority = colibri_guest::authority(request);
            let params = Params::with_form(request);
            delete_rows(path.trim_end_matches("/delete"), &params, authority)
        }
        (Method::Put, name) if !name.contains('/') => rename(name, &Params::with_form(request)),
        (Method::Delete, name) if !name.contains('/') => drop_datasource(name, &params),
        (method, _) => Err(ApiError::new(
            405,
            format!("{method} is not supported on {} yet", request.path()),
        )),
    }
}

/// The data source a path names, or a 404.
fn existing(name: &str) -> Result<Datasource, ApiError> {
    catalog::get_datasource(name)?
        .ok_or_else(|| ApiError::new(404, format!("Data Source '{name}' does not exist")))
}

/// `PUT /v0/datasources/{name}` (DS-P*): renames to `name`; its id and rows stay.
fn rename(current: &str, params: &Params) -> Result<Response, ApiError> {
    const CONNECTOR_PARAMETERS: [&str; 6] = [
        "connector",
        "service",
        "cron",
        "query",
        "external_data_source",
        "ingest_now",
    ];
    if let Some(parameter) = CONNECTOR_PARAMETERS
        .iter()
        .find(|p| params.get(p).is_some())
    {
        return Err(ApiError::bad_request(format!(
            "`{parameter}`: connectors are not supported"
        )));
    }
    let new_name = params
        .get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("The `name` parameter (the new name) is required"))?;
    existing(current)?;
    let renamed = catalog::rename_datasource(current, new_name)?;
    Ok(json(200, &datasource_json(&renamed)))
}

/// `POST /v0/datasources/{name}/delete` (DS-D*): `dry_run=true` counts the rows the
/// condition matches; otherwise the condition is checked and the deletion queued as a
/// `delete_data` job, whose run (this same request replayed by the host) deletes them.
fn delete_rows(name: &str, params: &Params, authority: &str) -> Result<Response, ApiError> {
    let datasource = existing(name)?;
    let condition = params
        .get("delete_condition")
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("The `delete_condition` parameter (an SQL condition) is required")
        })?;
    if auth::current_principal().job.is_some() {
        let rows = storage::delete_where(&datasource.name, condition)?;
        return Ok(json(200, &serde_json::json!({ "rows_affected": rows })));
    }
    // Counting checks the condition too: a wrong one is a 400 now, not a failed job.
    let count = query::execute(
        &format!(
            // No alias: ClickHouse's aliases are seen in WHERE, so one could hide a column the
            // condition names.
            "SELECT count() FROM `{}` WHERE ({condition}) FORMAT JSON",
            datasource.name.replace('`', "")
        ),
        &[],
    )?;
    let counted: serde_json::Value = serde_json::from_slice(&count.body)
        .map_err(|e| ApiError::new(500, format!("The count is not JSON: {e}")))?;
    let matching = &counted["data"][0]["count()"];
    if params.flag("dry_run")?.unwrap_or(false) {
        return Ok(json(
            200,
            &serde_json::json!({ "rows_to_be_deleted": matching }),
        ));
    }
    let job = jobs::submit(&jobs::JobSpec {
        kind: "delete_data".to_string(),
        path_and_query: format!(
            "/v0/datasources/{}/delete?{}",
            datasource.name,
            params.query_string(&["token", "dry_run"])
        ),
        url: None,
        datasource: datasource.name.clone(),
        details: vec![
            (
                "delete_condition".to_string(),
                serde_json::json!(condition).to_string(),
            ),
            (
                "datasource".to_string(),
                serde_json::json!({"id": datasource.id, "name": datasource.name}).to_string(),
            ),
        ],
    })?;
    Ok(job_envelope(job_json(&job, authority)?, &["delete_id"]))
}

/// `DELETE /v0/datasources/{name}` (DS-X*): with `dry_run=true` the pipes that read it,
/// else the drop itself, refused while pipes read it unless `force=true` (DS-X5).
fn drop_datasource(name: &str, params: &Params) -> Result<Response, ApiError> {
    let datasource = existing(name)?;
    let pipes = catalog::dependent_pipes(&datasource.id)?;
    if params.flag("dry_run")?.unwrap_or(false) {
        return Ok(json(
            200,
            &serde_json::json!({
                "dependent_pipes": pipes,
                "dependencies": { "pipes": pipes, "materializations": [] },
            }),
        ));
    }
    if !pipes.is_empty() && !params.flag("force")?.unwrap_or(false) {
        return Err(ApiError::new(
            409,
            format!(
                "Data Source '{}' is read by the pipes {}: drop it with force=true, or change them first",
                datasource.name,
                pipes.join(", ")
            ),
        ));
    }
    catalog::drop_datasource(&datasource.id)?;
    Ok(Response::builder().status(204).body(Vec::new()).build())
}

/// The `.datasource` datafile of a data source (DF-DS-01, DF-DS-02): its description, schema
/// (backquoted names, JSONPaths, DEFAULTs) and engine settings, as `tb push` reads them.
fn datafile(d: &Datasource) -> String {
    let mut text = String::new();
    if !d.description.is_empty() {
        text.push_str("DESCRIPTION >\n");
        for line in d.description.lines() {
            text.push_str(&format!("    {line}\n"));
        }
        text.push('\n');
    }
    text.push_str("SCHEMA >\n");
    let columns: Vec<String> = d
        .columns
        .iter()
        .map(|c| {
            let mut column = format!("    `{}` {}", c.name, c.type_);
            if let Some(path) = &c.jsonpath {
                column.push_str(&format!(" `json:{path}`"));
            }
            if let Some(default) = &c.default_value {
                column.push_str(&format!(" DEFAULT {default}"));
            }
            column
        })
        .collect();
    text.push_str(&columns.join(",\n"));
    text.push_str(&format!("\n\nENGINE \"{}\"\n", d.engine));
    for (key, value) in &d.engine_params {
        text.push_str(&format!("{} \"{value}\"\n", key.to_ascii_uppercase()));
    }
    text
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

pub(crate) fn datasource_json(d: &Datasource) -> serde_json::Value {
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
