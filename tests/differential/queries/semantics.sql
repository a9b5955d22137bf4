-- ClickHouse semantics that differ from other SQL engines.

-- Division: / always returns Float64; intDiv is integer division
SELECT 7 / 2 AS a, 6 / 3 AS b, 1 / 3 AS c;

SELECT toTypeName(7 / 2) AS a, toTypeName(6 / 3) AS b, toTypeName(intDiv(7, 2)) AS c;

SELECT count() / 3 AS per_third FROM events;

SELECT sum(is_bot) / count() AS bot_ratio FROM events;

SELECT intDiv(count(), 3) AS per_third FROM events;

SELECT intDiv(-7, 2) AS a, intDiv(7, -2) AS b, intDiv(toUInt8(200), 3) AS c;

SELECT 10 % 3 AS a, -10 % 3 AS b, 10.5 % 3 AS c;

SELECT 1 / 0 AS inf_result, isInfinite(1 / 0) AS is_inf, isNaN(0 / 0) AS is_nan;

SELECT 3 DIV 2 AS d, 3 MOD 2 AS m;

-- Integer overflow and widening
SELECT toUInt8(250) + toUInt8(10) AS widened, toTypeName(toUInt8(250) + toUInt8(10)) AS t;

SELECT toInt64(9223372036854775807) + 1 AS wrapped;

SELECT toUInt64(0) - 1 AS wrapped_u64;

SELECT toUInt32(4294967295) * 2 AS widened_mul, toTypeName(toUInt32(1) * toUInt32(1)) AS t;

SELECT sum(toUInt8(200)) AS s, toTypeName(sum(toUInt8(200))) AS t FROM numbers(10);

SELECT toInt8(127) + toInt8(1) AS a, toTypeName(toInt8(127) + toInt8(1)) AS t;

SELECT 18446744073709551615 + 1 AS wraps_to_zero;

SELECT -toUInt8(5) AS neg_unsigned, toTypeName(-toUInt8(5)) AS t;

SELECT abs(toInt8(-128)) AS a, toTypeName(abs(toInt8(-128))) AS t;

-- Comparisons return UInt8; booleans
SELECT 1 = 1 AS eq, 1 == 1 AS eq2, 1 != 2 AS ne, 1 <> 2 AS ne2, toTypeName(1 = 1) AS t;

SELECT true AS t, false AS f, true = 1 AS t_is_one, toTypeName(true) AS tt;

SELECT max(action = 'signup') = true AS any_signup, min(action = 'signup') = false AS not_all FROM events;

SELECT count() AS n FROM events WHERE 1;

SELECT count() AS n FROM events WHERE 1 = 1 AND duration;

SELECT count() AS n FROM events WHERE is_bot;

SELECT NOT 0 AS a, NOT 5 AS b, 5 AND 3 AS c, 0 OR 0 AS d;

SELECT 2 BETWEEN 1 AND 3 AS b1, 5 NOT BETWEEN 1 AND 3 AS b2;

-- String comparison is byte-wise
SELECT 'a' < 'b' AS a, 'B' < 'a' AS b, 'abc' < 'abd' AS c, '' < 'a' AS d, 'é' > 'z' AS e;

SELECT '10' < '9' AS string_cmp, 10 < 9 AS num_cmp;

SELECT 'abc' = 'ABC' AS case_sensitive, lower('abc') = lower('ABC') AS folded;

SELECT 'a ' = 'a' AS trailing_space;

SELECT max(name) AS max_name, min(name) AS min_name FROM users;

-- Implicit conversion of strings to dates in comparisons
SELECT toDate('2024-03-15') = '2024-03-15' AS d_eq, toDateTime('2024-03-15 10:00:00') > '2024-03-15 09:59:59' AS t_gt;

SELECT count() AS n FROM users WHERE signup_date BETWEEN '2024-01-01' AND '2024-01-31';

SELECT 1 = '1' AS int_str_eq;

-- NULL handling
SELECT NULL = NULL AS a, NULL != 1 AS b, NULL IS NULL AS c, isNull(NULL) AS d;

SELECT count(score) AS non_null, count() AS all_rows, countIf(isNull(score)) AS nulls FROM events;

SELECT round(avg(score), 4) AS avg_ignores_nulls, round(sum(score) / count(score), 4) AS manual FROM events;

SELECT sum(score) IS NULL AS sum_is_null FROM events WHERE score IS NULL;

SELECT max(score) AS m FROM events WHERE score IS NULL;

SELECT count(DISTINCT referrer) AS distinct_non_null, uniqExact(referrer) AS uniq_non_null FROM events;

SELECT ifNull(max(age), 0) AS max_age FROM users WHERE age IS NULL;

SELECT arraySort(groupArray(age)) AS ages FROM users WHERE user_id < 20;

SELECT groupUniqArray(referrer) = groupUniqArray(assumeNotNull(referrer)) AS same_ignoring_nulls FROM events WHERE referrer IS NULL;

-- count(DISTINCT x) and friends
SELECT count(DISTINCT user_id) AS a, COUNT(DISTINCT user_id) AS b, countDistinct(user_id) AS c, uniqExact(user_id) AS d FROM events;

SELECT count(DISTINCT user_id, session_id) AS pairs FROM events;

SELECT device, count(DISTINCT browser) AS browsers FROM events GROUP BY device ORDER BY device;

SELECT count(DISTINCT toDate(timestamp)) AS days FROM events;

SELECT sum(DISTINCT is_bot) AS s, avg(DISTINCT is_bot) AS a FROM events;

-- Lambdas
SELECT arrayMap(x -> x + 1, [1, 2, 3]) AS a;

SELECT arrayMap((x, i) -> concat(x, toString(i)), ['a', 'b'], [1, 2]) AS a;

SELECT arrayFilter(x -> x LIKE 'p%', tags) AS p_tags, count() AS hits FROM events GROUP BY p_tags ORDER BY p_tags;

SELECT arrayExists(x -> x IN ('vip', 'sale'), tags) AS flagged, count() AS hits FROM events GROUP BY flagged ORDER BY flagged;

SELECT arrayMap(x -> arrayMap(y -> y * x, [1, 2]), [10, 20]) AS nested;

SELECT arraySort((x, y) -> y, ['a', 'b', 'c'], [3, 1, 2]) AS sorted_by_other;

SELECT arrayMap(x -> x * duration, [1, 2]) AS scaled FROM events ORDER BY duration DESC LIMIT 1;

-- Tuples
SELECT (1, 'a') AS t, tuple(1, 'a').1 AS first, (1, 'a').2 AS second;

SELECT tupleElement((10, 20), 2) AS e;

SELECT tuple(device, browser) AS t, count() AS hits FROM events GROUP BY t ORDER BY t LIMIT 3;

SELECT (device, is_bot) AS t FROM events GROUP BY t ORDER BY t;

SELECT argMax((session_id, duration), duration).2 AS max_duration FROM events;

SELECT tuple(1, 2) = tuple(1, 2) AS eq, (1, 2) < (1, 3) AS lt;

SELECT CAST((1, 'x') AS Tuple(a UInt8, b String)).b AS named;

-- Maps
SELECT map('a', 1, 'b', 2) AS m;

SELECT map('a', 1, 'b', 2)['b'] AS b, map('a', 1)['missing'] AS missing;

SELECT mapKeys(map('a', 1, 'b', 2)) AS k, mapValues(map('a', 1, 'b', 2)) AS v;

SELECT mapContains(map('a', 1), 'a') AS has_a, length(map('a', 1, 'b', 2)) AS n;

SELECT map(device, count())['mobile'] AS m FROM events GROUP BY device ORDER BY m;

SELECT sumMap(map(device, 1)) AS per_device FROM events;

SELECT JSONExtract(payload, 'meta', 'Map(String, String)')['source'] AS source, count() AS hits FROM events GROUP BY source ORDER BY source;

-- Case-insensitive function names
SELECT COUNT() AS a, Count(*) AS b, count() AS c FROM events;

SELECT SUM(duration) AS a, Sum(duration) AS b, sum(duration) AS c FROM events;

SELECT AVG(delta) AS a, MIN(delta) AS b, MAX(delta) AS c FROM events;

SELECT LOWER('ABC') AS a, UPPER('abc') AS b, LENGTH('abc') AS c, SUBSTRING('abcdef', 2, 3) AS d;

SELECT ROUND(2.567, 1) AS a, ABS(-3) AS b, FLOOR(2.5) AS c, CEIL(2.1) AS d;

SELECT IF(1, 'y', 'n') AS a, COALESCE(NULL, 'x') AS b, IFNULL(NULL, 2) AS c, NULLIF(1, 1) AS d;

SELECT CONCAT('a', 'b') AS a, TRIM('  x  ') AS b, REPLACE('aXb', 'X', '-') AS c;

SELECT DATE_DIFF('day', toDate('2024-01-01'), toDate('2024-01-31')) AS a, DATE_TRUNC('month', toDate('2024-03-15')) AS b;

-- Alias scope: aliases are visible in WHERE, GROUP BY, HAVING, ORDER BY and other SELECT expressions
SELECT toDate(timestamp) AS day, count() AS hits FROM events WHERE day = '2024-02-14' GROUP BY day;

SELECT duration * 2 AS d2, d2 + 1 AS d3 FROM events ORDER BY d2 DESC LIMIT 2;

SELECT d3 + 1 AS d4, duration AS d3 FROM events ORDER BY d3 DESC LIMIT 2;

SELECT lower(action) AS action, count() AS hits FROM events GROUP BY action ORDER BY action;

SELECT coalesce(referrer, 'direct') AS referrer, count() AS hits FROM events GROUP BY referrer ORDER BY referrer;

SELECT coalesce(age, 0) AS age, count() AS users FROM users WHERE age = 0 GROUP BY age;

SELECT count() c, toDate(timestamp) d FROM events GROUP BY d ORDER BY d LIMIT 3;

SELECT device AS `Device Name`, count() AS `hits.total` FROM events GROUP BY device ORDER BY device;

-- SELECT * variants
SELECT * EXCEPT (payload, tags, url) FROM events ORDER BY timestamp, session_id LIMIT 2;

SELECT * FROM users ORDER BY user_id LIMIT 3;

SELECT *, upper(name) AS shout FROM users ORDER BY user_id LIMIT 2;

SELECT users.* FROM users ORDER BY user_id LIMIT 2;

SELECT COLUMNS('^si') FROM users ORDER BY user_id LIMIT 2;

-- Empty input
SELECT count() AS c, sum(duration) AS s, max(duration) AS mx, min(path) AS mn, uniq(user_id) AS u FROM events WHERE 0;

SELECT count() AS c FROM events WHERE 0 GROUP BY device;

SELECT groupArray(path) AS paths, any(path) AS p FROM events WHERE 0;

-- Unaliased columns: these test ClickHouse's naming of unaliased result columns
SELECT count() FROM events;

SELECT count(*), sum(duration) FROM events;

SELECT device, count() FROM events GROUP BY device ORDER BY device;

SELECT toDate(timestamp), count() FROM events GROUP BY toDate(timestamp) ORDER BY toDate(timestamp) LIMIT 3;

SELECT 1 + 1, 2 * 3, 7 / 2, -(5);

SELECT 'hello', 42, 1.5, NULL, [1, 2], (1, 'a');

SELECT quantile(0.9)(duration), countIf(action = 'view'), uniq(user_id) FROM events;

SELECT lower(device), upper(browser) FROM events GROUP BY device, browser ORDER BY lower(device), upper(browser) LIMIT 3;

SELECT duration > 300000, count() FROM events GROUP BY duration > 300000 ORDER BY duration > 300000;

SELECT user_id IN (1, 2), NOT is_bot, referrer IS NULL, path LIKE '/docs%' FROM events ORDER BY timestamp, session_id LIMIT 2;

SELECT CAST(1 AS String), 1::Float64, toString(2), if(1, 'a', 'b'), tags[1] FROM events ORDER BY timestamp, session_id LIMIT 1;

SELECT e.user_id, u.name FROM events AS e JOIN users AS u ON e.user_id = u.user_id ORDER BY e.timestamp, e.session_id LIMIT 2;
