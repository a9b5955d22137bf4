//! The real clients against a real server: the classic tb CLI (`pip install tinybird-cli`)
//! authenticates, pushes a `.datasource` file, appends CSV and NDJSON files, deletes rows,
//! lists, analyses files, replaces, truncates and removes the data source, as a user would at
//! a terminal.

mod support;

use std::path::Path;
use std::process::Command;

use support::{ADMIN_TOKEN, Colibri, python_tools, temp_dir};

const TINYBIRD_CLI: &str = "tinybird-cli==6.5.5";

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
