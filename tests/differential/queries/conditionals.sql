-- Conditionals and NULL handling: if, multiIf, CASE, coalesce, ifNull, nullIf, assumeNotNull.

-- if
SELECT if(duration > 300000, 'long', 'short') AS kind, count() AS hits FROM events GROUP BY kind ORDER BY kind;

SELECT if(1, 'yes', 'no') AS a, if(0, 'yes', 'no') AS b;

SELECT if(is_bot, 'bot', 'human') AS kind, count() AS hits FROM events GROUP BY kind ORDER BY kind;

SELECT sum(if(action = 'purchase', revenue, 0)) > 0 AS has_revenue FROM events;

SELECT if(delta > 0, delta, -delta) AS magnitude FROM events ORDER BY magnitude DESC LIMIT 3;

SELECT if(score > 50, 1, 0) AS high, count() AS hits FROM events GROUP BY high ORDER BY high;

SELECT if(referrer IS NULL, 'direct', 'referred') AS traffic, count() AS hits FROM events GROUP BY traffic ORDER BY traffic;

SELECT if(1 > 0, 1, 2.5) AS mixed_type;

SELECT if(0, NULL, 'x') AS nullable_branch;

SELECT IF(country = '', 'unknown', country) AS c, count() AS hits FROM events GROUP BY c ORDER BY c;

SELECT 1 > 0 ? 'a' : 'b' AS ternary;

-- multiIf
SELECT multiIf(duration < 60000, 'short', duration < 300000, 'medium', 'long') AS bucket, count() AS hits FROM events GROUP BY bucket ORDER BY bucket;

SELECT multiIf(action = 'view', 1, action = 'click', 2, action = 'purchase', 3, 0) AS stage, count() AS hits FROM events GROUP BY stage ORDER BY stage;

SELECT multiIf(age IS NULL, 'unknown', age < 30, 'young', age < 50, 'middle', 'senior') AS cohort, count() AS users FROM users GROUP BY cohort ORDER BY cohort;

SELECT multiIf(0, 'a', 0, 'b', 'c') AS r;

-- CASE
SELECT CASE WHEN device = 'mobile' THEN 'm' WHEN device = 'tablet' THEN 't' ELSE 'd' END AS d, count() AS hits FROM events GROUP BY d ORDER BY d;

SELECT CASE device WHEN 'mobile' THEN 1 WHEN 'tablet' THEN 2 ELSE 3 END AS code, count() AS hits FROM events GROUP BY code ORDER BY code;

SELECT CASE WHEN action = 'purchase' THEN 'buy' END AS label, count() AS hits FROM events GROUP BY label ORDER BY label;

SELECT max(CASE WHEN action = 'signup' THEN timestamp END) AS last_signup FROM events;

SELECT case when plan = 'free' then 0 else 1 end AS paid, count() AS users FROM users GROUP BY paid ORDER BY paid;

SELECT CASE WHEN score IS NULL THEN -1 WHEN score < 0 THEN 0 ELSE 1 END AS sign, count() AS hits FROM events GROUP BY sign ORDER BY sign;

-- coalesce / ifNull / nullIf
SELECT coalesce(referrer, 'direct') AS ref, count() AS hits FROM events GROUP BY ref ORDER BY ref;

SELECT coalesce(NULL, NULL, 3) AS c, coalesce(NULL, 'x') AS s;

SELECT coalesce(score, 0) AS s FROM events ORDER BY s LIMIT 3;

SELECT round(sum(coalesce(score, 0)), 3) AS total FROM events;

SELECT coalesce(age, 0) AS age, count() AS users FROM users WHERE age IS NULL OR age < 18 GROUP BY age ORDER BY age;

SELECT COALESCE(NULL, 1) AS upper_case;

SELECT ifNull(referrer, 'none') AS ref, count() AS hits FROM events GROUP BY ref ORDER BY ref;

SELECT ifNull(NULL, 5) AS a, ifNull(3, 5) AS b;

SELECT nullIf(country, '') AS c, count() AS hits FROM events GROUP BY c ORDER BY c;

SELECT nullIf(1, 1) AS a, nullIf(1, 2) AS b;

SELECT count(nullIf(device, 'mobile')) AS not_mobile FROM events;

SELECT assumeNotNull(referrer) AS ref, count() AS hits FROM events GROUP BY ref ORDER BY ref;

SELECT assumeNotNull(age) AS a, count() AS users FROM users WHERE age IS NULL GROUP BY a;

SELECT toNullable(5) AS n, isNullable(toNullable(5)) AS is_n;

-- isNull / isNotNull
SELECT isNull(referrer) AS no_ref, count() AS hits FROM events GROUP BY no_ref ORDER BY no_ref;

SELECT isNotNull(score) AS has_score, count() AS hits FROM events GROUP BY has_score ORDER BY has_score;

SELECT count() AS hits FROM events WHERE referrer IS NULL AND score IS NOT NULL;

SELECT isNull(NULL) AS a, isNull(1) AS b, isNotNull(NULL) AS c;

SELECT NULL AS n, NULL IS NULL AS is_n;

-- NULL propagation
SELECT NULL + 1 AS a, 1 = NULL AS b, NULL = NULL AS c;

SELECT concat('a', NULL) AS c;

SELECT score + 1 AS s, count() AS hits FROM events WHERE score IS NULL GROUP BY s;

SELECT length(referrer) AS len, count() AS hits FROM events GROUP BY len ORDER BY len;

SELECT upper(referrer) AS r, count() AS hits FROM events GROUP BY r ORDER BY r;

SELECT NULL AND 0 AS a, NULL OR 1 AS b, NULL AND 1 AS c;

SELECT greatest(1, NULL) AS g, least(2, NULL) AS l;

SELECT 1 IN (NULL, 1) AS in_with_null, 2 IN (NULL, 1) AS not_in_with_null;

SELECT count() AS hits FROM events WHERE referrer != 'https://twitter.com/x';

SELECT count() AS hits FROM events WHERE NOT (referrer = 'https://twitter.com/x');

SELECT count() AS hits FROM events WHERE referrer NOT IN ('https://twitter.com/x');

SELECT count() AS hits FROM events WHERE score > 0 OR score IS NULL;
