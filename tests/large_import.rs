//! Imports stream: a 2 GB CSV file, generated as it is sent and never stored, uploaded
//! gzipped in a multipart body as `curl -F csv=@big.csv.gz` would, lands whole while the
//! server's memory stays under 1 GB.

mod support;

use std::io::{Cursor, Read};
use std::time::Duration;

use support::{ADMIN_TOKEN, Colibri, encode};

/// A long, repetitive text column: gzip shrinks the file well under the 500 MB multipart
/// limit (LIM-5), as it does real logs.
const NOTE: &str = "\"the quick brown fox jumps over the lazy dog, again and again and again\"";

/// CSV rows `n,ts,user,event,price,note`, made on the fly until `bytes` have been produced.
struct GeneratedCsv {
    bytes: u64,
    produced: u64,
    rows: u64,
    buffer: Vec<u8>,
    at: usize,
}

impl GeneratedCsv {
    fn new(bytes: u64) -> GeneratedCsv {
        GeneratedCsv {
            bytes,
            produced: 0,
            rows: 0,
            buffer: b"n,ts,user,event,price,note\n".to_vec(),
            at: 0,
        }
    }

    fn refill(&mut self) {
        self.buffer.clear();
        self.at = 0;
        while self.buffer.len() < 1 << 16 && self.produced < self.bytes {
            let n = self.rows;
            let row = format!(
                "{n},2024-05-{:02} {:02}:{:02}:{:02},user_{},{},{}.{:02},{NOTE}\n",
                1 + n % 28,
                n % 24,
                n % 60,
                (n / 60) % 60,
                n % 1000,
                ["view", "click", "buy"][(n % 3) as usize],
                n % 500,
                n % 100
            );
            self.produced += row.len() as u64;
            self.rows += 1;
            self.buffer.extend_from_slice(row.as_bytes());
        }
    }
}

impl Read for GeneratedCsv {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buffer.len() {
            self.refill();
        }
        let n = out.len().min(self.buffer.len() - self.at);
        out[..n].copy_from_slice(&self.buffer[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_2_gb_csv_upload_streams_through_in_bounded_memory() {
    const FILE_BYTES: u64 = 2_000_000_000;
    let server = Colibri::start_with(&["--guest-timeout-ms", "1800000"]);
    let schema = encode(
        "n UInt64, ts DateTime, user String, event LowCardinality(String), price Float64, note String",
    );
    let reply = server.post(&format!("/v0/datasources?name=big&schema={schema}"), b"");
    assert_eq!(reply.status, 200, "{}", reply.text());

    let boundary = "colibri-large-import";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"big.csv.gz\"\r\n\
         Content-Type: application/gzip\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let gzipped =
        flate2::read::GzEncoder::new(GeneratedCsv::new(FILE_BYTES), flate2::Compression::fast());
    let mut body = Cursor::new(head).chain(gzipped).chain(Cursor::new(tail));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(1800)))
        .build()
        .into();
    let mut response = agent
        .post(format!(
            "{}/v0/datasources?name=big&mode=append",
            server.base
        ))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .send(ureq::SendBody::from_reader(&mut body))
        .unwrap();
    let status = response.status().as_u16();
    let answer = response.body_mut().read_to_string().unwrap();
    assert_eq!(status, 200, "{answer}");

    let generated = GeneratedCsv::new(FILE_BYTES);
    let mut counter = generated;
    std::io::copy(&mut counter, &mut std::io::sink()).unwrap();
    let rows = counter.rows;
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["error"], false, "{answer}");
    assert_eq!(answer["successful_rows"], rows, "{answer}");
    let totals =
        server.sql("SELECT count() AS rows, sum(n) AS total, max(n) AS last FROM big FORMAT JSON");
    let number = |name: &str| {
        let value = &totals["data"][0][name];
        value
            .as_u64()
            .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
            .unwrap_or_else(|| panic!("{name} in {totals}"))
    };
    assert_eq!(number("rows"), rows, "{totals}");
    assert_eq!(number("total"), rows * (rows - 1) / 2, "{totals}");
    assert_eq!(number("last"), rows - 1, "{totals}");

    let peak = server.peak_memory_bytes();
    assert!(
        peak < 1 << 30,
        "the server held {} MB at its peak",
        peak >> 20
    );
    eprintln!(
        "2 GB CSV import: {rows} rows, server peak memory {} MB",
        peak >> 20
    );
}
