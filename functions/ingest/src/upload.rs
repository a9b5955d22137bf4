//! The file of an import or an analysis (DS-3, DS-F2), as it streams in: the request body's
//! chunks (read with a byte limit), the format a multipart part or file name stands for, and
//! a writer that gunzips on the way when the request, the file name or the gzip magic bytes
//! say the file is gzip.

use std::io::Write;

use colibri_guest::ApiError;
use futures_util::{Stream, StreamExt};

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
                .insert(Decided::new(inner, head.starts_with(&[0x1f, 0x8b])));
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
}
