"""Measures how fast ClickHouse (chDB) and DuckDB ingest the NDJSON events that ingest.py sends
to Colibri, so Colibri's ingestion can be reported as a ratio against them.

Usage: python3 bench/compare.py [ROWS [BATCHES]] (defaults 10000 40). Each engine gets
`batches` inserts of the same `rows`-event body, one insert statement per batch (as Colibri gets
one HTTP request per batch), into an on-disk table with explicit column types in a temporary
folder; the timed span covers every insert (and DuckDB's final checkpoint). One client, no
threads of our own: the engines use both cores internally. Both engines keep their default
durability settings (ClickHouse writes each insert as a part without fsync by default).
"""
import os
import sys
import tempfile
import time

import chdb.session
import duckdb

from events import ndjson_body  # bench/events.py: Python puts the script's folder first on sys.path

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
batches = int(sys.argv[2]) if len(sys.argv) > 2 else 40
body = ndjson_body(rows)


def chdb_ingest(folder):
    session = chdb.session.Session(os.path.join(folder, "chdb"))
    session.query("CREATE TABLE t (ts DateTime, user String, page String, ms Int64, price Float64) "
                  "ENGINE = MergeTree ORDER BY tuple()")
    insert = "INSERT INTO t FORMAT JSONEachRow\n" + body.decode()
    started = time.time()
    for _ in range(batches):
        session.query(insert)
    elapsed = time.time() - started
    count = int(session.query("SELECT count() FROM t").bytes())
    session.close()
    return elapsed, count


def duckdb_ingest(folder):
    connection = duckdb.connect(os.path.join(folder, "duck.db"))
    connection.execute("CREATE TABLE t (ts TIMESTAMP, user VARCHAR, page VARCHAR, ms BIGINT, price DOUBLE)")
    batch = os.path.join(folder, "batch.ndjson")
    insert = ("INSERT INTO t SELECT * FROM read_json(?, format = 'newline_delimited', columns = "
              "{ts: 'TIMESTAMP', user: 'VARCHAR', page: 'VARCHAR', ms: 'BIGINT', price: 'DOUBLE'})")
    started = time.time()
    for _ in range(batches):
        with open(batch, "wb") as file:  # the batch arrives as a file, as DuckDB reads NDJSON from files
            file.write(body)
        connection.execute(insert, [batch])  # autocommit: one transaction per batch
    connection.execute("CHECKPOINT")
    elapsed = time.time() - started
    count = connection.execute("SELECT count(*) FROM t").fetchone()[0]
    connection.close()
    return elapsed, count


for engine, ingest in (("chdb", chdb_ingest), ("duckdb", duckdb_ingest)):
    with tempfile.TemporaryDirectory() as folder:
        elapsed, count = ingest(folder)
    assert count == rows * batches, (engine, count)
    print("%s %d-row batches: %d rows in %.2fs = %.0f rows/s, %.1f MB/s" % (
        engine, rows, count, elapsed, count / elapsed, len(body) * batches / elapsed / 1e6))
