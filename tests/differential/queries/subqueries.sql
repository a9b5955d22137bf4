-- Subqueries, CTEs, WITH expressions, IN subqueries, UNION ALL.

-- CTEs: WITH name AS (SELECT ...)
WITH daily AS (SELECT toDate(timestamp) AS day, count() AS hits FROM events GROUP BY day) SELECT max(hits) AS peak, min(hits) AS low, round(avg(hits), 4) AS mean FROM daily;

WITH buyers AS (SELECT DISTINCT user_id FROM events WHERE action = 'purchase') SELECT count() AS n FROM buyers;

WITH buyers AS (SELECT DISTINCT user_id FROM events WHERE action = 'purchase') SELECT plan, count() AS n FROM users WHERE user_id IN (SELECT user_id FROM buyers) GROUP BY plan ORDER BY plan;

WITH s AS (SELECT session_id, count() AS hits FROM events GROUP BY session_id), t AS (SELECT hits, count() AS sessions FROM s GROUP BY hits) SELECT hits, sessions FROM t ORDER BY hits;

WITH per_user AS (SELECT user_id, round(sum(revenue), 2) AS revenue FROM events GROUP BY user_id) SELECT u.plan AS plan, round(sum(p.revenue), 2) AS revenue FROM per_user AS p JOIN users AS u ON p.user_id = u.user_id GROUP BY plan ORDER BY plan;

WITH top AS (SELECT path, count() AS hits FROM events GROUP BY path ORDER BY hits DESC, path LIMIT 3) SELECT path, hits FROM top ORDER BY path;

WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT x, y FROM a, b;

WITH sessions AS (SELECT session_id, min(timestamp) AS started, max(timestamp) AS ended FROM events GROUP BY session_id) SELECT round(avg(dateDiff('day', started, ended)), 4) AS avg_days FROM sessions;

-- WITH expression AS name, and scalar subqueries
WITH 300000 AS threshold SELECT countIf(duration > threshold) AS long_visits FROM events;

WITH 'purchase' AS target SELECT count() AS n FROM events WHERE action = target;

WITH ['vip', 'beta'] AS wanted SELECT count() AS n FROM events WHERE hasAny(tags, wanted);

WITH toDate('2024-02-01') AS start, toDate('2024-02-29') AS finish SELECT count() AS n FROM events WHERE toDate(timestamp) BETWEEN start AND finish;

WITH (SELECT count() FROM events) AS total SELECT device, round(count() / total * 100, 2) AS pct FROM events GROUP BY device ORDER BY device;

WITH (SELECT max(timestamp) FROM events) AS latest SELECT count() AS last_day_hits FROM events WHERE timestamp > latest - INTERVAL 1 DAY;

WITH (SELECT sum(duration) FROM events) AS total, sum(duration) AS part SELECT action, round(part * 100 / total, 3) AS pct FROM events GROUP BY action ORDER BY action;

WITH duration / 1000 AS secs SELECT round(avg(secs), 3) AS avg_secs, max(secs) AS max_secs FROM events;

SELECT (SELECT count() FROM users) AS users, (SELECT count() FROM events) AS events;

SELECT device, count() AS hits, (SELECT count() FROM events) AS total FROM events GROUP BY device ORDER BY device;

SELECT count() AS n FROM events WHERE duration > (SELECT avg(duration) FROM events);

SELECT name FROM users WHERE user_id = (SELECT argMax(user_id, c) FROM (SELECT user_id, count() AS c FROM events GROUP BY user_id));

-- IN subqueries
SELECT count() AS n FROM events WHERE user_id IN (SELECT user_id FROM users WHERE plan = 'enterprise');

SELECT count() AS n FROM events WHERE user_id NOT IN (SELECT user_id FROM users);

SELECT count() AS n FROM users WHERE user_id IN (SELECT user_id FROM events WHERE action = 'signup');

SELECT count() AS n FROM events WHERE (user_id, session_id) IN (SELECT user_id, session_id FROM events WHERE action = 'purchase');

SELECT count() AS n FROM events WHERE (device, browser) NOT IN (SELECT 'mobile', 'Chrome');

SELECT count() AS n FROM events WHERE session_id IN (SELECT session_id FROM events GROUP BY session_id HAVING count() >= 10);

SELECT count() AS n FROM events WHERE user_id IN (1, 2, 3);

SELECT count() AS n FROM events WHERE country IN ('US', 'FR') AND device NOT IN ('tablet');

SELECT count() AS n FROM events WHERE path IN ['/', '/pricing'];

SELECT count() AS n FROM events WHERE toDate(timestamp) IN (SELECT toDate(timestamp) FROM events WHERE action = 'signup' AND is_bot = 1);

SELECT user_id IN (SELECT user_id FROM users) AS known, count() AS hits FROM events GROUP BY known ORDER BY known;

SELECT count() AS n FROM users WHERE age IN (SELECT age FROM users WHERE age > 70);

SELECT count() AS n FROM users WHERE age NOT IN (20, 30, 40);

-- Subqueries in FROM
SELECT avg_hits FROM (SELECT round(avg(c), 4) AS avg_hits FROM (SELECT user_id, count() AS c FROM events GROUP BY user_id));

SELECT max(c) AS top FROM (SELECT session_id, count() AS c FROM events GROUP BY session_id);

SELECT hits, count() AS users FROM (SELECT user_id, count() AS hits FROM events GROUP BY user_id) GROUP BY hits ORDER BY hits;

SELECT * FROM (SELECT device, count() AS hits FROM events GROUP BY device) ORDER BY device;

SELECT d, h FROM (SELECT device AS d, count() AS h FROM events GROUP BY d) AS t WHERE t.h > 600 ORDER BY d;

SELECT sum(n) AS total FROM (SELECT count() AS n FROM events UNION ALL SELECT count() AS n FROM users);

-- UNION ALL / UNION DISTINCT
SELECT 'events' AS source, count() AS n FROM events UNION ALL SELECT 'users' AS source, count() AS n FROM users;

SELECT * FROM (SELECT 'a' AS k, 1 AS rank UNION ALL SELECT 'b' AS k, 2 AS rank) ORDER BY rank;

SELECT device AS label FROM events UNION DISTINCT SELECT plan AS label FROM users;

SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 1 AS x UNION ALL SELECT 2 AS x) ORDER BY x;

SELECT k, sum(v) AS v FROM (SELECT device AS k, count() AS v FROM events GROUP BY k UNION ALL SELECT browser AS k, count() AS v FROM events GROUP BY k) GROUP BY k ORDER BY k;

SELECT 1 AS n UNION ALL SELECT 2.5 AS n;

-- EXISTS and correlated-style patterns
SELECT count() AS n FROM users WHERE EXISTS (SELECT 1 FROM events WHERE action = 'share');

SELECT count() AS n FROM users WHERE user_id IN (SELECT user_id FROM events GROUP BY user_id HAVING countIf(action = 'purchase') >= 2);

SELECT plan, count() AS n FROM users WHERE user_id NOT IN (SELECT user_id FROM events) GROUP BY plan ORDER BY plan;
