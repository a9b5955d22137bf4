//! The file of an import or an analysis (DS-3, DS-F2): the one file part of a
//! `multipart/form-data` body (parsed with `multer`; its other parts are parameters), or the
//! raw body; gunzipped when the request, the file name or the gzip magic bytes say so.

use std::io::Read;

use colibri_guest::{ApiError, header};
use spin_sdk::http::Request;

/// Multipart parts that carry the file (DS-3: clients name it after the format, or `file`).
const FILE_PARTS: [&str; 4] = ["csv", "ndjson", "parquet", "file"];

/// An uploaded file, decompressed.
pub struct Upload {
    pub data: Vec<u8>,
    /// The multipart part it came in, if any.
    pub part: Option<String>,
    pub filename: Option<String>,
}

impl Upload {
    /// The format the upload names by its part or file name (DS-3), for requests without a
    /// `format` parameter.
    pub fn format_hint(&self) -> Option<&'static str> {
        let by_part = match self.part.as_deref() {
            Some("ndjson") => Some("ndjson"),
            Some("parquet") => Some("parquet"),
            Some("csv") => Some("csv"),
            _ => None,
        };
        let filename = self.filename.as_deref().unwrap_or("").to_ascii_lowercase();
        let filename = filename.trim_end_matches(".gz");
        let by_extension = if filename.ends_with(".csv") {
            Some("csv")
        } else if [".ndjson", ".json", ".jsonl"]
            .iter()
            .any(|e| filename.ends_with(e))
        {
            Some("ndjson")
        } else if filename.ends_with(".parquet") {
            Some("parquet")
        } else {
            None
        };
        by_part.or(by_extension)
    }
}

/// What a request carries: the file, if any, and the text parts of a multipart body.
pub struct Received {
    pub upload: Option<Upload>,
    pub fields: Vec<(String, String)>,
}

/// Reads the file of `request`: a multipart body of at most `max_multipart` bytes, or a raw
/// body of at most `max_raw` bytes (an empty raw body is no file).
pub fn receive(
    request: &Request,
    max_raw: usize,
    max_multipart: usize,
) -> Result<Received, ApiError> {
    let content_type = header(request, "content-type").unwrap_or_default();
    let body = request.body();
    if !content_type.starts_with("multipart/form-data") {
        if body.is_empty() {
            return Ok(Received {
                upload: None,
                fields: Vec::new(),
            });
        }
        let gzip_encoded =
            header(request, "content-encoding").is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
        let data = decompress(body.to_vec(), gzip_encoded, max_raw)?;
        return Ok(Received {
            upload: Some(Upload {
                data,
                part: None,
                filename: None,
            }),
            fields: Vec::new(),
        });
    }
    if body.len() > max_multipart {
        return Err(too_large(max_multipart));
    }
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| ApiError::bad_request(format!("Invalid multipart Content-Type: {e}")))?;
    let bytes = multer::bytes::Bytes::copy_from_slice(body);
    let stream =
        futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    spin_sdk::http::run(async move {
        let mut received = Received {
            upload: None,
            fields: Vec::new(),
        };
        let broken =
            |e: multer::Error| ApiError::bad_request(format!("Invalid multipart body: {e}"));
        while let Some(field) = multipart.next_field().await.map_err(broken)? {
            let name = field.name().unwrap_or_default().to_string();
            let filename = field.file_name().map(str::to_string);
            if FILE_PARTS.contains(&name.as_str()) || filename.is_some() {
                if received.upload.is_some() {
                    return Err(ApiError::bad_request(
                        "The multipart body holds more than one file: send one per request",
                    ));
                }
                let data = field.bytes().await.map_err(broken)?.to_vec();
                let gzip_named = filename.as_deref().is_some_and(|f| f.ends_with(".gz"));
                received.upload = Some(Upload {
                    data: decompress(data, gzip_named, max_multipart)?,
                    part: Some(name),
                    filename,
                });
            } else {
                let value = field.text().await.map_err(broken)?;
                received.fields.push((name, value));
            }
        }
        Ok(received)
    })
}

fn too_large(max_bytes: usize) -> ApiError {
    ApiError::new(
        413,
        format!("The file is larger than {max_bytes} bytes, the limit of this kind of upload"),
    )
}

/// Gunzips `data` when it is said to be gzip or starts with the gzip magic bytes (DS-F2).
fn decompress(data: Vec<u8>, said_gzip: bool, max_bytes: usize) -> Result<Vec<u8>, ApiError> {
    if data.len() > max_bytes {
        return Err(too_large(max_bytes));
    }
    if !said_gzip && !data.starts_with(&[0x1f, 0x8b]) {
        return Ok(data);
    }
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(data.as_slice())
        .take(max_bytes as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|e| ApiError::bad_request(format!("The file is not valid gzip: {e}")))?;
    if decoded.len() > max_bytes {
        return Err(too_large(max_bytes));
    }
    Ok(decoded)
}
