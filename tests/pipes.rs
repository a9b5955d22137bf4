//! The Pipes API over real HTTP (PIPE-*, TPL-*): pipes and nodes created, read, changed and
//! dropped; endpoints published and called with typed template parameters, which can never
//! inject SQL; the scopes that guard them.

mod support;

use serde_json::{Value, json};
use support::{ADMIN_TOKEN, Colibri, encode};

const SALES: &str = "{\"day\": \"2024-03-01\", \"country\": \"ES\", \"amount\": 10}\n\
                     {\"day\": \"2024-03-01\", \"country\": \"US\", \"amount\": 20}\n\
                     {\"day\": \"2024-03-02\", \"country\": \"ES\", \"amount\": 30}\n\
                     {\"day\": \"2024-03-03\", \"country\": \"FR\", \"amount\": 40}";

fn seeded(server: &Colibri) {
    let reply = server.send_events("sales", SALES, true);
    assert_eq!(reply.status, 200, "{}", reply.text());
}

fn post_json(server: &Colibri, path: &str, body: &Value) -> support::Reply {
    server
        .request(
            "POST",
            path,
            Some(ADMIN_TOKEN),
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
        .unwrap()
}

/// A two-node pipe: a filtered node with typed parameters, and an endpoint over it.
fn create_sales_pipe(server: &Colibri) -> Value {
    let reply = post_json(
        server,
        "/v0/pipes",
        &json!({
            "name": "sales_by_country",
            "description": "Sales per country",
            "nodes": [
                {
                    "name": "filtered",
                    "sql": "%\nSELECT country, amount FROM sales\nWHERE day >= {{Date(start, '2024-03-01', description='First day')}}\n{% if defined(country) %}AND country = {{String(country)}}{% end %}",
                },
                {
                    "name": "totals",
                    "sql": "%\nSELECT country, sum(amount) AS total FROM filtered GROUP BY country ORDER BY total DESC, country LIMIT {{Int32(top, 10)}}",
                    "type": "endpoint",
                },
            ],
        }),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn endpoint(server: &Colibri, query: &str) -> support::Reply {
    server.get(&format!("/v0/pipes/sales_by_country.json?{query}"))
}

#[test]
fn a_pipe_is_created_read_listed_and_dropped() {
    let server = Colibri::start();
    seeded(&server);
    let pipe = create_sales_pipe(&server);
    assert!(pipe["id"].as_str().unwrap().starts_with("t_"), "{pipe}");
    assert_eq!(pipe["name"], "sales_by_country");
    assert_eq!(pipe["type"], "endpoint");
    let nodes = pipe["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(pipe["endpoint"], nodes[1]["id"]);
    assert_eq!(nodes[0]["dependencies"], json!(["sales"]));
    assert_eq!(nodes[1]["dependencies"], json!(["filtered"]));
    assert_eq!(nodes[1]["node_type"], "endpoint");
    let params: Vec<&str> = nodes[0]["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["start", "country"]);
    assert_eq!(nodes[0]["params"][0]["description"], "First day");
    assert_eq!(nodes[0]["params"][0]["type"], "Date");

    let got = server.get("/v0/pipes/sales_by_country");
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["id"], pipe["id"]);
    assert_eq!(
        server
            .get(&format!("/v0/pipes/{}", pipe["id"].as_str().unwrap()))
            .status,
        200
    );

    let listed = server.get("/v0/pipes?dependencies=false&attrs=name,updated_at&node_attrs=name");
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json();
    assert_eq!(listed["pipes"][0]["name"], "sales_by_country");
    assert_eq!(
        listed["pipes"][0]["nodes"],
        json!([{"name": "filtered"}, {"name": "totals"}])
    );
    assert!(listed["pipes"][0].get("id").is_none());

    let datafile = server.get("/v0/pipes/sales_by_country.pipe");
    assert_eq!(datafile.status, 200);
    let text = datafile.text();
    assert!(
        text.contains("NODE filtered\nSQL >\n    %\n    SELECT country, amount FROM sales"),
        "{text}"
    );
    assert!(
        text.contains("NODE totals\n") && text.ends_with("TYPE endpoint\n"),
        "{text}"
    );

    // Names are shared with data sources (PIPE-GEN-05).
    let clash = post_json(
        &server,
        "/v0/pipes",
        &json!({"name": "sales", "nodes": [{"sql": "SELECT 1"}]}),
    );
    assert_eq!(clash.status, 409, "{}", clash.text());
    let again = post_json(
        &server,
        "/v0/pipes",
        &json!({"name": "sales_by_country", "nodes": [{"sql": "SELECT 1"}]}),
    );
    assert_eq!(again.status, 409, "{}", again.text());
    let taken = server.send_events("sales_by_country", "{\"a\": 1}", true);
    assert_eq!(taken.status, 409, "{}", taken.text());

    // A data source pipes read is dropped only with force (DS-X5).
    let dry = server.delete("/v0/datasources/sales?dry_run=true");
    assert_eq!(dry.json()["dependent_pipes"], json!(["sales_by_country"]));
    let refused = server.delete("/v0/datasources/sales");
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert!(refused.error_message().contains("sales_by_country"));

    let dropped = server.delete("/v0/pipes/sales_by_country");
    assert_eq!(dropped.status, 204, "{}", dropped.text());
    assert_eq!(server.get("/v0/pipes/sales_by_country").status, 404);
    assert_eq!(endpoint(&server, "").status, 404);
    assert_eq!(server.get("/v0/pipes").json()["pipes"], json!([]));
    assert_eq!(server.delete("/v0/datasources/sales").status, 204);
}

#[test]
fn an_endpoint_runs_its_nodes_with_typed_parameters() {
    let server = Colibri::start();
    seeded(&server);
    create_sales_pipe(&server);

    let all = endpoint(&server, "");
    assert_eq!(all.status, 200, "{}", all.text());
    let all = all.json();
    assert_eq!(
        all["meta"],
        json!([{"name": "country", "type": "String"}, {"name": "total", "type": "Int64"}])
    );
    assert_eq!(
        all["data"],
        json!([{"country": "ES", "total": 40}, {"country": "FR", "total": 40}, {"country": "US", "total": 20}])
    );
    assert_eq!(all["rows"], 3);
    assert!(all["statistics"]["elapsed"].is_number());

    let spain = endpoint(&server, "country=ES").json();
    assert_eq!(spain["data"], json!([{"country": "ES", "total": 40}]));
    let later = endpoint(&server, "start=2024-03-02").json();
    assert_eq!(later["rows"], 2);
    let top = endpoint(&server, "top=1&start=2024-03-01&country=US").json();
    assert_eq!(top["data"], json!([{"country": "US", "total": 20}]));

    // `q` runs over the endpoint's result as `_` (PIPE-CALL-07).
    let counted = endpoint(
        &server,
        &format!("q={}", encode("SELECT count() AS n FROM _")),
    )
    .json();
    assert_eq!(counted["data"], json!([{"n": 3}]));

    // Other formats.
    let csv = server.get("/v0/pipes/sales_by_country.csv?country=US");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.text(), "\"country\",\"total\"\n\"US\",20\n");
    let ndjson = server.get("/v0/pipes/sales_by_country.ndjson?country=US");
    assert_eq!(ndjson.text().trim(), "{\"country\":\"US\",\"total\":20}");

    // POST with a form body, and a flat JSON body.
    let form = server.post_form("/v0/pipes/sales_by_country.json", b"country=FR");
    assert_eq!(form.json()["data"], json!([{"country": "FR", "total": 40}]));
    let body = post_json(
        &server,
        "/v0/pipes/sales_by_country.json",
        &json!({"country": "ES", "top": 5}),
    );
    assert_eq!(body.json()["data"], json!([{"country": "ES", "total": 40}]));

    // Wrong types and bad methods (PIPE-CALL-03, TPL-TYPE-02).
    let wrong = endpoint(&server, "top=ten");
    assert_eq!(wrong.status, 400, "{}", wrong.text());
    assert!(
        wrong.error_message().contains("'ten'") && wrong.error_message().contains("Int32"),
        "{}",
        wrong.text()
    );
    let bad_date = endpoint(&server, "start=yesterday");
    assert_eq!(bad_date.status, 400);
    let put = server.put("/v0/pipes/sales_by_country.json", b"");
    assert_eq!(put.status, 405);
}

#[test]
fn a_required_parameter_and_template_errors_are_answered_before_any_sql_runs() {
    let server = Colibri::start();
    seeded(&server);
    let sql = "%\n{% if not defined(country) %}{{custom_error({'error': 'Pass a country', 'code': 422})}}{% end %}\
               SELECT sum(amount) AS total FROM sales WHERE country = {{String(country)}} AND day >= {{Date(start, required=True)}}";
    let created = post_json(
        &server,
        "/v0/pipes",
        &json!({"name": "strict", "nodes": [{"sql": sql, "type": "endpoint"}]}),
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let custom = server.get("/v0/pipes/strict.json");
    assert_eq!(custom.status, 422, "{}", custom.text());
    assert_eq!(
        custom.json(),
        json!({"error": "Pass a country", "code": 422})
    );
    let missing = server.get("/v0/pipes/strict.json?country=ES");
    assert_eq!(missing.status, 400);
    assert!(
        missing.error_message().contains("'start'"),
        "{}",
        missing.text()
    );
    let ok = server.get("/v0/pipes/strict.json?country=ES&start=2024-03-01");
    assert_eq!(ok.json()["data"], json!([{"total": 40}]));
}

#[test]
fn parameter_values_never_inject_sql() {
    let server = Colibri::start();
    seeded(&server);
    server.send_events("secrets", "{\"secret\": \"s3cr3t\"}", true);
    let sql = "%\nSELECT count() AS n FROM sales WHERE country = {{String(s, 'ES')}} \
               AND amount >= {{Int32(i, 0)}} AND amount < {{Float64(f, 1000)}} \
               AND day >= {{Date(d, '2024-01-01')}} AND toDateTime(day) >= {{DateTime(dt, '2024-01-01 00:00:00')}} \
               AND country IN {{Array(a, 'String', default='ES,US,FR')}} AND {{Boolean(b, True)}} \
               ORDER BY {{column(c, 'n')}}";
    let created = post_json(
        &server,
        "/v0/pipes",
        &json!({"name": "guarded", "nodes": [{"sql": sql, "type": "endpoint"}]}),
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let baseline = server.get("/v0/pipes/guarded.json").json();
    assert_eq!(baseline["data"], json!([{"n": 2}]));
    let attacks = [
        ("s", "ES' OR 1=1 --"),
        ("s", "ES\\' OR 1=1 --"),
        ("s", "x' UNION ALL SELECT count() FROM secrets --"),
        ("i", "0 OR 1=1"),
        ("i", "0; SELECT 1"),
        ("f", "1000) OR (1=1"),
        ("d", "2024-01-01' OR '1'='1"),
        ("dt", "2024-01-01 00:00:00' OR '1'='1"),
        ("a", "ES'] OR 1=1 OR country IN ['x"),
        ("b", "1 OR 1"),
        ("c", "n; DROP TABLE sales"),
        ("c", "n` DESC, `x"),
    ];
    for (name, value) in attacks {
        let reply = server.get(&format!("/v0/pipes/guarded.json?{name}={}", encode(value)));
        match reply.status {
            // A string parameter is a literal: it matches no row, it never widens the query.
            200 => assert_eq!(
                reply.json()["data"],
                json!([{"n": 0}]),
                "{name}={value}: {}",
                reply.text()
            ),
            400 => {}
            other => panic!("{name}={value}: unexpected {other}: {}", reply.text()),
        }
    }
    assert_eq!(server.count("sales"), 4);
}

#[test]
fn nodes_are_appended_changed_published_and_removed() {
    let server = Colibri::start();
    seeded(&server);
    let created = server.post(
        "/v0/pipes?name=staged&sql=SELECT+country,+amount+FROM+sales",
        b"",
    );
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.json()["nodes"][0]["name"], "staged_0");
    assert_eq!(created.json()["type"], "default");
    assert_eq!(server.get("/v0/pipes/staged.json").status, 404);

    let appended = server.post(
        "/v0/pipes/staged/nodes?name=big&description=Only+big+sales",
        b"SELECT country FROM staged_0 WHERE amount > 15",
    );
    assert_eq!(appended.status, 200, "{}", appended.text());
    assert_eq!(appended.json()["name"], "big");
    // The answer shows the node as analysed when it was saved.
    assert_eq!(appended.json()["dependencies"], json!(["staged_0"]));
    let unknown = server.post(
        "/v0/pipes/staged/nodes?name=broken",
        b"SELECT * FROM nowhere",
    );
    assert_eq!(unknown.status, 400, "{}", unknown.text());
    assert!(
        unknown.error_message().contains("nowhere"),
        "{}",
        unknown.text()
    );
    // A node named as a data source would hide it (PIPE-GEN-05).
    let shadow = server.post("/v0/pipes/staged/nodes?name=sales", b"SELECT 1 AS one");
    assert_eq!(shadow.status, 409, "{}", shadow.text());
    let bad_sql = server.post("/v0/pipes/staged/nodes?name=broken", b"SELEC 1");
    assert_eq!(bad_sql.status, 400, "{}", bad_sql.text());
    assert_eq!(
        server.get("/v0/pipes/staged").json()["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // `tb pipe publish` names the node (PIPE-EP-01).
    let published = server.post("/v0/pipes/staged/nodes/big/endpoint", b"");
    assert_eq!(published.status, 200, "{}", published.text());
    assert_eq!(published.json()["type"], "endpoint");
    assert_eq!(
        published.json()["url"],
        format!("{}/v0/pipes/staged.json", server.base)
    );
    assert_eq!(server.get("/v0/pipes/staged.json").json()["rows"], 3);

    let changed = server.put(
        "/v0/pipes/staged/nodes/big",
        b"SELECT country FROM staged_0 WHERE amount > 35",
    );
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(
        server.get("/v0/pipes/staged.json").json()["data"],
        json!([{"country": "FR"}])
    );

    let kept = server.delete("/v0/pipes/staged/nodes/big");
    assert_eq!(kept.status, 400, "{}", kept.text());
    let unpublished = server.delete("/v0/pipes/staged/nodes/big/endpoint");
    assert_eq!(unpublished.status, 200, "{}", unpublished.text());
    assert_eq!(server.get("/v0/pipes/staged.json").status, 404);
    let removed = server.delete("/v0/pipes/staged/nodes/big");
    assert_eq!(removed.status, 204, "{}", removed.text());

    let renamed = server.put("/v0/pipes/staged?name=renamed&description=New", b"");
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(renamed.json()["description"], "New");
    assert_eq!(server.get("/v0/pipes/staged").status, 404);
    assert_eq!(server.get("/v0/pipes/renamed").status, 200);
}

#[test]
fn pipe_scopes_guard_reading_creating_and_dropping() {
    let data = support::temp_dir("pipe-scopes");
    let reader = support::create_token(&data, "reader", &["PIPES:READ:sales_by_country"]);
    let other = support::create_token(&data, "other", &["PIPES:READ:another"]);
    let creator = support::create_token(&data, "creator", &["PIPES:CREATE"]);
    let server = Colibri::start_in(&data, &[]);
    seeded(&server);
    create_sales_pipe(&server);

    // A pipe reader calls the endpoint without reading the data source itself.
    let called = server.get_as("/v0/pipes/sales_by_country.json?country=ES", &reader);
    assert_eq!(called.status, 200, "{}", called.text());
    assert_eq!(
        called.json()["data"],
        json!([{"country": "ES", "total": 40}])
    );
    let direct = server.get_as(
        &format!("/v0/sql?q={}", encode("SELECT count() FROM sales")),
        &reader,
    );
    assert_eq!(direct.status, 403, "{}", direct.text());
    // `q` reads the endpoint's result, not other data sources.
    let escape = server.get_as(
        &format!(
            "/v0/pipes/sales_by_country.json?q={}",
            encode("SELECT count() AS n FROM sales_quarantine")
        ),
        &reader,
    );
    assert_eq!(escape.status, 403, "{}", escape.text());
    for query in [
        "SELECT count() AS n FROM sales",
        "WITH x AS (SELECT * FROM sales) SELECT count() AS n FROM x, _",
    ] {
        let around = server.get_as(
            &format!("/v0/pipes/sales_by_country.json?q={}", encode(query)),
            &reader,
        );
        assert_eq!(around.status, 403, "{query}: {}", around.text());
    }
    let own_nodes = server.get_as(
        &format!(
            "/v0/pipes/sales_by_country.json?q={}",
            encode("SELECT count() AS n FROM filtered")
        ),
        &reader,
    );
    assert_eq!(own_nodes.json()["data"], json!([{"n": 4}]));
    assert_eq!(
        server
            .get_as("/v0/pipes/sales_by_country.json", &other)
            .status,
        403
    );
    assert_eq!(
        server.get_as("/v0/pipes", &other).json()["pipes"],
        json!([])
    );

    // Creating needs PIPES:CREATE, and reading what the pipe reads.
    let refused = server.post_as("/v0/pipes?name=mine&sql=SELECT+1", &reader, b"");
    assert_eq!(refused.status, 403, "{}", refused.text());
    let unreadable = server.post_as(
        "/v0/pipes?name=mine&sql=SELECT+count()+FROM+sales",
        &creator,
        b"",
    );
    assert_eq!(unreadable.status, 403, "{}", unreadable.text());
    let own = server.post_as("/v0/pipes?name=mine&sql=SELECT+1+AS+one", &creator, b"");
    assert_eq!(own.status, 200, "{}", own.text());

    // Dropping needs PIPES:DROP:<pipe>.
    let drop = |token: &str| {
        server
            .request("DELETE", "/v0/pipes/mine", Some(token), &[], b"")
            .unwrap()
            .status
    };
    assert_eq!(drop(&creator), 403);
    assert_eq!(drop(ADMIN_TOKEN), 204);
}

#[test]
fn the_query_api_renders_templates_and_reads_a_pipeline() {
    let data = support::temp_dir("query-api-pipes");
    let reader = support::create_token(&data, "reader", &["PIPES:READ:sales_by_country"]);
    let server = Colibri::start_in(&data, &[]);
    seeded(&server);
    create_sales_pipe(&server);

    // A `%` query is a template; the other parameters are its variables (PIPE-QAPI-03).
    let template = "% SELECT count() AS n FROM sales WHERE amount > {{Int32(min_amount, 0)}}";
    let get = server.get(&format!("/v0/sql?q={}&min_amount=15", encode(template)));
    assert_eq!(get.status, 200, "{}", get.text());
    assert_eq!(get.json()["data"], json!([{"n": 3}]));
    let post = post_json(
        &server,
        "/v0/sql",
        &json!({"q": template, "min_amount": 35}),
    );
    assert_eq!(post.json()["data"], json!([{"n": 1}]));
    let form = server.post_form(
        "/v0/sql?min_amount=25",
        format!("q={}", encode(template)).as_bytes(),
    );
    assert_eq!(form.json()["data"], json!([{"n": 2}]));
    let wrong = server.get(&format!("/v0/sql?q={}&min_amount=lots", encode(template)));
    assert_eq!(wrong.status, 400, "{}", wrong.text());
    assert!(wrong.error_message().contains("'lots'"), "{}", wrong.text());
    // Without the `%`, braces are the engine's to read.
    let plain = server.get(&format!("/v0/sql?q={}", encode("SELECT '{{x}}' AS t")));
    assert_eq!(plain.json()["data"], json!([{"t": "{{x}}"}]));

    // `pipeline`: `_` is the pipe's result, with its parameters (PIPE-QAPI-01).
    let sql = "SELECT country FROM _ ORDER BY country FORMAT JSON";
    let piped = server.get(&format!(
        "/v0/sql?q={}&pipeline=sales_by_country&start=2024-03-02",
        encode(sql)
    ));
    assert_eq!(piped.status, 200, "{}", piped.text());
    assert_eq!(
        piped.json()["data"],
        json!([{"country": "ES"}, {"country": "FR"}])
    );
    // A pipe reader reads the pipe's result through the Query API too, not its sources.
    let as_reader = server.get_as(
        &format!("/v0/sql?q={}&pipeline=sales_by_country", encode(sql)),
        &reader,
    );
    assert_eq!(as_reader.status, 200, "{}", as_reader.text());
    assert_eq!(as_reader.json()["rows"], 3);
    let around = server.get_as(
        &format!(
            "/v0/sql?q={}&pipeline=sales_by_country",
            encode("SELECT count() FROM sales")
        ),
        &reader,
    );
    assert_eq!(around.status, 403, "{}", around.text());
}

#[test]
fn every_endpoint_and_query_api_call_is_recorded_in_pipe_stats_rt() {
    let server = Colibri::start_with(&["--flush-interval-ms", "100"]);
    seeded(&server);
    create_sales_pipe(&server);
    // The header's token is the one used; the URL is recorded without `token`.
    assert_eq!(
        endpoint(&server, "country=ES&token=not-recorded").status,
        200
    );
    assert_eq!(endpoint(&server, "top=x").status, 400);
    assert_eq!(server.get("/v0/sql?q=SELECT+1").status, 200);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let rows = server.sql(
        "SELECT pipe_name, status_code, error, url, parameters, result_rows, token_name, method \
         FROM tinybird.pipe_stats_rt WHERE pipe_name = 'sales_by_country' \
         ORDER BY start_datetime, status_code FORMAT JSON",
    );
    assert_eq!(
        rows["data"],
        json!([
            {"pipe_name": "sales_by_country", "status_code": 200, "error": 0,
             "url": "/v0/pipes/sales_by_country.json?country=ES", "parameters": {"country": "ES"},
             "result_rows": 1, "token_name": "admin token", "method": "GET"},
            {"pipe_name": "sales_by_country", "status_code": 400, "error": 1,
             "url": "/v0/pipes/sales_by_country.json?top=x", "parameters": {"top": "x"},
             "result_rows": 0, "token_name": "admin token", "method": "GET"},
        ])
    );
    let query_api = server.sql(
        "SELECT count() AS n FROM tinybird.pipe_stats_rt WHERE pipe_id = 'query_api' FORMAT JSON",
    );
    assert!(
        query_api["data"][0]["n"].as_u64().unwrap() >= 1,
        "{query_api}"
    );
}

#[test]
fn the_openapi_document_describes_every_readable_endpoint() {
    let data = support::temp_dir("openapi");
    let reader = support::create_token(&data, "reader", &["PIPES:READ:sales_by_country"]);
    let server = Colibri::start_in(&data, &[]);
    seeded(&server);
    create_sales_pipe(&server);
    let hidden = post_json(
        &server,
        "/v0/pipes",
        &json!({"name": "hidden", "nodes": [{"sql": "SELECT 1 AS one", "type": "endpoint"}]}),
    );
    assert_eq!(hidden.status, 200, "{}", hidden.text());

    let document = server.get_as("/v0/pipes/openapi.json", &reader);
    assert_eq!(document.status, 200, "{}", document.text());
    let document = document.json();
    assert_eq!(document["openapi"], "3.0.3");
    let paths = document["paths"].as_object().unwrap();
    assert!(
        paths.contains_key("/v0/pipes/sales_by_country.json"),
        "{document}"
    );
    assert!(
        paths.contains_key("/v0/pipes/sales_by_country.csv"),
        "{document}"
    );
    assert!(!paths.keys().any(|p| p.contains("hidden")), "{document}");
    let get = &paths["/v0/pipes/sales_by_country.json"]["get"];
    assert_eq!(get["description"], "Sales per country");
    let names: Vec<&str> = get["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["start", "country", "top"]);
    assert_eq!(
        get["parameters"][0]["schema"],
        json!({"type": "string", "format": "date", "default": "2024-03-01"})
    );
    assert_eq!(get["parameters"][0]["description"], "First day");
    assert_eq!(
        get["parameters"][2]["schema"],
        json!({"type": "integer", "format": "int32", "default": 10})
    );
}
