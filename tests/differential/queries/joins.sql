-- Joins between events and users. events.user_id is 1..300; users has 1..349 except multiples of 7,
-- so some events have no user and some users have no events.
-- ClickHouse's default join_use_nulls = 0: unmatched columns of an outer join get type defaults, not NULL.

-- INNER JOIN
SELECT count() AS n FROM events AS e INNER JOIN users AS u ON e.user_id = u.user_id;

SELECT count() AS n FROM events e JOIN users u ON e.user_id = u.user_id;

SELECT u.plan AS plan, count() AS hits FROM events AS e INNER JOIN users AS u ON e.user_id = u.user_id GROUP BY plan ORDER BY plan;

SELECT u.plan AS plan, round(sum(e.revenue), 2) AS revenue FROM events AS e JOIN users AS u ON e.user_id = u.user_id GROUP BY plan ORDER BY plan;

SELECT e.user_id AS user_id, u.name AS name, count() AS hits FROM events AS e JOIN users AS u ON e.user_id = u.user_id GROUP BY user_id, name ORDER BY hits DESC, user_id LIMIT 5;

SELECT count() AS n FROM events AS e JOIN users AS u ON e.user_id = u.user_id AND u.plan = 'pro';

SELECT count() AS n FROM events AS e JOIN users AS u ON e.user_id = u.user_id WHERE u.age > 60 AND e.action = 'purchase';

SELECT uniqExact(e.user_id) AS users FROM events AS e JOIN users AS u ON e.user_id = u.user_id;

SELECT e.session_id AS session_id, e.timestamp AS ts, u.name AS name FROM events AS e JOIN users AS u ON e.user_id = u.user_id ORDER BY ts, session_id LIMIT 5;

-- USING
SELECT count() AS n FROM events JOIN users USING user_id;

SELECT count() AS n FROM events JOIN users USING (user_id);

SELECT user_id, count() AS hits FROM events JOIN users USING (user_id) GROUP BY user_id ORDER BY hits DESC, user_id LIMIT 5;

SELECT plan, count() AS hits FROM events INNER JOIN users USING user_id GROUP BY plan ORDER BY plan;

-- LEFT JOIN with default-filled columns
SELECT count() AS n FROM events AS e LEFT JOIN users AS u ON e.user_id = u.user_id;

SELECT u.plan AS plan, count() AS hits FROM events AS e LEFT JOIN users AS u ON e.user_id = u.user_id GROUP BY plan ORDER BY plan;

SELECT countIf(u.name = '') AS unmatched FROM events AS e LEFT JOIN users AS u ON e.user_id = u.user_id;

SELECT countIf(u.user_id = 0) AS unmatched_ids FROM events AS e LEFT JOIN users AS u ON e.user_id = u.user_id;

SELECT e.user_id AS user_id, u.user_id AS matched_id, u.name AS name, u.signup_date AS signup, u.age AS age FROM events AS e LEFT JOIN users AS u ON e.user_id = u.user_id WHERE e.user_id IN (7, 8) GROUP BY user_id, matched_id, name, signup, age ORDER BY user_id;

SELECT isNull(u.age) AS age_null, count() AS hits FROM events AS e LEFT JOIN users AS u ON e.user_id = u.user_id WHERE e.user_id % 7 = 0 GROUP BY age_null;

SELECT e.user_id AS user_id, count() AS hits FROM events AS e LEFT JOIN users AS u ON e.user_id = u.user_id WHERE u.user_id = 0 GROUP BY user_id ORDER BY user_id LIMIT 10;

SELECT e.user_id AS user_id FROM events AS e LEFT JOIN users AS u ON e.user_id = u.user_id WHERE u.name = '' GROUP BY user_id ORDER BY user_id LIMIT 5;

SELECT if(u.plan = '', 'unknown', u.plan) AS plan, uniqExact(e.user_id) AS users FROM events AS e LEFT OUTER JOIN users AS u ON e.user_id = u.user_id GROUP BY plan ORDER BY plan;

SELECT plan, count() AS hits FROM events LEFT JOIN users USING (user_id) GROUP BY plan ORDER BY plan;

-- RIGHT JOIN
SELECT count() AS n FROM events AS e RIGHT JOIN users AS u ON e.user_id = u.user_id;

SELECT countIf(e.session_id = '') AS users_without_events FROM events AS e RIGHT JOIN users AS u ON e.user_id = u.user_id;

SELECT u.user_id AS user_id, e.session_id AS session_id, e.duration AS duration, e.timestamp AS ts FROM events AS e RIGHT JOIN users AS u ON e.user_id = u.user_id WHERE u.user_id > 340 ORDER BY user_id;

SELECT u.plan AS plan, count(e.session_id) AS events_counted, count() AS rows_total FROM events AS e RIGHT JOIN users AS u ON e.user_id = u.user_id GROUP BY plan ORDER BY plan;

-- FULL JOIN
SELECT count() AS n FROM events AS e FULL OUTER JOIN users AS u ON e.user_id = u.user_id;

SELECT countIf(e.session_id = '') AS only_users, countIf(u.name = '') AS only_events FROM events AS e FULL JOIN users AS u ON e.user_id = u.user_id;

SELECT e.user_id AS left_id, u.user_id AS right_id FROM events AS e FULL JOIN users AS u ON e.user_id = u.user_id WHERE e.user_id = 0 OR u.user_id = 0 GROUP BY left_id, right_id ORDER BY left_id, right_id LIMIT 10;

SELECT user_id, count() AS n FROM events FULL JOIN users USING (user_id) WHERE user_id > 345 GROUP BY user_id ORDER BY user_id;

-- Joins against subqueries
SELECT u.plan AS plan, sum(s.hits) AS hits FROM (SELECT user_id, count() AS hits FROM events GROUP BY user_id) AS s JOIN users AS u ON s.user_id = u.user_id GROUP BY plan ORDER BY plan;

SELECT u.name AS name, s.revenue AS revenue FROM (SELECT user_id, round(sum(revenue), 2) AS revenue FROM events GROUP BY user_id) AS s JOIN users AS u ON s.user_id = u.user_id ORDER BY revenue DESC, name LIMIT 5;

SELECT d.day AS day, coalesce(c.hits, 0) AS hits FROM (SELECT toDate('2024-03-29') + number AS day FROM numbers(5)) AS d LEFT JOIN (SELECT toDate(timestamp) AS day, count() AS hits FROM events GROUP BY day) AS c ON d.day = c.day ORDER BY day;

SELECT m.minute AS minute, c.visits AS visits FROM (SELECT toDateTime('2024-01-01 00:00:00') + number * 60 AS minute FROM numbers(5)) AS m LEFT JOIN (SELECT toStartOfMinute(timestamp) AS minute, count() AS visits FROM events GROUP BY minute) AS c ON m.minute = c.minute ORDER BY minute;

SELECT a.device AS device, a.hits AS hits, b.buyers AS buyers FROM (SELECT device, count() AS hits FROM events GROUP BY device) AS a JOIN (SELECT device, uniqExactIf(user_id, action = 'purchase') AS buyers FROM events GROUP BY device) AS b ON a.device = b.device ORDER BY device;

SELECT t.plan AS plan, t.users AS users FROM (SELECT plan, count() AS users FROM users GROUP BY plan) AS t ORDER BY plan;

-- ANY / SEMI / ANTI joins
SELECT count() AS n FROM users AS u ANY LEFT JOIN events AS e ON u.user_id = e.user_id;

SELECT count() AS n FROM events AS e ANY INNER JOIN users AS u ON e.user_id = u.user_id;

SELECT count() AS n FROM users AS u LEFT SEMI JOIN events AS e ON u.user_id = e.user_id;

SELECT count() AS n FROM users AS u LEFT ANTI JOIN events AS e ON u.user_id = e.user_id;

SELECT u.user_id AS user_id FROM users AS u LEFT ANTI JOIN events AS e ON u.user_id = e.user_id ORDER BY user_id LIMIT 5;

SELECT count() AS n FROM events AS e LEFT ANTI JOIN users AS u ON e.user_id = u.user_id;

-- Cross joins and self joins
SELECT count() AS n FROM (SELECT DISTINCT device FROM events) AS a CROSS JOIN (SELECT DISTINCT browser FROM events) AS b;

SELECT a.device AS device, b.plan AS plan FROM (SELECT DISTINCT device FROM events) AS a, (SELECT DISTINCT plan FROM users) AS b ORDER BY device, plan;

SELECT t.total AS total, d.hits AS hits, round(d.hits / t.total, 4) AS share FROM (SELECT count() AS total FROM events) AS t, (SELECT device, count() AS hits FROM events GROUP BY device) AS d ORDER BY hits;

SELECT count() AS pairs FROM users AS a JOIN users AS b ON a.plan = b.plan AND a.user_id < b.user_id;

SELECT a.session_id AS session_id, count() AS n FROM events AS a JOIN events AS b ON a.session_id = b.session_id AND a.timestamp < b.timestamp WHERE a.session_id IN ('s0001', 's0002') GROUP BY session_id ORDER BY session_id;

-- Join with a non-equality condition in WHERE and an aggregate over both sides
SELECT count() AS n FROM events AS e JOIN users AS u ON e.user_id = u.user_id WHERE toDate(e.timestamp) < u.signup_date;

SELECT u.plan AS plan, round(avg(dateDiff('day', u.signup_date, toDate(e.timestamp))), 2) AS avg_days FROM events AS e JOIN users AS u ON e.user_id = u.user_id GROUP BY plan ORDER BY plan;

SELECT e.action AS action, countIf(u.age < 30) AS young, countIf(u.age >= 30) AS older, countIf(u.age IS NULL) AS unknown FROM events AS e JOIN users AS u ON e.user_id = u.user_id GROUP BY action ORDER BY action;
