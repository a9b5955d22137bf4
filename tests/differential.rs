//! The differential SQL suite (issue 4): every query of `tests/differential/queries/*.sql` runs
//! on ClickHouse itself (chDB, `pip install chdb`) and on Colibri's `/v0/sql` over the same
//! rows (`tests/differential/dataset.py`), and the answers are compared: column names and
//! ClickHouse types, then values, in order when the query orders its rows.
//!
//! A query whose answer differs must be listed in `tests/differential/known_differences.tsv`
//! (the query on one line, a tab, the reason); the test fails on a difference not listed, and
//! on a listed query that now matches, so the list only shrinks. It prints how many queries
//! match. `COLIBRI_DIFFERENTIAL_UPDATE=1` rewrites the list from the current answers instead
//! of failing.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{Colibri, chdb_json, chdb_python, encode};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/differential")
}

/// A query of the suite and where it comes from.
struct Query {
    origin: String,
    sql: String,
}

/// The queries of every `.sql` file: statements ending with `;` at a line's end, `--` lines
/// being comments.
fn queries() -> Vec<Query> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(suite_dir().join("queries"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut queries = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let mut current = Vec::new();
        let mut first_line = 0;
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("--") || line.trim().is_empty() && current.is_empty() {
                continue;
            }
            if current.is_empty() {
                first_line = number + 1;
            }
            current.push(line);
            if line.trim_end().ends_with(';') {
                let sql = current.join("\n");
                queries.push(Query {
                    origin: format!("{name}:{first_line}"),
                    sql: sql.trim_end().trim_end_matches(';').trim().to_string(),
                });
                current.clear();
            }
        }
        assert!(current.is_empty(), "{name}: the last query has no ';'");
    }
    queries
}

/// A query on one line, the key of the known differences.
fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn known_differences_file() -> PathBuf {
    suite_dir().join("known_differences.tsv")
}

fn known_differences() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(known_differences_file()).unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (query, reason) = line.split_once('\t').unwrap_or((line, ""));
            (query.to_string(), reason.to_string())
        })
        .collect()
}

/// A table of the suite.
struct Dataset {
    name: String,
    /// Column names and ClickHouse types.
    columns: Vec<(String, String)>,
    ndjson: String,
}

/// The tables of the suite.
fn datasets() -> Vec<Dataset> {
    let output = Command::new(chdb_python())
        .arg(suite_dir().join("dataset.py"))
        .output()
        .unwrap();
    assert!(output.status.success(), "dataset.py failed");
    let tables: BTreeMap<String, Value> = serde_json::from_slice(&output.stdout).unwrap();
    tables
        .into_iter()
        .map(|(name, table)| {
            let columns = table["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c[0].as_str().unwrap().to_string(),
                        c[1].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            Dataset {
                name,
                columns,
                ndjson: table["ndjson"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

/// ClickHouse's answers: the FORMAT JSON document, or the error.
fn clickhouse(queries: &[Query]) -> Vec<Result<Value, String>> {
    let sql: Vec<&str> = queries.iter().map(|q| q.sql.as_str()).collect();
    let script = suite_dir().join("run_chdb.py");
    let answers: Vec<Value> = chdb_json(&[script.to_str().unwrap()], &sql);
    answers
        .into_iter()
        .map(|answer| match answer.get("answer") {
            Some(document) => Ok(document.clone()),
            None => Err(answer["error"].as_str().unwrap_or("").to_string()),
        })
        .collect()
}

fn load(server: &Colibri) {
    for Dataset {
        name,
        columns,
        ndjson,
    } in datasets()
    {
        let schema = columns
            .iter()
            .map(|(column, ty)| format!("`{column}` {ty} `json:$.{column}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let reply = server.post(
            &format!(
                "/v0/datasources?mode=create&name={name}&schema={}",
                encode(&schema)
            ),
            b"",
        );
        assert_eq!(reply.status, 200, "{name}: {}", reply.text());
        let reply = server.post(
            &format!("/v0/datasources?mode=append&name={name}&format=ndjson"),
            ndjson.as_bytes(),
        );
        assert_eq!(reply.status, 200, "{name}: {}", reply.text());
        assert_eq!(reply.json()["error"], false, "{name}: {}", reply.text());
        assert_eq!(server.count(&name), ndjson.lines().count() as u64, "{name}");
    }
}

/// The columns (name, type) and rows of a FORMAT JSON answer, rows sorted unless `ordered`.
fn shape(document: &Value, ordered: bool) -> (Vec<(String, String)>, Vec<Vec<Value>>) {
    let meta: Vec<(String, String)> = document["meta"]
        .as_array()
        .map(|columns| {
            columns
                .iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap_or("").to_string(),
                        c["type"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rows: Vec<Vec<Value>> = document["data"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    meta.iter()
                        .map(|(name, _)| row.get(name).cloned().unwrap_or(Value::Null))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    if !ordered {
        rows.sort_by_key(|row| serde_json::to_string(row).unwrap());
    }
    (meta, rows)
}

/// Values are equal; floats within a relative 1e-9 (the last printed digit may differ).
fn same_value(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => ours == theirs,
    }
}

/// Why Colibri's answer differs from ClickHouse's, or None when it does not.
fn difference(query: &Query, ours: &Result<Value, String>, theirs: &Value) -> Option<String> {
    let ours = match ours {
        Ok(document) => document,
        Err(error) => return Some(format!("error: {error}")),
    };
    let ordered = query.sql.to_ascii_uppercase().contains("ORDER BY");
    let (our_meta, our_rows) = shape(ours, ordered);
    let (their_meta, their_rows) = shape(theirs, ordered);
    if our_meta != their_meta {
        return Some(format!(
            "columns: Colibri {our_meta:?}, ClickHouse {their_meta:?}"
        ));
    }
    if our_rows.len() != their_rows.len() {
        return Some(format!(
            "rows: Colibri {}, ClickHouse {}",
            our_rows.len(),
            their_rows.len()
        ));
    }
    for (ours, theirs) in our_rows.iter().zip(&their_rows) {
        if !ours.iter().zip(theirs).all(|(a, b)| same_value(a, b)) {
            return Some(format!(
                "values: Colibri {}, ClickHouse {}",
                serde_json::to_string(ours).unwrap(),
                serde_json::to_string(theirs).unwrap()
            ));
        }
    }
    None
}

fn colibri(server: &Colibri, query: &Query) -> Result<Value, String> {
    let reply = server.post("/v0/sql", format!("{}\nFORMAT JSON", query.sql).as_bytes());
    if reply.status == 200 {
        Ok(reply.json())
    } else {
        Err(format!("{} {}", reply.status, reply.error_message()))
    }
}

/// A reason on one line, short enough to read in the list.
fn brief(reason: &str) -> String {
    let line = reason.replace(['\t', '\n', '\r'], " ");
    match line.char_indices().nth(240) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[test]
fn colibri_answers_as_clickhouse_does() {
    let queries = queries();
    assert!(queries.len() >= 100, "only {} queries", queries.len());
    let theirs = clickhouse(&queries);
    let server = Colibri::start();
    load(&server);
    let known = known_differences();
    let mut matching = 0;
    let mut differences = BTreeMap::new();
    let mut broken = Vec::new();
    for (query, theirs) in queries.iter().zip(&theirs) {
        let theirs = match theirs {
            Ok(document) => document,
            Err(error) => {
                broken.push(format!("{}: {error}", query.origin));
                continue;
            }
        };
        match difference(query, &colibri(&server, query), theirs) {
            None => matching += 1,
            Some(reason) => {
                differences.insert(one_line(&query.sql), (query.origin.clone(), reason));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "queries ClickHouse itself refuses:\n{}",
        broken.join("\n")
    );
    println!(
        "differential: {matching} of {} queries give ClickHouse's answer; {} differ",
        queries.len(),
        differences.len()
    );
    if std::env::var_os("COLIBRI_DIFFERENTIAL_UPDATE").is_some() {
        let mut text = String::from(
            "# Queries whose Colibri answer differs from ClickHouse's, and why (tab-separated).\n",
        );
        for (sql, (_, reason)) in &differences {
            text.push_str(&format!("{sql}\t{}\n", brief(reason)));
        }
        std::fs::write(known_differences_file(), text).unwrap();
        return;
    }
    let unlisted: Vec<String> = differences
        .iter()
        .filter(|(sql, _)| !known.contains_key(*sql))
        .map(|(sql, (origin, reason))| format!("{origin}: {sql}\n    {reason}"))
        .collect();
    let fixed: Vec<&String> = known
        .keys()
        .filter(|sql| !differences.contains_key(*sql))
        .collect();
    assert!(
        unlisted.is_empty(),
        "{} queries differ from ClickHouse and are not in known_differences.tsv:\n{}",
        unlisted.len(),
        unlisted.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "these queries now match ClickHouse (or are gone): remove them from \
         known_differences.tsv:\n{}",
        fixed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
