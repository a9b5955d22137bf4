-- String functions.

-- lower / upper
SELECT lower(browser) AS b, count() AS hits FROM events GROUP BY b ORDER BY b;

SELECT upper(device) AS d, count() AS hits FROM events GROUP BY d ORDER BY d;

SELECT lower('HeLLo World') AS l, upper('HeLLo World') AS u;

SELECT lower('ÉCOLE Chloé') AS l, lowerUTF8('ÉCOLE Chloé') AS l8;

SELECT upperUTF8('chloé') AS u, upper('chloé') AS ascii_only;

SELECT LOWER(country) AS c, count() AS hits FROM events GROUP BY c ORDER BY c;

-- concat
SELECT concat(device, '/', browser) AS combo, count() AS hits FROM events GROUP BY combo ORDER BY combo;

SELECT concat('a', 'b', 'c') AS s;

SELECT concat(name, ' (', plan, ')') AS label FROM users ORDER BY user_id LIMIT 5;

SELECT concat('id-', toString(user_id)) AS label FROM users ORDER BY user_id LIMIT 3;

SELECT concat('x', 1, 2.5) AS s;

SELECT device || '-' || browser AS combo FROM events ORDER BY combo LIMIT 3;

SELECT concat(referrer, '!') AS r, count() AS hits FROM events GROUP BY r ORDER BY r;

SELECT concatWithSeparator('-', 'a', 'b', 'c') AS s;

-- substring / left / right
SELECT substring(session_id, 2) AS num FROM events ORDER BY num LIMIT 3;

SELECT substring('ClickHouse', 1, 5) AS s;

SELECT substring('ClickHouse', 6) AS s;

SELECT substring('ClickHouse', -5) AS s;

SELECT substring('ClickHouse', -5, 2) AS s;

SELECT substring('abc', 0, 2) AS s;

SELECT substr('ClickHouse', 2, 3) AS s;

SELECT mid('ClickHouse', 2, 3) AS s;

SELECT substring(url, 1, 8) AS scheme_part, count() AS hits FROM events GROUP BY scheme_part ORDER BY scheme_part;

SELECT left('ClickHouse', 5) AS l, right('ClickHouse', 5) AS r;

SELECT substringUTF8('Chloé x', 5, 2) AS s, substring('Chloé x', 5, 2) = 'é' AS bytes_eq;

-- length
SELECT length('hello') AS n;

SELECT length('Chloé') AS bytes, lengthUTF8('Chloé') AS chars, char_length('Chloé') AS cl;

SELECT path, length(path) AS len FROM events GROUP BY path ORDER BY path;

SELECT length(tags) AS n_tags, count() AS hits FROM events GROUP BY n_tags ORDER BY n_tags;

SELECT max(length(url)) AS longest, min(length(url)) AS shortest FROM events;

SELECT empty('') AS e1, empty('a') AS e2, notEmpty('') AS n1, notEmpty('a') AS n2;

SELECT countIf(empty(country)) AS no_country FROM events;

-- splitByChar / splitByString
SELECT splitByChar('/', path) AS parts, count() AS hits FROM events GROUP BY parts ORDER BY parts;

SELECT splitByChar('/', '/docs/sql')[2] AS first;

SELECT splitByChar(',', 'a,b,,c') AS parts;

SELECT splitByChar('#', 'USER#42#ORDER')[2] AS id;

SELECT splitByString('::', 'a::b::c') AS parts;

SELECT splitByString(', ', 'x, y, z')[3] AS last;

SELECT splitByChar('/', path)[2] AS section, count() AS hits FROM events GROUP BY section ORDER BY section;

SELECT splitByRegexp('[0-9]+', 'a1b22c333d') AS parts;

SELECT splitByWhitespace('  a  b c ') AS parts;

SELECT arrayStringConcat(splitByChar('/', path), '|') AS joined FROM events GROUP BY joined ORDER BY joined;

-- match / extract / regex
SELECT match(path, '^/docs') AS is_docs, count() AS hits FROM events GROUP BY is_docs ORDER BY is_docs;

SELECT countIf(match(url, 'utm_source=(google|newsletter)')) AS tagged FROM events;

SELECT match('abc', 'B') AS cs, match('abc', '(?i)B') AS ci;

SELECT match('+https://x', '\+https://') AS m;

SELECT countIf(match(referrer, 'google|twitter')) AS social FROM events;

SELECT extract(url, 'utm_source=([a-z]+)') AS source, count() AS hits FROM events GROUP BY source ORDER BY source;

SELECT extract('user-123-abc', '[0-9]+') AS num;

SELECT extract('no digits', '[0-9]+') AS num;

SELECT extractAll('a1b22c333', '[0-9]+') AS nums;

SELECT extractAllGroups('k1=v1&k2=v2', '(\\w+)=(\\w+)') AS groups;

SELECT regexpExtract('user-123-abc', 'user-([0-9]+)', 1) AS num;

SELECT multiMatchAny(url, ['pricing', 'checkout']) AS commercial, count() AS hits FROM events GROUP BY commercial ORDER BY commercial;

SELECT multiMatchAny('hello', ['^h', 'x$']) AS a, multiMatchAny('hello', ['^x', 'y$']) AS b;

SELECT multiSearchAny(path, ['blog', 'docs']) AS content, count() AS hits FROM events GROUP BY content ORDER BY content;

-- replace
SELECT replaceAll(path, '/', '_') AS p FROM events GROUP BY p ORDER BY p;

SELECT replaceAll('aaa', 'a', 'bb') AS s;

SELECT replaceOne('aaa', 'a', 'b') AS s;

SELECT replace('a-b-c', '-', '+') AS s;

SELECT replaceRegexpAll(path, '[0-9]', '#') AS p FROM events GROUP BY p ORDER BY p;

SELECT replaceRegexpAll('hello world', '(\\w+)', '<\\1>') AS s;

SELECT replaceRegexpOne('2024-03-15', '(\\d+)-(\\d+)-(\\d+)', '\\3/\\2/\\1') AS s;

SELECT replaceRegexpAll(url, '\\?.*$', '') AS clean_url, count() AS hits FROM events GROUP BY clean_url ORDER BY hits DESC, clean_url LIMIT 10;

SELECT replaceRegexpAll('  a   b  ', '\\s+', ' ') AS s;

-- like / ilike
SELECT count() AS hits FROM events WHERE path LIKE '/docs%';

SELECT count() AS hits FROM events WHERE path LIKE '%post-_';

SELECT count() AS hits FROM events WHERE browser ILIKE 'chrome';

SELECT count() AS hits FROM events WHERE url NOT LIKE 'https://%';

SELECT count() AS hits FROM events WHERE path NOT ILIKE '%BLOG%';

SELECT 'a_c' LIKE 'a\\_c' AS escaped, 'abc' LIKE 'a\\_c' AS not_matched;

SELECT like('hello', 'h%o') AS l, ilike('HELLO', 'h%o') AS il;

SELECT 'abc' LIKE '%' AS any_match, '' LIKE '%' AS empty_match;

-- position
SELECT position('hello', 'l') AS p;

SELECT position('hello', 'z') AS p;

SELECT position(url, '?') AS q, count() AS hits FROM events GROUP BY q ORDER BY q;

SELECT positionCaseInsensitive('Hello', 'L') AS p;

SELECT locate('hello', 'l') AS p;

SELECT position('Chloé x', 'x') AS p, positionUTF8('Chloé x', 'x') AS pu;

-- startsWith / endsWith
SELECT startsWith(path, '/blog') AS is_blog, count() AS hits FROM events GROUP BY is_blog ORDER BY is_blog;

SELECT endsWith(url, 'page=2') AS paginated, count() AS hits FROM events GROUP BY paginated ORDER BY paginated;

SELECT startsWith('abc', '') AS s, endsWith('abc', 'abc') AS e;

SELECT countIf(startsWith(url, 'https://www.')) AS www FROM events;

-- trim
SELECT trim('  hi  ') AS t, ltrim('  hi  ') AS l, rtrim('  hi  ') AS r;

SELECT trimBoth('  x ') AS t, trimLeft('  x ') AS l, trimRight('  x ') AS r;

SELECT trim(BOTH 'x' FROM 'xxhixx') AS t;

SELECT trim(LEADING '/' FROM path) AS p FROM events GROUP BY p ORDER BY p;

SELECT trim(TRAILING '/' FROM 'a/b//') AS t;

-- padding, repeat, reverse, format
SELECT leftPad('7', 3, '0') AS l, rightPad('7', 3, '.') AS r;

SELECT lpad(toString(user_id), 5, '0') AS padded FROM users ORDER BY user_id LIMIT 3;

SELECT repeat('ab', 3) AS r;

SELECT reverse('hello') AS r;

SELECT format('{} has {} hits', 'home', 42) AS s;

SELECT format('{1}-{0}', 'a', 'b') AS s;

SELECT space(3) || '|' AS s;

-- Case-insensitive and misc
SELECT lower(name) = lower(upper(name)) AS same, count() AS n FROM users GROUP BY same;

SELECT initcap('hello world foo') AS s;

SELECT base64Encode('hello') AS e;

SELECT base64Decode('aGVsbG8=') AS d;

SELECT tryBase64Decode('@@@') AS d;

SELECT hex('abc') AS h, unhex('616263') AS u;

SELECT hex(255) AS h, hex(toUInt16(4096)) AS h2;

SELECT toValidUTF8('abc') AS s;

SELECT char(72, 105) AS s, ascii('A') AS a;

SELECT normalizeQuery('SELECT * FROM t WHERE id = 42 AND name = \'x\'') AS q;

SELECT formatReadableSize(1024) AS a, formatReadableSize(3670016) AS b, formatReadableSize(123) AS c;

SELECT formatReadableQuantity(1234567) AS q;

SELECT formatReadableTimeDelta(3725) AS d;

-- String escapes in literals
SELECT 'it\'s' AS a, 'it''s' AS b, length('a\nb') AS c, length('\t') AS d;

SELECT 'back\\slash' AS s, length('\x41') AS l, '\x41' AS x;

SELECT '\+literal' AS s, length('\+') AS l;

-- Searching in string columns
SELECT name FROM users WHERE name LIKE 'Chlo%' ORDER BY name LIMIT 5;

SELECT countIf(position(name, 'é') > 0) AS accents FROM users;

SELECT countSubstrings('aaaa', 'aa') AS n, countSubstrings(url, '/') AS slashes FROM events WHERE session_id = 's0001' ORDER BY slashes, n LIMIT 1;

SELECT arrayStringConcat(arraySort(groupUniqArray(substring(name, 1, 1))), '') AS initials FROM users;
