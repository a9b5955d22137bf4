//! The Query API over real HTTP (Q-*): request styles, formats, functions and errors.

mod support;

use support::{ADMIN_TOKEN, Colibri, encode};

fn seeded() -> Colibri {
    let server = Colibri::start();
    let events = "{\"ts\": \"2024-03-01 10:15:00\", \"user\": \"a\", \"amount\": 10}\n\
                  {\"ts\": \"2024-03-01 10:45:00\", \"user\": \"b\", \"amount\": 20}\n\
                  {\"ts\": \"2024-03-01 11:05:00\", \"user\": \"a\", \"amount\": 30}\n\
                  {\"ts\": \"2024-03-02 09:00:00\", \"user\": \"c\", \"amount\": 40}";
    let reply = server.send_events("sales", events, true);
    assert_eq!(reply.status, 200, "{}", reply.text());
    server
}

#[test]
fn json_envelope_has_meta_data_rows_and_statistics() {
    let server = seeded();
    let reply = server.get(&format!(
        "/v0/sql?q={}",
        encode("SELECT user, amount, ts FROM sales ORDER BY amount LIMIT 2")
    ));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let answer = reply.json();
    assert_eq!(
        answer["meta"],
        serde_json::json!([
            {"name": "user", "type": "String"},
            {"name": "amount", "type": "Int16"},
            {"name": "ts", "type": "DateTime"}
        ])
    );
    assert_eq!(
        answer["data"][0],
        serde_json::json!({"user": "a", "amount": 10, "ts": "2024-03-01 10:15:00"})
    );
    assert_eq!(answer["rows"], 2);
    assert_eq!(answer["rows_before_limit_at_least"], 4);
    assert!(answer["statistics"]["elapsed"].as_f64().unwrap() > 0.0);
    assert_eq!(answer["statistics"]["rows_read"], 4);
    assert!(answer["statistics"]["bytes_read"].as_u64().unwrap() > 0);
    let without_limit = server.sql("SELECT count() FROM sales");
    assert!(
        without_limit.get("rows_before_limit_at_least").is_none(),
        "{without_limit}"
    );
}

#[test]
fn every_request_style_is_accepted() {
    let server = seeded();
    let sql = "SELECT sum(amount) AS total FROM sales FORMAT JSON";
    let expected = serde_json::json!(100);
    let text = server
        .request(
            "POST",
            "/v0/sql",
            Some(ADMIN_TOKEN),
            &[("content-type", "text/plain")],
            sql.as_bytes(),
        )
        .unwrap();
    assert_eq!(text.json()["data"][0]["total"], expected, "{}", text.text());
    let form = server.post_form("/v0/sql", format!("q={}", encode(sql)).as_bytes());
    assert_eq!(form.json()["data"][0]["total"], expected, "{}", form.text());
    let json = server
        .request(
            "POST",
            "/v0/sql",
            Some(ADMIN_TOKEN),
            &[("content-type", "application/json")],
            serde_json::json!({ "q": sql }).to_string().as_bytes(),
        )
        .unwrap();
    assert_eq!(json.json()["data"][0]["total"], expected, "{}", json.text());
    let get = server.get(&format!("/v0/sql?q={}", encode(sql)));
    assert_eq!(get.json()["data"][0]["total"], expected);
}

#[test]
fn text_formats_have_their_content_types() {
    let server = seeded();
    let cases = [
        (
            "JSONEachRow",
            "application/x-ndjson",
            "{\"user\":\"a\",\"amount\":10,\"ts\":\"2024-03-01 10:15:00\"}\n{\"user\":\"b\",\"amount\":20,\"ts\":\"2024-03-01 10:45:00\"}\n",
        ),
        (
            "CSV",
            "text/csv",
            "\"a\",10,\"2024-03-01 10:15:00\"\n\"b\",20,\"2024-03-01 10:45:00\"\n",
        ),
        (
            "CSVWithNames",
            "text/csv",
            "\"user\",\"amount\",\"ts\"\n\"a\",10,\"2024-03-01 10:15:00\"\n\"b\",20,\"2024-03-01 10:45:00\"\n",
        ),
        (
            "TSV",
            "text/tab-separated-values",
            "a\t10\t2024-03-01 10:15:00\nb\t20\t2024-03-01 10:45:00\n",
        ),
        (
            "TSVWithNames",
            "text/tab-separated-values",
            "user\tamount\tts\na\t10\t2024-03-01 10:15:00\nb\t20\t2024-03-01 10:45:00\n",
        ),
    ];
    for (format, content_type, body) in cases {
        let sql =
            format!("SELECT user, amount, ts FROM sales ORDER BY amount LIMIT 2 FORMAT {format}");
        let reply = server.get(&format!("/v0/sql?q={}", encode(&sql)));
        assert_eq!(reply.status, 200, "{format}: {}", reply.text());
        assert_eq!(reply.header("content-type"), Some(content_type), "{format}");
        assert_eq!(reply.text(), body, "{format}");
    }
}

#[test]
fn first_path_functions_give_clickhouse_answers() {
    let server = seeded();
    let answer = server.sql(
        "SELECT count() AS n, sum(amount) AS s, avg(amount) AS a, min(amount) AS lo, max(amount) AS hi, uniq(user) AS u FROM sales FORMAT JSON",
    );
    let row = &answer["data"][0];
    assert_eq!(
        (&row["n"], &row["s"], &row["lo"], &row["hi"], &row["u"]),
        (
            &serde_json::json!(4),
            &serde_json::json!(100),
            &serde_json::json!(10),
            &serde_json::json!(40),
            &serde_json::json!(3)
        ),
        "{answer}"
    );
    assert_eq!(row["a"].as_f64(), Some(25.0), "{answer}");
    let hours = server.sql(
        "SELECT toStartOfHour(ts) AS hour, count() AS n FROM sales GROUP BY hour ORDER BY hour FORMAT JSON",
    );
    assert_eq!(
        hours["data"],
        serde_json::json!([
            {"hour": "2024-03-01 10:00:00", "n": 2},
            {"hour": "2024-03-01 11:00:00", "n": 1},
            {"hour": "2024-03-02 09:00:00", "n": 1}
        ])
    );
    assert_eq!(hours["meta"][0]["type"], "DateTime");
    let days = server.sql("SELECT toDate(ts) AS d, toStartOfDay(ts) AS start, sum(amount) AS s FROM sales GROUP BY d, start ORDER BY d FORMAT JSON");
    assert_eq!(
        days["data"],
        serde_json::json!([
            {"d": "2024-03-01", "start": "2024-03-01 00:00:00", "s": 60},
            {"d": "2024-03-02", "start": "2024-03-02 00:00:00", "s": 40}
        ])
    );
    // A comparison answers UInt8 1 or 0, as in ClickHouse.
    let clock = server.sql("SELECT today() = toDate(now()) AS same FORMAT JSON");
    assert_eq!(clock["data"][0]["same"], 1);
    assert_eq!(clock["meta"][0]["type"], "UInt8");
    // ClickHouse's length: bytes of a string, elements of an array.
    let lengths = server.sql(
        "SELECT length('héllo') AS bytes, length(['a', 'b', 'c']) AS items, length(user) AS u FROM sales LIMIT 1 FORMAT JSON",
    );
    assert_eq!(
        lengths["data"][0],
        serde_json::json!({"bytes": 6, "items": 3, "u": 1})
    );
    assert_eq!(lengths["meta"][0]["type"], "UInt64", "{lengths}");
}

#[test]
fn errors_name_the_problem() {
    let server = seeded();
    let syntax = server.get(&format!("/v0/sql?q={}", encode("SELEC amount FROM sales")));
    assert_eq!(syntax.status, 400);
    assert_eq!(syntax.header("x-db-exception-code"), Some("62"));
    assert!(syntax.error_message().to_lowercase().contains("syntax"));

    let unknown = server.get(&format!("/v0/sql?q={}", encode("SELECT * FROM nowhere")));
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.header("x-db-exception-code"), Some("60"));
    assert!(unknown.error_message().contains("nowhere"));

    let write = server.get(&format!("/v0/sql?q={}", encode("DROP TABLE sales")));
    assert_eq!(write.status, 400);
    assert!(write.error_message().contains("SELECT"));

    let missing = server.get("/v0/sql");
    assert_eq!(missing.status, 400);
    assert!(missing.error_message().contains("q"));

    let format = server.get(&format!("/v0/sql?q={}", encode("SELECT 1 FORMAT Nope")));
    assert_eq!(format.status, 400);
    assert_eq!(format.header("x-db-exception-code"), Some("73"));

    let column = server.get(&format!(
        "/v0/sql?q={}",
        encode("SELECT missing_column FROM sales")
    ));
    assert_eq!(column.status, 400);
    assert!(column.error_message().contains("missing_column"));
    assert_eq!(server.count("sales"), 4);
}

#[test]
fn reading_needs_the_read_scope() {
    let data = support::temp_dir("read-scope");
    let reader = support::create_token(&data, "reader", &["DATASOURCES:READ:public_events"]);
    let server = Colibri::start_in(&data, &[]);
    server.send_events("public_events", "{\"a\": 1}", true);
    server.send_events("private_events", "{\"a\": 2}", true);
    let sql = |q: &str| format!("/v0/sql?q={}", encode(q));
    let allowed = server.get_as(&sql("SELECT count() AS n FROM public_events"), &reader);
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    let denied = server.get_as(&sql("SELECT count() FROM private_events"), &reader);
    assert_eq!(denied.status, 403, "{}", denied.text());
    assert!(denied.error_message().contains("private_events"));
    let joined = server
        .request(
            "GET",
            &sql("SELECT * FROM public_events, private_events"),
            Some(&reader),
            &[],
            b"",
        )
        .unwrap();
    assert_eq!(joined.status, 403);
    // The list shows only what the token can read.
    let listed = server.get_as("/v0/datasources", &reader).json();
    let names: Vec<_> = listed["datasources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].clone())
        .collect();
    assert_eq!(names, vec![serde_json::json!("public_events")]);
}

#[test]
fn workspace_endpoint_answers_the_cli() {
    let server = Colibri::start();
    let workspace = server.get("/v0/workspace").json();
    for key in ["id", "name", "user_email", "user_id", "scope"] {
        assert!(workspace.get(key).is_some(), "{key} missing in {workspace}");
    }
    let unknown = server.get("/v0/nothing-here");
    assert_eq!(unknown.status, 404);
    unknown.error_message();
}

/// Runs each query on chDB and returns its output in `format`, as bytes (hex-encoded across
/// the pipe).
fn clickhouse_output(queries: &[String], format: &str) -> Vec<Vec<u8>> {
    let script = r#"
import json, sys, chdb
format = sys.argv[1]
print(json.dumps([chdb.query(q, format).bytes().hex() for q in json.load(sys.stdin)]))
"#;
    let hex: Vec<String> = support::chdb_json(&["-c", script, format], &queries);
    hex.iter()
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

/// The JSON envelope without its timing, which differs between any two runs.
fn without_statistics(text: &str) -> &str {
    text.split("\n\n\t\"statistics\"").next().unwrap()
}

#[test]
fn formats_print_as_clickhouse_prints_them() {
    let server = Colibri::start();
    let rows = "SELECT * FROM (\
        SELECT 'a' AS user, toUInt32(10) AS amount, toDateTime('2024-03-01 10:15:00') AS ts, \
               CAST([1, 2] AS Array(UInt8)) AS arr, CAST(NULL AS Nullable(String)) AS note, \
               0.5 AS share \
        UNION ALL SELECT 'bé', toUInt32(20), toDateTime('2024-03-01 10:45:00'), \
               CAST([3] AS Array(UInt8)), 'x|y', 2.25\
        ) ORDER BY amount";
    let metrics = "SELECT * FROM (\
        SELECT 'requests_total' AS name, 'counter' AS type, 'Requests served' AS help, \
               map('path', '/a') AS labels, toUInt64(5) AS value \
        UNION ALL SELECT 'requests_total', 'counter', 'Requests served', map('path', '/b\"'), toUInt64(7) \
        UNION ALL SELECT 'up', 'gauge', '', map('zone', 'eu'), toUInt64(1)\
        ) ORDER BY value";
    let cases = [
        ("JSONCompact", rows, "application/json"),
        ("JSONCompactEachRow", rows, "application/x-ndjson"),
        ("PrettyCompact", rows, "text/plain; charset=utf-8"),
        ("Prometheus", metrics, "text/plain; version=0.0.4"),
    ];
    for (format, query, content_type) in cases {
        let sql = format!("{query} FORMAT {format}");
        let reply = server.post("/v0/sql", sql.as_bytes());
        assert_eq!(reply.status, 200, "{format}: {}", reply.text());
        assert_eq!(reply.header("content-type"), Some(content_type), "{format}");
        let expected = clickhouse_output(&[query.to_string()], format).remove(0);
        let expected = String::from_utf8(expected).unwrap();
        assert_eq!(
            without_statistics(&reply.text()),
            without_statistics(&expected),
            "{format}"
        );
    }
}

#[test]
fn parquet_answers_read_back_in_clickhouse() {
    let server = Colibri::start();
    let query = "SELECT 'a' AS user, toUInt32(10) AS amount, 2.5 AS share";
    let reply = server.post("/v0/sql", format!("{query} FORMAT Parquet").as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    let folder = support::temp_dir("parquet-answer");
    let path = folder.join("answer.parquet");
    std::fs::write(&path, &reply.body).unwrap();
    let read_back = format!(
        "SELECT user, amount, share FROM file('{}', Parquet)",
        path.display()
    );
    let text = clickhouse_output(&[read_back], "TSV").remove(0);
    assert_eq!(String::from_utf8(text).unwrap(), "a\t10\t2.5\n");
}

/// Creates an empty MergeTree data source sorted by its `ts` column.
fn create_sorted_by_ts(server: &Colibri, name: &str, schema: &str) {
    let created = server.post(
        &format!(
            "/v0/datasources?name={name}&engine=MergeTree&engine_sorting_key=ts&schema={}",
            encode(schema)
        ),
        b"",
    );
    assert_eq!(created.status, 200, "{}", created.text());
}

#[test]
fn lookups_by_one_value_skip_the_files_without_it_and_find_every_row() {
    let server = Colibri::start();
    create_sorted_by_ts(
        &server,
        "visits",
        "ts DateTime, session String, action LowCardinality(String)",
    );
    // Three appends, three files, each with its own sessions, whose ranges overlap: min/max
    // statistics cannot tell which file holds one.
    for file in 0..3 {
        let events: String = (0..3000)
            .map(|i| {
                format!(
                    "{{\"ts\": \"2024-03-0{} 10:00:00\", \"session\": \"{}-{file}\", \"action\": \"view\"}}\n",
                    file + 1,
                    i / 3
                )
            })
            .collect();
        let reply = server.send_events("visits", &events, true);
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let lookup = |session: &str| {
        server.sql(&format!(
            "SELECT count() AS n FROM visits WHERE session = '{session}' FORMAT JSON"
        ))
    };
    for (session, rows) in [("0-0", 3), ("517-1", 3), ("999-2", 3), ("5-3", 0)] {
        assert_eq!(lookup(session)["data"][0]["n"], rows, "{session}");
    }
    let bytes_read = |answer: &serde_json::Value| answer["statistics"]["bytes_read"].as_u64();
    let scan = server.sql("SELECT count() AS n FROM visits WHERE session != 'none' FORMAT JSON");
    assert_eq!(scan["data"][0]["n"], 9000);
    let (one, all) = (bytes_read(&lookup("517-1")), bytes_read(&scan));
    assert!(
        // Two files of three skipped (their bloom filters are read, a few bytes per session).
        one.unwrap() * 3 < all.unwrap() * 2,
        "a lookup read {one:?} bytes, a scan {all:?}"
    );
}

#[test]
fn the_total_before_a_limit_counts_every_row_however_the_scan_is_pruned() {
    let server = Colibri::start();
    create_sorted_by_ts(&server, "numbers", "ts DateTime, id Int32");
    // Three files with disjoint ranges of ids: once the first two ids are known, statistics
    // could skip the other files, but the total a UI pages through must count their rows.
    for file in 0..3 {
        let events: String = (file * 1000..(file + 1) * 1000)
            .map(|id| format!("{{\"ts\": \"2024-03-01 10:00:00\", \"id\": {id}}}\n"))
            .collect();
        let reply = server.send_events("numbers", &events, true);
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let first = server.sql("SELECT id FROM numbers ORDER BY id LIMIT 2");
    assert_eq!(first["data"], serde_json::json!([{"id": 0}, {"id": 1}]));
    assert_eq!(first["rows_before_limit_at_least"], 3000, "{first}");
}

#[test]
fn low_cardinality_columns_read_as_low_cardinality_from_files_buffer_and_final() {
    let server = Colibri::start();
    let created = server.post(
        &format!(
            "/v0/datasources?name=clicks&engine=ReplacingMergeTree&engine_sorting_key=id&schema={}",
            encode(
                "id Int32, action LowCardinality(String), label LowCardinality(Nullable(String))"
            )
        ),
        b"",
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let events = |ids: std::ops::Range<i32>| -> String {
        ids.map(|id| {
            let action = ["view", "cart", ""][id as usize % 3];
            let label = if id % 2 == 0 { "\"even\"" } else { "null" };
            format!("{{\"id\": {id}, \"action\": \"{action}\", \"label\": {label}}}\n")
        })
        .collect()
    };
    // Rows in a file, and rows still in the write buffer; id 0 again replaces the first row.
    assert_eq!(
        server.send_events("clicks", &events(0..6), true).status,
        200
    );
    assert_eq!(
        server.send_events("clicks", &events(6..9), false).status,
        202
    );
    let replaced = "{\"id\": 0, \"action\": \"cart\", \"label\": null}\n";
    assert_eq!(server.send_events("clicks", replaced, false).status, 202);

    let counts = server.sql(
        "SELECT action, count() AS n, countIf(empty(action)) AS blank, \
         groupArray(upper(action)) AS upper FROM clicks WHERE action != 'view' \
         GROUP BY action ORDER BY action",
    );
    assert_eq!(
        counts["meta"],
        serde_json::json!([
            {"name": "action", "type": "LowCardinality(String)"},
            {"name": "n", "type": "UInt64"},
            {"name": "blank", "type": "UInt64"},
            {"name": "upper", "type": "Array(String)"}
        ])
    );
    let data = &counts["data"];
    assert_eq!(data[0]["action"], "");
    assert_eq!(
        (data[0]["n"].clone(), data[0]["blank"].clone()),
        (3.into(), 3.into())
    );
    assert_eq!(
        (data[1]["action"].clone(), data[1]["n"].clone()),
        ("cart".into(), 4.into())
    );
    let types =
        server.sql("SELECT toTypeName(action) AS a, toTypeName(label) AS l FROM clicks LIMIT 1");
    assert_eq!(
        types["data"][0],
        serde_json::json!({"a": "LowCardinality(String)", "l": "LowCardinality(Nullable(String))"})
    );
    let folded = server.sql(
        "SELECT id, action, label FROM clicks FINAL WHERE action = 'cart' ORDER BY id FORMAT JSON",
    );
    assert_eq!(
        folded["data"],
        serde_json::json!([
            {"id": 0, "action": "cart", "label": null},
            {"id": 1, "action": "cart", "label": null},
            {"id": 4, "action": "cart", "label": "even"},
            {"id": 7, "action": "cart", "label": null}
        ])
    );
}

#[test]
fn whole_table_counts_and_bounds_come_from_statistics_and_are_exact() {
    let server = Colibri::start();
    create_sorted_by_ts(
        &server,
        "readings",
        "ts DateTime, precise DateTime64(6), id Int32, score Nullable(UInt16)",
    );
    let batch = |day: u32, ids: std::ops::Range<i32>| -> String {
        ids.map(|id| {
            format!(
                "{{\"ts\": \"2024-05-{day:02} 10:00:{:02}\", \"precise\": \"2024-05-{day:02} 10:00:00.{:06}\", \"id\": {id}, \"score\": {}}}\n",
                id.rem_euclid(60),
                id.rem_euclid(1_000_000),
                if id % 2 == 0 { id.abs().to_string() } else { "null".into() }
            )
        })
        .collect()
    };
    for (day, ids) in [(3, 0..100), (1, -50..10), (9, 500..510)] {
        let reply = server.send_events("readings", &batch(day, ids), true);
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let bounds = "SELECT count() AS n, min(ts) AS first, max(ts) AS last, min(id) AS low, \
                  max(id) AS high, max(precise) AS p, max(score) AS s FROM readings FORMAT JSON";
    let committed = server.sql(bounds);
    assert_eq!(
        committed["data"][0],
        serde_json::json!({"n": 170, "first": "2024-05-01 10:00:00", "last": "2024-05-09 10:00:29",
            "low": -50, "high": 509, "p": "2024-05-09 10:00:00.000509", "s": 508})
    );
    // Count, bounds of ts and id from the Delta log: only `precise` (microseconds, which Delta's
    // statistics round) and `score` are read.
    let only_counted = server.sql("SELECT count() AS n, min(ts) AS a, max(id) AS b FROM readings");
    assert_eq!(only_counted["statistics"]["rows_read"], 0, "{only_counted}");
    // Rows still in the write buffer count too.
    let reply = server.send_events("readings", &batch(28, 900..901), false);
    assert_eq!(reply.status, 202, "{}", reply.text());
    let with_buffered = server.sql(bounds);
    assert_eq!(with_buffered["data"][0]["n"], 171, "{with_buffered}");
    assert_eq!(with_buffered["data"][0]["last"], "2024-05-28 10:00:00");
    assert_eq!(with_buffered["data"][0]["high"], 900);
}
