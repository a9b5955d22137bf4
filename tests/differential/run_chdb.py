"""Runs the differential suite's queries on chDB (ClickHouse in-process).

Reads a JSON list of queries on stdin, loads the datasets of dataset.py into MergeTree tables
and prints, for each query, {"answer": <the FORMAT JSON answer>} or {"error": "..."}.
"""

import json
import os
import sys

from chdb import session

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402


def main():
    queries = json.load(sys.stdin)
    s = session.Session()
    s.query("CREATE DATABASE IF NOT EXISTS differential")
    s.query("USE differential")
    for name, table in dataset.tables().items():
        columns = ", ".join(f"`{c}` {t}" for c, t in table["columns"])
        s.query(f"CREATE TABLE {name} ({columns}) ENGINE = MergeTree ORDER BY tuple()")
        ndjson = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table["rows"])
        s.query(f"INSERT INTO {name} FORMAT JSONEachRow\n{ndjson}")
    answers = []
    for query in queries:
        try:
            answers.append({"answer": json.loads(str(s.query(query, "JSON")))})
        except Exception as e:  # noqa: BLE001 - ClickHouse's error is the answer
            answers.append({"error": str(e).splitlines()[0]})
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
