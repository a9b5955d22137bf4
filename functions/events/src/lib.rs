//! `POST /v0/events`: the Events API. Decodes an NDJSON (or single JSON) body, creates the
//! data source with a guessed schema on its first event, converts each event to a row by
//! the data source's JSONPaths, sends rows that do not fit to `<name>_quarantine`, and
//! appends both as Arrow IPC through the host's storage capability.

use colibri_guest::{ApiError, Params, catalog, json, limits, respond};
use colibri_ingest::{Line, convert, infer, parse_events, read_body, sample};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    respond(ingest(&request))
}

fn ingest(request: &Request) -> Result<Response, ApiError> {
    if *request.method() != Method::Post {
        return Err(ApiError::new(405, "Only POST is allowed on /v0/events"));
    }
    let params = Params::of(request);
    let name = params
        .get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("The `name` parameter (the Data Source to append to) is required")
        })?;
    let wait = params.flag("wait")?.unwrap_or(false);
    let single_document = params.get("format") == Some("json");
    // The largest request body, compressed or not (EV-13, LIM-3).
    let max_body_bytes = limits::current_sizes().events_body_bytes as usize;
    let body = read_body(request, max_body_bytes)?;
    let events = parse_events(&body, single_document)?;

    let datasource = match catalog::get_datasource(name)? {
        Some(datasource) => datasource,
        None => create_from_events(name, &events)?,
    };
    let new_columns = infer::new_columns(&datasource.columns, sample(&events));
    if !new_columns.is_empty() {
        // A hint for the user (EV-9): failing to note it must not fail the ingestion.
        let _ = catalog::record_new_columns(&datasource.name, &new_columns);
    }
    let converted = convert::convert(&datasource.columns, &events, &[], None)?;
    let (successful_rows, quarantined_rows) =
        colibri_ingest::append(&datasource.name, converted, wait)?;
    Ok(json(
        if wait { 200 } else { 202 },
        &serde_json::json!({
            "successful_rows": successful_rows,
            "quarantined_rows": quarantined_rows,
        }),
    ))
}

/// Creates the data source from the schema guessed on these events (EV-4). When another
/// request created it first, uses that one.
fn create_from_events(
    name: &str,
    events: &[Line],
) -> Result<colibri_guest::types::Datasource, ApiError> {
    let columns = infer::infer_columns(sample(events));
    if columns.is_empty() {
        return Err(ApiError::bad_request(
            "Cannot guess a schema: the events have no fields",
        ));
    }
    let spec = colibri_guest::types::NewDatasource {
        name: name.to_string(),
        format: "ndjson".to_string(),
        columns,
        engine: "MergeTree".to_string(),
        engine_params: Vec::new(),
        description: String::new(),
    };
    match catalog::create_datasource(&spec) {
        Ok(datasource) => Ok(datasource),
        // Another request created it first; or a pipe has the name, and the conflict stands.
        Err(error) if error.kind == colibri_guest::types::ErrorKind::Conflict => {
            catalog::get_datasource(name)?.ok_or_else(|| error.into())
        }
        Err(error) => Err(error.into()),
    }
}
