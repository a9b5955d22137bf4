"""CSV import throughput: the same CSV file imported by Colibri (`POST /v0/datasources`,
multipart, `mode=append` into a data source created from the schema), by ClickHouse (chDB,
`INSERT INTO ... SELECT * FROM file(..., CSVWithNames)` into an on-disk MergeTree table) and by
DuckDB (`INSERT INTO ... SELECT * FROM read_csv(...)` into an on-disk table), each timed from
the start of the import to its durable end (Colibri answers after the Delta commit).

Usage: python3 bench/csv_import.py URL TOKEN [ROWS] (default 1,000,000 rows, about 75 MB).
"""
import os
import random
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import chdb.session
import duckdb

url, token = sys.argv[1], sys.argv[2]
rows = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
COLUMNS = [("ts", "DateTime", "TIMESTAMP"), ("user_id", "Int32", "INTEGER"),
           ("event", "String", "VARCHAR"), ("price", "Float64", "DOUBLE"),
           ("country", "String", "VARCHAR")]


def write_csv(path):
    random.seed(7)
    events = ["view", "click", "buy", "scroll", "share"]
    countries = ["ES", "FR", "DE", "US", "JP", "BR"]
    with open(path, "w") as file:
        file.write(",".join(name for name, _, _ in COLUMNS) + "\n")
        for i in range(rows):
            file.write("2024-05-%02d %02d:%02d:%02d,%d,%s,%.2f,%s\n" % (
                1 + i % 28, i % 24, i % 60, (i * 7) % 60, random.randrange(1_000_000),
                events[i % 5], random.random() * 100, countries[i % 6]))


def colibri_import(path):
    schema = ", ".join("%s %s" % (name, ch) for name, ch, _ in COLUMNS)
    name = "csv_bench_%d" % int(time.time())
    request(urllib.request.Request("%s/v0/datasources?%s" % (url, urllib.parse.urlencode(
        {"name": name, "schema": schema})), data=b"", method="POST"))
    boundary = "colibri-bench-boundary"
    with open(path, "rb") as file:
        content = file.read()
    body = (b"--%s\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"bench.csv\"\r\n\r\n"
            % boundary.encode()) + content + b"\r\n--%s--\r\n" % boundary.encode()
    started = time.time()
    answer = request(urllib.request.Request(
        "%s/v0/datasources?name=%s&mode=append" % (url, name), data=body, method="POST",
        headers={"Content-Type": "multipart/form-data; boundary=%s" % boundary}))
    elapsed = time.time() - started
    assert b'"error":false' in answer.replace(b" ", b""), answer[:300]
    count = request(urllib.request.Request("%s/v0/sql?q=%s" % (url, urllib.parse.quote(
        "SELECT count() FROM %s FORMAT CSV" % name))))
    return elapsed, int(count)


def request(req):
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=600) as response:
        return response.read()


def chdb_import(path, folder):
    session = chdb.session.Session(os.path.join(folder, "chdb"))
    session.query("CREATE TABLE t (%s) ENGINE = MergeTree ORDER BY tuple()" % ", ".join(
        "%s %s" % (name, ch) for name, ch, _ in COLUMNS))
    started = time.time()
    session.query("INSERT INTO t SELECT * FROM file('%s', CSVWithNames)" % path)
    elapsed = time.time() - started
    count = int(session.query("SELECT count() FROM t").bytes())
    session.close()
    return elapsed, count


def duckdb_import(path, folder):
    connection = duckdb.connect(os.path.join(folder, "duck.db"))
    connection.execute("CREATE TABLE t (%s)" % ", ".join(
        "%s %s" % (name, duck) for name, _, duck in COLUMNS))
    started = time.time()
    connection.execute("INSERT INTO t SELECT * FROM read_csv(?, header = true)", [path])
    connection.execute("CHECKPOINT")
    elapsed = time.time() - started
    count = connection.execute("SELECT count(*) FROM t").fetchone()[0]
    connection.close()
    return elapsed, count


with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "bench.csv")
    write_csv(path)
    size = os.path.getsize(path)
    results = {}
    for engine, run in (("colibri", lambda: colibri_import(path)),
                        ("chdb", lambda: chdb_import(path, folder)),
                        ("duckdb", lambda: duckdb_import(path, folder))):
        elapsed, count = run()
        assert count == rows, (engine, count)
        results[engine] = elapsed
        print("%s CSV import: %d rows, %.1f MB in %.2fs = %.0f rows/s, %.1f MB/s" % (
            engine, rows, size / 1e6, elapsed, rows / elapsed, size / elapsed / 1e6))
    print("colibri / chdb throughput ratio: %.2f; colibri / duckdb: %.2f" % (
        results["chdb"] / results["colibri"], results["duckdb"] / results["colibri"]))
