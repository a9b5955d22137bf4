//! Parquet files into the Data Sources API (DS-F1, DS-J7), written by a real Parquet writer
//! (pyarrow, installed by the test with pip), over real HTTP.

mod support;

use std::path::Path;
use std::process::Command;

use support::{Colibri, encode, gzip, python_tools, temp_dir};

/// Writes `rows` (Python literal of a list of dicts) to a Parquet file with pyarrow, with the
/// given compression codec, and returns its bytes.
fn write_parquet(dir: &Path, name: &str, rows: &str, compression: &str) -> Vec<u8> {
    let python = python_tools(&["pyarrow"]).join("python");
    let path = dir.join(name);
    let script = format!(
        r#"
import datetime, decimal, pyarrow as pa, pyarrow.parquet as pq
schema = pa.schema([
    ("id", pa.int64()),
    ("name", pa.string()),
    ("ts", pa.timestamp("ms", tz="UTC")),
    ("price", pa.decimal128(10, 2)),
    ("tags", pa.list_(pa.string())),
    ("address", pa.struct([("city", pa.string()), ("zip", pa.int32())])),
])
rows = {rows}
for row in rows:
    if row.get("ts") is not None:
        row["ts"] = datetime.datetime.fromisoformat(row["ts"]).replace(tzinfo=datetime.timezone.utc)
    if row.get("price") is not None:
        row["price"] = decimal.Decimal(row["price"])
pq.write_table(pa.Table.from_pylist(rows, schema=schema), r"{path}", compression="{compression}")
"#,
        path = path.display()
    );
    let status = Command::new(python).args(["-c", &script]).status().unwrap();
    assert!(status.success(), "pyarrow failed to write {name}");
    std::fs::read(path).unwrap()
}

const SCHEMA: &str = "id Int64 `json:$.id`, name String `json:$.name`, \
                      ts DateTime64(3) `json:$.ts`, price Decimal(10, 2) `json:$.price`, \
                      tags Array(String) `json:$.tags[:]`, city String `json:$.address.city`, \
                      zip Nullable(Int32) `json:$.address.zip`, \
                      kind String `json:$.kind` DEFAULT 'plain'";

#[test]
fn parquet_files_import_by_jsonpath_whatever_their_codec_part_or_compression() {
    let server = Colibri::start();
    let dir = temp_dir("parquet-files");
    let first = write_parquet(
        &dir,
        "first.parquet",
        r#"[
            {"id": 1, "name": "ann", "ts": "2024-03-01 10:00:00.250", "price": "9.50",
             "tags": ["a", "b"], "address": {"city": "Lyon", "zip": 69001}},
            {"id": 2, "name": "bob", "ts": "2024-03-02 11:30:00", "price": "12.00",
             "tags": [], "address": {"city": "Oslo", "zip": None}},
        ]"#,
        "snappy",
    );
    assert!(first.starts_with(b"PAR1"));

    // Create with a schema and the file at once, uploaded under the `ndjson` part as the
    // classic CLI does: the magic bytes make it Parquet.
    let reply = server.post_file(
        &format!(
            "/v0/datasources?name=orders&format=parquet&schema={}",
            encode(SCHEMA)
        ),
        "ndjson",
        "first.parquet",
        &first,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["successful_rows"], 2, "{answer}");
    assert_eq!(answer["error"], false, "{answer}");
    assert_eq!(answer["datasource"]["type"], "parquet");

    let rows = server.sql(
        "SELECT id, name, ts, price, tags, city, zip, kind FROM orders \
         ORDER BY id FORMAT JSON",
    );
    assert_eq!(
        rows["data"],
        serde_json::json!([
            {"id": 1, "name": "ann", "ts": "2024-03-01 10:00:00.250", "price": 9.5,
             "tags": ["a", "b"], "city": "Lyon", "zip": 69001, "kind": "plain"},
            {"id": 2, "name": "bob", "ts": "2024-03-02 11:30:00.000", "price": 12,
             "tags": [], "city": "Oslo", "zip": null, "kind": "plain"},
        ]),
        "{rows}"
    );

    // Append a zstd file, gzipped, as a raw body: a row without an id (non-Nullable, no
    // DEFAULT) goes to quarantine, the others in.
    let second = write_parquet(
        &dir,
        "second.parquet",
        r#"[
            {"id": 3, "name": "cy", "ts": "2024-03-03 00:00:00", "price": "1.25",
             "tags": ["c"], "address": {"city": "Rome", "zip": 100}},
            {"id": None, "name": "nobody", "ts": "2024-03-03 00:00:00", "price": "0",
             "tags": [], "address": {"city": "Nowhere", "zip": 1}},
        ]"#,
        "zstd",
    );
    let reply = server.post("/v0/datasources?name=orders&mode=append", &gzip(&second));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["successful_rows"], 1, "{answer}");
    assert_eq!(answer["quarantine_rows"], 1, "{answer}");
    assert_eq!(server.count("orders"), 3);
    let quarantined = server.sql("SELECT name, c__error FROM orders_quarantine FORMAT JSON");
    assert_eq!(quarantined["data"][0]["name"], "nobody", "{quarantined}");

    // A file that only looks like Parquet is refused and changes nothing.
    let mut broken = first.clone();
    broken.truncate(first.len() / 2);
    let reply = server.post_file(
        "/v0/datasources?name=orders&mode=append",
        "parquet",
        "broken.parquet",
        &broken,
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.error_message().contains("Parquet"),
        "{}",
        reply.text()
    );
    assert_eq!(server.count("orders"), 3);
}

#[test]
fn parquet_without_a_schema_is_refused_as_documented() {
    let server = Colibri::start();
    let file = write_parquet(
        &temp_dir("parquet-no-schema"),
        "rows.parquet",
        r#"[{"id": 1, "name": "ann", "ts": None, "price": None, "tags": [], "address": None}]"#,
        "snappy",
    );
    let reply = server.post_file(
        "/v0/datasources?name=guessed",
        "parquet",
        "rows.parquet",
        &file,
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.error_message().contains("schema"), "{}", reply.text());
    let listed = server.get("/v0/datasources").json();
    assert_eq!(listed["datasources"], serde_json::json!([]), "{listed}");
}

#[test]
fn analyze_reads_the_types_a_parquet_file_declares_and_its_schema_imports_the_file() {
    let server = Colibri::start();
    let file = write_parquet(
        &temp_dir("parquet-analyze"),
        "rows.parquet",
        r#"[
            {"id": 1, "name": "ann", "ts": "2024-03-01 10:00:00.250", "price": "9.50",
             "tags": ["a"], "address": {"city": "Lyon", "zip": 69001}},
            {"id": 2, "name": "bob", "ts": "2024-03-02 11:30:00", "price": "12.00",
             "tags": [], "address": {"city": "Oslo", "zip": None}},
        ]"#,
        "snappy",
    );
    let reply = server.post_file("/v0/analyze", "file", "rows.parquet", &file);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    let types: std::collections::BTreeMap<String, (String, String)> = answer["analysis"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap().to_string();
            (text("name"), (text("recommended_type"), text("path")))
        })
        .collect();
    let expected = [
        ("id", "Int64", "$.id"),
        ("name", "String", "$.name"),
        ("ts", "DateTime64(3)", "$.ts"),
        ("price", "Decimal(10, 2)", "$.price"),
        ("tags", "Array(String)", "$.tags[:]"),
        ("address_city", "String", "$.address.city"),
        ("address_zip", "Nullable(Int32)", "$.address.zip"),
    ];
    for (name, type_name, path) in expected {
        assert_eq!(
            types.get(name),
            Some(&(type_name.to_string(), path.to_string())),
            "{name}: {answer}"
        );
    }
    assert_eq!(types.len(), expected.len(), "{answer}");
    assert_eq!(answer["preview"]["rows"], 2, "{answer}");

    let schema = answer["analysis"]["schema"].as_str().unwrap();
    let reply = server.post_file(
        &format!(
            "/v0/datasources?name=analysed&format=parquet&schema={}",
            encode(schema)
        ),
        "parquet",
        "rows.parquet",
        &file,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["successful_rows"], 2, "{}", reply.text());
    let rows = server.sql("SELECT sum(price) AS total, max(ts) AS last FROM analysed FORMAT JSON");
    assert_eq!(rows["data"][0]["total"], 21.5, "{rows}");
    assert_eq!(rows["data"][0]["last"], "2024-03-02 11:30:00.000", "{rows}");
}
