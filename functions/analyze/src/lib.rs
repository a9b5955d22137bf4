//! `POST /v0/analyze` (AN-*): guesses the columns, types and JSONPaths of a CSV, NDJSON or
//! Parquet file and answers them with a `schema` the Data Sources API takes as is, a preview
//! of the first rows read with that schema, and for CSV the dialect. Nothing is created. The
//! file comes as a multipart part, a raw body (the tb CLI sends the first MiB of a file, the
//! whole of a Parquet one) or a `url` the host reads, gzipped or not; only its beginning is
//! analysed, the same guessing as
//! a data source created from a file (`colibri_ingest::infer`).

use std::io::Write;

use colibri_guest::types::Column;
use colibri_guest::{ApiError, Params, auth, json, query, remote, respond, send};
use colibri_ingest::convert::{self, Converted};
use colibri_ingest::csv_input::{self, Dialect};
use colibri_ingest::infer::{self, GuessedColumn};
use colibri_ingest::upload::{self, Gunzip};
use colibri_ingest::{Line, encode_ipc, parquet_input, parse_events, sample};
use spin_sdk::http::{IncomingRequest, Method, Response, ResponseOutparam};
use spin_sdk::http_component;

/// Bytes of a CSV or NDJSON file analysed (the tb CLI sends this much).
const SAMPLE_BYTES: usize = 1 << 20;

/// Records of a file analysed.
const SAMPLE_RECORDS: usize = 10_000;

/// Rows in the preview (AN-8).
const PREVIEW_ROWS: usize = 10;

#[http_component]
async fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
    send(respond(analyze(request).await), response_out).await;
}

async fn analyze(request: IncomingRequest) -> Result<Response, ApiError> {
    if request.method() != Method::Post {
        return Err(ApiError::new(405, "Only POST is allowed on /v0/analyze"));
    }
    let scopes = auth::current_principal().scopes;
    let may_create = scopes.iter().any(|scope| {
        scope == "ADMIN" || scope == "DATASOURCES:CREATE" || scope == "DATASOURCE:CREATE"
    });
    if !may_create {
        return Err(ApiError::new(
            403,
            "The Analyze API needs a token with the DATASOURCES:CREATE or ADMIN scope",
        ));
    }
    let (params, file) = upload::receive(
        request,
        |key| ["url", "format", "token"].contains(&key),
        |_, file| Ok(Sample::new(file.hint)),
    )
    .await?;
    let file = match (file, params.get("url").filter(|url| !url.is_empty())) {
        (Some(file), _) => file,
        (None, Some(url)) => fetch(url)?,
        (None, None) => {
            return Err(ApiError::bad_request(
                "Send a file to analyse: a multipart part `file`, `csv`, `ndjson` or \
                 `parquet`, the file as the body, or a `url`",
            ));
        }
    };
    let analysis = match file.format(&params)? {
        "parquet" => parquet(file.bytes)?,
        "ndjson" => ndjson(&file.bytes, file.truncated)?,
        _ => csv(&file.bytes, file.truncated, &params)?,
    };
    analysis.answer()
}

/// The beginning of the remote file at `url` (AN-2): its first `SAMPLE_BYTES`, or all of it
/// when it is Parquet or gzip (neither can be read from a cut beginning).
fn fetch(url: &str) -> Result<Sample, ApiError> {
    let mut fetched = remote::fetch(url, SAMPLE_BYTES as u64)?;
    let whole_needed = fetched.bytes.starts_with(parquet_input::MAGIC)
        || fetched.bytes.starts_with(&upload::GZIP_MAGIC);
    if fetched.truncated && whole_needed {
        fetched = remote::fetch(url, parquet_input::max_file_bytes() + 1)?;
        parquet_input::check_size(fetched.bytes.len() as u64)?;
    }
    let hint = upload::format_hint(None, Some(&fetched.name));
    let mut sample = Gunzip::new(Sample::new(hint), upload::is_gzip_name(&fetched.name));
    sample
        .write_all(&fetched.bytes)
        .map_err(ApiError::from_io)?;
    let mut sample = sample.finish().map_err(ApiError::from_io)?;
    sample.truncated |= fetched.truncated;
    Ok(sample)
}

/// The beginning of the file: all of a Parquet file (its footer is at the end), the first
/// `SAMPLE_BYTES` of any other.
struct Sample {
    hint: Option<&'static str>,
    bytes: Vec<u8>,
    received: u64,
    truncated: bool,
}

impl Sample {
    fn new(hint: Option<&'static str>) -> Sample {
        Sample {
            hint,
            bytes: Vec::new(),
            received: 0,
            truncated: false,
        }
    }

    fn is_parquet(&self) -> bool {
        self.bytes.starts_with(parquet_input::MAGIC)
    }

    /// AN-3: an explicit `format`, else Parquet's magic bytes, else NDJSON when the first
    /// non-empty line is a JSON object, else the part's or file's name, else CSV.
    fn format(&self, params: &Params) -> Result<&'static str, ApiError> {
        if let Some(format) = params.get("format").filter(|f| !f.is_empty()) {
            return upload::format_of(format);
        }
        if self.is_parquet() {
            return Ok("parquet");
        }
        let first_line = self
            .bytes
            .split(|b| *b == b'\n')
            .map(<[u8]>::trim_ascii)
            .find(|line| !line.is_empty());
        let json_object = first_line
            .and_then(|line| serde_json::from_slice::<serde_json::Value>(line).ok())
            .is_some_and(|value| value.is_object());
        Ok(if json_object {
            "ndjson"
        } else {
            self.hint.filter(|h| *h != "parquet").unwrap_or("csv")
        })
    }
}

impl Write for Sample {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.received += buf.len() as u64;
        if self.is_parquet() || self.bytes.len() < parquet_input::MAGIC.len() {
            parquet_input::check_size(self.received).map_err(std::io::Error::other)?;
            self.bytes.extend_from_slice(buf);
        } else {
            let room = SAMPLE_BYTES.saturating_sub(self.bytes.len());
            self.truncated |= buf.len() > room;
            self.bytes.extend_from_slice(&buf[..buf.len().min(room)]);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the analysis found: the guessed columns, the first rows read with them, and the CSV
/// dialect.
struct Analysis {
    columns: Vec<GuessedColumn>,
    preview: Converted,
    dialect: Option<serde_json::Value>,
}

impl Analysis {
    fn answer(self) -> Result<Response, ApiError> {
        let columns: Vec<&Column> = self.columns.iter().map(|g| &g.column).collect();
        let schema = columns
            .iter()
            .map(|column| match &column.jsonpath {
                Some(path) => format!("{} {} `json:{path}`", column.name, column.type_),
                None => format!("{} {}", column.name, column.type_),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut answer = serde_json::json!({
            "analysis": {
                "columns": self.columns.iter().map(|guessed| serde_json::json!({
                    "path": guessed.column.jsonpath,
                    "recommended_type": guessed.column.type_,
                    "present_pct": guessed.present_pct,
                    "name": guessed.column.name,
                })).collect::<Vec<_>>(),
                "schema": schema,
            },
            "preview": preview(&columns, &self.preview)?,
        });
        if let Some(dialect) = self.dialect {
            answer["dialect"] = dialect;
        }
        Ok(json(200, &answer))
    }
}

/// The preview in the Query API's JSON shape (AN-8), its `meta` naming the recommended types.
fn preview(columns: &[&Column], converted: &Converted) -> Result<serde_json::Value, ApiError> {
    let meta: Vec<_> = columns
        .iter()
        .map(|column| serde_json::json!({"name": column.name, "type": column.type_}))
        .collect();
    let Some(first) = converted.rows.first() else {
        return Ok(serde_json::json!({"meta": meta, "data": [], "rows": 0}));
    };
    let rows = first.slice(0, first.num_rows().min(PREVIEW_ROWS));
    let output = query::encode(&encode_ipc(&[rows])?, "JSON", &[])?;
    let mut preview: serde_json::Value = serde_json::from_slice(&output.body)
        .map_err(|e| ApiError::new(500, format!("The preview is not JSON: {e}")))?;
    preview["meta"] = serde_json::json!(meta);
    if let Some(envelope) = preview.as_object_mut() {
        envelope.remove("rows_before_limit_at_least");
    }
    Ok(preview)
}

/// The first rows of `lines` read with the guessed columns (by JSONPath, or by the
/// `positions` of CSV fields).
fn convert_preview(
    columns: &[GuessedColumn],
    lines: &[Line],
    positions: &[Option<usize>],
) -> Result<Converted, ApiError> {
    let columns: Vec<Column> = columns.iter().map(|g| g.column.clone()).collect();
    convert::convert(
        &columns,
        &lines[..lines.len().min(PREVIEW_ROWS)],
        positions,
        None,
    )
}

fn no_columns() -> ApiError {
    ApiError::bad_request("The file holds no data to analyse")
}

/// NDJSON: the events of the sample (a line cut by the sample's end left out).
fn ndjson(bytes: &[u8], truncated: bool) -> Result<Analysis, ApiError> {
    let whole_lines = match (truncated, bytes.iter().rposition(|b| *b == b'\n')) {
        (true, Some(end)) => &bytes[..end],
        _ => bytes,
    };
    let lines = parse_events(whole_lines, false)?;
    let columns = infer::guess_columns(sample(&lines).take(SAMPLE_RECORDS));
    if columns.is_empty() {
        return Err(no_columns());
    }
    let preview = convert_preview(&columns, &lines, &[])?;
    Ok(Analysis {
        columns,
        preview,
        dialect: None,
    })
}

/// Parquet: the records of the first batches, read as events; the types the file declares
/// win over the ones guessed from values (an Int64 of small numbers stays Int64).
fn parquet(file: Vec<u8>) -> Result<Analysis, ApiError> {
    let mut batches = parquet_input::batches(file)?;
    let declared = parquet_input::declared_types(&batches);
    let mut lines = Vec::new();
    while lines.len() < SAMPLE_RECORDS {
        let Some(batch) = parquet_input::next_batch(&mut batches)? else {
            break;
        };
        lines.extend(parquet_input::events(&batch)?);
    }
    let mut columns = infer::guess_columns(sample(&lines).take(SAMPLE_RECORDS));
    if columns.is_empty() {
        return Err(no_columns());
    }
    for guessed in &mut columns {
        let column = &mut guessed.column;
        let Some(declared) = column.jsonpath.as_ref().and_then(|p| declared.get(p)) else {
            continue;
        };
        column.type_ = if column.type_.starts_with("Nullable(") {
            format!("Nullable({declared})")
        } else {
            declared.to_string()
        };
    }
    let preview = convert_preview(&columns, &lines, &[])?;
    Ok(Analysis {
        columns,
        preview,
        dialect: None,
    })
}

/// CSV: the dialect (given or detected), the header, the columns guessed from the records of
/// the sample (a record cut by the sample's end left out).
fn csv(bytes: &[u8], truncated: bool, params: &Params) -> Result<Analysis, ApiError> {
    let dialect = Dialect::new(
        params.get("dialect_delimiter"),
        params.get("dialect_new_line"),
        params.get("dialect_escapechar"),
        bytes,
    )?;
    let mut records: Vec<csv::StringRecord> = dialect
        .reader(bytes)
        .records()
        .take(SAMPLE_RECORDS + 1)
        .filter_map(Result::ok)
        .collect();
    if truncated && records.len() > 1 {
        records.pop();
    }
    let header = csv_input::is_header(&records);
    let fields = records.first().map_or(0, csv::StringRecord::len);
    let names = csv_input::column_names(header.then(|| &records[0]), fields);
    let body = &records[usize::from(header)..];
    let type_guessing = params.flag("type_guessing")?.unwrap_or(true);
    let columns = infer::guess_csv_columns(&names, body, type_guessing);
    if columns.is_empty() || body.is_empty() {
        return Err(no_columns());
    }
    let lines: Vec<Line> = body
        .iter()
        .take(PREVIEW_ROWS)
        .cloned()
        .map(Line::Fields)
        .collect();
    let positions: Vec<Option<usize>> = (0..fields).map(Some).collect();
    let preview = convert_preview(&columns, &lines, &positions)?;
    let byte_text = |byte: u8| (byte as char).to_string();
    Ok(Analysis {
        columns,
        preview,
        dialect: Some(serde_json::json!({
            "delimiter": byte_text(dialect.delimiter),
            "new_line": dialect.new_line.map_or("\n".to_string(), byte_text),
            "escapechar": dialect.escape.map(byte_text),
            "has_header": header,
        })),
    })
}
