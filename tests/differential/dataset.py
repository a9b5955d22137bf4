"""The shared datasets of the differential SQL suite (tests/differential.rs).

`python3 dataset.py` prints one JSON document: for each table its ClickHouse columns and its
rows as NDJSON. The rows are generated from a fixed seed, so every run, on every machine,
loads the same rows into Colibri and into chDB.
"""

import datetime
import json
import random

EVENTS_COLUMNS = [
    ("timestamp", "DateTime"),
    ("session_id", "String"),
    ("user_id", "UInt64"),
    ("action", "String"),
    ("path", "String"),
    ("url", "String"),
    ("country", "LowCardinality(String)"),
    ("device", "String"),
    ("browser", "String"),
    ("duration", "UInt32"),
    ("revenue", "Float64"),
    ("price", "Decimal(10, 2)"),
    ("payload", "String"),
    ("tags", "Array(String)"),
    ("referrer", "Nullable(String)"),
    ("is_bot", "UInt8"),
    ("score", "Nullable(Float64)"),
    ("delta", "Int32"),
]

USERS_COLUMNS = [
    ("user_id", "UInt64"),
    ("name", "String"),
    ("plan", "String"),
    ("signup_date", "Date"),
    ("age", "Nullable(UInt8)"),
]

PATHS = ["/", "/pricing", "/docs/intro", "/docs/sql", "/blog/post-1", "/blog/post-2", "/checkout"]
QUERIES = ["", "", "?utm_source=google&utm_medium=cpc", "?utm_source=newsletter", "?ref=hn&page=2"]
HOSTS = ["https://www.example.com", "https://example.com", "http://shop.example.org"]
ACTIONS = ["view", "view", "view", "click", "click", "signup", "purchase", "share"]
COUNTRIES = ["US", "US", "FR", "DE", "ES", "JP", "BR", ""]
DEVICES = ["desktop", "mobile", "mobile", "tablet"]
BROWSERS = ["Chrome", "Chrome", "Firefox", "Safari", "Edge"]
TAGS = ["new", "promo", "beta", "vip", "sale"]
SOURCES = ["ads", "organic", "email", "social"]
REFERRERS = ["https://google.com/search?q=colibri", "https://news.ycombinator.com/", "https://twitter.com/x"]
NAMES = ["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Fatima", "Gus", "Hiro", "Ines", "Jon"]
PLANS = ["free", "free", "pro", "enterprise"]


def events(rng):
    start = datetime.datetime(2024, 1, 1)
    rows = []
    for i in range(2000):
        ts = start + datetime.timedelta(seconds=rng.randrange(0, 91 * 86400))
        path = rng.choice(PATHS)
        action = rng.choice(ACTIONS)
        revenue = round(rng.uniform(1.5, 300.0), 2) if action == "purchase" else 0.0
        payload = {
            "item_id": rng.randrange(1, 50),
            "qty": rng.randrange(1, 5),
            "tags": rng.sample(TAGS, rng.randrange(0, 3)),
            "meta": {"source": rng.choice(SOURCES), "score": round(rng.uniform(0, 1), 3)},
        }
        if rng.random() < 0.2:
            payload["coupon"] = rng.choice(["WELCOME", "SPRING", "VIP10"])
        rows.append({
            "timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"),
            "session_id": f"s{rng.randrange(0, 400):04d}",
            "user_id": rng.randrange(1, 301),
            "action": action,
            "path": path,
            "url": rng.choice(HOSTS) + path + rng.choice(QUERIES),
            "country": rng.choice(COUNTRIES),
            "device": rng.choice(DEVICES),
            "browser": rng.choice(BROWSERS),
            "duration": rng.randrange(0, 600000),
            "revenue": revenue,
            "price": f"{rng.randrange(0, 100000) / 100:.2f}",
            "payload": json.dumps(payload, separators=(",", ":")),
            "tags": rng.sample(TAGS, rng.randrange(0, 4)),
            "referrer": rng.choice(REFERRERS) if rng.random() < 0.6 else None,
            "is_bot": 1 if rng.random() < 0.05 else 0,
            "score": round(rng.uniform(-10, 100), 3) if rng.random() < 0.8 else None,
            "delta": rng.randrange(-1000, 1001),
        })
    return rows


def users(rng):
    rows = []
    for user_id in range(1, 351, 1):
        if user_id % 7 == 0:
            continue  # some events' users have no row here
        signup = datetime.date(2023, 1, 1) + datetime.timedelta(days=rng.randrange(0, 500))
        rows.append({
            "user_id": user_id,
            "name": rng.choice(NAMES) + f" {user_id}",
            "plan": rng.choice(PLANS),
            "signup_date": signup.isoformat(),
            "age": rng.randrange(16, 80) if rng.random() < 0.9 else None,
        })
    return rows


def tables():
    rng = random.Random(20241123)
    return {
        "events": {"columns": EVENTS_COLUMNS, "rows": events(rng)},
        "users": {"columns": USERS_COLUMNS, "rows": users(rng)},
    }


if __name__ == "__main__":
    print(json.dumps({
        name: {
            "columns": table["columns"],
            "ndjson": "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table["rows"]),
        }
        for name, table in tables().items()
    }))
