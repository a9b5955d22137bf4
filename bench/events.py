"""The NDJSON events body shared by the benchmark scripts (ingest.py, compare.py)."""
import json


def ndjson_body(rows: int) -> bytes:
    """`rows` events, one JSON object a line: ts, user, page, ms (int) and price (float)."""
    return "\n".join(
        json.dumps({"ts": "2024-05-01 10:%02d:%02d" % (i // 60 % 60, i % 60), "user": "user%d" % (i % 1000),
                    "page": "/page/%d" % (i % 50), "ms": i % 1000, "price": i * 0.5})
        for i in range(rows)
    ).encode()
