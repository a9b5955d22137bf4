-- Aggregate functions: count, sum, avg, min, max, uniq, quantiles, argMax, combinators.

-- count
SELECT count() AS n FROM events;

SELECT count(*) AS n FROM events;

SELECT count(referrer) AS n FROM events;

SELECT count(score) AS n FROM events;

SELECT count(1) AS n FROM users;

SELECT count() AS n FROM events WHERE action = 'purchase';

SELECT count() AS n FROM events WHERE 0;

SELECT action, count() AS hits FROM events GROUP BY action ORDER BY action;

-- countIf
SELECT countIf(action = 'purchase') AS purchases FROM events;

SELECT countIf(is_bot = 1) AS bots, countIf(is_bot = 0) AS humans FROM events;

SELECT countIf(referrer IS NULL) AS no_ref, countIf(referrer IS NOT NULL) AS with_ref FROM events;

SELECT countIf(duration > 300000) AS long_visits FROM events;

SELECT country, countIf(device = 'mobile') AS mobile FROM events GROUP BY country ORDER BY country;

SELECT countIf(score > 50) AS high_score FROM events;

-- sum
SELECT sum(duration) AS total FROM events;

SELECT sum(delta) AS total FROM events;

SELECT sum(is_bot) AS bots FROM events;

SELECT round(sum(revenue), 2) AS total FROM events;

SELECT sum(price) AS total FROM events;

SELECT sum(duration) AS total FROM events WHERE action = 'nothing';

SELECT device, sum(duration) AS total FROM events GROUP BY device ORDER BY device;

SELECT browser, sum(delta) AS total FROM events GROUP BY browser ORDER BY browser;

-- sumIf
SELECT round(sumIf(revenue, action = 'purchase'), 2) AS revenue FROM events;

SELECT sumIf(duration, device = 'mobile') AS mobile_time FROM events;

SELECT sumIf(delta, delta < 0) AS negative, sumIf(delta, delta > 0) AS positive FROM events;

SELECT country, sumIf(price, action = 'purchase') AS spent FROM events GROUP BY country ORDER BY country;

-- avg
SELECT round(avg(duration), 4) AS avg_duration FROM events;

SELECT round(avg(delta), 4) AS avg_delta FROM events;

SELECT round(avg(score), 4) AS avg_score FROM events;

SELECT round(avg(revenue), 4) AS avg_revenue FROM events WHERE action = 'purchase';

SELECT round(avg(age), 4) AS avg_age FROM users;

SELECT round(avgIf(duration, device = 'desktop'), 4) AS avg_desktop FROM events;

SELECT plan, round(avg(age), 3) AS avg_age FROM users GROUP BY plan ORDER BY plan;

SELECT round(avg(price), 4) AS avg_price FROM events;

-- min / max
SELECT min(duration) AS lo, max(duration) AS hi FROM events;

SELECT min(delta) AS lo, max(delta) AS hi FROM events;

SELECT min(timestamp) AS first_seen, max(timestamp) AS last_seen FROM events;

SELECT min(score) AS lo, max(score) AS hi FROM events;

SELECT min(path) AS lo, max(path) AS hi FROM events;

SELECT min(price) AS lo, max(price) AS hi FROM events;

SELECT min(signup_date) AS lo, max(signup_date) AS hi FROM users;

SELECT min(age) AS lo, max(age) AS hi FROM users;

SELECT action, min(timestamp) AS first_seen, max(timestamp) AS last_seen FROM events GROUP BY action ORDER BY action;

SELECT minIf(duration, action = 'signup') AS lo, maxIf(duration, action = 'signup') AS hi FROM events;

SELECT min(referrer) AS lo, max(referrer) AS hi FROM events;

-- uniq family
SELECT uniq(user_id) AS users FROM events;

SELECT uniqExact(user_id) AS users FROM events;

SELECT uniq(session_id) AS sessions FROM events;

SELECT uniqExact(session_id) AS sessions FROM events;

SELECT uniqExact(referrer) AS referrers FROM events;

SELECT uniq(user_id, session_id) AS pairs FROM events;

SELECT uniqExact(country, device) AS combos FROM events;

SELECT action, uniq(user_id) AS users FROM events GROUP BY action ORDER BY action;

SELECT country, uniqExact(session_id) AS sessions FROM events GROUP BY country ORDER BY country;

SELECT uniqIf(user_id, action = 'purchase') AS buyers FROM events;

SELECT uniqExactIf(session_id, device = 'mobile') AS mobile_sessions FROM events;

SELECT uniqCombined(user_id) AS users FROM events;

SELECT count(DISTINCT user_id) AS users FROM events;

SELECT count(DISTINCT path) AS paths, count(DISTINCT country) AS countries FROM events;

-- quantiles and median (the quantiles(...)(delta) query deliberately prints an unrounded interpolated float)
SELECT quantile(0.5)(duration) AS p50 FROM events;

SELECT quantile(0.9)(duration) AS p90 FROM events;

SELECT quantile(.95)(duration) AS p95 FROM events;

SELECT quantile(duration) AS p50 FROM events;

SELECT median(duration) AS med FROM events;

SELECT median(delta) AS med FROM events;

SELECT round(quantile(0.75)(score), 4) AS p75 FROM events;

SELECT quantiles(0.25, 0.5, 0.75)(duration) AS qs FROM events;

SELECT quantiles(0.1, 0.5, 0.9, 0.99)(delta) AS qs FROM events;

SELECT quantileExact(0.5)(duration) AS p50 FROM events;

SELECT quantileExact(0.9)(delta) AS p90 FROM events;

SELECT device, round(quantile(0.5)(duration), 2) AS p50, round(quantile(0.99)(duration), 2) AS p99 FROM events GROUP BY device ORDER BY device;

SELECT action, round(median(duration), 1) AS med FROM events GROUP BY action ORDER BY action;

SELECT quantileIf(0.5)(duration, action = 'view') AS p50_views FROM events;

SELECT medianExact(age) AS med FROM users;

-- topK
SELECT topK(3)(action) AS top_actions FROM events;

SELECT topK(2)(device) AS top_devices FROM events;

SELECT topK(1)(country) AS top_country FROM events;

SELECT arraySort(topK(3)(browser)) AS top_browsers FROM events;

-- groupArray / groupUniqArray (made deterministic)
SELECT arraySort(groupUniqArray(action)) AS actions FROM events;

SELECT arraySort(groupUniqArray(country)) AS countries FROM events;

SELECT arraySort(groupArray(duration)) AS durations FROM events WHERE session_id = 's0001';

SELECT session_id, arraySort(groupArray(action)) AS actions FROM events WHERE session_id IN ('s0001', 's0002', 's0003') GROUP BY session_id ORDER BY session_id;

SELECT length(groupArray(user_id)) AS n FROM events;

SELECT arraySort(groupArray(DISTINCT device)) AS devices FROM events;

SELECT device, arraySort(groupUniqArray(browser)) AS browsers FROM events GROUP BY device ORDER BY device;

SELECT arraySort(groupArrayIf(user_id, action = 'purchase' AND duration < 5000)) AS ids FROM events;

-- argMax / argMin
SELECT argMax(session_id, duration) AS longest_session FROM events;

SELECT argMin(session_id, duration) AS shortest_session FROM events;

SELECT argMax(user_id, timestamp) AS last_user FROM events;

SELECT argMin(action, timestamp) AS first_action FROM events;

SELECT argMax(name, user_id) AS last_name FROM users;

SELECT device, argMax(duration, duration) AS longest FROM events GROUP BY device ORDER BY device;

SELECT argMax(path, price) AS priciest_path, max(price) AS top_price FROM events;

SELECT argMin(delta, delta) AS lowest FROM events;

-- any over groups of equal values
SELECT action, any(action) AS same FROM events GROUP BY action ORDER BY action;

SELECT user_id, any(name) AS name FROM users WHERE user_id < 6 GROUP BY user_id ORDER BY user_id;

SELECT path, anyLast(path) AS same FROM events GROUP BY path ORDER BY path;

-- Statistical aggregates
SELECT round(stddevPop(duration), 2) AS sd FROM events;

SELECT round(stddevSamp(delta), 2) AS sd FROM events;

SELECT round(varPop(delta), 2) AS v FROM events;

SELECT round(varSamp(age), 2) AS v FROM users;

SELECT round(corr(duration, delta), 6) AS r FROM events;

SELECT round(covarPop(toFloat64(duration), toFloat64(delta)), 2) AS c FROM events;

-- Bitwise and boolean aggregates
SELECT groupBitOr(is_bot) AS any_bot, groupBitAnd(is_bot) AS all_bot FROM events;

SELECT groupBitXor(toUInt32(duration)) AS x FROM events;

-- sumIf/countIf with several conditions, and -Distinct
SELECT sumDistinct(is_bot) AS s FROM events;

SELECT countIf(action = 'view' AND device = 'mobile' AND country = 'US') AS n FROM events;

SELECT sum(DISTINCT delta % 10) AS s FROM events;

SELECT avgDistinct(is_bot) AS a FROM events;

-- Aggregates over empty input
SELECT sum(duration) AS s, count() AS c, min(duration) AS lo, max(duration) AS hi FROM events WHERE duration > 1000000;

SELECT uniq(user_id) AS u, uniqExact(user_id) AS ue FROM events WHERE action = 'nope';

SELECT max(path) AS m, min(timestamp) AS t FROM events WHERE action = 'nope';

SELECT avg(duration) AS a FROM events WHERE action = 'nope';

SELECT groupArray(action) AS arr FROM events WHERE action = 'nope';

-- -State / -Merge in subqueries
SELECT countMerge(c) AS n FROM (SELECT countState() AS c FROM events GROUP BY action);

SELECT sumMerge(s) AS total FROM (SELECT sumState(duration) AS s FROM events GROUP BY device);

SELECT uniqMerge(u) AS users FROM (SELECT uniqState(user_id) AS u FROM events GROUP BY country);

SELECT round(avgMerge(a), 4) AS avg_duration FROM (SELECT avgState(duration) AS a FROM events GROUP BY browser);

SELECT maxMerge(m) AS hi, minMerge(lo) AS lo FROM (SELECT maxState(duration) AS m, minState(duration) AS lo FROM events GROUP BY path);

SELECT countMerge(c) AS purchases FROM (SELECT countIfState(action = 'purchase') AS c FROM events GROUP BY device);

SELECT uniqExactMerge(u) AS sessions FROM (SELECT uniqExactState(session_id) AS u FROM events GROUP BY action);

SELECT country, countMerge(c) AS hits FROM (SELECT country, device, countState() AS c FROM events GROUP BY country, device) GROUP BY country ORDER BY country;

SELECT topKMerge(2)(t) AS top FROM (SELECT topKState(2)(device) AS t FROM events GROUP BY country);

SELECT quantilesMerge(0.5, 0.9)(q) AS qs FROM (SELECT quantilesState(0.5, 0.9)(duration) AS q FROM events GROUP BY browser);
