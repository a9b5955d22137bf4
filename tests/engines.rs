//! The MergeTree engines (DS-E1, DS-E2, DS-E8): each engine's `SELECT ... FINAL` over the
//! same inserts gives ClickHouse's own answer, computed by chDB (`pip install chdb`, run by the
//! test), over real HTTP.

mod support;

use support::{Colibri, chdb_json, encode};

/// One engine case: a table, its engine parameters, and the blocks inserted one by one.
struct Case {
    name: &'static str,
    columns: &'static str,
    engine: &'static str,
    /// `engine_*` parameters besides the engine, e.g. `("engine_ver", "ver")`.
    params: &'static [(&'static str, &'static str)],
    sorting_key: &'static str,
    /// CSV blocks, each one insert.
    inserts: &'static [&'static str],
    /// Queries run on both, `{t}` standing for the table.
    queries: &'static [&'static str],
}

impl Case {
    /// The ClickHouse engine clause of the case (`CollapsingMergeTree(sign)`).
    fn clickhouse_engine(&self) -> String {
        let arguments: Vec<&str> = self
            .params
            .iter()
            .filter(|(key, _)| {
                matches!(
                    *key,
                    "engine_ver" | "engine_is_deleted" | "engine_sign" | "engine_version"
                )
            })
            .map(|(_, value)| *value)
            .chain(
                self.params
                    .iter()
                    .filter(|(key, _)| *key == "engine_columns")
                    .map(|(_, value)| *value),
            )
            .collect();
        if arguments.is_empty() {
            self.engine.to_string()
        } else if self.params.iter().any(|(key, _)| *key == "engine_columns") {
            format!("{}(({}))", self.engine, arguments.join(", "))
        } else {
            format!("{}({})", self.engine, arguments.join(", "))
        }
    }

    fn queries(&self) -> Vec<String> {
        self.queries
            .iter()
            .map(|q| q.replace("{t}", self.name))
            .collect()
    }
}

const CASES: &[Case] = &[
    Case {
        name: "replacing_last",
        columns: "k String, v Int32",
        engine: "ReplacingMergeTree",
        params: &[],
        sorting_key: "k",
        inserts: &["a,1\nb,2\na,3\n", "a,5\nc,2\n", "c,9\nb,4\nc,7\n"],
        queries: &[
            "SELECT * FROM {t} FINAL ORDER BY k",
            "SELECT count() FROM {t} FINAL",
            "SELECT sum(v) FROM {t} AS x FINAL WHERE x.k != 'a'",
        ],
    },
    Case {
        name: "replacing_versions",
        columns: "k String, v Int32, ver UInt32, del UInt8",
        engine: "ReplacingMergeTree",
        params: &[("engine_ver", "ver"), ("engine_is_deleted", "del")],
        sorting_key: "k",
        inserts: &[
            "a,1,1,0\nb,2,1,0\na,3,3,0\na,9,2,0\n",
            "b,5,2,1\nc,2,1,0\na,4,3,0\n",
            "d,1,5,0\nd,2,4,0\n",
        ],
        queries: &["SELECT * FROM {t} FINAL ORDER BY k"],
    },
    Case {
        name: "summing_all",
        columns: "k String, day Date, a Int32, b Float64, n UInt8, s String",
        engine: "SummingMergeTree",
        params: &[],
        sorting_key: "k, day",
        inserts: &[
            "a,2024-01-01,1,1.5,200,x\nb,2024-01-01,2,0,0,y\na,2024-01-01,3,0,100,z\n",
            "a,2024-01-01,5,1,0,w\nb,2024-01-01,-2,0,0,q\nc,2024-01-02,0,0,0,r\na,2024-01-02,1,0,0,t\n",
        ],
        queries: &["SELECT * FROM {t} FINAL ORDER BY k, day"],
    },
    Case {
        name: "summing_listed",
        columns: "k String, a Int32, b Float64",
        engine: "SummingMergeTree",
        params: &[("engine_columns", "a")],
        sorting_key: "k",
        inserts: &["a,1,1.5\nb,2,0\na,3,7\n", "a,5,1\nb,-2,3\n"],
        queries: &["SELECT * FROM {t} FINAL ORDER BY k"],
    },
    Case {
        name: "aggregating",
        columns: "k String, m SimpleAggregateFunction(max, Int32), \
                  s SimpleAggregateFunction(sum, UInt64), \
                  x SimpleAggregateFunction(anyLast, String), \
                  mn SimpleAggregateFunction(min, Int64), \
                  an SimpleAggregateFunction(any, String)",
        engine: "AggregatingMergeTree",
        params: &[],
        sorting_key: "k",
        inserts: &[
            "a,1,1,x,5,p\nb,2,2,y,-1,q\na,3,3,z,7,r\n",
            "a,0,5,w,2,s\nb,9,0,q,4,t\n",
        ],
        queries: &["SELECT * FROM {t} FINAL ORDER BY k"],
    },
    Case {
        name: "collapsing",
        columns: "k String, v Int32, sign Int8",
        engine: "CollapsingMergeTree",
        params: &[("engine_sign", "sign")],
        sorting_key: "k",
        inserts: &[
            "a,1,1\nb,2,1\nc,3,1\nd,4,-1\ne,1,1\nf,8,1\n",
            "a,1,-1\na,7,1\nb,2,-1\nc,3,-1\nc,3,1\nc,9,-1\ne,1,-1\ne,1,1\ne,1,-1\n",
            "f,8,-1\nf,8,1\ng,1,1\n",
        ],
        queries: &[
            "SELECT * FROM {t} FINAL ORDER BY k",
            "SELECT sum(v * sign) FROM {t} FINAL",
        ],
    },
    Case {
        name: "versioned",
        columns: "k String, v Int32, sign Int8, ver UInt8",
        engine: "VersionedCollapsingMergeTree",
        params: &[("engine_sign", "sign"), ("engine_version", "ver")],
        sorting_key: "k",
        inserts: &[
            "a,1,1,1\nb,2,1,1\nc,3,-1,1\n",
            "a,1,-1,1\na,7,1,2\nb,5,1,2\nb,2,-1,1\nb,6,1,1\n",
            "c,3,1,1\nd,1,1,1\nd,1,1,1\nd,1,-1,1\n",
        ],
        queries: &["SELECT * FROM {t} FINAL ORDER BY k, ver, v, sign"],
    },
];

/// Runs statements on chDB, one session, and returns the CSV answer of each.
fn clickhouse(statements: &[String]) -> Vec<String> {
    let script = r#"
import json, sys
from chdb import session
s = session.Session()
s.query("CREATE DATABASE IF NOT EXISTS colibri")
s.query("USE colibri")
print(json.dumps([str(s.query(q, "CSV")) for q in json.load(sys.stdin)]))
"#;
    chdb_json(&["-c", script], &statements)
}

fn colibri_csv(server: &Colibri, sql: &str) -> String {
    let reply = server.post("/v0/sql", format!("{sql} FORMAT CSV").as_bytes());
    assert_eq!(reply.status, 200, "{sql}: {}", reply.text());
    reply.text()
}

#[test]
fn final_reads_give_clickhouse_answers_for_every_engine() {
    let server = Colibri::start();
    let mut statements = Vec::new();
    let mut expectations = Vec::new();
    for case in CASES {
        let mut create = format!(
            "/v0/datasources?mode=create&name={}&schema={}&engine={}&engine_sorting_key={}",
            case.name,
            encode(case.columns),
            case.engine,
            encode(case.sorting_key)
        );
        for (key, value) in case.params {
            create.push_str(&format!("&{key}={}", encode(value)));
        }
        let reply = server.post(&create, b"");
        assert_eq!(reply.status, 200, "{}: {}", case.name, reply.text());
        assert_eq!(reply.json()["datasource"]["engine"]["engine"], case.engine);
        statements.push(format!(
            "CREATE TABLE {} ({}) ENGINE = {} ORDER BY ({})",
            case.name,
            case.columns,
            case.clickhouse_engine(),
            case.sorting_key
        ));
        for block in case.inserts {
            let reply = server.post(
                &format!("/v0/datasources?mode=append&name={}&format=csv", case.name),
                block.as_bytes(),
            );
            assert_eq!(reply.status, 200, "{}: {}", case.name, reply.text());
            assert_eq!(reply.json()["error"], false, "{}", reply.text());
            statements.push(format!("INSERT INTO {} FORMAT CSV\n{block}", case.name));
        }
        for query in case.queries() {
            expectations.push((statements.len(), query.clone()));
            statements.push(query);
        }
    }
    let answers = clickhouse(&statements);
    let mut compared = 0;
    for (index, query) in expectations {
        let expected = &answers[index];
        assert!(!expected.is_empty(), "every query has rows: {query}");
        assert_eq!(&colibri_csv(&server, &query), expected, "{query}");
        compared += 1;
    }
    assert_eq!(compared, 10);
}

#[test]
fn final_reads_fold_rows_still_in_the_write_buffer() {
    let server = Colibri::start();
    let schema = "k String `json:$.k`, v Int32 `json:$.v`, sign Int8 `json:$.sign`";
    let reply = server.post(
        &format!(
            "/v0/datasources?mode=create&name=carts&schema={}&engine=CollapsingMergeTree\
             &engine_sign=sign&engine_sorting_key=k",
            encode(schema)
        ),
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let committed = "{\"k\":\"a\",\"v\":1,\"sign\":1}\n{\"k\":\"b\",\"v\":2,\"sign\":1}\n";
    assert_eq!(server.send_events("carts", committed, true).status, 200);
    // Not waited for: these rows are still in the write buffer when the query runs.
    let buffered = "{\"k\":\"a\",\"v\":1,\"sign\":-1}\n{\"k\":\"a\",\"v\":3,\"sign\":1}\n\
                    {\"k\":\"c\",\"v\":4,\"sign\":1}\n";
    assert_eq!(server.send_events("carts", buffered, false).status, 202);
    let query = "SELECT * FROM carts FINAL ORDER BY k";
    let answers = clickhouse(&[
        "CREATE TABLE carts (k String, v Int32, sign Int8) \
         ENGINE = CollapsingMergeTree(sign) ORDER BY k"
            .to_string(),
        "INSERT INTO carts FORMAT JSONEachRow\n".to_string() + committed,
        "INSERT INTO carts FORMAT JSONEachRow\n".to_string() + buffered,
        query.to_string(),
        "SELECT count() FROM carts".to_string(),
    ]);
    assert_eq!(answers[3], "\"a\",3,1\n\"b\",2,1\n\"c\",4,1\n");
    assert_eq!(colibri_csv(&server, query), answers[3]);
    // Without FINAL, the rows are as stored: each insert folded on its own.
    assert_eq!(
        colibri_csv(&server, "SELECT count() FROM carts"),
        answers[4]
    );
}

#[test]
fn bad_engine_parameters_are_refused_and_create_nothing() {
    let server = Colibri::start();
    let cases = [
        (
            "k String, v Int32",
            "CollapsingMergeTree",
            "&engine_sorting_key=k",
            "engine_sign",
        ),
        (
            "k String, sign Int32",
            "CollapsingMergeTree",
            "&engine_sorting_key=k&engine_sign=sign",
            "Int8",
        ),
        (
            "k String, v Int32",
            "ReplacingMergeTree",
            "&engine_sorting_key=k&engine_ver=version",
            "'version'",
        ),
        (
            "k String, v Int32",
            "ReplacingMergeTree",
            "&engine_sorting_key=lower(k)",
            "lower(k)",
        ),
        (
            "k String, v SimpleAggregateFunction(median, Int32)",
            "AggregatingMergeTree",
            "&engine_sorting_key=k",
            "median",
        ),
        (
            "k String, v Int32",
            "VersionedCollapsingMergeTree",
            "&engine_sorting_key=k&engine_sign=v",
            "engine_version",
        ),
    ];
    for (schema, engine, params, named) in cases {
        let reply = server.post(
            &format!(
                "/v0/datasources?mode=create&name=broken&schema={}&engine={engine}{params}",
                encode(schema)
            ),
            b"",
        );
        assert_eq!(reply.status, 400, "{engine}{params}: {}", reply.text());
        assert!(
            reply.error_message().contains(named),
            "{engine}{params}: {}",
            reply.error_message()
        );
        assert_eq!(server.get("/v0/datasources/broken").status, 404);
    }
    let reply = server.post(
        "/v0/datasources?mode=create&name=nothing&schema=k%20String&engine=Null",
        b"",
    );
    assert_eq!(reply.status, 501, "{}", reply.text());
}

/// Whether the Delta log of a data source's table holds a compaction (an OPTIMIZE commit).
fn compacted(server: &Colibri, name: &str) -> bool {
    let id = server.get(&format!("/v0/datasources/{name}")).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let log = server.data.join("tables").join(id).join("_delta_log");
    std::fs::read_dir(log).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        path.extension().is_some_and(|e| e == "json")
            && std::fs::read_to_string(&path)
                .unwrap_or_default()
                .contains("\"OPTIMIZE\"")
    })
}

fn wait_for_compaction(server: &Colibri, name: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !compacted(server, name) {
        assert!(
            std::time::Instant::now() < deadline,
            "{name} was never compacted"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn background_compaction_folds_small_files_and_keeps_final_answers() {
    let server = Colibri::start();
    let mut statements = vec![
        "CREATE TABLE latest (k String, v Int32) ENGINE = ReplacingMergeTree ORDER BY k"
            .to_string(),
    ];
    for (name, engine) in [("latest", "ReplacingMergeTree"), ("plain", "MergeTree")] {
        let reply = server.post(
            &format!(
                "/v0/datasources?mode=create&name={name}&schema={}&engine={engine}\
                 &engine_sorting_key=k",
                encode("k String, v Int32")
            ),
            b"",
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    for i in 0..20 {
        let block = format!("b,{i}\na,{i}\n");
        for name in ["latest", "plain"] {
            let reply = server.post(
                &format!("/v0/datasources?mode=append&name={name}&format=csv"),
                block.as_bytes(),
            );
            assert_eq!(reply.status, 200, "{}", reply.text());
        }
        statements.push(format!("INSERT INTO latest FORMAT CSV\n{block}"));
    }
    wait_for_compaction(&server, "latest");
    wait_for_compaction(&server, "plain");
    // Sixteen or more files of two rows each (depending on when the committer looked) became
    // one of two rows.
    let stored = server.count("latest");
    assert!((2..=10).contains(&stored), "{stored} rows stored");
    // MergeTree keeps every row, now in sorting-key order within the merged file.
    assert_eq!(server.count("plain"), 40);
    let sums = colibri_csv(
        &server,
        "SELECT k, sum(v), count() FROM plain GROUP BY k ORDER BY k",
    );
    assert_eq!(sums, "\"a\",190,20\n\"b\",190,20\n");
    let query = "SELECT * FROM latest FINAL ORDER BY k".to_string();
    statements.push(query.clone());
    let answers = clickhouse(&statements);
    assert_eq!(answers.last().unwrap(), "\"a\",19\n\"b\",19\n");
    assert_eq!(&colibri_csv(&server, &query), answers.last().unwrap());
}

#[test]
fn rows_past_their_ttl_are_deleted_by_the_sweep() {
    let server = Colibri::start_with(&["--ttl-interval-secs", "1"]);
    let reply = server.post(
        &format!(
            "/v0/datasources?mode=create&name=visits&schema={}&engine_sorting_key=ts\
             &engine_ttl={}",
            encode("ts DateTime, page String"),
            encode("ts + toIntervalDay(1)")
        ),
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["datasource"]["engine"]["engine_ttl"],
        "ts + toIntervalDay(1)"
    );
    let reply = server.post(
        "/v0/datasources?mode=append&name=visits&format=csv",
        b"2000-01-01 10:00:00,/old\n2100-01-01 10:00:00,/future\n1999-12-31 23:00:00,/older\n",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.count("visits") != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "expired rows were never deleted"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        colibri_csv(&server, "SELECT page FROM visits"),
        "\"/future\"\n"
    );

    // Interval arithmetic as ClickHouse does it.
    let query = "SELECT toDate('2024-01-31') + toIntervalMonth(1), \
                 toDate('2024-03-01') - toIntervalDay(1), toDate('2023-05-10') + toIntervalYear(1)";
    assert_eq!(
        colibri_csv(&server, query),
        clickhouse(&[query.to_string()])[0]
    );

    // A TTL that cannot be evaluated is refused, and nothing is created.
    let reply = server.post(
        &format!(
            "/v0/datasources?mode=create&name=broken&schema={}&engine_ttl={}",
            encode("ts DateTime"),
            encode("missing + toIntervalDay(1)")
        ),
        b"",
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.error_message().contains("missing"),
        "{}",
        reply.text()
    );
    assert_eq!(server.get("/v0/datasources/broken").status, 404);
}
