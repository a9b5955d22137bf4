//! The real clients against a real server: the classic tb CLI (`pip install tinybird-cli`)
//! authenticates, pushes a `.datasource` file, appends CSV and NDJSON files, deletes rows,
//! lists, analyses files, replaces, truncates and removes the data source, pushes, calls,
//! publishes and pulls pipes, and manages tokens, as a user would at a terminal; the Python
//! clients `verdin` and `tinybird-python-sdk` append events and call an endpoint.

mod support;

use std::path::Path;
use std::process::Command;

use support::{ADMIN_TOKEN, Colibri, python_tools, temp_dir};

const TINYBIRD_CLI: &str = "tinybird-cli==6.5.5";
const PYTHON_CLIENTS: &[&str] = &["verdin==0.5.3", "tinybird-python-sdk==0.3.7"];

/// Runs `tb` in `project`; panics with its output unless it succeeds. Returns its stdout.
fn tb(bin: &Path, project: &Path, args: &[&str]) -> String {
    let output = Command::new(bin.join("tb"))
        .args(args)
        .current_dir(project)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .expect("tb runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && !stdout.contains("Error"),
        "tb {args:?} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn the_tb_cli_manages_a_datasource_end_to_end() {
    let bin = python_tools(&[TINYBIRD_CLI]);
    let server = Colibri::start();
    let project = temp_dir("tb-project");
    std::fs::create_dir_all(project.join("datasources")).unwrap();
    std::fs::write(
        project.join("datasources/stocks.datasource"),
        "DESCRIPTION >\n    Daily stock prices\n\nSCHEMA >\n    `symbol` String,\n    \
         `day` Date,\n    `price` Float64\n\nENGINE \"MergeTree\"\n\
         ENGINE_SORTING_KEY \"symbol, day\"\n",
    )
    .unwrap();
    std::fs::write(
        project.join("stocks.csv"),
        "symbol,day,price\nACME,2024-01-02,10.5\nACME,2024-01-03,11\nINIT,2024-01-02,3.25\n",
    )
    .unwrap();
    std::fs::write(
        project.join("stocks.ndjson"),
        "{\"symbol\": \"NDJ\", \"day\": \"2024-02-01\", \"price\": 1.5}\n\
         {\"symbol\": \"NDJ\", \"day\": \"2024-02-02\", \"price\": 2}\n",
    )
    .unwrap();

    let out = tb(
        &bin,
        &project,
        &["auth", "--host", &server.base, "--token", ADMIN_TOKEN],
    );
    assert!(out.contains("Auth successful"), "{out}");

    tb(&bin, &project, &["push", "datasources/stocks.datasource"]);
    let datasource = server.get("/v0/datasources/stocks").json();
    assert_eq!(datasource["description"], "Daily stock prices");
    assert_eq!(datasource["engine"]["sorting_key"], "symbol, day");
    assert_eq!(datasource["columns"][1]["type"], "Date");

    tb(
        &bin,
        &project,
        &["datasource", "append", "stocks", "stocks.csv"],
    );
    assert_eq!(server.count("stocks"), 3);
    tb(
        &bin,
        &project,
        &["datasource", "append", "stocks", "stocks.ndjson"],
    );
    let answer = server.sql("SELECT sum(price) AS total FROM stocks FORMAT JSON");
    assert_eq!(answer["data"][0]["total"], 28.25, "{answer}");

    // Deleting rows is a job the CLI waits for through the Jobs API.
    tb(
        &bin,
        &project,
        &[
            "datasource",
            "delete",
            "stocks",
            "--sql-condition",
            "symbol = 'NDJ'",
            "--yes",
        ],
    );
    assert_eq!(server.count("stocks"), 3);

    let out = tb(&bin, &project, &["datasource", "ls"]);
    assert!(out.contains("name: stocks"), "{out}");

    let out = tb(&bin, &project, &["datasource", "analyze", "stocks.ndjson"]);
    assert!(
        out.contains(
            "day Date `json:$.day`, price Float64 `json:$.price`, symbol String `json:$.symbol`"
        ),
        "{out}"
    );
    let out = tb(&bin, &project, &["datasource", "analyze", "stocks.csv"]);
    assert!(
        out.contains("symbol String, day Date, price Float64"),
        "{out}"
    );
    assert!(out.contains("delimiter"), "{out}");

    tb(
        &bin,
        &project,
        &["datasource", "replace", "stocks", "stocks.csv"],
    );
    let answer = server.sql("SELECT count() AS n, sum(price) AS total FROM stocks FORMAT JSON");
    assert_eq!(answer["data"][0]["n"], 3, "{answer}");
    assert_eq!(answer["data"][0]["total"], 24.75, "{answer}");

    tb(
        &bin,
        &project,
        &["datasource", "truncate", "stocks", "--yes"],
    );
    assert_eq!(server.count("stocks"), 0);
    assert_eq!(
        server.get("/v0/datasources/stocks").json()["statistics"]["row_count"],
        0
    );

    tb(&bin, &project, &["datasource", "rm", "stocks", "--yes"]);
    assert_eq!(server.get("/v0/datasources/stocks").status, 404);
    assert_eq!(server.get("/v0/datasources/stocks_quarantine").status, 404);
    let out = tb(&bin, &project, &["datasource", "ls"]);
    assert!(!out.contains("stocks"), "{out}");
}

const SALES_PIPE: &str = "TOKEN \"dashboard\" READ\n\
DESCRIPTION >\n    Sales per country\n\n\
NODE filtered\nSQL >\n    %\n    SELECT country, amount FROM sales\n    \
WHERE day >= {{Date(start, '2024-01-01')}}\n\n\
NODE totals\nDESCRIPTION >\n    The totals\nSQL >\n    %\n    \
SELECT country, sum(amount) AS total FROM filtered\n    GROUP BY country\n    \
ORDER BY total DESC, country\n    LIMIT {{Int32(top, 10)}}\n";

#[test]
fn the_tb_cli_pushes_calls_publishes_and_pulls_pipes_and_manages_tokens() {
    let bin = python_tools(&[TINYBIRD_CLI]);
    let server = Colibri::start();
    let project = temp_dir("tb-pipes");
    std::fs::create_dir_all(project.join("datasources")).unwrap();
    std::fs::create_dir_all(project.join("pipes")).unwrap();
    std::fs::write(
        project.join("datasources/sales.datasource"),
        "SCHEMA >\n    `day` Date,\n    `country` String,\n    `amount` Int32\n",
    )
    .unwrap();
    std::fs::write(project.join("pipes/sales_by_country.pipe"), SALES_PIPE).unwrap();
    tb(
        &bin,
        &project,
        &["auth", "--host", &server.base, "--token", ADMIN_TOKEN],
    );
    tb(&bin, &project, &["push", "datasources/sales.datasource"]);
    let events = "{\"day\": \"2024-03-01\", \"country\": \"ES\", \"amount\": 5}\n\
                  {\"day\": \"2024-03-02\", \"country\": \"US\", \"amount\": 7}\n\
                  {\"day\": \"2024-03-03\", \"country\": \"US\", \"amount\": 1}";
    assert_eq!(server.send_events("sales", events, true).status, 200);

    // Without a TYPE line the last node is published (PIPE-EP-04), and the TOKEN line makes
    // a token that reads the pipe.
    let out = tb(&bin, &project, &["push", "pipes/sales_by_country.pipe"]);
    assert!(out.contains("sales_by_country.json"), "{out}");
    let dashboard = server.get("/v0/tokens/dashboard").json();
    assert_eq!(
        dashboard["scopes"],
        serde_json::json!([{"type": "PIPES:READ", "resource": "sales_by_country"}])
    );
    let called = server.get_as(
        "/v0/pipes/sales_by_country.json?top=1",
        dashboard["token"].as_str().unwrap(),
    );
    assert_eq!(called.status, 200, "{}", called.text());
    assert_eq!(
        called.json()["data"],
        serde_json::json!([{"country": "US", "total": 8}])
    );

    let out = tb(&bin, &project, &["pipe", "ls"]);
    assert!(out.contains("sales_by_country"), "{out}");
    let out = tb(
        &bin,
        &project,
        &[
            "pipe",
            "data",
            "sales_by_country",
            "--start",
            "2024-03-02",
            "--format",
            "csv",
        ],
    );
    assert!(out.contains("\"US\",8"), "{out}");
    assert!(!out.contains("ES"), "{out}");
    let out = tb(
        &bin,
        &project,
        &["sql", "SELECT sum(amount) AS s FROM sales"],
    );
    assert!(out.contains("13"), "{out}");

    tb(&bin, &project, &["pipe", "unpublish", "sales_by_country"]);
    assert_eq!(server.get("/v0/pipes/sales_by_country.json").status, 404);
    tb(&bin, &project, &["pipe", "publish", "sales_by_country"]);
    assert_eq!(server.get("/v0/pipes/sales_by_country.json").status, 200);

    // `tb pull` writes back what was pushed, and a pushed pull pulls the same again.
    let pulled = temp_dir("tb-pulled");
    std::fs::copy(project.join(".tinyb"), pulled.join(".tinyb")).unwrap();
    tb(&bin, &pulled, &["pull", "--force"]);
    let first = std::fs::read_to_string(pulled.join("pipes/sales_by_country.pipe")).unwrap();
    assert_eq!(
        first,
        SALES_PIPE.replace(
            "LIMIT {{Int32(top, 10)}}\n",
            "LIMIT {{Int32(top, 10)}}\nTYPE endpoint\n"
        )
    );
    tb(
        &bin,
        &pulled,
        &["push", "pipes/sales_by_country.pipe", "--force"],
    );
    tb(&bin, &pulled, &["pull", "--force"]);
    let second = std::fs::read_to_string(pulled.join("pipes/sales_by_country.pipe")).unwrap();
    assert_eq!(first, second);

    // Tokens.
    let out = tb(
        &bin,
        &project,
        &[
            "token",
            "create",
            "static",
            "reader",
            "--scope",
            "DATASOURCES:READ",
            "--resource",
            "sales",
        ],
    );
    assert!(out.contains("generated successfully"), "{out}");
    let out = tb(&bin, &project, &["token", "ls"]);
    assert!(out.contains("reader") && out.contains("dashboard"), "{out}");
    let out = tb(&bin, &project, &["token", "scopes", "reader"]);
    assert!(
        out.contains("DATASOURCES:READ") && out.contains("sales"),
        "{out}"
    );
    let before = server.get("/v0/tokens/reader").json()["token"].clone();
    tb(&bin, &project, &["token", "refresh", "reader", "--yes"]);
    assert_ne!(server.get("/v0/tokens/reader").json()["token"], before);
    tb(&bin, &project, &["token", "rm", "reader", "--yes"]);
    assert_eq!(server.get("/v0/tokens/reader").status, 404);

    tb(&bin, &project, &["pipe", "rm", "sales_by_country", "--yes"]);
    assert_eq!(server.get("/v0/pipes/sales_by_country").status, 404);
}

/// What the Python clients do: each appends events, a pipe is published over them, and each
/// calls it; prints the endpoint's answers as JSON.
const PYTHON_CLIENTS_SCRIPT: &str = r#"
import json, sys, requests
from verdin import tinybird
from tb.api import API
from tb.datasource import Datasource

host, token = sys.argv[1], sys.argv[2]
client = tinybird.Client(token, api=host)
client.datasource("visits").send_events(
    [{"page": "/home", "ms": 10}, {"page": "/docs", "ms": 30}], wait=True
)
with Datasource("visits", token, api_url=host) as sdk:
    sdk << {"page": "/home", "ms": 20}
pipe = {
    "name": "visits_by_page",
    "nodes": [{
        "sql": "%\nSELECT page, count() AS visits, sum(ms) AS ms FROM visits "
               "WHERE page = {{String(page, '/home')}} GROUP BY page",
        "type": "endpoint",
    }],
}
requests.post(f"{host}/v0/pipes", json=pipe, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
answers = {
    "verdin": client.pipe("visits_by_page").query({"page": "/docs"}).data,
    "sdk": API(token, host).get("/pipes/visits_by_page.json", params={"page": "/home"}).json()["data"],
}
print(json.dumps(answers))
"#;

#[test]
fn the_python_clients_append_events_and_call_an_endpoint() {
    let mut packages = vec![TINYBIRD_CLI];
    packages.extend(PYTHON_CLIENTS);
    let bin = python_tools(&packages);
    let server = Colibri::start();
    let output = Command::new(bin.join("python"))
        .args(["-c", PYTHON_CLIENTS_SCRIPT, &server.base, ADMIN_TOKEN])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        answers["verdin"],
        serde_json::json!([{"page": "/docs", "visits": 1, "ms": 30}])
    );
    assert_eq!(
        answers["sdk"],
        serde_json::json!([{"page": "/home", "visits": 2, "ms": 30}])
    );
    assert_eq!(server.count("visits"), 3);
}
