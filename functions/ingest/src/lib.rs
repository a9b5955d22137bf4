//! What the guests that take rows in share: reading a (gzipped) body, splitting NDJSON into
//! events, reading CSV records (`csv_input`) and Parquet files (`parquet_input`), guessing a schema from events or records
//! (`infer`), converting them to Arrow rows by the JSONPaths or positions of a data source's
//! columns (`convert`, quarantining what does not fit), and appending both through the
//! host's storage capability.

pub mod convert;
pub mod csv_input;
pub mod infer;
mod jsonpath;
pub mod parquet_input;
mod temporal;
pub mod upload;

use std::io::Read;

use arrow_array::RecordBatch;
use colibri_guest::{ApiError, header, storage};
use spin_sdk::http::Request;

/// The body, gunzipped when `Content-Encoding: gzip`, at most `max_bytes` either way.
pub fn read_body(request: &Request, max_bytes: usize) -> Result<Vec<u8>, ApiError> {
    let raw = request.body();
    let too_large = || {
        ApiError::new(
            413,
            format!("The request body is larger than {max_bytes} bytes"),
        )
    };
    if raw.len() > max_bytes {
        return Err(too_large());
    }
    let gzip = header(request, "content-encoding").is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Ok(raw.to_vec());
    }
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .take(max_bytes as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|e| ApiError::bad_request(format!("The body is not valid gzip: {e}")))?;
    if decoded.len() > max_bytes {
        return Err(too_large());
    }
    Ok(decoded)
}

/// One line of the body: an event, a CSV record, or the text and the reason it is neither.
pub enum Line {
    Event(serde_json::Value),
    Fields(csv::StringRecord),
    Invalid(String, String),
}

/// Splits the body into events (EV-1, EV-8, EV-12).
pub fn parse_events(body: &[u8], single_document: bool) -> Result<Vec<Line>, ApiError> {
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

/// How many lines are not events or records (`invalid_lines` of an import).
pub fn invalid_lines(lines: &[Line]) -> u64 {
    lines
        .iter()
        .filter(|line| matches!(line, Line::Invalid(..)))
        .count() as u64
}

/// The events that parsed, for schema guessing.
pub fn sample(events: &[Line]) -> impl Iterator<Item = &serde_json::Value> {
    events.iter().filter_map(|line| match line {
        Line::Event(value) => Some(value),
        Line::Fields(_) | Line::Invalid(..) => None,
    })
}

/// Appends converted rows to `datasource` and its quarantine companion, each in one call
/// (so in one commit); returns the counts of appended and quarantined rows.
pub fn append(
    datasource: &str,
    converted: convert::Converted,
    wait: bool,
) -> Result<(u64, u64), ApiError> {
    let mut successful_rows = 0;
    if !converted.rows.is_empty() {
        successful_rows = storage::append(datasource, &encode_ipc(&converted.rows)?, wait)?;
    }
    if !converted.quarantine.is_empty() {
        let quarantine = format!("{datasource}_quarantine");
        storage::append(&quarantine, &encode_ipc(&converted.quarantine)?, wait)?;
    }
    Ok((successful_rows, converted.quarantined))
}

/// One Arrow IPC stream holding `batches` (all of one schema).
pub fn encode_ipc(batches: &[RecordBatch]) -> Result<Vec<u8>, ApiError> {
    let internal = |e: arrow_schema::ArrowError| ApiError::new(500, e.to_string());
    let mut out = Vec::new();
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batches[0].schema())
        .map_err(internal)?;
    for batch in batches {
        writer.write(batch).map_err(internal)?;
    }
    writer.finish().map_err(internal)?;
    drop(writer);
    Ok(out)
}
