-- Type conversions: toString, toInt*/toUInt*/toFloat*, toDecimal*, OrZero/OrNull, CAST, ::, toTypeName.

-- toString
SELECT toString(user_id) AS s FROM users ORDER BY user_id LIMIT 3;

SELECT toString(123) AS a, toString(-4.5) AS b, toString(1.0) AS c;

SELECT toString(toDate('2024-03-05')) AS d, toString(toDateTime('2024-03-05 07:08:09')) AS t;

SELECT toString(price) AS p FROM events ORDER BY price DESC LIMIT 3;

SELECT toString(tags) AS t, count() AS hits FROM events GROUP BY t ORDER BY hits DESC, t LIMIT 3;

SELECT toString(0.1 + 0.2) AS f;

SELECT toString(1e20) AS big, toString(1e-7) AS small;

SELECT toString(NULL) AS n;

SELECT toString(true) AS t;

-- Integers
SELECT toInt32('42') AS a, toInt32(-3.9) AS b, toInt32(3.9) AS c;

SELECT toUInt8('255') AS a, toInt8(-128) AS b;

SELECT toInt64(duration) * 1000 AS ms FROM events ORDER BY ms DESC LIMIT 3;

SELECT toUInt64('18446744073709551615') AS max_u64;

SELECT toInt16('-32768') AS a, toUInt16('65535') AS b;

SELECT toUInt32(toDateTime('2024-03-15 10:20:30')) AS ts;

SELECT toInt64(toDate('2024-03-15')) AS days;

SELECT toUInt8(300) AS wrapped, toInt8(200) AS wrapped_signed;

SELECT toUInt32(-1) AS wrapped;

SELECT toInt32(delta) AS d, toUInt32(abs(delta)) AS ad FROM events ORDER BY delta LIMIT 3;

SELECT toInt32OrZero(' 42') AS leading_space, toInt32OrNull('42 ') AS trailing_space;

-- OrZero / OrNull / OrDefault
SELECT toInt32OrZero('abc') AS a, toInt32OrZero('12') AS b, toInt32OrZero('') AS c;

SELECT toInt32OrNull('abc') AS a, toInt32OrNull('12') AS b;

SELECT toUInt64OrZero('-1') AS a, toUInt64OrNull('-1') AS b;

SELECT toFloat64OrZero('x') AS a, toFloat64OrNull('1.5') AS b, toFloat64OrNull('1.5x') AS c;

SELECT toInt64OrZero(substring(session_id, 2)) AS num FROM events ORDER BY num DESC LIMIT 3;

SELECT sum(toUInt32OrZero(JSONExtractString(payload, 'coupon'))) AS zero FROM events;

SELECT toInt32OrDefault('x', toInt32(7)) AS d;

SELECT toInt8OrNull('200') AS overflow;

SELECT toUInt8OrZero('12abc') AS partial;

-- Floats
SELECT toFloat64('1.5') AS a, toFloat64(3) AS b, toFloat32('0.1') AS c;

SELECT toFloat64(price) AS p FROM events ORDER BY p DESC LIMIT 3;

SELECT toFloat64('inf') AS i, toFloat64('-inf') AS ni, toFloat64('nan') AS n;

SELECT toFloat64(duration) / 1000 AS seconds FROM events ORDER BY seconds DESC LIMIT 3;

SELECT toFloat32(1) / 3 AS f32;

SELECT 0.1 + 0.2 AS f;

SELECT 1e3 AS a, .5 AS b, 0.50 AS c, -7 AS d;

-- Decimals
SELECT toDecimal32('3.14159', 2) AS d;

SELECT toDecimal64(2.5, 3) AS d;

SELECT toDecimal128('12345678901234567890.123', 3) AS d;

SELECT toDecimal32(price, 1) AS p FROM events ORDER BY price DESC LIMIT 3;

SELECT price * 2 AS doubled FROM events ORDER BY price DESC LIMIT 3;

SELECT price + 1 AS plus_one FROM events ORDER BY price LIMIT 3;

SELECT price / 3 AS third FROM events ORDER BY price DESC LIMIT 3;

SELECT sum(price) AS total, round(avg(price), 4) AS average FROM events WHERE action = 'signup';

SELECT toDecimal64OrZero('abc', 2) AS z, toDecimal64OrNull('1.234', 2) AS n;

SELECT toDecimal32('-1.005', 2) AS truncated;

SELECT round(toDecimal64('2.345', 3), 2) AS r;

SELECT toDecimal64(1, 2) + toDecimal64(2, 3) AS mixed_scale;

-- CAST forms
SELECT CAST(duration AS String) AS s FROM events ORDER BY duration DESC LIMIT 2;

SELECT CAST('123' AS UInt32) AS n;

SELECT CAST('2024-03-15' AS Date) AS d;

SELECT CAST(3.7 AS Int32) AS i;

SELECT CAST(user_id, 'String') AS s FROM users ORDER BY user_id LIMIT 2;

SELECT '42'::Int32 AS n, 42::String AS s;

SELECT (SELECT max(timestamp) FROM events)::String AS latest;

SELECT CAST(score AS Nullable(Int32)) AS s, count() AS hits FROM events WHERE score IS NULL GROUP BY s;

SELECT CAST(1 AS Float64) AS f, CAST(1.5 AS Decimal(10, 2)) AS d;

SELECT CAST('a' AS LowCardinality(String)) AS lc;

SELECT CAST([1, 2] AS Array(String)) AS arr;

SELECT CAST('1' AS Nullable(UInt8)) AS n;

SELECT CAST(is_bot AS Bool) AS b, count() AS hits FROM events GROUP BY b ORDER BY b;

-- toTypeName
SELECT toTypeName(1) AS a, toTypeName(256) AS b, toTypeName(-1) AS c, toTypeName(1.5) AS d;

SELECT toTypeName(65536) AS a, toTypeName(4294967296) AS b, toTypeName(-129) AS c;

SELECT toTypeName('x') AS a, toTypeName(NULL) AS b, toTypeName([1, 2]) AS c, toTypeName((1, 'a')) AS d;

SELECT DISTINCT toTypeName(duration + 1) AS a, toTypeName(duration * delta) AS b, toTypeName(duration / 2) AS c FROM events;

SELECT DISTINCT toTypeName(country) AS a, toTypeName(referrer) AS b, toTypeName(price) AS c FROM events;

SELECT toTypeName(sum(duration)) AS a, toTypeName(sum(delta)) AS b, toTypeName(sum(price)) AS c, toTypeName(avg(price)) AS d FROM events;

SELECT toTypeName(count()) AS a, toTypeName(uniq(user_id)) AS b, toTypeName(quantile(0.5)(duration)) AS c FROM events;

SELECT DISTINCT toTypeName(intDiv(duration, 2)) AS a, toTypeName(duration % 7) AS b, toTypeName(is_bot + is_bot) AS c FROM events;

SELECT DISTINCT toTypeName(toStartOfMonth(timestamp)) AS a, toTypeName(toStartOfHour(timestamp)) AS b, toTypeName(toYYYYMM(timestamp)) AS c, toTypeName(toHour(timestamp)) AS d FROM events;

SELECT DISTINCT toTypeName(dateDiff('day', timestamp, timestamp)) AS a, toTypeName(toYear(timestamp)) AS b, toTypeName(toDayOfWeek(timestamp)) AS c FROM events;

SELECT DISTINCT toTypeName(JSONExtractInt(payload, 'qty')) AS a, toTypeName(JSONExtractFloat(payload, 'qty')) AS b, toTypeName(JSONExtractBool(payload, 'x')) AS c FROM events;

SELECT DISTINCT toTypeName(if(is_bot = 1, 1, 2.5)) AS a, toTypeName(coalesce(referrer, '')) AS b, toTypeName(length('x')) AS c FROM events;

SELECT toTypeName(toDecimal32(1, 2) * toDecimal32(1, 3)) AS mul, toTypeName(toDecimal32(1, 2) + toDecimal64(1, 3)) AS add;

-- Boolean and misc
SELECT toBool(1) AS a, toBool('true') AS b, true AS c, false AS d;

SELECT toUInt8(true) AS t, toUInt8(false) AS f;

SELECT reinterpretAsUInt8('A') AS r;

SELECT toLowCardinality('x') AS lc;

SELECT accurateCastOrNull(300, 'UInt8') AS a, accurateCastOrNull(200, 'UInt8') AS b;

SELECT toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS u;

SELECT toIPv4('192.168.0.1') AS ip, IPv4NumToString(3232235521) AS s;
