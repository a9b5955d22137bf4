"""Sends batches of NDJSON events to /v0/events and reports rows/s and MB/s.

Two client threads post `batches` requests of `rows` events each (wait=false); the last
request of each thread uses wait=true, so the time covers the durable commit of every row.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

from events import ndjson_body  # bench/events.py: Python puts the script's folder first on sys.path

base, token, rows, batches = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
url = urllib.parse.urlparse(base)
body = ndjson_body(rows)
name = "ingest_%d" % rows


def client(results):
    connection = http.client.HTTPConnection(url.hostname, url.port)
    for b in range(batches):
        wait = "true" if b == batches - 1 else "false"
        connection.request("POST", "/v0/events?name=%s&wait=%s" % (name, wait), body,
                           {"Authorization": "Bearer " + token})
        response = connection.getresponse()
        answer = response.read()
        assert response.status in (200, 202), answer
        results.append(json.loads(answer)["successful_rows"])


# One request first so the data source exists (schema guessing) before the timed part.
warm = []
client_connection = http.client.HTTPConnection(url.hostname, url.port)
client_connection.request("POST", "/v0/events?name=%s&wait=true" % name, body, {"Authorization": "Bearer " + token})
assert client_connection.getresponse().status == 200
results = []
threads = [threading.Thread(target=client, args=(results,)) for _ in range(2)]
started = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - started
total = sum(results)
print("%d-row requests: %d rows in %.2fs = %.0f rows/s, %.1f MB/s" % (
    rows, total, elapsed, total / elapsed, len(body) * len(results) / elapsed / 1e6))
