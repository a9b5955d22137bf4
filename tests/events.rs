//! The Events API over real HTTP (EV-*).

mod support;

use support::{ADMIN_TOKEN, Colibri, column_attributes, create_token, gzip, temp_dir};

#[test]
fn ndjson_with_wait_is_committed_and_counted() {
    let server = Colibri::start();
    let body = "{\"id\": 1, \"event\": \"view\", \"ts\": \"2024-01-01 10:00:00\"}\n\n{\"id\": 2, \"event\": \"click\", \"ts\": \"2024-01-01 10:30:00\"}\n";
    let reply = server.send_events("web", body, true);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.json(),
        serde_json::json!({"successful_rows": 2, "quarantined_rows": 0})
    );
    assert_eq!(server.count("web"), 2);
}

#[test]
fn without_wait_the_answer_is_202_and_rows_are_visible_at_once() {
    let server = Colibri::start();
    let reply = server.send_events("quick", "{\"n\": 1}\n{\"n\": 2}\n{\"n\": 3}", false);
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(reply.json()["successful_rows"], 3);
    // Buffered rows are visible to queries before their commit.
    assert_eq!(server.count("quick"), 3);
}

#[test]
fn auto_created_schema_is_guessed_and_listed() {
    let server = Colibri::start();
    let reply = server.send_events(
        "guessed",
        "{\"user\": {\"id\": 70000, \"name\": \"ana\"}, \"price\": 1.5, \"tags\": [1, 2], \"day\": \"2024-02-01\"}\n{\"user\": {\"id\": 1, \"name\": \"bo\"}, \"price\": 2, \"tags\": [], \"day\": \"2024-02-02\", \"extra\": \"x\"}",
        true,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let listed = server.get("/v0/datasources").json();
    let datasource = listed["datasources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "guessed")
        .expect("the data source is listed")
        .clone();
    assert_eq!(datasource["statistics"]["row_count"], 2);
    assert!(
        datasource["created_at"].as_str().unwrap().len() == 26,
        "{datasource}"
    );
    let columns = column_attributes(&datasource, &["name", "type"]);
    let expected = [
        ("day", "Date"),
        ("price", "Float64"),
        ("tags", "Array(Int16)"),
        ("user_id", "Int32"),
        ("user_name", "String"),
        ("extra", "Nullable(String)"),
    ];
    assert_eq!(
        columns,
        expected
            .iter()
            .map(|(n, t)| vec![n.to_string(), t.to_string()])
            .collect::<Vec<_>>()
    );
    let data = server.sql("SELECT user_name, tags, day FROM guessed ORDER BY user_id FORMAT JSON");
    assert_eq!(
        data["data"][0],
        serde_json::json!({"user_name": "bo", "tags": [], "day": "2024-02-02"})
    );
    assert_eq!(
        data["data"][1],
        serde_json::json!({"user_name": "ana", "tags": [1, 2], "day": "2024-02-01"})
    );
}

#[test]
fn a_single_json_object_from_a_browser_is_one_event() {
    let server = Colibri::start();
    let pretty = "{\n  \"page\": \"/home\",\n  \"visits\": 3\n}";
    let reply = server
        .request(
            "POST",
            "/v0/events?name=browser&wait=true",
            Some(ADMIN_TOKEN),
            &[
                ("content-type", "application/json"),
                ("origin", "https://example.com"),
            ],
            pretty.as_bytes(),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["successful_rows"], 1);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let preflight = server
        .request(
            "OPTIONS",
            "/v0/events?name=browser",
            None,
            &[
                ("origin", "https://example.com"),
                ("access-control-request-method", "POST"),
            ],
            b"",
        )
        .unwrap();
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("Authorization")
    );
    // format=json: a multi-line document, and an array of events.
    let reply = server.post(
        "/v0/events?name=browser&format=json&wait=true",
        b"[{\"page\": \"/a\", \"visits\": 1},\n {\"page\": \"/b\", \"visits\": 2}]",
    );
    assert_eq!(reply.json()["successful_rows"], 2, "{}", reply.text());
    assert_eq!(server.count("browser"), 3);
}

#[test]
fn gzip_bodies_are_decompressed() {
    let server = Colibri::start();
    let ndjson: String = (0..1000)
        .map(|i| format!("{{\"i\": {i}, \"s\": \"row {i}\"}}\n"))
        .collect();
    let reply = server
        .request(
            "POST",
            "/v0/events?name=zipped&wait=true",
            Some(ADMIN_TOKEN),
            &[("content-encoding", "gzip")],
            &gzip(ndjson.as_bytes()),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["successful_rows"], 1000);
    let sum = server.sql("SELECT sum(i) AS total FROM zipped FORMAT JSON");
    assert_eq!(sum["data"][0]["total"], 499_500);
}

#[test]
fn rows_that_do_not_fit_go_to_quarantine() {
    let server = Colibri::start();
    server.send_events("shop", "{\"store_id\": 1, \"product\": \"pen\"}", true);
    let reply = server.send_events(
        "shop",
        "{\"store_id\": \"3\", \"product\": \"ink\"}\n{\"product\": \"cap\"}\n{\"store_id\": 2, \"product\": \"pad\"}\nnot json at all",
        true,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json(),
        serde_json::json!({"successful_rows": 1, "quarantined_rows": 3})
    );
    assert_eq!(server.count("shop"), 2);
    let quarantine = server.sql(
        "SELECT store_id, product, c__error_column, c__error FROM shop_quarantine ORDER BY product FORMAT JSON",
    );
    let rows = quarantine["data"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{quarantine}");
    let ink = rows
        .iter()
        .find(|r| r["product"] == "ink")
        .expect("the ink row");
    assert_eq!(ink["store_id"], "3");
    assert_eq!(ink["c__error_column"], serde_json::json!(["store_id"]));
    let cap = rows
        .iter()
        .find(|r| r["product"] == "cap")
        .expect("the cap row");
    assert!(
        cap["c__error"][0]
            .as_str()
            .unwrap()
            .contains("column 'store_id': missing value for a non-nullable column")
    );
    let meta = &quarantine["meta"];
    assert_eq!(meta[0]["type"], "Nullable(String)");
    assert_eq!(meta[2]["type"], "Array(String)");
    let described = server.get("/v0/datasources/shop").json();
    assert_eq!(described["quarantine_rows"], 3);
}

#[test]
fn bad_requests_get_clear_json_errors() {
    let server = Colibri::start();
    let missing_name = server.post("/v0/events", b"{\"a\": 1}");
    assert_eq!(missing_name.status, 400);
    assert!(missing_name.error_message().contains("name"));

    let bad_token = server.post_as("/v0/events?name=x", "not-a-token", b"{\"a\": 1}");
    assert_eq!(bad_token.status, 403);
    assert!(bad_token.error_message().contains("token"));
    let no_token = server
        .request("POST", "/v0/events?name=x", None, &[], b"{\"a\": 1}")
        .unwrap();
    assert_eq!(no_token.status, 403);

    let too_big = vec![b' '; 10 * 1024 * 1024 + 1];
    let reply = server.post("/v0/events?name=big", &too_big);
    assert_eq!(reply.status, 413);
    assert!(reply.error_message().contains("larger"));

    let garbage = server.post("/v0/events?name=garbage", b"this is not json\nnor this");
    assert_eq!(garbage.status, 400);
    garbage.error_message();

    let bad_wait = server.post("/v0/events?name=x&wait=maybe", b"{\"a\": 1}");
    assert_eq!(bad_wait.status, 400);
    // Nothing was created by any of these.
    let listed = server.get("/v0/datasources").json();
    assert_eq!(
        listed["datasources"].as_array().unwrap().len(),
        0,
        "{listed}"
    );
}

#[test]
fn the_token_may_come_as_a_query_parameter() {
    let server = Colibri::start();
    let reply = server
        .request(
            "POST",
            &format!("/v0/events?name=qp&wait=true&token={ADMIN_TOKEN}"),
            None,
            &[],
            b"{\"a\": 1}",
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[test]
fn append_scoped_tokens_append_but_cannot_create() {
    let data = temp_dir("scoped");
    let appender = create_token(&data, "appender", &["DATASOURCES:APPEND:allowed"]);
    let server = Colibri::start_in(&data, &[]);
    server.send_events("allowed", "{\"a\": 1}", true);
    let ok = server.post_as(
        "/v0/events?name=allowed&wait=true",
        &appender,
        b"{\"a\": 2}",
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    let denied = server.post_as("/v0/events?name=other", &appender, b"{\"a\": 2}");
    assert_eq!(denied.status, 403, "{}", denied.text());
    denied.error_message();
    assert_eq!(server.count("allowed"), 2);
}

#[test]
fn unknown_fields_are_ignored_and_noted_as_new_columns() {
    let server = Colibri::start();
    let first = server.send_events("hints", "{\"a\": 1}", true);
    assert_eq!(first.status, 200, "{}", first.text());
    let described = server.get("/v0/datasources/hints").json();
    assert_eq!(described["new_columns_detected"], serde_json::json!({}));

    let later = server.send_events(
        "hints",
        "{\"a\": 2, \"extra\": {\"city\": \"Madrid\"}}",
        true,
    );
    assert_eq!(later.json()["successful_rows"], 1, "{}", later.text());
    let described = server.get("/v0/datasources/hints").json();
    assert_eq!(
        described["new_columns_detected"],
        serde_json::json!({"$.extra.city": "String"})
    );
    assert_eq!(described["columns"].as_array().unwrap().len(), 1);
    // The hint survives a restart (it is part of the data source's record).
    let mut server = server;
    server.restart();
    assert_eq!(
        server.get("/v0/datasources/hints").json()["new_columns_detected"]["$.extra.city"],
        "String"
    );
}

#[test]
fn arrays_of_objects_become_array_columns_per_leaf() {
    let server = Colibri::start();
    let reply = server.send_events(
        "firehose",
        "{\"records\": [{\"data\": \"a\", \"n\": 1}, {\"data\": \"b\", \"n\": 2}]}",
        true,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let columns = server.get("/v0/datasources/firehose").json()["columns"].clone();
    let described: Vec<_> = columns
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["type"].as_str().unwrap(),
                c["jsonpath"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        described,
        vec![
            ("records__data", "Array(String)", "$.records[:].data"),
            ("records__n", "Array(Int16)", "$.records[:].n"),
        ]
    );
    let answer = server.sql("SELECT records__data, records__n FROM firehose FORMAT JSON");
    assert_eq!(
        answer["data"][0]["records__data"],
        serde_json::json!(["a", "b"])
    );
    assert_eq!(answer["data"][0]["records__n"], serde_json::json!([1, 2]));
}

#[test]
fn inserts_are_logged_in_the_ops_log() {
    let data = temp_dir("opslog");
    let reader = create_token(&data, "reader", &["DATASOURCES:READ:logged"]);
    let server = Colibri::start_in(&data, &[]);
    let created = server.send_events("logged", "{\"n\": 1}\n{\"n\": 2}", true);
    assert_eq!(created.status, 200, "{}", created.text());
    let second = server.send_events("logged", "{\"n\": 3}\n{\"n\": \"not a number\"}", true);
    assert_eq!(second.json()["quarantined_rows"], 1, "{}", second.text());

    let sql = "SELECT event_type, request_id, rows, rows_quarantine FROM tinybird.datasources_ops_log \
               WHERE datasource_name = 'logged' FORMAT JSON";
    let started = std::time::Instant::now();
    // Sums a column over the `append-hfi` rows.
    let appended = |rows: &[serde_json::Value], key: &str| -> u64 {
        rows.iter()
            .filter(|r| r["event_type"] == "append-hfi")
            .map(|r| r[key].as_u64().unwrap())
            .sum()
    };
    // Appends reach the log at the next flush, the rows and the quarantined rows of one
    // request possibly at different ones: wait until both are in.
    let rows = loop {
        let answer = server.sql(sql);
        let rows = answer["data"].as_array().unwrap().clone();
        let complete = appended(&rows, "rows") == 3 && appended(&rows, "rows_quarantine") == 1;
        if complete || started.elapsed() > std::time::Duration::from_secs(10) {
            break rows;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    // One `create`, and the appends (summed per flush, so one or more rows).
    let creates: Vec<_> = rows
        .iter()
        .filter(|r| r["event_type"] == "create")
        .collect();
    assert_eq!(creates.len(), 1, "{rows:?}");
    assert_eq!(
        creates[0]["request_id"].as_str(),
        created.header("x-request-id"),
        "{rows:?}"
    );
    let appends = rows
        .iter()
        .filter(|r| r["event_type"] == "append-hfi")
        .count();
    assert_eq!(appends + 1, rows.len(), "{rows:?}");
    assert_eq!(appended(&rows, "rows"), 3, "{rows:?}");
    assert_eq!(appended(&rows, "rows_quarantine"), 1, "{rows:?}");

    // The log is the workspace's: a token that reads one data source cannot read it.
    let denied = server.get_as(
        "/v0/sql?q=SELECT%20count()%20FROM%20tinybird.datasources_ops_log",
        &reader,
    );
    assert_eq!(denied.status, 403, "{}", denied.text());
}
