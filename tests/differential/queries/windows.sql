-- Window functions.

-- Ranking
SELECT device, hits, ROW_NUMBER() OVER (ORDER BY hits DESC) AS rn FROM (SELECT device, count() AS hits FROM events GROUP BY device) ORDER BY rn;

SELECT device, count() AS hits, row_number() OVER (ORDER BY count() DESC) AS rn FROM events GROUP BY device ORDER BY rn;

SELECT path, count() AS hits, rank() OVER (ORDER BY count() DESC) AS rnk FROM events GROUP BY path ORDER BY rnk, path;

SELECT hits, rank() OVER (ORDER BY hits) AS r, dense_rank() OVER (ORDER BY hits) AS dr, row_number() OVER (ORDER BY hits) AS rn FROM (SELECT arrayJoin([10, 20, 20, 30]) AS hits) ORDER BY rn;

SELECT device, browser, count() AS hits, row_number() OVER (PARTITION BY device ORDER BY count() DESC, browser) AS rn FROM events GROUP BY device, browser ORDER BY device, rn;

SELECT * FROM (SELECT device, browser, count() AS hits, row_number() OVER (PARTITION BY device ORDER BY count() DESC, browser) AS rn FROM events GROUP BY device, browser) WHERE rn = 1 ORDER BY device;

SELECT user_id, name, plan, row_number() OVER (PARTITION BY plan ORDER BY user_id) AS rn FROM users QUALIFY rn <= 2 ORDER BY plan, rn;

SELECT country, hits, percent_rank() OVER (ORDER BY hits) AS pr FROM (SELECT country, count() AS hits FROM events GROUP BY country) ORDER BY hits, country;

SELECT user_id, ntile(4) OVER (ORDER BY user_id) AS quartile FROM users WHERE user_id <= 10 ORDER BY user_id;

-- Aggregates over windows
SELECT device, count() AS hits, sum(count()) OVER () AS total FROM events GROUP BY device ORDER BY device;

SELECT device, count() AS hits, round(count() / sum(count()) OVER (), 4) AS share FROM events GROUP BY device ORDER BY device;

SELECT month, hits, sum(hits) OVER (ORDER BY month) AS running FROM (SELECT toStartOfMonth(timestamp) AS month, count() AS hits FROM events GROUP BY month) ORDER BY month;

SELECT day, hits, sum(hits) OVER (ORDER BY day ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS rolling3 FROM (SELECT toDate(timestamp) AS day, count() AS hits FROM events GROUP BY day) ORDER BY day LIMIT 7;

SELECT day, hits, round(avg(hits) OVER (ORDER BY day ROWS BETWEEN 3 PRECEDING AND CURRENT ROW), 4) AS moving_avg FROM (SELECT toDate(timestamp) AS day, count() AS hits FROM events GROUP BY day) ORDER BY day LIMIT 7;

SELECT device, browser, count() AS hits, max(count()) OVER (PARTITION BY device) AS device_max, min(count()) OVER (PARTITION BY device) AS device_min FROM events GROUP BY device, browser ORDER BY device, browser;

SELECT plan, user_id, count() OVER (PARTITION BY plan) AS plan_size FROM users WHERE user_id <= 6 ORDER BY user_id;

SELECT week, hits, sum(hits) OVER (ORDER BY week ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS total FROM (SELECT toMonday(timestamp) AS week, count() AS hits FROM events GROUP BY week) ORDER BY week LIMIT 4;

SELECT x, sum(x) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s FROM (SELECT arrayJoin([1, 2, 3, 5, 6]) AS x) ORDER BY x;

SELECT x, sum(x) OVER (ORDER BY x) AS default_frame FROM (SELECT arrayJoin([1, 2, 2, 3]) AS x) ORDER BY x;

-- lag / lead / first_value / last_value
SELECT month, hits, lagInFrame(hits) OVER (ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS prev FROM (SELECT toStartOfMonth(timestamp) AS month, count() AS hits FROM events GROUP BY month) ORDER BY month;

SELECT month, hits, leadInFrame(hits) OVER (ORDER BY month ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next FROM (SELECT toStartOfMonth(timestamp) AS month, count() AS hits FROM events GROUP BY month) ORDER BY month;

SELECT month, hits, lag(hits, 1, 0) OVER (ORDER BY month) AS prev FROM (SELECT toStartOfMonth(timestamp) AS month, count() AS hits FROM events GROUP BY month) ORDER BY month;

SELECT month, hits, lead(hits) OVER (ORDER BY month) AS next FROM (SELECT toStartOfMonth(timestamp) AS month, count() AS hits FROM events GROUP BY month) ORDER BY month;

SELECT month, hits, hits - lagInFrame(hits, 1, hits) OVER (ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS change FROM (SELECT toStartOfMonth(timestamp) AS month, count() AS hits FROM events GROUP BY month) ORDER BY month;

SELECT device, browser, count() AS hits, first_value(browser) OVER (PARTITION BY device ORDER BY count() DESC, browser) AS top_browser FROM events GROUP BY device, browser ORDER BY device, browser;

SELECT device, browser, last_value(browser) OVER (PARTITION BY device ORDER BY browser ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_browser FROM events GROUP BY device, browser ORDER BY device, browser;

SELECT user_id, nth_value(user_id, 2) OVER (ORDER BY user_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second FROM users WHERE user_id <= 4 ORDER BY user_id;

-- Windows on raw rows
SELECT session_id, timestamp AS ts, action, row_number() OVER (PARTITION BY session_id ORDER BY timestamp, action) AS step FROM events WHERE session_id = 's0001' ORDER BY step;

SELECT session_id, dateDiff('second', lagInFrame(timestamp) OVER (PARTITION BY session_id ORDER BY timestamp ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), timestamp) AS gap FROM events WHERE session_id = 's0002' ORDER BY gap;

SELECT count() AS first_actions FROM (SELECT action, row_number() OVER (PARTITION BY user_id ORDER BY timestamp, session_id) AS rn FROM events) WHERE rn = 1;

SELECT action, count() AS first_actions FROM (SELECT action, row_number() OVER (PARTITION BY user_id ORDER BY timestamp, session_id) AS rn FROM events) WHERE rn = 1 GROUP BY action ORDER BY action;

SELECT user_id, round(revenue_total, 2) AS revenue_total, rank() OVER (ORDER BY revenue_total DESC) AS r FROM (SELECT user_id, sum(revenue) AS revenue_total FROM events GROUP BY user_id) ORDER BY r, user_id LIMIT 5;

-- Named windows
SELECT device, count() AS hits, sum(count()) OVER w AS total, rank() OVER w2 AS r FROM events GROUP BY device WINDOW w AS (), w2 AS (ORDER BY count() DESC) ORDER BY device;
