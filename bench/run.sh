#!/usr/bin/env bash
# Colibri benchmarks: events ingestion (batched NDJSON and single events), CSV import, web-analytics
# queries over 10M rows, a parameterised endpoint over them, and the cost of the WebAssembly hop (the same trivial handler as a
# component and as a native route).
# Needs: a release build (made here), wrk (apt-get install wrk), python3; chdb and duckdb
# (installed here with pip if missing) for the comparison with ClickHouse and DuckDB ingestion.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import chdb, duckdb" 2>/dev/null || python3 -m pip install --quiet chdb duckdb
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -j2
BIN="$CARGO_TARGET_DIR/release/colibri"
DATA=$(mktemp -d)
PORT=7199
TOKEN=bench-token
# RUST_LIB_BACKTRACE=0: with RUST_BACKTRACE set, wasmtime captures a backtrace per request.
# --events-rate-limit, --events-bytes-limit: the runs measure the server, not the
# per-data-source limits (1000 requests/s and 20 MiB/s by default, as Tinybird).
RUST_LIB_BACKTRACE=0 COLIBRI_ADMIN_TOKEN=$TOKEN "$BIN" serve --listen 127.0.0.1:$PORT --data "$DATA" \
    --events-rate-limit 1000000 --events-bytes-limit 100000000000 >/dev/null 2>"$DATA.log" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

echo "== machine"; nproc; grep -m1 "model name" /proc/cpuinfo || true

echo "== batched NDJSON ingestion (durable: the last request of each run waits for its commit)"
python3 bench/ingest.py "http://127.0.0.1:$PORT" "$TOKEN" 1000 100
python3 bench/ingest.py "http://127.0.0.1:$PORT" "$TOKEN" 10000 20

echo "== the same events and totals ingested by ClickHouse (chDB) and DuckDB, on-disk tables, one insert per batch"
python3 -c 'import chdb, duckdb; print("chdb", chdb.__version__, "(ClickHouse %s)," % chdb.engine_version, "duckdb", duckdb.__version__)'
python3 bench/compare.py 10000 40
python3 bench/compare.py 1000 200

echo "== CSV import: one 1M-row file, Colibri vs chDB vs DuckDB"
python3 bench/csv_import.py "http://127.0.0.1:$PORT" "$TOKEN" 1000000

echo "== web-analytics queries over 10M rows: Colibri vs chDB vs DuckDB"
python3 bench/analytics.py "http://127.0.0.1:$PORT" "$TOKEN" 10000000

echo "== a parameterised API Endpoint over the same 10M events, and the same query through /v0/sql"
python3 bench/endpoint.py "http://127.0.0.1:$PORT" "$TOKEN" 10000000

cat > "$DATA/event.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"ts": "2024-05-01 10:00:00", "user": "u1", "n": 1}'
wrk.headers["Authorization"] = "Bearer bench-token"
LUA
echo "== single-event requests/s (wait=false)"
wrk -t2 -c16 -d10s -s "$DATA/event.lua" "http://127.0.0.1:$PORT/v0/events?name=single" | grep -E "Requests/sec|Latency"

echo "== WebAssembly hop: native /health vs component /v0/health"
wrk -t1 -c1 -d10s "http://127.0.0.1:$PORT/health" | grep -E "Requests/sec|Latency"
wrk -t1 -c1 -d10s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v0/health" | grep -E "Requests/sec|Latency"
wrk -t2 -c16 -d10s "http://127.0.0.1:$PORT/health" | grep -E "Requests/sec"
wrk -t2 -c16 -d10s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v0/health" | grep -E "Requests/sec"
