-- JSON functions over the payload String column and literals.

-- JSONExtractString
SELECT JSONExtractString(payload, 'coupon') AS coupon, count() AS hits FROM events GROUP BY coupon ORDER BY coupon;

SELECT JSONExtractString(payload, 'meta', 'source') AS source, count() AS hits FROM events GROUP BY source ORDER BY source;

SELECT JSONExtractString(payload, 'missing') AS v, count() AS hits FROM events GROUP BY v;

SELECT JSONExtractString(payload, 'item_id') AS not_a_string, count() AS hits FROM events GROUP BY not_a_string;

SELECT JSONExtractString('{"a":"x\\ny","b":"\\u00e9"}', 'a') AS a, JSONExtractString('{"a":"x\\ny","b":"\\u00e9"}', 'b') AS b;

SELECT JSONExtractString('{"a":{"b":{"c":"deep"}}}', 'a', 'b', 'c') AS v;

SELECT JSONExtractString('["x","y","z"]', 2) AS second, JSONExtractString('["x","y","z"]', -1) AS last;

SELECT JSONExtractString(payload, 'tags', 1) AS first_tag, count() AS hits FROM events GROUP BY first_tag ORDER BY first_tag;

SELECT JSONExtractString('not json', 'a') AS v;

SELECT lower(JSONExtractString(payload, 'coupon')) AS coupon FROM events WHERE JSONExtractString(payload, 'coupon') != '' GROUP BY coupon ORDER BY coupon;

-- JSONExtractInt / UInt / Float / Bool
SELECT JSONExtractInt(payload, 'qty') AS qty, count() AS hits FROM events GROUP BY qty ORDER BY qty;

SELECT sum(JSONExtractUInt(payload, 'qty')) AS total_qty FROM events;

SELECT max(JSONExtractUInt(payload, 'item_id')) AS max_item, min(JSONExtractUInt(payload, 'item_id')) AS min_item FROM events;

SELECT round(avg(JSONExtractFloat(payload, 'meta', 'score')), 4) AS avg_score FROM events;

SELECT max(JSONExtractFloat(payload, 'meta', 'score')) AS max_score FROM events;

SELECT JSONExtractInt('{"a":-5}', 'a') AS a, JSONExtractUInt('{"a":-5}', 'a') AS ua, JSONExtractInt('{"a":"7"}', 'a') AS s;

SELECT JSONExtractInt('{"a":3.9}', 'a') AS i, JSONExtractFloat('{"a":3}', 'a') AS f;

SELECT JSONExtractFloat('{"a":"1.5"}', 'a') AS f, JSONExtractFloat('{}', 'a') AS missing;

SELECT JSONExtractBool('{"a":true,"b":false}', 'a') AS a, JSONExtractBool('{"a":true,"b":false}', 'b') AS b, JSONExtractBool('{"a":1}', 'a') AS c;

SELECT JSONExtractInt(payload, 'qty') * JSONExtractInt(payload, 'item_id') AS score, count() AS hits FROM events GROUP BY score ORDER BY hits DESC, score LIMIT 5;

SELECT JSONExtractInt(payload, 'qty') AS qty, round(sum(revenue), 2) AS revenue FROM events GROUP BY qty ORDER BY qty;

-- JSONExtractRaw / JSONExtractArrayRaw / JSONExtractKeys
SELECT JSONExtractRaw(payload, 'meta') AS meta FROM events ORDER BY timestamp, session_id LIMIT 3;

SELECT JSONExtractRaw(payload, 'tags') AS tags, count() AS hits FROM events GROUP BY tags ORDER BY hits DESC, tags LIMIT 5;

SELECT JSONExtractRaw('{"a":"str"}', 'a') AS quoted, JSONExtractRaw('{"a":12}', 'a') AS num, JSONExtractRaw('{"a":null}', 'a') AS n;

SELECT JSONExtractRaw('{"a": [1, 2,  3]}', 'a') AS spaced;

SELECT JSONExtractArrayRaw(payload, 'tags') AS tags, count() AS hits FROM events GROUP BY tags ORDER BY hits DESC, tags LIMIT 5;

SELECT length(JSONExtractArrayRaw(payload, 'tags')) AS n_tags, count() AS hits FROM events GROUP BY n_tags ORDER BY n_tags;

SELECT JSONExtractArrayRaw('[1,"a",{"b":2},[3]]') AS parts;

SELECT JSONExtractKeys(payload) AS keys, count() AS hits FROM events GROUP BY keys ORDER BY keys;

SELECT JSONExtractKeys(payload, 'meta') AS keys, count() AS hits FROM events GROUP BY keys;

SELECT JSONExtractKeysAndValues('{"a":1,"b":2}', 'Int64') AS kv;

-- JSONHas / JSONLength / JSONType
SELECT JSONHas(payload, 'coupon') AS has_coupon, count() AS hits FROM events GROUP BY has_coupon ORDER BY has_coupon;

SELECT countIf(JSONHas(payload, 'meta', 'score')) AS with_score FROM events;

SELECT JSONHas('{"a":null}', 'a') AS a, JSONHas('{"a":null}', 'b') AS b;

SELECT JSONLength(payload, 'tags') AS n, count() AS hits FROM events GROUP BY n ORDER BY n;

SELECT JSONLength('{"a":1,"b":2}') AS n, JSONLength('[]') AS e;

SELECT JSONType(payload, 'meta') AS t1, JSONType(payload, 'tags') AS t2, JSONType(payload, 'qty') AS t3 FROM events GROUP BY t1, t2, t3;

SELECT isValidJSON(payload) AS ok, count() AS n FROM events GROUP BY ok;

SELECT isValidJSON('{"a":') AS bad;

-- Typed JSONExtract
SELECT JSONExtract(payload, 'tags', 'Array(String)') AS tags, count() AS hits FROM events GROUP BY tags ORDER BY hits DESC, tags LIMIT 5;

SELECT JSONExtract('{"a":[1,2,3]}', 'a', 'Array(UInt8)') AS arr;

SELECT JSONExtract('{"a":1.5}', 'a', 'Float64') AS f, JSONExtract('{"a":"x"}', 'a', 'String') AS s;

SELECT JSONExtract('{"a":null}', 'a', 'Nullable(Int64)') AS n;

SELECT JSONExtract('{"a":"x","b":2}', 'Tuple(a String, b UInt8)') AS t;

SELECT JSONExtract('{"a":1,"b":2}', 'Map(String, UInt8)') AS m;

-- simpleJSON (visitParam) functions
SELECT simpleJSONExtractString(payload, 'coupon') AS coupon, count() AS hits FROM events GROUP BY coupon ORDER BY coupon;

SELECT simpleJSONExtractUInt(payload, 'qty') AS qty, count() AS hits FROM events GROUP BY qty ORDER BY qty;

SELECT sum(simpleJSONExtractInt(payload, 'item_id')) AS s FROM events;

SELECT round(sum(simpleJSONExtractFloat(payload, 'score')), 3) AS s FROM events;

SELECT simpleJSONHas(payload, 'coupon') AS has_coupon, count() AS hits FROM events GROUP BY has_coupon ORDER BY has_coupon;

SELECT simpleJSONExtractRaw(payload, 'meta') AS meta, count() AS hits FROM events GROUP BY meta ORDER BY hits DESC, meta LIMIT 3;

SELECT simpleJSONExtractBool('{"a":true}', 'a') AS a, simpleJSONExtractBool('{"a":false}', 'a') AS b;

SELECT visitParamExtractString('{"k":"v"}', 'k') AS v;

-- Filters on JSON values
SELECT count() AS hits FROM events WHERE JSONExtractString(payload, 'meta', 'source') = 'ads' AND JSONExtractInt(payload, 'qty') >= 3;

SELECT count() AS hits FROM events WHERE has(JSONExtract(payload, 'tags', 'Array(String)'), 'promo');

SELECT JSONExtractString(payload, 'meta', 'source') AS source, round(avg(JSONExtractFloat(payload, 'meta', 'score')), 4) AS avg_score FROM events GROUP BY source ORDER BY source;

SELECT JSONExtractString(payload, 'coupon') AS coupon, sum(JSONExtractUInt(payload, 'qty')) AS qty FROM events WHERE JSONHas(payload, 'coupon') GROUP BY coupon ORDER BY coupon;

-- JSON building
SELECT toJSONString(map('a', 1, 'b', 2)) AS j;

SELECT toJSONString(['x', 'y']) AS j, toJSONString(tuple(1, 'a')) AS t;

SELECT toJSONString(1.5) AS f, toJSONString('q"uote') AS s;
