-- Array functions, arrayJoin and ARRAY JOIN.

-- Literals and subscripts
SELECT [1, 2, 3] AS arr;

SELECT ['a', 'b'] AS arr, [1, 2, 3][2] AS second, ['a', 'b'][-1] AS last;

SELECT [1, 2, 3][5] AS out_of_range, ['a'][3] AS empty_string;

SELECT arrayElement([10, 20, 30], 3) AS e;

SELECT tags[1] AS first_tag, count() AS hits FROM events GROUP BY first_tag ORDER BY first_tag;

SELECT [] AS empty, length([]) AS n;

SELECT array(1, 2, 3) AS arr;

SELECT [1, NULL, 3] AS arr;

SELECT [1, 2.5] AS mixed;

-- arrayJoin
SELECT arrayJoin([1, 2, 3]) AS x;

SELECT arrayJoin(tags) AS tag, count() AS hits FROM events GROUP BY tag ORDER BY tag;

SELECT arrayJoin(splitByChar('/', path)) AS part, count() AS hits FROM events GROUP BY part ORDER BY part;

SELECT arrayJoin(JSONExtract(payload, 'tags', 'Array(String)')) AS tag, uniqExact(user_id) AS users FROM events GROUP BY tag ORDER BY tag;

SELECT arrayJoin(range(1, 4)) AS n, n * 10 AS ten;

SELECT tag, count() AS hits FROM events ARRAY JOIN tags AS tag GROUP BY tag ORDER BY tag;

SELECT count() AS rows_after FROM events ARRAY JOIN tags;

SELECT count() AS rows_after FROM events LEFT ARRAY JOIN tags;

SELECT tags AS tag, count() AS hits FROM events ARRAY JOIN tags GROUP BY tag ORDER BY tag;

SELECT t, i FROM (SELECT ['a', 'b', 'c'] AS arr) ARRAY JOIN arr AS t, arrayEnumerate(arr) AS i;

-- arrayMap / arrayFilter / lambdas
SELECT arrayMap(x -> x * 2, [1, 2, 3]) AS doubled;

SELECT arrayMap(x -> upper(x), tags) AS upper_tags, count() AS hits FROM events GROUP BY upper_tags ORDER BY hits DESC, upper_tags LIMIT 5;

SELECT arrayMap((x, y) -> x + y, [1, 2, 3], [10, 20, 30]) AS sums;

SELECT arrayFilter(x -> x > 1, [1, 2, 3]) AS filtered;

SELECT arrayFilter(t -> t != 'promo', tags) AS no_promo, count() AS hits FROM events GROUP BY no_promo ORDER BY hits DESC, no_promo LIMIT 5;

SELECT arrayFilter(x -> length(x) > 0, splitByChar('/', '/a//b/')) AS parts;

SELECT arrayMap(x -> concat(x, '!'), arrayFilter(x -> startsWith(x, 'p'), ['pa', 'qb', 'pc'])) AS chained;

SELECT arrayExists(x -> x = 'vip', tags) AS is_vip, count() AS hits FROM events GROUP BY is_vip ORDER BY is_vip;

SELECT arrayAll(x -> x > 0, [1, 2, 3]) AS all_pos, arrayAll(x -> x > 1, [1, 2, 3]) AS not_all;

SELECT arrayCount(x -> x > 1, [1, 2, 3]) AS n, arrayCount([0, 1, 1]) AS truthy;

SELECT arraySum(x -> x * x, [1, 2, 3]) AS sq;

SELECT arrayFirst(x -> x > 1, [1, 2, 3]) AS f, arrayFirstIndex(x -> x > 1, [1, 2, 3]) AS fi;

SELECT arrayLast(x -> x < 3, [1, 2, 3]) AS l, arrayLastIndex(x -> x < 3, [1, 2, 3]) AS li;

SELECT arrayFold((acc, x) -> acc + x, [1, 2, 3], toUInt64(0)) AS folded;

-- has / hasAny / hasAll / indexOf
SELECT has(tags, 'promo') AS promo, count() AS hits FROM events GROUP BY promo ORDER BY promo;

SELECT has([1, 2, 3], 2) AS yes, has([1, 2, 3], 5) AS no;

SELECT hasAny(tags, ['vip', 'beta']) AS any_tag, count() AS hits FROM events GROUP BY any_tag ORDER BY any_tag;

SELECT hasAll(tags, ['vip', 'sale']) AS both, count() AS hits FROM events GROUP BY both ORDER BY both;

SELECT hasAll([1, 2], []) AS empty_subset, hasAny([1, 2], []) AS empty_any;

SELECT indexOf(tags, 'new') AS pos, count() AS hits FROM events GROUP BY pos ORDER BY pos;

SELECT indexOf(['a', 'b', 'c'], 'c') AS i, indexOf(['a'], 'z') AS missing;

SELECT countEqual([1, 2, 1, 1], 1) AS n;

-- Sorting and set operations
SELECT arraySort([3, 1, 2]) AS s, arrayReverseSort([3, 1, 2]) AS r;

SELECT arraySort(tags) AS sorted, count() AS hits FROM events GROUP BY sorted ORDER BY hits DESC, sorted LIMIT 5;

SELECT arraySort(x -> -x, [3, 1, 2]) AS by_key;

SELECT arraySort(['b', 'A', 'a', 'B']) AS s;

SELECT arrayDistinct([1, 2, 2, 3, 1]) AS d;

SELECT arrayUniq([1, 2, 2, 3]) AS u, arrayUniq(tags) AS tag_count FROM events ORDER BY tag_count DESC, u LIMIT 1;

SELECT arrayReverse([1, 2, 3]) AS r;

SELECT arraySort(arrayIntersect([1, 2, 3], [2, 3, 4])) AS i;

SELECT arrayConcat([1, 2], [3], []) AS c;

SELECT arrayPushBack([1, 2], 3) AS b, arrayPushFront([1, 2], 0) AS f;

SELECT arrayPopBack([1, 2, 3]) AS b, arrayPopFront([1, 2, 3]) AS f;

SELECT arraySlice([1, 2, 3, 4, 5], 2, 3) AS s, arraySlice([1, 2, 3, 4, 5], -2) AS tail;

SELECT arrayCompact([1, 1, 2, 2, 1]) AS c;

SELECT arrayZip([1, 2], ['a', 'b']) AS z;

SELECT arrayFlatten([[1, 2], [3], []]) AS f;

-- Aggregation over arrays
SELECT arraySum([1, 2, 3]) AS s, arrayMin([4, 2, 8]) AS mn, arrayMax([4, 2, 8]) AS mx;

SELECT arrayAvg([1, 2, 3, 4]) AS a;

SELECT arrayProduct([2, 3, 4]) AS p;

SELECT arrayStringConcat(['a', 'b', 'c'], ',') AS s, arrayStringConcat(['a', 'b']) AS no_sep;

SELECT arrayStringConcat(arraySort(tags), ',') AS tag_list, count() AS hits FROM events GROUP BY tag_list ORDER BY hits DESC, tag_list LIMIT 5;

SELECT sum(length(tags)) AS total_tags FROM events;

SELECT groupArrayArray(tags) AS all_tags FROM events WHERE session_id = 'nope';

SELECT arraySort(groupUniqArrayArray(tags)) AS distinct_tags FROM events;

-- Generators
SELECT range(5) AS r, range(2, 5) AS r2, range(0, 10, 3) AS r3;

SELECT arrayEnumerate(['a', 'b', 'c']) AS e;

SELECT arrayWithConstant(3, 'x') AS c;

SELECT arrayResize([1, 2], 4) AS r, arrayResize([1, 2], 4, 9) AS r2;

SELECT emptyArrayString() AS e, empty(tags) AS no_tags, count() AS hits FROM events GROUP BY e, no_tags ORDER BY no_tags;

SELECT notEmpty(tags) AS with_tags, count() AS hits FROM events GROUP BY with_tags ORDER BY with_tags;

SELECT arrayCumSum([1, 2, 3, 4]) AS cs;

SELECT arrayDifference([1, 4, 9, 16]) AS d;

SELECT arrayEnumerateUniq([10, 20, 10, 30, 10]) AS eu;

SELECT L2Distance([0, 0], [3, 4]) AS d, cosineDistance([1, 0], [0, 1]) AS cd;

SELECT dotProduct([1, 2, 3], [4, 5, 6]) AS dp;

SELECT 1 IN [1, 2] AS in_arr, 'x' NOT IN ['a', 'b'] AS not_in;
