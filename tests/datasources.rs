//! The Data Sources API over real HTTP (DS-*): what is built of it so far.

mod support;

use support::{Colibri, column_attributes, create_token, encode, temp_dir};

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
    // CSV data is not built yet: a clear error, not a guess.
    let reply = server.post("/v0/datasources?name=c", b"a,b\n1,2\n");
    assert_eq!(reply.status, 501, "{}", reply.text());
    assert!(reply.error_message().contains("csv"), "{}", reply.text());
    assert_eq!(
        server.get("/v0/datasources").json()["datasources"],
        serde_json::json!([])
    );
}
