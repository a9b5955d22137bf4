-- Realistic queries in the style of Tinybird API endpoints, combining several features.

-- Top pages
SELECT path, count() AS views, uniq(session_id) AS visits FROM events WHERE action = 'view' GROUP BY path ORDER BY views DESC, path LIMIT 5;

SELECT path, count() AS hits FROM events WHERE toDate(timestamp) BETWEEN '2024-02-01' AND '2024-02-29' AND is_bot = 0 GROUP BY path ORDER BY hits DESC, path LIMIT 0, 3;

SELECT pathFull(url) AS page, uniqExact(user_id) AS visitors FROM events WHERE domain(url) = 'www.example.com' GROUP BY page ORDER BY visitors DESC, page LIMIT 5;

SELECT path, count() AS hits, round(avg(duration) / 1000, 2) AS avg_seconds FROM events GROUP BY path ORDER BY hits DESC, path LIMIT 10 OFFSET 2;

-- Sessions / hits per hour and day
SELECT toStartOfHour(timestamp) AS hour, uniq(session_id) AS sessions, count() AS hits FROM events WHERE toDate(timestamp) = '2024-01-15' GROUP BY hour ORDER BY hour;

SELECT toHour(timestamp) AS hour_of_day, count() AS hits, countIf(device = 'mobile') AS mobile FROM events GROUP BY hour_of_day ORDER BY hour_of_day;

SELECT toDate(timestamp) AS date, uniq(user_id) AS visitors, uniqExact(session_id) AS sessions, count() AS pageviews FROM events WHERE date >= '2024-03-20' GROUP BY date ORDER BY date;

SELECT toStartOfWeek(timestamp, 1) AS week, uniqExact(user_id) AS visitors FROM events GROUP BY week ORDER BY week;

SELECT toStartOfMonth(timestamp) AS month, round(sum(revenue), 2) AS revenue, countIf(action = 'purchase') AS orders FROM events GROUP BY month ORDER BY month;

SELECT toStartOfFifteenMinutes(timestamp) AS slot, count() AS hits FROM events WHERE timestamp >= '2024-03-31 00:00:00' GROUP BY slot ORDER BY slot LIMIT 10;

-- Funnels with countIf / sumIf
SELECT countIf(action = 'view') AS views, countIf(action = 'click') AS clicks, countIf(action = 'signup') AS signups, countIf(action = 'purchase') AS purchases FROM events;

SELECT device, countIf(action = 'view') AS views, countIf(action = 'purchase') AS purchases, round(countIf(action = 'purchase') / countIf(action = 'view'), 4) AS conversion FROM events GROUP BY device ORDER BY device;

SELECT uniqExactIf(session_id, action = 'view') AS viewed, uniqExactIf(session_id, action = 'click') AS clicked, uniqExactIf(session_id, action = 'purchase') AS bought FROM events;

SELECT country, round(sumIf(revenue, action = 'purchase'), 2) AS total_revenue, countIf(action = 'purchase') AS orders, round(sumIf(revenue, action = 'purchase') / countIf(action = 'purchase'), 2) AS aov FROM events WHERE country != '' GROUP BY country ORDER BY total_revenue DESC, country;

SELECT level, count() AS sessions FROM (SELECT session_id, windowFunnel(86400)(timestamp, action = 'view', action = 'click', action = 'purchase') AS level FROM events GROUP BY session_id) GROUP BY level ORDER BY level;

SELECT countIf(matched = 1) AS sessions_matched, count() AS sessions FROM (SELECT session_id, sequenceMatch('(?1)(?2)')(timestamp, action = 'view', action = 'purchase') AS matched FROM events GROUP BY session_id);

-- Unique visitors by day and dimension
SELECT toDate(timestamp) AS day, browser, uniq(user_id) AS visitors FROM events WHERE toDate(timestamp) >= '2024-03-29' GROUP BY day, browser ORDER BY day, browser;

SELECT country, uniqExact(user_id) AS visitors FROM events WHERE is_bot = 0 GROUP BY country ORDER BY visitors DESC, country;

SELECT coalesce(domain(referrer), 'direct') AS source, uniq(session_id) AS sessions, count() AS hits FROM events GROUP BY source ORDER BY sessions DESC, source;

SELECT if(extractURLParameter(url, 'utm_source') != '', extractURLParameter(url, 'utm_source'), 'none') AS utm_source, count() AS hits, uniq(user_id) AS users FROM events GROUP BY utm_source ORDER BY hits DESC, utm_source;

-- Quantiles of duration
SELECT arrayMap(x -> round(x, 2), quantiles(0.5, 0.9, 0.99)(duration)) AS pcts FROM events;

SELECT device, round(quantile(0.5)(duration) / 1000, 2) AS p50_s, round(quantile(0.95)(duration) / 1000, 2) AS p95_s FROM events GROUP BY device ORDER BY device;

SELECT path, round(median(duration)) AS median_ms, max(duration) AS max_ms FROM events WHERE action = 'view' GROUP BY path ORDER BY path;

SELECT toStartOfMonth(timestamp) AS month, arrayMap(x -> round(x, 1), quantiles(0.25, 0.75)(duration)) AS iqr FROM events GROUP BY month ORDER BY month;

-- JSON extraction filters
SELECT JSONExtractString(payload, 'meta', 'source') AS source, count() AS hits, sum(JSONExtractInt(payload, 'qty')) AS items FROM events WHERE action = 'purchase' GROUP BY source ORDER BY source;

SELECT JSONExtractString(payload, 'coupon') AS coupon, count() AS orders, round(sum(revenue), 2) AS revenue FROM events WHERE action = 'purchase' AND JSONHas(payload, 'coupon') GROUP BY coupon ORDER BY coupon;

SELECT JSONExtractInt(payload, 'item_id') AS item, count() AS purchases FROM events WHERE action = 'purchase' GROUP BY item ORDER BY purchases DESC, item LIMIT 5;

SELECT tag, count() AS hits FROM events ARRAY JOIN JSONExtract(payload, 'tags', 'Array(String)') AS tag WHERE JSONExtractFloat(payload, 'meta', 'score') > 0.5 GROUP BY tag ORDER BY hits DESC, tag;

SELECT count() AS hits FROM events WHERE JSONExtractString(payload, 'meta', 'source') IN ('ads', 'social') AND JSONExtractUInt(payload, 'qty') > 2 AND lower(JSONExtractString(payload, 'coupon')) LIKE 'vip%';

-- Retention
SELECT signup_month, dateDiff('month', signup_month, active_month) AS month_offset, uniqExact(user_id) AS users FROM (SELECT e.user_id AS user_id, toStartOfMonth(u.signup_date) AS signup_month, toStartOfMonth(e.timestamp) AS active_month FROM events AS e JOIN users AS u ON e.user_id = u.user_id WHERE u.signup_date >= '2024-01-01') GROUP BY signup_month, month_offset ORDER BY signup_month, month_offset;

SELECT sum(r[1]) AS jan, sum(r[2]) AS feb, sum(r[3]) AS mar FROM (SELECT user_id, retention(toYYYYMM(timestamp) = 202401, toYYYYMM(timestamp) = 202402, toYYYYMM(timestamp) = 202403) AS r FROM events GROUP BY user_id);

SELECT first_week, uniqExact(user_id) AS cohort FROM (SELECT user_id, toMonday(min(timestamp)) AS first_week FROM events GROUP BY user_id) GROUP BY first_week ORDER BY first_week;

SELECT countIf(days_active >= 10) AS loyal, countIf(days_active < 10) AS casual FROM (SELECT user_id, uniqExact(toDate(timestamp)) AS days_active FROM events GROUP BY user_id);

-- Leaderboards and per-user stats
SELECT user_id, count() AS actions, argMax(action, timestamp) AS last_action, max(timestamp) AS last_seen FROM events WHERE user_id IN (10, 20, 30) GROUP BY user_id ORDER BY user_id;

SELECT u.name AS name, round(sum(e.revenue), 2) AS spent FROM events AS e JOIN users AS u ON e.user_id = u.user_id WHERE e.action = 'purchase' GROUP BY name ORDER BY spent DESC, name LIMIT 5;

SELECT user_id, countIf(action = 'purchase') AS purchases, round(sumIf(revenue, action = 'purchase'), 2) AS revenue, min(timestamp) AS first_seen FROM events GROUP BY user_id HAVING purchases >= 3 ORDER BY revenue DESC, user_id LIMIT 10;

SELECT plan, uniqExact(e.user_id) AS active_users, count() AS events FROM events AS e INNER JOIN users AS u USING (user_id) WHERE e.is_bot = 0 GROUP BY plan ORDER BY plan;

-- Time series with a filled axis (trend pipe)
SELECT d.day AS day, c.hits AS hits FROM (SELECT arrayJoin(arrayMap(x -> toDate('2024-03-28') + x, range(6))) AS day) AS d LEFT JOIN (SELECT toDate(timestamp) AS day, count() AS hits FROM events GROUP BY day) AS c ON d.day = c.day ORDER BY day;

SELECT toStartOfDay(timestamp) AS day, count() AS hits FROM events WHERE timestamp >= toDateTime('2024-03-25 00:00:00') GROUP BY day ORDER BY day WITH FILL FROM toDateTime('2024-03-24 00:00:00') TO toDateTime('2024-04-02 00:00:00') STEP INTERVAL 1 DAY;

-- Device and browser breakdowns
SELECT device, browser, count() AS hits, round(count() * 100 / sum(count()) OVER (PARTITION BY device), 2) AS pct_of_device FROM events GROUP BY device, browser ORDER BY device, browser;

SELECT multiIf(duration < 10000, 'bounce', duration < 120000, 'short', 'engaged') AS engagement, count() AS sessions FROM events GROUP BY engagement ORDER BY engagement;

SELECT lower(browser) AS browser, topK(1)(device) AS top_device FROM events GROUP BY browser ORDER BY browser;
