-- Hash functions and encodings.

SELECT cityHash64('hello') AS h;

SELECT cityHash64('') AS h;

SELECT cityHash64(1) AS h_int, cityHash64(toUInt64(1)) AS h_u64, cityHash64('1') AS h_str;

SELECT cityHash64('a', 'b') AS h;

SELECT cityHash64(session_id) % 10 AS shard, count() AS hits FROM events GROUP BY shard ORDER BY shard;

SELECT sum(cityHash64(session_id) % 1000) AS checksum FROM events;

SELECT sipHash64('hello') AS h;

SELECT sipHash64(user_id) % 7 AS bucket, count() AS users FROM users GROUP BY bucket ORDER BY bucket;

SELECT sipHash128('hello') = sipHash128('hello') AS stable, length(sipHash128('hello')) AS len;

SELECT hex(MD5('hello')) AS md5;

SELECT lower(hex(MD5('hello'))) AS md5_lower;

SELECT hex(MD5('')) AS md5_empty;

SELECT hex(SHA1('hello')) AS sha1;

SELECT hex(SHA256('hello')) AS sha256;

SELECT lower(hex(SHA256(concat(session_id, ':', toString(user_id))))) AS h FROM events ORDER BY timestamp, session_id LIMIT 3;

SELECT xxHash64('hello') AS h, xxHash32('hello') AS h32;

SELECT murmurHash3_32('hello') AS m32, murmurHash3_64('hello') AS m64;

SELECT murmurHash2_64('hello') AS m;

SELECT farmFingerprint64('hello') AS f;

SELECT javaHash('hello') AS j;

SELECT crc32('hello') AS c;

SELECT halfMD5('hello') AS h;

SELECT intHash32(42) AS a, intHash64(42) AS b;

SELECT hex(cityHash64('hello')) AS h;

SELECT uniqExact(cityHash64(user_id)) AS distinct_hashes FROM events;

SELECT path, cityHash64(path) AS h FROM events GROUP BY path ORDER BY path;

SELECT device, sipHash64(device) AS h FROM events GROUP BY device ORDER BY device;

SELECT hex('hello') AS h, base64Encode(MD5('hello')) AS b64;

SELECT toString(cityHash64('hello')) AS s;
