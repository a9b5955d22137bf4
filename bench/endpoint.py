"""A parameterised API Endpoint over the web-analytics events of `analytics.py`: its latency
(p50, p99) and requests per second, and the same query through the Query API (`/v0/sql`),
whose JSON `statistics.elapsed` is the time the query took inside the host (DataFusion's
planning and execution and the encoding). Ratios: endpoint / Query API is the cost of the
pipe layer (template rendering, the pipe's definition read, the nodes composed); endpoint /
in-host is everything around the query (HTTP, the WebAssembly component, rendering).

Usage: python3 bench/endpoint.py URL TOKEN [ROWS [REQUESTS]] (defaults 10,000,000 rows, 300
sequential requests per measure). The events are generated and loaded as `analytics.py` does
unless the server already holds ROWS of them.
"""
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analytics  # noqa: E402  (reads the same URL TOKEN ROWS arguments)

import duckdb  # noqa: E402

url, token, rows = analytics.url, analytics.token, analytics.rows
requests = int(sys.argv[4]) if len(sys.argv) > 4 else 300

NODE = """%
SELECT path, count() AS views
FROM events
WHERE action = {{String(action, 'view')}} AND country = {{String(country, 'US')}}
  AND ts >= {{DateTime(start, '2024-01-01 00:00:00')}}
GROUP BY path
ORDER BY views DESC, path
LIMIT {{Int32(limit, 10)}}"""

SQL = """SELECT path, count() AS views
FROM events
WHERE action = '{action}' AND country = '{country}' AND ts >= '{start}'
GROUP BY path
ORDER BY views DESC, path
LIMIT {limit}
FORMAT JSON"""

COUNTRIES = ["US", "GB", "DE", "FR", "ES", "IT", "JP", "BR"]
ACTIONS = ["view", "click", "cart", "purchase"]
STARTS = ["2024-01-01 00:00:00", "2024-01-10 00:00:00", "2024-01-20 00:00:00"]


# The smallest endpoint: no table, one parameter; the layer's own cost in absolute terms.
PING_NODE = "%\nSELECT {{Int32(n, 1)}} AS n"


def parameters(i):
    return {"action": ACTIONS[i % 4], "country": COUNTRIES[i % 8],
            "start": STARTS[i % 3], "limit": str(5 + i % 10)}


def get(path):
    request = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def ensure_events():
    try:
        held = int(analytics.colibri_sql("SELECT count() FROM events FORMAT CSV"))
    except Exception:
        held = 0
    if held == rows:
        return
    assert held == 0, "the server holds %d events, not %d: use a fresh data folder" % (held, rows)
    folder = tempfile.mkdtemp(prefix="colibri-endpoint-")
    path = os.path.join(folder, "events.csv")
    duckdb.connect().execute(analytics.GENERATE.format(rows=rows, path=path))
    print("load: Colibri %.1f s" % analytics.colibri_load(path), flush=True)
    os.remove(path)


def publish(name, sql):
    body = json.dumps({"name": name, "nodes": [{"name": name + "_0", "sql": sql,
                                                 "type": "endpoint"}]})
    request = urllib.request.Request(
        url + "/v0/pipes?force=true", data=body.encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=60).read()


def endpoint(i):
    return get("/v0/pipes/bench_top_pages.json?" + urllib.parse.urlencode(parameters(i)))


def query_api(i):
    return get("/v0/sql?" + urllib.parse.urlencode({"q": SQL.format(**parameters(i))}))


def ping_endpoint(i):
    return get("/v0/pipes/bench_ping.json?n=%d" % i)


def ping_query_api(i):
    return get("/v0/sql?" + urllib.parse.urlencode({"q": "SELECT %d AS n FORMAT JSON" % i}))


def latencies(call):
    call(0)
    times, inside = [], []
    for i in range(requests):
        started = time.perf_counter()
        answer = call(i)
        times.append(time.perf_counter() - started)
        inside.append(json.loads(answer)["statistics"]["elapsed"])
    return times, inside


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def throughput(call, clients=4, seconds=10.0):
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def client(k):
        i = k
        while time.perf_counter() < deadline:
            call(i)
            done[k] += 1
            i += clients

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def main():
    ensure_events()
    publish("bench_top_pages", NODE)
    publish("bench_ping", PING_NODE)
    for i in range(len(ACTIONS) * len(COUNTRIES)):
        assert json.loads(endpoint(i))["data"] == json.loads(query_api(i))["data"], i
    endpoint_times, endpoint_inside = latencies(endpoint)
    sql_times, sql_inside = latencies(query_api)
    rates = {"endpoint": throughput(endpoint), "query_api": throughput(query_api)}
    ms = lambda v: "%.1f ms" % (v * 1000)  # noqa: E731
    print("| Measure | p50 | p99 | requests/s (4 clients) |")
    print("| --- | --- | --- | --- |")
    print("| Endpoint `GET /v0/pipes/bench_top_pages.json?...` | %s | %s | %.0f |" % (
        ms(statistics.median(endpoint_times)), ms(percentile(endpoint_times, 0.99)),
        rates["endpoint"]))
    print("| Query API `GET /v0/sql?q=...` (same SQL, rendered) | %s | %s | %.0f |" % (
        ms(statistics.median(sql_times)), ms(percentile(sql_times, 0.99)), rates["query_api"]))
    print("| In the host (`statistics.elapsed` of the Query API answers) | %s | %s | |" % (
        ms(statistics.median(sql_inside)), ms(percentile(sql_inside, 0.99))))
    ping_times, _ = latencies(ping_endpoint)
    ping_sql_times, ping_inside = latencies(ping_query_api)
    print("| Smallest endpoint `GET /v0/pipes/bench_ping.json?n=...` | %s | %s | %.0f |" % (
        ms(statistics.median(ping_times)), ms(percentile(ping_times, 0.99)),
        throughput(ping_endpoint)))
    print("| Query API `GET /v0/sql?q=SELECT n AS n` | %s | %s | %.0f |" % (
        ms(statistics.median(ping_sql_times)), ms(percentile(ping_sql_times, 0.99)),
        throughput(ping_query_api)))
    print()
    print("endpoint / Query API (p50): %.2fx; endpoint / in-host (p50): %.2fx; "
          "in-host time of the endpoint's own queries (p50): %s; "
          "smallest endpoint / Query API (p50): %.2fx (in-host %s)" % (
              statistics.median(endpoint_times) / statistics.median(sql_times),
              statistics.median(endpoint_times) / statistics.median(sql_inside),
              ms(statistics.median(endpoint_inside)),
              statistics.median(ping_times) / statistics.median(ping_sql_times),
              ms(statistics.median(ping_inside))))


if __name__ == "__main__":
    main()
