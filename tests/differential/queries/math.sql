-- Arithmetic and math functions.

-- round / floor / ceil / trunc
SELECT round(3.14159, 2) AS a, round(2.5) AS b, round(3.5) AS c, round(-2.5) AS d;

SELECT round(1234.5678, -2) AS a, round(15, -1) AS b, round(25, -1) AS c;

SELECT round(0.125, 2) AS a, round(0.135, 2) AS b;

SELECT floor(3.7) AS a, floor(-3.2) AS b, ceil(3.2) AS c, ceil(-3.7) AS d;

SELECT floor(123.456, 1) AS a, ceil(123.456, 1) AS b, ceiling(1.01) AS c;

SELECT trunc(3.99) AS a, trunc(-3.99) AS b, truncate(3.14159, 3) AS c;

SELECT round(revenue) AS r, count() AS hits FROM events WHERE action = 'purchase' GROUP BY r ORDER BY hits DESC, r LIMIT 5;

SELECT floor(duration / 60000) AS minutes, count() AS hits FROM events GROUP BY minutes ORDER BY minutes;

SELECT round(avg(revenue), 2) AS avg_revenue, round(sum(revenue) / count(), 2) AS manual FROM events;

SELECT roundBankers(2.5) AS a, roundBankers(3.5) AS b, roundBankers(0.125, 2) AS c;

SELECT round(price, 1) AS p FROM events ORDER BY price DESC LIMIT 3;

SELECT roundDown(37, [10, 20, 50]) AS r, roundToExp2(37) AS e;

-- abs / sign / negation
SELECT abs(-5) AS a, abs(5) AS b, abs(-2.5) AS c;

SELECT sum(abs(delta)) AS total FROM events;

SELECT sign(delta) AS s, count() AS hits FROM events GROUP BY s ORDER BY s;

SELECT -delta AS neg FROM events ORDER BY neg LIMIT 3;

SELECT negate(5) AS n, -(-3) AS d;

-- greatest / least
SELECT greatest(1, 5, 3) AS g, least(1, 5, 3) AS l;

SELECT greatest(delta, 0) AS clipped, count() AS hits FROM events GROUP BY clipped ORDER BY clipped LIMIT 3;

SELECT least(duration, 100000) AS capped FROM events ORDER BY capped DESC LIMIT 3;

SELECT greatest('apple', 'banana') AS g, least(toDate('2024-01-01'), toDate('2023-01-01')) AS l;

SELECT greatest(1, 2.5) AS mixed;

-- Integer arithmetic and types
SELECT 7 / 2 AS div, intDiv(7, 2) AS idiv, 7 % 2 AS m, modulo(-7, 2) AS neg_mod;

SELECT intDiv(-7, 2) AS a, -7 % 3 AS b, 7 % -3 AS c;

SELECT intDivOrZero(5, 0) AS z, 5 / 0 AS inf, -5 / 0 AS ninf, 0 / 0 AS nan;

SELECT positiveModulo(-7, 3) AS pm;

SELECT intDiv(duration, 1000) AS seconds FROM events ORDER BY seconds DESC LIMIT 3;

SELECT duration % 1000 AS ms, count() AS hits FROM events GROUP BY ms ORDER BY hits DESC, ms LIMIT 3;

SELECT 255 + 1 AS a, toUInt8(255) + 1 AS b, toUInt8(255) + toUInt8(1) AS c;

SELECT toInt32(2147483647) + 1 AS a, toInt64(9223372036854775807) + 1 AS wraps;

SELECT toUInt32(0) - 1 AS a, 0 - 1 AS b;

SELECT 2 * 3 + 4 AS a, 2 * (3 + 4) AS b, 10 - 2 - 3 AS c;

SELECT 1 - 2 AS neg, toUInt8(1) - toUInt8(2) AS wrap;

SELECT plus(1, 2) AS p, minus(5, 3) AS m, multiply(4, 5) AS mul, divide(10, 4) AS d;

SELECT 5 / 2 * 2 AS a, intDiv(5, 2) * 2 AS b;

-- Float functions
SELECT sqrt(16) AS a, cbrt(27) AS b, pow(2, 10) AS c, power(2, 0.5) AS d;

SELECT exp(0) AS a, log(1) AS b, ln(exp(1)) AS c, log2(1024) AS d, log10(1000) AS e;

SELECT round(exp(1), 6) AS e, round(pi(), 6) AS p, e() > 2.7 AS e_ok;

SELECT round(sin(0), 6) AS s, round(cos(0), 6) AS c, round(tan(0), 6) AS t, round(atan(1) * 4, 6) AS pi4;

SELECT sqrt(-1) AS nan_result, log(0) AS neg_inf;

SELECT isNaN(0 / 0) AS a, isInfinite(1 / 0) AS b, isFinite(1) AS c;

SELECT round(sqrt(sum(duration * duration) / count()), 2) AS rms FROM events;

SELECT 1 / 3 AS third, 2 / 3 AS two_thirds, 1e-10 * 3 AS tiny, 123456789.123456789 AS big;

SELECT 100.0 AS h, 1.5e10 AS e, 0.000001 AS m, 1e21 AS huge;

SELECT toFloat32(0.1) AS f32, toFloat64(toFloat32(0.1)) AS widened;

-- Bitwise
SELECT bitAnd(12, 10) AS a, bitOr(12, 10) AS o, bitXor(12, 10) AS x, bitNot(toUInt8(0)) AS n;

SELECT bitShiftLeft(1, 10) AS l, bitShiftRight(1024, 3) AS r;

SELECT bitCount(255) AS c, bitTest(5, 0) AS t0, bitTest(5, 1) AS t1;

-- Aggregates with arithmetic
SELECT round(sum(revenue) / countIf(action = 'purchase'), 4) AS aov FROM events;

SELECT round(countIf(action = 'purchase') * 100 / count(), 4) AS conversion_pct FROM events;

SELECT countIf(action = 'purchase') * 100 / count() AS raw_pct FROM events;

SELECT device, round(100 * count() / (SELECT count() FROM events), 2) AS share FROM events GROUP BY device ORDER BY device;

SELECT intDiv(delta, 100) * 100 AS bucket, count() AS hits FROM events GROUP BY bucket ORDER BY bucket;

SELECT round(max(duration) / min(duration + 1), 3) AS ratio FROM events;

SELECT sum(delta * 2) AS doubled, sum(delta) * 2 AS also_doubled FROM events;

SELECT round(avg(duration / 1000), 3) AS avg_seconds FROM events;

-- Numeric ranges and number formatting
SELECT number, number * number AS sq FROM numbers(5) ORDER BY number;

SELECT sum(number) AS s, avg(number) AS a, max(number) AS m FROM numbers(101);

SELECT number % 3 AS r, count() AS c FROM numbers(10) GROUP BY r ORDER BY r;

SELECT gcd(12, 18) AS g, lcm(4, 6) AS l;

SELECT factorial(5) AS f;

SELECT width_bucket(duration, 0, 600000, 4) AS bucket, count() AS hits FROM events GROUP BY bucket ORDER BY bucket;
