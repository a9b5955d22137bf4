//! The Data Sources API over real HTTP (DS-*): what is built of it so far.

mod support;

use support::{ADMIN_TOKEN, Colibri, column_attributes, create_token, encode, temp_dir};

#[test]
fn create_from_schema_makes_an_empty_datasource_that_events_fill() {
    let server = Colibri::start();
    let schema = "`ts` DateTime `json:$.ts`, price Decimal(10, 2) `json:$.price` DEFAULT 0, \
                  name String `json:$.user.name`, tags Array(String) `json:$.tags[:]`";
    let reply = server.post(
        &format!(
            "/v0/datasources?name=orders&format=ndjson&schema={}",
            encode(schema)
        ),
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let datasource = &reply.json()["datasource"];
    assert_eq!(datasource["name"], "orders");
    assert!(datasource["id"].as_str().unwrap().starts_with("t_"));
    assert_eq!(datasource["type"], "ndjson");
    assert_eq!(datasource["statistics"]["row_count"], 0);
    let columns = column_attributes(datasource, &["name", "type", "jsonpath"]);
    assert_eq!(
        columns,
        [
            ("ts", "DateTime", "$.ts"),
            ("price", "Decimal(10, 2)", "$.price"),
            ("name", "String", "$.user.name"),
            ("tags", "Array(String)", "$.tags[:]"),
        ]
        .map(|(n, t, p)| vec![n.to_string(), t.to_string(), p.to_string()])
    );
    assert_eq!(server.count("orders"), 0);
    assert_eq!(server.count("orders_quarantine"), 0);

    // The JSONPaths of the schema are the ones events are read by.
    let events = "{\"ts\": \"2024-03-01 10:00:00\", \"price\": 9.5, \"user\": {\"name\": \"ann\"}, \"tags\": [\"a\", \"b\"]}\n";
    let reply = server.send_events("orders", events, true);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = server.sql("SELECT name, tags FROM orders WHERE price = 9.5 FORMAT JSON");
    assert_eq!(answer["rows"], 1, "{answer}");
    assert_eq!(answer["data"][0]["name"], "ann");
    assert_eq!(answer["data"][0]["tags"], serde_json::json!(["a", "b"]));
}

#[test]
fn create_takes_its_parameters_from_a_form_body() {
    let server = Colibri::start();
    let body = format!(
        "name=form_made&schema={}",
        encode("a Int32, b Nullable(String)")
    );
    let reply = server.post_form("/v0/datasources", body.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["datasource"]["columns"][1]["type"],
        "Nullable(String)"
    );
    assert_eq!(server.get("/v0/datasources/form_made").status, 200);
}

#[test]
fn bad_creates_are_refused_and_change_nothing() {
    let data = temp_dir("ds-bad-create");
    let reader = create_token(&data, "reader", &["DATASOURCES:READ:a"]);
    let server = Colibri::start_in(&data, &[]);
    let create = |query: &str| server.post(&format!("/v0/datasources?{query}"), b"");

    let reply = create("name=a&schema=x%20Strin");
    assert_eq!(reply.status, 400);
    assert!(
        reply.error_message().contains("x Strin"),
        "{}",
        reply.text()
    );

    let reply = create("name=a");
    assert_eq!(reply.status, 400);
    assert!(reply.error_message().contains("schema"), "{}", reply.text());

    let reply = create("name=a&schema=x%20Int32&engine=Foo");
    assert_eq!(reply.status, 400);
    assert!(reply.error_message().contains("Foo"), "{}", reply.text());

    let reply = create("name=a&schema=x%20Int32&mode=upsert");
    assert_eq!(reply.status, 400);
    assert!(reply.error_message().contains("upsert"), "{}", reply.text());

    let reply = create("name=1bad&schema=x%20Int32");
    assert_eq!(reply.status, 400, "{}", reply.text());

    assert_eq!(
        server.get("/v0/datasources").json()["datasources"],
        serde_json::json!([])
    );

    assert_eq!(create("name=a&schema=x%20Int32").status, 200);
    let reply = create("name=a&schema=y%20String");
    assert_eq!(reply.status, 409, "{}", reply.text());
    assert!(reply.error_message().contains("already exists"));
    let columns = &server.get("/v0/datasources/a").json()["columns"];
    assert_eq!(columns[0]["name"], "x");

    // Creating needs DATASOURCES:CREATE.
    let reply = server.post_as("/v0/datasources?name=b&schema=x%20Int32", &reader, b"");
    assert_eq!(reply.status, 403, "{}", reply.text());
}

#[test]
fn a_datasource_without_a_name_is_named_for_you() {
    let server = Colibri::start();
    let reply = server.post("/v0/datasources?schema=x%20Int32", b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let name = reply.json()["datasource"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(name.starts_with("datasource_"), "{name}");
    assert_eq!(server.count(&name), 0);
}

#[test]
fn ndjson_bodies_create_and_append_with_quarantine_and_invalid_lines() {
    let server = Colibri::start();
    let schema = encode("id Int32 `json:$.id`, city String `json:$.city` DEFAULT 'none'");
    let body = "{\"id\": 1, \"city\": \"Paris\"}\n{\"id\": 2}\n";
    let reply = server.post(
        &format!("/v0/datasources?name=cities&format=ndjson&schema={schema}"),
        body.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["id"], answer["import_id"]);
    assert_eq!(answer["id"].as_str().unwrap().len(), 36, "{answer}");
    assert_eq!(answer["error"], false);
    assert_eq!(answer["successful_rows"], 2);
    assert_eq!(answer["quarantine_rows"], 0);
    assert_eq!(answer["invalid_lines"], 0);
    assert_eq!(answer["datasource"]["name"], "cities");
    assert_eq!(answer["datasource"]["statistics"]["row_count"], 2);
    let data = server.sql("SELECT id, city FROM cities ORDER BY id FORMAT JSON");
    assert_eq!(
        data["data"],
        serde_json::json!([{"id": 1, "city": "Paris"}, {"id": 2, "city": "none"}])
    );

    // Append: one good row, one that does not fit (a string id), one line that is not JSON.
    let body = "{\"id\": 3, \"city\": \"Oslo\"}\n{\"id\": \"x\"}\nnot json\n";
    let reply = server.post(
        "/v0/datasources?name=cities&mode=append&format=ndjson",
        body.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["successful_rows"], 1);
    assert_eq!(answer["quarantine_rows"], 1);
    assert_eq!(answer["invalid_lines"], 1);
    assert_eq!(
        answer["error"],
        "There was an error with file contents: 1 rows in quarantine and 1 invalid lines"
    );
    assert_eq!(server.count("cities"), 3);
    assert_eq!(server.count("cities_quarantine"), 2);
    let quarantined = server.sql("SELECT DISTINCT c__import_id FROM cities_quarantine FORMAT JSON");
    assert_eq!(
        quarantined["data"],
        serde_json::json!([{"c__import_id": answer["import_id"]}])
    );

    // `curl --data-binary @file` labels the file as a form: it is still data.
    let reply = server.post_form(
        "/v0/datasources?name=cities&mode=append&format=ndjson",
        b"{\"id\": 4, \"city\": \"Rome\"}\n",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["successful_rows"], 1);
    assert_eq!(server.count("cities"), 4);

    // Creating over an existing name imports nothing.
    let reply = server.post(
        &format!("/v0/datasources?name=cities&format=ndjson&schema={schema}"),
        b"{\"id\": 9}\n",
    );
    assert_eq!(reply.status, 409, "{}", reply.text());
    assert_eq!(server.count("cities"), 4);
}

#[test]
fn imports_that_cannot_be_done_are_refused_and_change_nothing() {
    let server = Colibri::start();
    // NDJSON needs a schema to create a data source (DS-M3).
    let reply = server.post("/v0/datasources?name=n&format=ndjson", b"{\"a\": 1}\n");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.error_message().contains("schema"));
    let reply = server.post("/v0/datasources?mode=append&format=ndjson", b"{\"a\": 1}\n");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.error_message().contains("name"));
    // No line of the body is JSON.
    let schema = encode("a Int32 `json:$.a`");
    let reply = server.post(
        &format!("/v0/datasources?name=n&format=ndjson&schema={schema}"),
        b"garbage\n",
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    // Four bytes of Parquet magic are not a Parquet file: a clear error, nothing created.
    let reply = server.post_file(
        &format!("/v0/datasources?name=p&schema={schema}"),
        "parquet",
        "p.parquet",
        b"PAR1",
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply
            .error_message()
            .contains("not a readable Parquet file"),
        "{}",
        reply.text()
    );
    // A CSV file without a single record cannot make a data source.
    let reply = server.post_file("/v0/datasources?name=c", "csv", "c.csv", b"");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        server.get("/v0/datasources").json()["datasources"],
        serde_json::json!([])
    );
}

#[test]
fn a_csv_file_creates_a_datasource_with_a_guessed_schema() {
    let server = Colibri::start();
    let csv = "product id,city,price,day,sold_at,on sale\r\n\
               1,Paris,9.5,2024-03-01,2024-03-01 10:00:00,true\r\n\
               2,\"Saint-Denis, \"\"north\"\"\",12,2024-03-02,2024-03-02 11:30:00,false\r\n\
               3,,7.25,2024-03-03,2024-03-03 09:15:00,true\r\n";
    let reply = server.post_file(
        "/v0/datasources?name=sales",
        "csv",
        "sales.csv",
        csv.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["error"], false, "{answer}");
    assert_eq!(answer["successful_rows"], 3);
    assert_eq!(answer["datasource"]["type"], "csv");
    assert_eq!(
        column_attributes(&answer["datasource"], &["name", "type"]),
        [
            ("product_id", "Int16"),
            ("city", "Nullable(String)"),
            ("price", "Float64"),
            ("day", "Date"),
            ("sold_at", "DateTime"),
            ("on_sale", "Bool"),
        ]
        .map(|(n, t)| vec![n.to_string(), t.to_string()])
    );
    // Keys guessed as DS-T8 and DS-T9 say: dates first, then numbers, no Nullable or Bool.
    let engine = &answer["datasource"]["engine"];
    assert_eq!(engine["partition_key"], "toYear(day)", "{engine}");
    assert_eq!(
        engine["sorting_key"], "day, sold_at, product_id, price",
        "{engine}"
    );
    let rows =
        server.sql("SELECT product_id, city, price FROM sales ORDER BY product_id FORMAT JSON");
    assert_eq!(
        rows["data"],
        serde_json::json!([
            {"product_id": 1, "city": "Paris", "price": 9.5},
            {"product_id": 2, "city": "Saint-Denis, \"north\"", "price": 12},
            {"product_id": 3, "city": null, "price": 7.25},
        ])
    );
}

#[test]
fn csv_appends_map_by_header_or_position_and_quarantine_what_does_not_fit() {
    let server = Colibri::start();
    let schema =
        encode("id Int32, name String, score Nullable(Float64), seen Date DEFAULT '2000-01-01'");
    let reply = server.post(&format!("/v0/datasources?name=people&schema={schema}"), b"");
    assert_eq!(reply.status, 200, "{}", reply.text());

    // A header in another order maps by name; an extra column is ignored (DS-C7).
    let with_header = "extra;score;name;id;seen\nx;1.5;ann;1;2024-01-02\ny;;bob;2;\n";
    let reply = server.post_file(
        "/v0/datasources?name=people&mode=append",
        "csv",
        "people.csv",
        with_header.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["successful_rows"], 2, "{}", reply.text());

    // Without a header, by position; the raw body works as well as a multipart file. A bad
    // number is a quarantined row, a short line an invalid line; the good rows land.
    let positional = "3,cid,2.5,2024-05-06\n4,dan,lots,2024-05-07\n5,eve\n\\N,fay,1,2024-05-08\n";
    let reply = server.post(
        "/v0/datasources?name=people&mode=append&format=csv",
        positional.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["successful_rows"], 1, "{answer}");
    assert_eq!(answer["quarantine_rows"], 2, "{answer}");
    assert_eq!(answer["invalid_lines"], 1, "{answer}");
    assert_eq!(
        answer["error"],
        "There was an error with file contents: 2 rows in quarantine and 1 invalid lines"
    );
    let rows = server.sql("SELECT id, name, score, seen FROM people ORDER BY id FORMAT JSON");
    assert_eq!(
        rows["data"],
        serde_json::json!([
            {"id": 1, "name": "ann", "score": 1.5, "seen": "2024-01-02"},
            {"id": 2, "name": "bob", "score": null, "seen": "2000-01-01"},
            {"id": 3, "name": "cid", "score": 2.5, "seen": "2024-05-06"},
        ])
    );
    let quarantined = server.sql(
        "SELECT name, score, c__error_column FROM people_quarantine WHERE name IS NOT NULL ORDER BY name FORMAT JSON",
    );
    assert_eq!(
        quarantined["data"],
        serde_json::json!([
            {"name": "dan", "score": "lots", "c__error_column": ["score"]},
            {"name": "fay", "score": "1", "c__error_column": ["id"]},
        ])
    );
}

#[test]
fn csv_dialects_gzip_and_type_guessing_off() {
    let server = Colibri::start();
    let gzipped = support::gzip(b"a|b\n1|x\n2|y\n");
    let reply = server.post_file(
        "/v0/datasources?name=piped",
        "csv",
        "piped.csv.gz",
        &gzipped,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        column_attributes(&reply.json()["datasource"], &["name", "type"]),
        [["a", "Int16"], ["b", "String"]].map(|c| c.map(String::from).to_vec())
    );
    assert_eq!(server.count("piped"), 2);

    let reply = server.post(
        "/v0/datasources?name=texts&type_guessing=false&dialect_delimiter=%3B&dialect_new_line=%5Cr",
        b"n;when\r1;2024-01-01\r2;2024-01-02\r",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        column_attributes(&reply.json()["datasource"], &["name", "type"]),
        [["n", "String"], ["when", "String"]].map(|c| c.map(String::from).to_vec())
    );
    assert_eq!(server.count("texts"), 2);

    let reply = server.post(
        "/v0/datasources?name=bad&dialect_delimiter=%3B%3B",
        b"a;b\n",
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.error_message().contains("dialect_delimiter"));
    assert_eq!(server.get("/v0/datasources/bad").status, 404);
}

#[test]
fn truncate_empties_and_drop_removes_with_the_right_scopes() {
    let data = temp_dir("ds-drop");
    let dropper = create_token(&data, "dropper", &["DATASOURCES:DROP:visits"]);
    let reader = create_token(&data, "reader", &["DATASOURCES:READ:visits"]);
    let mut server = Colibri::start_in(&data, &[]);
    let events = "{\"page\": \"/\", \"n\": 1}\n{\"page\": \"/a\", \"n\": 2}\n";
    assert_eq!(server.send_events("visits", events, true).status, 200);
    let bad = "{\"page\": \"/b\", \"n\": \"many\"}\n";
    assert_eq!(server.send_events("visits", bad, true).status, 200);
    assert_eq!(server.count("visits_quarantine"), 1);

    // Truncate needs CREATE or DROP; it works on quarantine tables too (DS-TR2).
    let reply = server.post_as("/v0/datasources/visits/truncate", &reader, b"");
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(server.count("visits"), 2);
    let reply = server.post("/v0/datasources/visits_quarantine/truncate", b"");
    assert_eq!(reply.status, 205, "{}", reply.text());
    assert_eq!(server.count("visits_quarantine"), 0);
    assert_eq!(server.count("visits"), 2);
    let reply = server.post_as("/v0/datasources/visits/truncate", &dropper, b"");
    assert_eq!(reply.status, 205, "{}", reply.text());
    assert_eq!(server.count("visits"), 0);
    // The data source still takes rows after a truncate.
    assert_eq!(server.send_events("visits", events, true).status, 200);
    assert_eq!(server.count("visits"), 2);

    // A dry run lists what depends on it and drops nothing.
    let reply = server
        .request(
            "DELETE",
            "/v0/datasources/visits?dry_run=true",
            Some(&dropper),
            &[],
            b"",
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["dependent_pipes"], serde_json::json!([]));
    assert_eq!(server.count("visits"), 2);

    let reply = server
        .request("DELETE", "/v0/datasources/visits", Some(&reader), &[], b"")
        .unwrap();
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = server
        .request("DELETE", "/v0/datasources/visits", Some(&dropper), &[], b"")
        .unwrap();
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert_eq!(server.get("/v0/datasources/visits").status, 404);
    assert_eq!(server.get("/v0/datasources/visits_quarantine").status, 404);
    let reply = server
        .request("DELETE", "/v0/datasources/visits", Some(&dropper), &[], b"")
        .unwrap();
    assert_eq!(reply.status, 404, "{}", reply.text());

    // The name is free again, for a data source of another shape, and stays so after a restart.
    assert_eq!(
        server
            .send_events("visits", "{\"other\": true}\n", true)
            .status,
        200
    );
    server.restart();
    let columns = &server.get("/v0/datasources/visits").json()["columns"];
    assert_eq!(columns.as_array().unwrap().len(), 1, "{columns}");
    assert_eq!(server.count("visits"), 1);
}

#[test]
fn a_large_csv_file_reads_the_same_through_both_paths() {
    let server = Colibri::start();
    let schema = encode("n Int64, at DateTime, label String, score Nullable(Float64)");
    let reply = server.post(&format!("/v0/datasources?name=big&schema={schema}"), b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    // About 9 MB: pieces of 4 MB go straight to Arrow, except the last one, which holds a bad
    // row and so is read record by record. Every piece holds the same kinds of values.
    let mut csv = String::from("n,at,label,score\n");
    let rows = 200_000;
    for n in 0..rows {
        csv.push_str(&format!(
            "{n},2024-03-01 10:{:02}:00,\"label, {n}\",{}\n",
            n % 60,
            if n % 2 == 0 { "" } else { "1.5" }
        ));
    }
    csv.push_str("oops,2024-03-01 10:00:00,bad,1\n");
    assert!(csv.len() > 8 << 20, "{}", csv.len());
    let reply = server.post_file(
        "/v0/datasources?name=big&mode=append",
        "csv",
        "big.csv",
        csv.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["successful_rows"], rows, "{answer}");
    assert_eq!(answer["quarantine_rows"], 1, "{answer}");
    let totals = server.sql(
        "SELECT sum(n) AS total, sum(CASE WHEN score IS NULL THEN 1 ELSE 0 END) AS nulls, \
         sum(extract(minute FROM at)) AS minutes, \
         sum(CASE WHEN label = concat('label, ', CAST(n AS VARCHAR)) THEN 1 ELSE 0 END) AS labels \
         FROM big FORMAT JSON",
    );
    let expected_minutes: u64 = (0..rows).map(|n| n % 60).sum();
    assert_eq!(
        totals["data"][0],
        serde_json::json!({
            "total": (0..rows).sum::<u64>(),
            "nulls": rows / 2,
            "minutes": expected_minutes,
            "labels": rows,
        }),
        "{totals}"
    );
    // The pieces went into one file, not one file each (and the bad row into one more, in
    // `big_quarantine`): every query pays for each file a table has.
    let files: usize = std::fs::read_dir(server.data.join("tables"))
        .unwrap()
        .map(|table| table.unwrap().path())
        .filter(|table| {
            table
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("t_")
        })
        .flat_map(|table| std::fs::read_dir(table).unwrap())
        .filter(|file| file.as_ref().unwrap().path().extension() == Some("parquet".as_ref()))
        .count();
    assert_eq!(files, 2);
}

#[test]
fn replace_swaps_all_rows_at_once_and_needs_create() {
    let data = temp_dir("ds-replace");
    let appender = create_token(&data, "appender", &["DATASOURCES:APPEND:prices"]);
    let server = Colibri::start_in(&data, &[]);
    let first = "symbol,price\nACME,1\nINIT,2\nZETA,3\n";
    let reply = server.post_file(
        "/v0/datasources?name=prices",
        "csv",
        "prices.csv",
        first.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    // Buffered rows (sent as events, not yet committed) are replaced too.
    assert_eq!(
        server
            .send_events("prices", "{\"symbol\": \"EVT\", \"price\": 9}\n", false)
            .status,
        202
    );
    assert_eq!(server.count("prices"), 4);

    let second = "symbol,price\nNEW,10\nNEWER,20\n";
    let reply = server.post_file(
        "/v0/datasources?name=prices&mode=replace",
        "csv",
        "prices.csv",
        second.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["successful_rows"], 2);
    let rows = server.sql("SELECT symbol FROM prices ORDER BY symbol FORMAT JSON");
    assert_eq!(
        rows["data"],
        serde_json::json!([{"symbol": "NEW"}, {"symbol": "NEWER"}])
    );

    // The replace is logged as one (DS-R8), once the ops log's next flush has run.
    let logged = "SELECT event_type, rows FROM tinybird.datasources_ops_log \
                  WHERE datasource_name = 'prices' AND event_type = 'replace' FORMAT JSON";
    let started = std::time::Instant::now();
    let replaces = loop {
        let answer = server.sql(logged);
        if answer["rows"] == 1 || started.elapsed() > std::time::Duration::from_secs(10) {
            break answer;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(replaces["data"][0]["rows"], 2, "{replaces}");

    // Refused replaces change nothing.
    let refused = [
        (
            "/v0/datasources?name=prices&mode=replace&replace_condition=no_such_column%3D1",
            None,
            400,
        ),
        ("/v0/datasources?name=nowhere&mode=replace", None, 404),
        (
            "/v0/datasources?name=prices&mode=replace",
            Some(appender.as_str()),
            403,
        ),
    ];
    for (path, token, status) in refused {
        let reply = match token {
            Some(token) => server.post_as(path, token, b"symbol,price\nX,1\n"),
            None => server.post(path, b"symbol,price\nX,1\n"),
        };
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
    }
    assert_eq!(server.count("prices"), 2);

    // An empty replace leaves the rows, unless asked to truncate (DS-M9).
    let reply = server.post(
        "/v0/datasources?name=prices&mode=replace&format=csv",
        b"symbol,price\n",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(server.count("prices"), 2);
    let reply = server.post(
        "/v0/datasources?name=prices&mode=replace&format=csv&replace_truncate_when_empty=true",
        b"symbol,price\n",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(server.count("prices"), 0);
}

#[test]
fn a_datasource_reads_back_as_its_datafile() {
    let server = Colibri::start();
    let schema =
        encode("`ts` DateTime `json:$.ts`, `price` Decimal(10, 2) `json:$.price` DEFAULT 0");
    let reply = server.post(
        &format!(
            "/v0/datasources?name=orders&format=ndjson&schema={schema}&description=Shop%20orders\
             &engine_sorting_key=ts&engine_partition_key=toYYYYMM(ts)"
        ),
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = server.get("/v0/datasources/orders.datasource");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(
        reply.text(),
        "DESCRIPTION >\n    Shop orders\n\nSCHEMA >\n    `ts` DateTime `json:$.ts`,\n    \
         `price` Decimal(10, 2) `json:$.price` DEFAULT 0\n\nENGINE \"MergeTree\"\n\
         ENGINE_PARTITION_KEY \"toYYYYMM(ts)\"\nENGINE_SORTING_KEY \"ts\"\n"
    );
    assert_eq!(server.get("/v0/datasources/nothing.datasource").status, 404);
}

#[test]
fn replace_with_a_condition_swaps_only_the_rows_it_matches() {
    let data = temp_dir("ds-replace-condition");
    let appender = create_token(&data, "appender", &["DATASOURCES:APPEND:daily"]);
    let server = Colibri::start_in(&data, &[]);
    let first = "day,city,visits\n2024-01-01,Lyon,1\n2024-01-02,Lyon,2\n2024-01-02,Oslo,3\n\
                 2024-01-03,Lyon,4\n";
    let reply = server.post_file(
        "/v0/datasources?name=daily",
        "csv",
        "d.csv",
        first.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());

    // New figures for 2 January; the 3 January row of the file is outside the condition and
    // is ignored (DS-M7 step 2), as is the existing 3 January row left alone.
    let second = "day,city,visits\n2024-01-02,Lyon,20\n2024-01-02,Rome,30\n2024-01-03,Lyon,99\n";
    let path = format!(
        "/v0/datasources?name=daily&mode=replace&replace_condition={}",
        encode("day = '2024-01-02'")
    );
    let reply = server.post_file(&path, "csv", "d.csv", second.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["successful_rows"], 2, "{}", reply.text());
    let rows = server.sql("SELECT day, city, visits FROM daily ORDER BY day, city FORMAT JSON");
    assert_eq!(
        rows["data"],
        serde_json::json!([
            {"day": "2024-01-01", "city": "Lyon", "visits": 1},
            {"day": "2024-01-02", "city": "Lyon", "visits": 20},
            {"day": "2024-01-02", "city": "Rome", "visits": 30},
            {"day": "2024-01-03", "city": "Lyon", "visits": 4},
        ]),
        "{rows}"
    );

    // Without CREATE it is refused; a file with no row for the condition changes nothing.
    let reply = server.post_as(&path, &appender, second.as_bytes());
    assert_eq!(reply.status, 403, "{}", reply.text());
    let none = "day,city,visits\n2024-01-05,Lyon,5\n";
    let reply = server.post_file(&path, "csv", "d.csv", none.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["successful_rows"], 0, "{}", reply.text());
    let total = server.sql("SELECT count() AS n, sum(visits) AS v FROM daily FORMAT JSON");
    assert_eq!(
        total["data"][0],
        serde_json::json!({"n": 4, "v": 55}),
        "{total}"
    );
}

#[test]
fn rename_keeps_the_id_and_the_rows_and_frees_the_old_name() {
    let data = temp_dir("ds-rename");
    let appender = create_token(&data, "appender", &["DATASOURCES:APPEND:draft"]);
    let mut server = Colibri::start_in(&data, &[]);
    let csv = "symbol,price\nACME,1\nINIT,2\n";
    let reply = server.post_file("/v0/datasources?name=draft", "csv", "d.csv", csv.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = reply.json()["datasource"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let put = |server: &Colibri, path: &str, token: &str, body: &[u8]| {
        server
            .request(
                "PUT",
                path,
                Some(token),
                &[("content-type", "application/x-www-form-urlencoded")],
                body,
            )
            .unwrap()
    };

    let reply = put(
        &server,
        "/v0/datasources/draft",
        ADMIN_TOKEN,
        b"name=prices",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["name"], "prices");
    assert_eq!(reply.json()["id"], id.as_str());
    assert_eq!(server.get("/v0/datasources/draft").status, 404);
    assert_eq!(server.get("/v0/datasources/prices_quarantine").status, 200);
    assert_eq!(server.count("prices"), 2);
    assert_eq!(server.count(&id), 2, "SQL reaches it by id too");

    // Refusals change nothing.
    for (path, token, body, status) in [
        ("/v0/datasources/prices", ADMIN_TOKEN, "name=1bad", 400),
        ("/v0/datasources/prices", ADMIN_TOKEN, "", 400),
        ("/v0/datasources/nothing", ADMIN_TOKEN, "name=other", 404),
        (
            "/v0/datasources/prices",
            appender.as_str(),
            "name=other",
            403,
        ),
        ("/v0/datasources/prices", ADMIN_TOKEN, "name=prices", 409),
    ] {
        let reply = put(&server, path, token, body.as_bytes());
        assert_eq!(reply.status, status, "{path} {body}: {}", reply.text());
    }

    // After a restart the new name holds and the old one is free again.
    server.restart();
    assert_eq!(server.count("prices"), 2);
    let reply = server.post_file("/v0/datasources?name=draft", "csv", "d.csv", csv.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_ne!(reply.json()["datasource"]["id"], id.as_str());
}

#[test]
fn a_declared_charset_is_transcoded_to_utf8() {
    let server = Colibri::start();
    // Latin-1 text (DS-C9).
    let latin1 = b"city,name\nZ\xfcrich,caf\xe9\nK\xf8benhavn,sm\xf8rrebr\xf8d\n";
    let reply = server
        .request(
            "POST",
            "/v0/datasources?name=cafes",
            Some(ADMIN_TOKEN),
            &[("content-type", "text/csv; charset=latin1")],
            latin1,
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    let rows = server.sql("SELECT city, name FROM cafes ORDER BY city FORMAT JSON");
    assert_eq!(
        rows["data"][1],
        serde_json::json!({"city": "Zürich", "name": "café"}),
        "{rows}"
    );

    let reply = server
        .request(
            "POST",
            "/v0/datasources?name=cafes&mode=append",
            Some(ADMIN_TOKEN),
            &[("content-type", "text/csv; charset=klingon")],
            b"city,name\nX,Y\n",
        )
        .unwrap();
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.error_message().contains("klingon"),
        "{}",
        reply.text()
    );
    assert_eq!(server.count("cafes"), 2);
}

#[test]
fn size_limits_are_the_ones_the_server_was_started_with() {
    let server = Colibri::start_with(&[
        "--max-raw-body-bytes",
        "100",
        "--max-events-body-bytes",
        "32",
        "--max-multipart-bytes",
        "1000",
    ]);
    let mut csv = String::from("id,name\n");
    for i in 0..20 {
        csv.push_str(&format!("{i},name{i}\n"));
    }
    assert!(csv.len() > 100);
    let reply = server.post("/v0/datasources?name=small", csv.as_bytes());
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert!(
        reply.error_message().contains("100 bytes"),
        "{}",
        reply.text()
    );
    // The same file fits a multipart body (LIM-5), until that limit too is passed.
    let reply = server.post_file("/v0/datasources?name=small", "csv", "s.csv", csv.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    let big = csv.repeat(10);
    let reply = server.post_file(
        "/v0/datasources?name=small&mode=append",
        "csv",
        "s.csv",
        big.as_bytes(),
    );
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(server.count("small"), 20);

    let events = "{\"id\": 1, \"name\": \"a name long enough to pass the limit\"}\n";
    assert!(events.len() > 32);
    let reply = server.send_events("small", events, true);
    assert_eq!(reply.status, 413, "{}", reply.text());
}

#[test]
fn an_import_that_fails_after_creating_its_datasource_leaves_nothing() {
    let data = temp_dir("ds-failed-create");
    let creator = create_token(&data, "creator", &["DATASOURCES:CREATE"]);
    // The multipart limit falls after the first 4 MB piece, which creates the data source.
    let server = Colibri::start_in(&data, &["--max-multipart-bytes", "5000000"]);
    let mut csv = String::from("id,name\n");
    let mut i = 0;
    while csv.len() < 6_000_000 {
        csv.push_str(&format!("{i},name number {i}\n"));
        i += 1;
    }
    let boundary = "------------------------colibri0123456789";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"big.csv\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(csv.as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let reply = server
        .request(
            "POST",
            "/v0/datasources?name=big",
            Some(&creator),
            &[(
                "content-type",
                &format!("multipart/form-data; boundary={boundary}"),
            )],
            &body,
        )
        .unwrap();
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(server.get("/v0/datasources/big").status, 404);
    assert_eq!(server.get("/v0/datasources/big_quarantine").status, 404);
    // The name is free.
    let reply = server.post_file(
        "/v0/datasources?name=big",
        "csv",
        "b.csv",
        b"id,name\n1,a\n",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[test]
fn a_file_without_a_name_names_its_datasource() {
    let server = Colibri::start();
    let csv = b"day,sold\n2024-01-01,3\n";
    let mut names = Vec::new();
    for _ in 0..2 {
        let reply = server.post_file("/v0/datasources", "csv", "daily sales.v2.csv", csv);
        assert_eq!(reply.status, 200, "{}", reply.text());
        names.push(
            reply.json()["datasource"]["name"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(names, ["daily_sales", "daily_sales_1"], "DS-M2");
    let reply = server.post_file("/v0/datasources", "csv", "2024.csv", csv);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let generated = reply.json()["datasource"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(generated.starts_with("datasource_"), "{generated}");
}

#[test]
fn debug_adds_blocks_and_the_block_log() {
    let server = Colibri::start();
    let csv = "1,ann\n2,bob\nthree,eve\n";
    let reply = server.post(
        &format!(
            "/v0/datasources?name=people&schema={}&format=csv&debug=blocks_block_log",
            encode("id Int32, name String")
        ),
        csv.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    let blocks = answer["blocks"].as_array().expect("blocks");
    assert_eq!(blocks.len(), 1, "{answer}");
    let block = &blocks[0];
    let processed = &block["process_return"][0];
    assert_eq!(processed["lines"], 3, "{answer}");
    assert_eq!(processed["quarantine"], 1, "{answer}");
    assert_eq!(processed["invalid_lines"], 0, "{answer}");
    assert_eq!(processed["bytes"], csv.len(), "{answer}");
    assert_eq!(processed["parser"], "csv", "{answer}");
    assert!(block["processing_error"].is_null(), "{answer}");
    let statuses: Vec<&str> = answer["block_log"]
        .as_array()
        .expect("block_log")
        .iter()
        .map(|entry| {
            assert_eq!(entry["block_id"], block["block_id"]);
            assert!(entry["timestamp"].as_f64().unwrap() > 1.7e9);
            entry["status"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "processing",
            "guessing",
            "inserting_chunk:0",
            "done_inserting_chunk:0",
            "done"
        ]
    );
    // Without `debug`, neither is there; `block_log` alone gives only the log.
    let reply = server.post(
        "/v0/datasources?name=people&mode=append&format=csv",
        b"4,joe\n",
    );
    assert!(reply.json().get("blocks").is_none(), "{}", reply.text());
    let reply = server.post(
        "/v0/datasources?name=people&mode=append&format=csv&debug=block_log",
        b"5,sue\n",
    );
    let answer = reply.json();
    assert!(answer.get("blocks").is_none(), "{answer}");
    assert_eq!(answer["block_log"].as_array().unwrap().len(), 5, "{answer}");
}
