-- Date and time functions.

-- toDate / toDateTime
SELECT toDate(timestamp) AS day, count() AS hits FROM events GROUP BY day ORDER BY day LIMIT 10;

SELECT toDate('2024-02-29') AS d;

SELECT toDate('2024-03-15 10:20:30') AS d;

SELECT toDateTime('2024-03-15 10:20:30') AS t;

SELECT toDateTime('2024-03-15') AS t;

SELECT toDateTime(0) AS t;

SELECT toDateTime(1700000000) AS t;

SELECT toDate(19800) AS d;

SELECT toDateTime(toDate('2024-01-31')) AS t;

SELECT toDate(max(timestamp)) AS last_day FROM events;

SELECT user_id, signup_date, toDateTime(signup_date) AS t FROM users ORDER BY user_id LIMIT 5;

SELECT toDateTime('2024-03-15 10:20:30', 'UTC') AS t;

-- Truncation
SELECT toStartOfHour(timestamp) AS hour, count() AS hits FROM events GROUP BY hour ORDER BY hour LIMIT 10;

SELECT toStartOfDay(timestamp) AS day, count() AS hits FROM events GROUP BY day ORDER BY day LIMIT 10;

SELECT toStartOfWeek(timestamp) AS week, count() AS hits FROM events GROUP BY week ORDER BY week;

SELECT toStartOfWeek(timestamp, 1) AS week, count() AS hits FROM events GROUP BY week ORDER BY week;

SELECT toMonday(timestamp) AS week, count() AS hits FROM events GROUP BY week ORDER BY week;

SELECT toStartOfMonth(timestamp) AS month, count() AS hits FROM events GROUP BY month ORDER BY month;

SELECT toStartOfQuarter(timestamp) AS quarter, count() AS hits FROM events GROUP BY quarter ORDER BY quarter;

SELECT toStartOfYear(signup_date) AS year, count() AS signups FROM users GROUP BY year ORDER BY year;

SELECT toStartOfMinute(timestamp) AS minute, timestamp AS t FROM events ORDER BY timestamp, session_id LIMIT 5;

SELECT toStartOfFiveMinutes(timestamp) AS m5, toStartOfFifteenMinutes(timestamp) AS m15, timestamp AS t FROM events ORDER BY timestamp, session_id LIMIT 5;

SELECT toStartOfTenMinutes(toDateTime('2024-03-15 10:27:30')) AS t;

SELECT toStartOfInterval(timestamp, INTERVAL 6 HOUR) AS bucket, count() AS hits FROM events WHERE toDate(timestamp) = '2024-01-15' GROUP BY bucket ORDER BY bucket;

SELECT toStartOfInterval(timestamp, INTERVAL 1 WEEK) AS bucket, count() AS hits FROM events GROUP BY bucket ORDER BY bucket LIMIT 5;

SELECT toStartOfInterval(toDateTime('2024-03-15 10:27:30'), INTERVAL 15 MINUTE) AS t;

SELECT toStartOfDay(toDate('2024-03-15')) AS t;

SELECT toStartOfMonth(toDate('2024-03-15')) AS d, toStartOfWeek(toDate('2024-03-15')) AS w, toMonday(toDate('2024-03-17')) AS m;

SELECT dateTrunc('month', toDateTime('2024-03-15 10:20:30')) AS t;

SELECT date_trunc('hour', toDateTime('2024-03-15 10:20:30')) AS t;

-- Components
SELECT toYYYYMM(timestamp) AS ym, count() AS hits FROM events GROUP BY ym ORDER BY ym;

SELECT toYYYYMMDD(timestamp) AS ymd, count() AS hits FROM events GROUP BY ymd ORDER BY ymd LIMIT 5;

SELECT toYYYYMMDDhhmmss(toDateTime('2024-03-15 10:20:30')) AS n;

SELECT toYear(timestamp) AS y, toMonth(timestamp) AS m, count() AS hits FROM events GROUP BY y, m ORDER BY y, m;

SELECT toDayOfMonth(timestamp) AS dom, count() AS hits FROM events GROUP BY dom ORDER BY dom;

SELECT toHour(timestamp) AS hour, count() AS hits FROM events GROUP BY hour ORDER BY hour;

SELECT toMinute(timestamp) AS minute, count() AS hits FROM events GROUP BY minute ORDER BY hits DESC, minute LIMIT 5;

SELECT toSecond(toDateTime('2024-03-15 10:20:30')) AS s, toMinute(toDateTime('2024-03-15 10:20:30')) AS m;

SELECT toDayOfWeek(timestamp) AS dow, count() AS hits FROM events GROUP BY dow ORDER BY dow;

SELECT toDayOfWeek(toDate('2024-03-17')) AS sunday, toDayOfWeek(toDate('2024-03-18')) AS monday;

SELECT toDayOfYear(toDate('2024-12-31')) AS doy;

SELECT toQuarter(timestamp) AS q, count() AS hits FROM events GROUP BY q ORDER BY q;

SELECT toISOWeek(toDate('2024-01-01')) AS w1, toISOWeek(toDate('2024-12-30')) AS w2;

SELECT toWeek(toDate('2024-03-15')) AS w, toISOYear(toDate('2024-12-30')) AS iy;

SELECT toYear(signup_date) AS y, count() AS signups FROM users GROUP BY y ORDER BY y;

SELECT toMonth(signup_date) AS m, count() AS signups FROM users GROUP BY m ORDER BY m;

-- Unix timestamps
SELECT toUnixTimestamp(toDateTime('2024-03-15 10:20:30')) AS ts;

SELECT toUnixTimestamp(min(timestamp)) AS ts FROM events;

SELECT fromUnixTimestamp(1710498030) AS t;

SELECT toDateTime(toUnixTimestamp(timestamp) - toUnixTimestamp(timestamp) % 3600) AS hour, count() AS hits FROM events GROUP BY hour ORDER BY hour LIMIT 5;

SELECT fromUnixTimestamp64Milli(toInt64(1710498030123)) AS t;

SELECT toDateTime64('2024-03-15 10:20:30.456', 3) AS t;

SELECT toUnixTimestamp64Milli(toDateTime64('2024-03-15 10:20:30.456', 3)) AS ms;

-- dateDiff / date_diff
SELECT dateDiff('day', toDate('2024-01-01'), toDate('2024-03-01')) AS days;

SELECT date_diff('s', toDateTime('2024-01-01 00:00:00'), toDateTime('2024-01-01 01:02:03')) AS secs;

SELECT dateDiff('hour', toDateTime('2024-01-01 10:59:59'), toDateTime('2024-01-01 11:00:00')) AS hours;

SELECT dateDiff('month', toDate('2024-01-31'), toDate('2024-02-01')) AS months;

SELECT dateDiff('year', toDate('2023-12-31'), toDate('2024-01-01')) AS years;

SELECT dateDiff('week', toDate('2024-01-01'), toDate('2024-03-01')) AS weeks;

SELECT dateDiff('minute', min(timestamp), max(timestamp)) AS span FROM events;

SELECT dateDiff('day', toDate('2024-03-01'), toDate('2024-01-01')) AS negative;

SELECT session_id, dateDiff('second', min(timestamp), max(timestamp)) AS session_length FROM events GROUP BY session_id ORDER BY session_length DESC, session_id LIMIT 10;

SELECT user_id, dateDiff('day', signup_date, toDate('2024-06-01')) AS tenure FROM users ORDER BY user_id LIMIT 10;

SELECT DATE_DIFF('day', toDate('2024-01-01'), toDate('2024-01-10')) AS days;

SELECT age('day', toDate('2024-01-01'), toDate('2024-03-01')) AS days;

-- add / subtract
SELECT addDays(toDate('2024-02-28'), 1) AS d;

SELECT subtractDays(toDate('2024-03-01'), 1) AS d;

SELECT addHours(toDateTime('2024-03-15 23:00:00'), 2) AS t;

SELECT addMinutes(toDateTime('2024-03-15 10:00:00'), 90) AS t;

SELECT addSeconds(toDateTime('2024-03-15 10:00:00'), 3661) AS t;

SELECT addWeeks(toDate('2024-03-15'), 2) AS d;

SELECT addMonths(toDate('2024-01-31'), 1) AS d;

SELECT addYears(toDate('2024-02-29'), 1) AS d;

SELECT subtractMonths(toDate('2024-03-31'), 1) AS d;

SELECT subtractHours(toDateTime('2024-03-15 01:00:00'), 3) AS t;

SELECT addDays(toDate(timestamp), 7) AS next_week, count() AS hits FROM events GROUP BY next_week ORDER BY next_week LIMIT 5;

-- Intervals
SELECT toDate('2024-03-15') + INTERVAL 1 DAY AS d;

SELECT toDateTime('2024-03-15 10:00:00') - INTERVAL 30 MINUTE AS t;

SELECT toDateTime('2024-03-15 10:00:00') + INTERVAL 24 HOUR AS t;

SELECT toDate('2024-03-15') - INTERVAL 1 MONTH AS d;

SELECT toDate('2024-03-15') + interval 7 day AS d;

SELECT toDate('2024-03-15') + interval 30 days AS d;

SELECT toDate('2024-03-15') + toIntervalDay(60) AS d;

SELECT toDateTime('2024-03-15 10:00:00') + toIntervalHour(5) AS t;

SELECT toDate('2024-03-15') + toIntervalWeek(1) AS d, toDate('2024-03-15') + toIntervalYear(1) AS y;

SELECT toDateTime('2024-03-15 10:00:00') + INTERVAL (2 + 3) SECOND AS t;

SELECT toDateTime('2024-03-15 10:00:00') + interval -7 day AS t;

SELECT timestampAdd(toDate('2024-03-15'), interval -7 day) AS d;

SELECT date_add(DAY, 3, toDate('2024-03-15')) AS d;

SELECT date_sub(HOUR, 3, toDateTime('2024-03-15 01:00:00')) AS t;

SELECT toDate('2024-03-15') + 10 AS d;

SELECT toDateTime('2024-03-15 10:00:00') + 60 AS t;

SELECT count() AS hits FROM events WHERE timestamp >= toDateTime('2024-03-31 00:00:00') - INTERVAL 7 DAY;

-- Comparisons with strings
SELECT count() AS hits FROM events WHERE toDate(timestamp) >= '2024-03-01';

SELECT count() AS hits FROM events WHERE timestamp > '2024-02-15 12:00:00';

SELECT count() AS hits FROM events WHERE timestamp BETWEEN '2024-01-10 00:00:00' AND '2024-01-20 23:59:59';

SELECT count() AS hits FROM events WHERE toDate(timestamp) BETWEEN '2024-02-01' AND '2024-02-07';

SELECT count() AS hits FROM events WHERE toDate(timestamp) IN ('2024-01-01', '2024-01-02');

SELECT count() AS signups FROM users WHERE signup_date < '2023-06-01';

SELECT count() AS hits FROM events WHERE toDate(timestamp) = toDate('2024-02-29');

-- formatDateTime
SELECT formatDateTime(toDateTime('2024-03-05 07:08:09'), '%Y-%m-%d %H:%i:%S') AS s;

SELECT formatDateTime(toDateTime('2024-03-05 07:08:09'), '%FT%TZ') AS s;

SELECT formatDateTime(toDateTime('2024-03-05 07:08:09'), '%d/%m/%y') AS s;

SELECT formatDateTime(toDateTime('2024-03-05 07:08:09'), '%Y%m%d') AS s;

SELECT formatDateTime(toDateTime('2024-03-05 17:08:09'), '%I:%i %p') AS s;

SELECT formatDateTime(toDateTime('2024-03-05 07:08:09'), '%j %u %w') AS s;

SELECT formatDateTime(toDateTime('2024-03-05 07:08:09'), '%b %a %M') AS s;

SELECT formatDateTime(toDate('2024-03-05'), '%F') AS s;

SELECT formatDateTime(toStartOfMonth(timestamp), '%Y-%m') AS month, count() AS hits FROM events GROUP BY month ORDER BY month;

SELECT formatDateTime(toDateTime('2024-03-05 07:08:09'), '%e|%H|%R|%%') AS s;

-- parseDateTimeBestEffort and friends
SELECT parseDateTimeBestEffort('2024-03-15T10:20:30Z') AS t;

SELECT parseDateTimeBestEffort('2024-03-15 10:20:30') AS t;

SELECT parseDateTimeBestEffort('2024-03-15T10:20:30+02:00') AS t;

SELECT parseDateTimeBestEffort('2024-03-15') AS t;

SELECT parseDateTimeBestEffort('15/03/2024 10:20') AS t;

SELECT parseDateTimeBestEffort('Fri, 15 Mar 2024 10:20:30 GMT') AS t;

SELECT parseDateTimeBestEffort('1710498030') AS t;

SELECT parseDateTimeBestEffort('2024-03-15T10:20:30.123Z') AS t;

SELECT parseDateTimeBestEffortOrNull('not a date') AS t;

SELECT parseDateTimeBestEffortOrNull('2024-03-15 10:20:30') AS t;

SELECT parseDateTimeBestEffortOrZero('garbage') AS t;

SELECT coalesce(parseDateTimeBestEffortOrNull('nope'), toDateTime(0)) AS t;

SELECT parseDateTime64BestEffort('2024-03-15T10:20:30.123Z', 3) AS t;

SELECT parseDateTimeBestEffort(formatDateTime(timestamp, '%Y-%m-%dT%H:%i:%SZ')) = timestamp AS roundtrip, count() AS n FROM events GROUP BY roundtrip;

SELECT parseDateTime('2024-03-15 10:20:30', '%Y-%m-%d %H:%i:%S') AS t;

-- OrNull / OrZero
SELECT toDateOrNull('2024-13-45') AS bad, toDateOrNull('2024-02-29') AS good;

SELECT toDateOrZero('garbage') AS d;

SELECT toDateTimeOrNull('2024-03-15 10:20:30') AS good, toDateTimeOrNull('x') AS bad;

SELECT toDateTimeOrZero('x') AS t;

-- Time zones
SELECT toTimeZone(toDateTime('2024-03-15 10:20:30', 'UTC'), 'America/New_York') AS t;

SELECT toDateTime('2024-07-01 12:00:00', 'Europe/Madrid') AS t, toUnixTimestamp(toDateTime('2024-07-01 12:00:00', 'Europe/Madrid')) AS ts;

SELECT toHour(toDateTime('2024-03-15 10:20:30', 'Asia/Tokyo')) AS h;

SELECT toDate(toDateTime('2024-03-15 23:30:00', 'UTC'), 'Asia/Tokyo') AS d;

SELECT formatDateTime(toDateTime('2024-03-15 10:20:30', 'UTC'), '%H:%i', 'Asia/Kolkata') AS s;

-- Ranges and generation
SELECT arrayMap(x -> toDate('2024-01-01') + x, range(5)) AS days;

SELECT toStartOfDay(toDateTime('2024-01-01 00:00:00') + number * 86400) AS day FROM numbers(3);

SELECT toDate('2024-01-01') + number AS day FROM numbers(5) ORDER BY day;

-- Relative numbers
SELECT toRelativeDayNum(toDate('2024-03-15')) AS n, toRelativeHourNum(toDateTime('2024-03-15 10:00:00')) AS h;

SELECT toRelativeMonthNum(toDate('2024-03-15')) - toRelativeMonthNum(toDate('2023-11-02')) AS months;
