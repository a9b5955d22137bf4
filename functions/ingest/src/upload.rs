//! The file of an import or an analysis (DS-3, DS-F2), as it streams in: the request body's
//! chunks (read with a byte limit), the format a multipart part or file name stands for, and
//! a writer that gunzips on the way when the request, the file name or the gzip magic bytes
//! say the file is gzip.

use std::io::Write;
use std::sync::atomic::Ordering;

use colibri_guest::{ApiError, Params, auth, limits};
use futures_util::{Stream, StreamExt, TryStreamExt};
use spin_sdk::http::IncomingRequest;

fn header(request: &IncomingRequest, name: &str) -> Option<String> {
    let values = request.headers().get(name);
    values
        .first()
        .map(|value| String::from_utf8_lossy(value).into_owned())
}

/// What the request says of its file before its first byte.
pub struct FileInfo {
    /// The format its part or name stands for (`format_hint`).
    pub hint: Option<&'static str>,
    /// Its file name (multipart `filename`, or a raw body's `Content-Disposition`).
    pub name: Option<String>,
}

/// Reads an upload (DS-3, AN-2): its parameters, from the query string and the text parts of
/// a multipart body or a form body, and its file, which streams (gunzipped on the way when it
/// is gzip, transcoded to UTF-8 when its `Content-Type` names another charset) into the
/// writer `open` makes from the parameters seen before it and what the request says of the
/// file. Returns the parameters and that writer, once the file has ended; no writer when the
/// request holds no file. `is_parameter` tells the endpoint's parameters, for telling a form
/// body from a file sent with the form content type.
pub async fn receive<W: Write>(
    request: IncomingRequest,
    is_parameter: fn(&str) -> bool,
    open: impl FnOnce(&Params, FileInfo) -> Result<W, ApiError>,
) -> Result<(Params, Option<W>), ApiError> {
    let path_with_query = request.path_with_query().unwrap_or_default();
    let query = path_with_query.split_once('?').map_or("", |(_, q)| q);
    let mut params = Params::from_query(query);
    let content_type = header(&request, "content-type").unwrap_or_default();
    let said_gzip =
        header(&request, "content-encoding").is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
    // A raw body may name its file (`Content-Disposition: attachment; filename="x.csv.gz"`),
    // as the host does for a URL import's download.
    let filename = header(&request, "content-disposition").and_then(|value| {
        let (_, name) = value.split_once("filename=")?;
        Some(name.trim().trim_matches('"').to_string())
    });
    let gzip_named = filename.as_deref().is_some_and(is_gzip_name);
    let declared_length = header(&request, "content-length");
    let body = request.into_body_stream();
    let sizes = limits::current_sizes();

    if content_type.starts_with("multipart/form-data") {
        let max_multipart_bytes = sizes.multipart_bytes;
        let boundary = multer::parse_boundary(&content_type)
            .map_err(|e| ApiError::bad_request(format!("Invalid multipart Content-Type: {e}")))?;
        // The bytes received so far, for an error to say how much of the body arrived.
        let received = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = received.clone();
        let chunks = body.map(move |chunk| {
            let chunk = chunk.map_err(|e| std::io::Error::other(format!("{e:?}")))?;
            let total =
                counted.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
            if total > max_multipart_bytes {
                return Err(std::io::Error::other(too_large(max_multipart_bytes)));
            }
            Ok(multer::bytes::Bytes::from(chunk))
        });
        let mut multipart = multer::Multipart::new(chunks, boundary);
        let broken = |e: multer::Error| match e {
            multer::Error::StreamReadFailed(inner) => match inner.downcast::<std::io::Error>() {
                Ok(io) => ApiError::from_io(*io),
                Err(other) => ApiError::bad_request(format!("Invalid multipart body: {other}")),
            },
            other => ApiError::bad_request(format!(
                "Invalid multipart body: {other} (after {} bytes{})",
                received.load(Ordering::Relaxed),
                declared_length
                    .as_deref()
                    .map(|length| format!(" of the {length} the request declares"))
                    .unwrap_or_default()
            )),
        };
        while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
            let part = field.name().unwrap_or_default().to_string();
            let filename = field.file_name().map(str::to_string);
            if !FILE_PARTS.contains(&part.as_str()) && filename.is_none() {
                let value = field.text().await.map_err(broken)?;
                params.insert(&part, value);
                continue;
            }
            let gzip_named = filename.as_deref().is_some_and(is_gzip_name);
            let hint = format_hint(Some(&part), filename.as_deref());
            let encoding = charset(
                &field
                    .content_type()
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            )?;
            let info = FileInfo {
                hint,
                name: filename.clone(),
            };
            let mut sink = file_sink(open(&params, info)?, encoding, gzip_named);
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                sink.write_all(&chunk).map_err(ApiError::from_io)?;
            }
            return Ok((params, Some(finish(sink)?)));
        }
        return Ok((params, None));
    }

    if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = read_all(body, sizes.raw_body_bytes).await?;
        if body.is_empty() || holds_parameters(&body, is_parameter) {
            params.merge_form(&body);
            return Ok((params, None));
        }
        let info = FileInfo {
            hint: None,
            name: None,
        };
        let mut sink = file_sink(open(&params, info)?, None, said_gzip);
        sink.write_all(&body).map_err(ApiError::from_io)?;
        return Ok((params, Some(finish(sink)?)));
    }

    let mut body = Box::pin(body.peekable());
    if body.as_mut().peek().await.is_none() {
        return Ok((params, None));
    }
    let hint = format_hint(None, filename.as_deref());
    let encoding = charset(&content_type)?;
    let info = FileInfo {
        hint,
        name: filename,
    };
    let mut sink = file_sink(open(&params, info)?, encoding, said_gzip || gzip_named);
    // The body of a job's run is a file the host downloaded (DS-U*): only the file size
    // limits bound it.
    let max_wire_bytes = match auth::current_principal().job {
        Some(_) => u64::MAX,
        None => sizes.raw_body_bytes,
    };
    let mut wire_bytes = 0u64;
    let mut body =
        body.map_err(|e| ApiError::bad_request(format!("Reading the body failed: {e:?}")));
    while let Some(chunk) = body.try_next().await? {
        wire_bytes += chunk.len() as u64;
        if wire_bytes > max_wire_bytes {
            return Err(too_large(sizes.raw_body_bytes));
        }
        sink.write_all(&chunk).map_err(ApiError::from_io)?;
    }
    Ok((params, Some(finish(sink)?)))
}

/// Where a file's bytes go on their way to `inner`: gunzipped (when `gzip`, or by its magic
/// bytes), then transcoded from `encoding`.
fn file_sink<W: Write>(
    inner: W,
    encoding: Option<&'static encoding_rs::Encoding>,
    gzip: bool,
) -> Gunzip<Transcode<W>> {
    Gunzip::new(Transcode::new(inner, encoding), gzip)
}

/// Ends a file (`file_sink`): the gzip trailer is checked and the last characters transcoded.
fn finish<W: Write>(sink: Gunzip<Transcode<W>>) -> Result<W, ApiError> {
    sink.finish()
        .and_then(Transcode::finish)
        .map_err(ApiError::from_io)
}

/// Whether a urlencoded body holds the endpoint's parameters rather than data: every key is
/// a plain name and one of them is a parameter of the endpoint. (curl sends `--data-binary
/// @file` with the form content type, so an NDJSON or CSV file arrives labelled as a form;
/// clients add parameters of their own, such as the CLI's `branch_mode`.)
fn holds_parameters(body: &[u8], is_parameter: fn(&str) -> bool) -> bool {
    let is_name =
        |key: &str| !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let mut pairs = form_urlencoded::parse(body);
    pairs.clone().all(|(key, _)| is_name(&key)) && pairs.any(|(key, _)| is_parameter(&key))
}

/// The `format` parameter (DS-2), `json` and `jsonl` being NDJSON.
pub fn format_of(format: &str) -> Result<&'static str, ApiError> {
    match format {
        "csv" => Ok("csv"),
        "ndjson" | "json" | "jsonl" => Ok("ndjson"),
        "parquet" => Ok("parquet"),
        other => Err(ApiError::bad_request(format!(
            "Invalid format '{other}': use csv, ndjson or parquet"
        ))),
    }
}

/// The first bytes of every gzip file.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether a file name says gzip.
pub fn is_gzip_name(name: &str) -> bool {
    name.ends_with(".gz")
}

/// Multipart parts that carry the file (DS-3: clients name it after the format, or `file`).
pub const FILE_PARTS: [&str; 4] = ["csv", "ndjson", "parquet", "file"];

/// The format a multipart part or file name stands for (DS-3), for requests without a
/// `format` parameter.
pub fn format_hint(part: Option<&str>, filename: Option<&str>) -> Option<&'static str> {
    let by_part = match part {
        Some("ndjson") => Some("ndjson"),
        Some("parquet") => Some("parquet"),
        Some("csv") => Some("csv"),
        _ => None,
    };
    let filename = filename.unwrap_or("").to_ascii_lowercase();
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

/// The 413 of an upload over `max_bytes`.
pub fn too_large(max_bytes: u64) -> ApiError {
    ApiError::new(
        413,
        format!("The file is larger than {max_bytes} bytes, the limit of this kind of upload"),
    )
}

/// Reads a whole body (a form, a small file) of at most `max_bytes`.
pub async fn read_all<S, E>(mut body: S, max_bytes: u64) -> Result<Vec<u8>, ApiError>
where
    S: Stream<Item = Result<Vec<u8>, E>> + Unpin,
    E: std::fmt::Debug,
{
    let mut all = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("Reading the body failed: {e:?}")))?;
        all.extend_from_slice(&chunk);
        if all.len() as u64 > max_bytes {
            return Err(too_large(max_bytes));
        }
    }
    Ok(all)
}

/// A writer that passes a file on to `W`, gunzipped when it is gzip: when said so, or when
/// its first two bytes are the gzip magic number (DS-F2).
pub struct Gunzip<W: Write> {
    /// Until two bytes are seen: the writer, and the bytes held back.
    undecided: Option<(W, Vec<u8>)>,
    decided: Option<Decided<W>>,
}

enum Decided<W: Write> {
    Plain(W),
    Gzip(Box<flate2::write::GzDecoder<W>>),
}

impl<W: Write> Decided<W> {
    fn new(inner: W, gzip: bool) -> Decided<W> {
        if gzip {
            Decided::Gzip(Box::new(flate2::write::GzDecoder::new(inner)))
        } else {
            Decided::Plain(inner)
        }
    }
}

impl<W: Write> Gunzip<W> {
    pub fn new(inner: W, said_gzip: bool) -> Gunzip<W> {
        if said_gzip {
            Gunzip {
                undecided: None,
                decided: Some(Decided::new(inner, true)),
            }
        } else {
            Gunzip {
                undecided: Some((inner, Vec::new())),
                decided: None,
            }
        }
    }

    /// Ends the file (checking the gzip trailer) and returns the writer it went to.
    pub fn finish(mut self) -> std::io::Result<W> {
        if let Some((mut inner, head)) = self.undecided.take() {
            inner.write_all(&head)?;
            return Ok(inner);
        }
        match self.decided.take().expect("decided once undecided is gone") {
            Decided::Plain(inner) => Ok(inner),
            Decided::Gzip(decoder) => decoder.finish(),
        }
    }
}

impl<W: Write> Write for Gunzip<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some((_, head)) = &mut self.undecided {
            head.extend_from_slice(buf);
            if head.len() < 2 {
                return Ok(buf.len());
            }
            let (inner, head) = self.undecided.take().expect("checked above");
            let decided = self
                .decided
                .insert(Decided::new(inner, head.starts_with(&GZIP_MAGIC)));
            match decided {
                Decided::Plain(inner) => inner.write_all(&head)?,
                Decided::Gzip(decoder) => decoder.write_all(&head)?,
            }
            return Ok(buf.len());
        }
        match self
            .decided
            .as_mut()
            .expect("decided once undecided is gone")
        {
            Decided::Plain(inner) => inner.write(buf),
            Decided::Gzip(decoder) => decoder.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.decided.as_mut() {
            None => Ok(()),
            Some(Decided::Plain(inner)) => inner.flush(),
            Some(Decided::Gzip(decoder)) => decoder.flush(),
        }
    }
}

/// The encoding a `Content-Type`'s `charset` names, when it is not UTF-8 (DS-C9); an
/// unknown charset is a 400.
pub fn charset(content_type: &str) -> Result<Option<&'static encoding_rs::Encoding>, ApiError> {
    let Some(label) = content_type.split(';').find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        (name.trim().eq_ignore_ascii_case("charset")).then(|| value.trim().trim_matches('"'))
    }) else {
        return Ok(None);
    };
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes())
        .ok_or_else(|| ApiError::bad_request(format!("Unknown charset '{label}'")))?;
    Ok((encoding != encoding_rs::UTF_8).then_some(encoding))
}

/// A writer that passes text on to `W` transcoded to UTF-8 from another encoding (DS-C9), or
/// as it is (always a Parquet file, which is not text).
pub struct Transcode<W: Write> {
    inner: W,
    decoder: Option<encoding_rs::Decoder>,
    decoded: Vec<u8>,
    started: bool,
}

impl<W: Write> Transcode<W> {
    pub fn new(inner: W, from: Option<&'static encoding_rs::Encoding>) -> Transcode<W> {
        Transcode {
            inner,
            decoder: from.map(|encoding| encoding.new_decoder_without_bom_handling()),
            decoded: Vec::new(),
            started: false,
        }
    }

    fn pass(&mut self, input: &[u8], last: bool) -> std::io::Result<()> {
        if !self.started && !input.is_empty() {
            self.started = true;
            if input.starts_with(crate::parquet_input::MAGIC) {
                self.decoder = None;
            }
        }
        let Some(decoder) = &mut self.decoder else {
            return self.inner.write_all(input);
        };
        let needed = decoder
            .max_utf8_buffer_length(input.len())
            .unwrap_or(input.len() * 3 + 16);
        self.decoded.resize(needed, 0);
        let (_, _, written, _) = decoder.decode_to_utf8(input, &mut self.decoded, last);
        self.inner.write_all(&self.decoded[..written])
    }

    /// Ends the text and returns the writer it went to.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.pass(&[], true)?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Transcode<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pass(buf, false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gunzips_by_magic_bytes_and_passes_the_rest() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"a,b\n1,2\n").unwrap();
        let gzipped = encoder.finish().unwrap();
        for (input, said) in [
            (gzipped.as_slice(), false),
            (gzipped.as_slice(), true),
            (b"a,b\n1,2\n".as_slice(), false),
        ] {
            let mut sink = Gunzip::new(Vec::new(), said);
            for byte in input {
                sink.write_all(&[*byte]).unwrap();
            }
            assert_eq!(sink.finish().unwrap(), b"a,b\n1,2\n");
        }
        assert_eq!(Gunzip::new(Vec::new(), false).finish().unwrap(), b"");
    }

    #[test]
    fn transcodes_a_declared_charset_to_utf8_across_writes() {
        let latin1 = charset("text/csv; charset=latin1").unwrap();
        assert!(latin1.is_some());
        assert!(charset("text/csv; charset=UTF-8").unwrap().is_none());
        assert!(charset("text/csv").unwrap().is_none());
        assert!(charset("text/csv; charset=klingon").is_err());
        let mut sink = Transcode::new(Vec::new(), latin1);
        for byte in b"caf\xe9,na\xefve\n" {
            sink.write_all(&[*byte]).unwrap();
        }
        assert_eq!(sink.finish().unwrap(), "café,naïve\n".as_bytes());
        let shift_jis = charset("text/csv; charset=shift_jis").unwrap();
        let mut sink = Transcode::new(Vec::new(), shift_jis);
        let text = [0x93, 0x8c, 0x8b, 0x9e]; // 東京, its second byte pairs split across writes
        sink.write_all(&text[..1]).unwrap();
        sink.write_all(&text[1..3]).unwrap();
        sink.write_all(&text[3..]).unwrap();
        assert_eq!(sink.finish().unwrap(), "東京".as_bytes());
    }
}
