//! `POST /v0/events`: the Events API. Decodes an NDJSON (or single JSON) body, creates the
//! data source with a guessed schema on its first event, converts each event to a row by
//! the data source's JSONPaths, sends rows that do not fit to `<name>_quarantine`, and
//! appends both as Arrow IPC through the host's storage capability.

mod convert;
mod infer;
mod jsonpath;
mod temporal;

use std::io::Read;

use colibri_guest::{ApiError, Params, catalog, header, json, respond, storage};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

/// Largest request body, compressed or not (EV-13).
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

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
    let body = read_body(request)?;
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
    let converted = convert::convert(&datasource.columns, &events)?;
    let mut successful_rows = 0;
    if let Some(ipc) = converted.rows {
        successful_rows = storage::append(&datasource.name, &ipc, wait)?;
    }
    let quarantined_rows = converted.quarantined;
    if let Some(ipc) = converted.quarantine {
        storage::append(&format!("{}_quarantine", datasource.name), &ipc, wait)?;
    }
    Ok(json(
        if wait { 200 } else { 202 },
        &serde_json::json!({
            "successful_rows": successful_rows,
            "quarantined_rows": quarantined_rows,
        }),
    ))
}

/// The body, gunzipped when `Content-Encoding: gzip`, at most 10 MB either way.
fn read_body(request: &Request) -> Result<Vec<u8>, ApiError> {
    let raw = request.body();
    let too_large = || {
        ApiError::new(
            413,
            format!("The request body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    if raw.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    let gzip = header(request, "content-encoding").is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Ok(raw.to_vec());
    }
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|e| ApiError::bad_request(format!("The body is not valid gzip: {e}")))?;
    if decoded.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(decoded)
}

/// One line of the body: an event, or the reason it is not one.
pub enum Line {
    Event(serde_json::Value),
    Invalid(String, String),
}

/// Splits the body into events (EV-1, EV-8, EV-12).
fn parse_events(body: &[u8], single_document: bool) -> Result<Vec<Line>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("The body is not UTF-8 text"))?;
    if single_document {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("The body is not a JSON document: {e}")))?;
        return Ok(match value {
            serde_json::Value::Array(items) => items.into_iter().map(Line::Event).collect(),
            other => vec![Line::Event(other)],
        });
    }
    let mut lines = Vec::new();
    let mut valid = 0;
    for line in text.split('\n') {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(value) if value.is_object() => {
                valid += 1;
                lines.push(Line::Event(value));
            }
            Ok(_) => lines.push(Line::Invalid(
                line.to_string(),
                "the line is not a JSON object".into(),
            )),
            Err(e) => lines.push(Line::Invalid(
                line.to_string(),
                format!("the line is not valid JSON: {e}"),
            )),
        }
    }
    if lines.is_empty() {
        return Err(ApiError::bad_request("The body holds no events"));
    }
    if valid == 0 {
        // A pretty-printed single object (webhooks) is one event.
        if let Ok(value @ serde_json::Value::Object(_)) =
            serde_json::from_str::<serde_json::Value>(text)
        {
            return Ok(vec![Line::Event(value)]);
        }
        return Err(ApiError::bad_request(
            "No line of the body is a valid JSON object",
        ));
    }
    Ok(lines)
}

/// The events that parsed, for schema guessing.
fn sample(events: &[Line]) -> impl Iterator<Item = &serde_json::Value> {
    events.iter().filter_map(|line| match line {
        Line::Event(value) => Some(value),
        Line::Invalid(..) => None,
    })
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
    match catalog::create_datasource(name, "ndjson", &columns) {
        Ok(datasource) => Ok(datasource),
        Err(error) if error.kind == colibri_guest::types::ErrorKind::Conflict => {
            catalog::get_datasource(name)?.ok_or_else(|| {
                ApiError::new(
                    500,
                    format!("Data Source '{name}' vanished while being created"),
                )
            })
        }
        Err(error) => Err(error.into()),
    }
}
