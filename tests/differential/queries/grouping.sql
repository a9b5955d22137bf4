-- GROUP BY, HAVING, LIMIT BY, WITH TOTALS, ROLLUP/CUBE, ORDER BY ... NULLS, DISTINCT, LIMIT/OFFSET.

-- GROUP BY forms
SELECT device, count() AS hits FROM events GROUP BY device ORDER BY device;

SELECT device, browser, count() AS hits FROM events GROUP BY device, browser ORDER BY device, browser;

SELECT toDate(timestamp) AS day, count() AS hits FROM events GROUP BY toDate(timestamp) ORDER BY day LIMIT 5;

SELECT toStartOfMonth(timestamp) AS month, count() AS hits FROM events GROUP BY month ORDER BY month;

SELECT device, count() AS hits FROM events GROUP BY 1 ORDER BY 1;

SELECT country, device, count() AS hits FROM events GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 8;

SELECT referrer, count() AS hits FROM events GROUP BY referrer ORDER BY referrer;

SELECT is_bot, action, count() AS hits FROM events GROUP BY is_bot, action ORDER BY is_bot, action;

SELECT count() AS hits FROM events GROUP BY device ORDER BY hits;

SELECT age, count() AS users FROM users WHERE age > 75 OR age IS NULL GROUP BY age ORDER BY age;

SELECT tags, count() AS hits FROM events GROUP BY tags ORDER BY hits DESC, tags LIMIT 5;

-- HAVING
SELECT user_id, count() AS hits FROM events GROUP BY user_id HAVING hits >= 14 ORDER BY hits DESC, user_id;

SELECT session_id, count() AS hits FROM events GROUP BY session_id HAVING count() > 10 ORDER BY session_id;

SELECT country, round(sum(revenue), 2) AS total FROM events GROUP BY country HAVING total > 6000 ORDER BY country;

SELECT path, uniq(user_id) AS users FROM events GROUP BY path HAVING users > 150 AND path != '/' ORDER BY path;

SELECT device, count() AS hits FROM events GROUP BY device HAVING countIf(action = 'purchase') > 60 ORDER BY device;

SELECT action, count() AS hits FROM events GROUP BY action HAVING min(duration) < 1000 ORDER BY action;

SELECT count() AS hits FROM events HAVING hits > 0;

SELECT count() AS hits FROM events HAVING hits > 1000000;

-- ORDER BY variants
SELECT path, count() AS hits FROM events GROUP BY path ORDER BY hits DESC;

SELECT path, count() AS hits FROM events GROUP BY path ORDER BY count() ASC;

SELECT name FROM users ORDER BY user_id DESC LIMIT 5;

SELECT user_id, name FROM users ORDER BY plan, user_id LIMIT 5;

SELECT user_id, age FROM users ORDER BY age, user_id LIMIT 5;

SELECT user_id, age FROM users ORDER BY age DESC, user_id LIMIT 5;

SELECT user_id, age FROM users ORDER BY age NULLS FIRST, user_id LIMIT 5;

SELECT user_id, age FROM users ORDER BY age DESC NULLS FIRST, user_id LIMIT 5;

SELECT user_id, age FROM users ORDER BY age ASC NULLS LAST, user_id DESC LIMIT 5;

SELECT referrer, count() AS hits FROM events GROUP BY referrer ORDER BY referrer DESC;

SELECT referrer, count() AS hits FROM events GROUP BY referrer ORDER BY referrer NULLS FIRST;

SELECT toString(x) AS s FROM (SELECT arrayJoin([1, 0 / 0, NULL, -1, 1 / 0]) AS x) ORDER BY x;

SELECT toString(x) AS s FROM (SELECT arrayJoin([1, 0 / 0, NULL, -1, 1 / 0]) AS x) ORDER BY x DESC;

SELECT toString(x) AS s FROM (SELECT arrayJoin([1, 0 / 0, NULL, -1, 1 / 0]) AS x) ORDER BY x NULLS FIRST;

SELECT x FROM (SELECT arrayJoin(['b', 'a', 'B', 'A', '', 'ab']) AS x) ORDER BY x;

SELECT x FROM (SELECT arrayJoin(['b', 'a', 'B', 'A']) AS x) ORDER BY lower(x), x;

SELECT name FROM users ORDER BY length(name) DESC, name LIMIT 5;

SELECT device, count() AS hits FROM events GROUP BY device ORDER BY device = 'tablet' DESC, device;

SELECT x FROM (SELECT arrayJoin(['item10', 'item9', 'item1']) AS x) ORDER BY x;

-- LIMIT / OFFSET forms
SELECT user_id FROM users ORDER BY user_id LIMIT 3 OFFSET 5;

SELECT user_id FROM users ORDER BY user_id LIMIT 5, 3;

SELECT user_id FROM users ORDER BY user_id DESC LIMIT 2;

SELECT user_id FROM users ORDER BY user_id LIMIT 0;

SELECT user_id FROM users ORDER BY user_id LIMIT 3 OFFSET 1000;

SELECT user_id FROM users ORDER BY user_id OFFSET 297 ROWS;

SELECT user_id FROM users ORDER BY user_id OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY;

-- LIMIT BY
SELECT device, browser, count() AS hits FROM events GROUP BY device, browser ORDER BY device, hits DESC, browser LIMIT 2 BY device;

SELECT country, path, count() AS hits FROM events GROUP BY country, path ORDER BY country, hits DESC, path LIMIT 1 BY country;

SELECT plan, user_id FROM users ORDER BY plan, user_id LIMIT 2 BY plan;

SELECT plan, user_id FROM users ORDER BY plan, user_id LIMIT 1, 2 BY plan;

SELECT device, action, count() AS hits FROM events GROUP BY device, action ORDER BY device, hits DESC, action LIMIT 1 BY device LIMIT 2;

-- WITH TOTALS
SELECT device, count() AS hits FROM events GROUP BY device WITH TOTALS ORDER BY device;

SELECT action, round(sum(revenue), 2) AS revenue FROM events GROUP BY action WITH TOTALS ORDER BY action;

-- ROLLUP / CUBE / GROUPING SETS
SELECT device, is_bot, count() AS hits FROM events GROUP BY ROLLUP(device, is_bot) ORDER BY device, is_bot, hits;

SELECT device, is_bot, count() AS hits FROM events GROUP BY device, is_bot WITH ROLLUP ORDER BY device, is_bot, hits;

SELECT device, is_bot, count() AS hits FROM events GROUP BY CUBE(device, is_bot) ORDER BY device, is_bot, hits;

SELECT device, browser, count() AS hits FROM events GROUP BY GROUPING SETS ((device), (browser)) ORDER BY device, browser;

-- DISTINCT
SELECT DISTINCT device FROM events ORDER BY device;

SELECT DISTINCT device, is_bot FROM events ORDER BY device, is_bot;

SELECT DISTINCT referrer FROM events ORDER BY referrer;

SELECT DISTINCT toStartOfMonth(timestamp) AS month FROM events ORDER BY month;

SELECT DISTINCT plan FROM users;

SELECT count(DISTINCT device) AS d, count(DISTINCT referrer) AS r FROM events;

SELECT DISTINCT ON (device) device, browser FROM events ORDER BY device, browser;

SELECT countDistinct(browser) AS n FROM events;

-- Aggregates in ORDER BY and expressions over groups
SELECT device, round(avg(duration), 2) AS avg_d FROM events GROUP BY device ORDER BY avg(duration) DESC;

SELECT browser, max(duration) - min(duration) AS spread FROM events GROUP BY browser ORDER BY browser;

SELECT device, count() AS hits, round(hits / 2000 * 100, 2) AS pct FROM events GROUP BY device ORDER BY device;

SELECT toHour(timestamp) AS h, count() AS hits FROM events GROUP BY h ORDER BY hits DESC, h LIMIT 3;

-- Grouping on a Nullable key and on an expression of several columns
SELECT age IS NULL AS unknown_age, plan, count() AS users FROM users GROUP BY unknown_age, plan ORDER BY unknown_age, plan;

SELECT concat(device, ':', toString(is_bot)) AS k, count() AS hits FROM events GROUP BY k ORDER BY k;

SELECT intDiv(user_id, 100) AS bucket, count() AS hits, uniqExact(user_id) AS users FROM events GROUP BY bucket ORDER BY bucket;
