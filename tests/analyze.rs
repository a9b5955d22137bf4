//! The Analyze API over real HTTP (AN-*): a file in, a schema the Data Sources API takes,
//! a preview and the CSV dialect out; nothing created.

mod support;

use support::{Colibri, create_token, encode, file_server, gzip, temp_dir};

/// The NDJSON file of the Analyze API reference (AN-4).
const REFERENCE_NDJSON: &str = "{\"a_nested_array\": {\"nested_array\": [1, 2, 3]}, \
     \"an_array\": [1, 2, 3], \"field\": \"hello\", \"nested\": {\"nested_field\": \"bla\"}}\n";

#[test]
fn ndjson_gives_the_reference_schema_which_creates_a_datasource_that_takes_the_file() {
    let server = Colibri::start();
    // Raw body, as the tb CLI sends it.
    let reply = server.post("/v0/analyze", REFERENCE_NDJSON.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    let analysis = &answer["analysis"];
    assert_eq!(
        analysis["schema"],
        "a_nested_array_nested_array Array(Int16) `json:$.a_nested_array.nested_array[:]`, \
         an_array Array(Int16) `json:$.an_array[:]`, field String `json:$.field`, \
         nested_nested_field String `json:$.nested.nested_field`",
        "{answer}"
    );
    assert_eq!(
        analysis["columns"][1],
        serde_json::json!({"path": "$.an_array[:]", "recommended_type": "Array(Int16)",
                           "present_pct": 3.0, "name": "an_array"}),
        "{answer}"
    );
    assert_eq!(analysis["columns"][2]["present_pct"], 1.0, "{answer}");
    let preview = &answer["preview"];
    assert_eq!(preview["rows"], 1, "{answer}");
    assert_eq!(
        preview["meta"][1],
        serde_json::json!({"name": "an_array", "type": "Array(Int16)"})
    );
    assert_eq!(
        preview["data"][0]["an_array"],
        serde_json::json!([1, 2, 3]),
        "{answer}"
    );
    assert_eq!(preview["data"][0]["nested_nested_field"], "bla", "{answer}");
    assert!(preview["statistics"]["elapsed"].is_number(), "{answer}");
    assert!(answer.get("dialect").is_none(), "{answer}");

    // Nothing was created; the schema is one the Data Sources API takes as is (AN-7).
    assert_eq!(
        server.get("/v0/datasources").json()["datasources"],
        serde_json::json!([])
    );
    let schema = analysis["schema"].as_str().unwrap();
    let reply = server.post(
        &format!(
            "/v0/datasources?name=analysed&format=ndjson&schema={}",
            encode(schema)
        ),
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = server.post(
        "/v0/datasources?name=analysed&mode=append&format=ndjson",
        REFERENCE_NDJSON.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let rows = server.sql("SELECT an_array, nested_nested_field FROM analysed FORMAT JSON");
    assert_eq!(
        rows["data"],
        serde_json::json!([{"an_array": [1, 2, 3], "nested_nested_field": "bla"}]),
        "{rows}"
    );
}

#[test]
fn csv_gives_columns_presence_dialect_and_a_typed_preview() {
    let server = Colibri::start();
    let mut csv = String::from("day;city;visits;score\n");
    for i in 0..30 {
        let score = if i % 3 == 0 {
            String::new()
        } else {
            format!("{i}.5")
        };
        csv.push_str(&format!("2024-01-{:02};Lyon;{i};{score}\n", i % 28 + 1));
    }
    // Gzipped, in a multipart `file` part (AN-2).
    let reply = server.post_file(
        "/v0/analyze",
        "file",
        "visits.csv.gz",
        &gzip(csv.as_bytes()),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(
        answer["analysis"]["schema"],
        "day Date, city String, visits Int16, score Nullable(Float64)",
        "{answer}"
    );
    let columns = &answer["analysis"]["columns"];
    assert_eq!(columns[0]["path"], serde_json::Value::Null, "{answer}");
    assert_eq!(columns[0]["present_pct"], 1.0, "{answer}");
    assert_eq!(columns[3]["present_pct"], 20.0 / 30.0, "{answer}");
    assert_eq!(
        answer["dialect"],
        serde_json::json!({"delimiter": ";", "new_line": "\n", "escapechar": null,
                           "has_header": true}),
        "{answer}"
    );
    let preview = &answer["preview"];
    assert_eq!(preview["rows"], 10, "{answer}");
    assert_eq!(
        preview["data"][0],
        serde_json::json!({"day": "2024-01-01", "city": "Lyon", "visits": 0, "score": null}),
        "{answer}"
    );
    assert_eq!(preview["data"][1]["score"], 1.5, "{answer}");
}

#[test]
fn a_truncated_sample_is_analysed_up_to_its_last_whole_record() {
    let server = Colibri::start();
    // Over the 1 MiB the CLI sends, with records of 183 bytes: the sample ends inside the
    // `name` of record 5729, whose `flag` must not count as missing (it would make the
    // column Nullable).
    let mut csv = String::from("id,name,flag\n");
    let name = "x".repeat(170);
    for i in 0..6000 {
        csv.push_str(&format!("{},{name},true\n", 100_000 + i));
    }
    let cut = &csv[(1 << 20) - 10..1 << 20];
    assert!(
        cut.bytes().all(|b| b == b'x'),
        "the sample must end inside a name"
    );
    let reply = server.post("/v0/analyze", csv.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(
        answer["analysis"]["schema"], "id Int32, name LowCardinality(String), flag Bool",
        "{answer}"
    );
    assert_eq!(
        answer["analysis"]["columns"][2]["present_pct"], 1.0,
        "{answer}"
    );
}

#[test]
fn analyze_refuses_missing_files_and_tokens_without_create() {
    let data = temp_dir("analyze-tokens");
    let reader = create_token(&data, "reader", &["DATASOURCES:READ:anything"]);
    let server = Colibri::start_in(&data, &[]);
    let reply = server.post("/v0/analyze", b"");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.error_message().contains("file"), "{}", reply.text());
    let reply = server.post_as("/v0/analyze", &reader, REFERENCE_NDJSON.as_bytes());
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = server.post("/v0/analyze?format=xml", REFERENCE_NDJSON.as_bytes());
    assert_eq!(reply.status, 400, "{}", reply.text());
}

#[test]
fn a_url_is_read_by_the_host_and_analysed_like_an_upload() {
    let server = Colibri::start();
    let base = file_server(vec![
        ("/files/events.ndjson.gz", gzip(REFERENCE_NDJSON.as_bytes())),
        (
            "/files/prices.csv",
            b"symbol,price\nACME,1.5\nINIT,2\n".to_vec(),
        ),
    ]);
    // As the tb CLI asks: `?url=` and an empty body.
    let url = format!("{base}/files/events.ndjson.gz");
    let reply = server.post(&format!("/v0/analyze?url={}", encode(&url)), b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(
        answer["analysis"]["columns"][1]["path"], "$.an_array[:]",
        "{answer}"
    );
    assert_eq!(answer["preview"]["rows"], 1, "{answer}");

    let url = format!("{base}/files/prices.csv");
    let reply = server.post(&format!("/v0/analyze?url={}", encode(&url)), b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["analysis"]["schema"],
        "symbol String, price Float64"
    );

    // A URL that cannot be read is a 400 with the reason (AN-11).
    for (url, reason) in [
        (format!("{base}/files/missing.csv"), "404"),
        ("ftp://example.com/x.csv".to_string(), "http"),
    ] {
        let reply = server.post(&format!("/v0/analyze?url={}", encode(&url)), b"");
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert!(reply.error_message().contains(reason), "{}", reply.text());
    }
}
