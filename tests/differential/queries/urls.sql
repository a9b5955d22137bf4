-- URL functions.

-- domain / domainWithoutWWW / topLevelDomain
SELECT domain(url) AS d, count() AS hits FROM events GROUP BY d ORDER BY d;

SELECT domainWithoutWWW(url) AS d, count() AS hits FROM events GROUP BY d ORDER BY d;

SELECT topLevelDomain(url) AS tld, count() AS hits FROM events GROUP BY tld ORDER BY tld;

SELECT domain(referrer) AS d, count() AS hits FROM events GROUP BY d ORDER BY d;

SELECT domain('https://user:pass@sub.example.com:8080/p?q=1#f') AS d;

SELECT domain('example.com/path') AS no_scheme, domain('not a url') AS junk;

SELECT firstSignificantSubdomain('https://news.ycombinator.com/') AS f, cutToFirstSignificantSubdomain('https://www.example.co.uk/a') AS c;

SELECT protocol(url) AS p, count() AS hits FROM events GROUP BY p ORDER BY p;

SELECT port('https://example.com:8443/x') AS p, port('https://example.com/x') AS none;

-- path / pathFull / queryString / fragment
SELECT path(url) AS p, count() AS hits FROM events GROUP BY p ORDER BY p;

SELECT pathFull(url) AS p, count() AS hits FROM events GROUP BY p ORDER BY hits DESC, p LIMIT 10;

SELECT queryString(url) AS q, count() AS hits FROM events GROUP BY q ORDER BY q;

SELECT fragment('https://x.com/a#section-2') AS f, queryStringAndFragment('https://x.com/a?b=1#c') AS qf;

SELECT path('https://example.com') AS empty_path, path('https://example.com/') AS root;

-- extractURLParameter and friends
SELECT extractURLParameter(url, 'utm_source') AS source, count() AS hits FROM events GROUP BY source ORDER BY source;

SELECT extractURLParameter(url, 'page') AS page, count() AS hits FROM events GROUP BY page ORDER BY page;

SELECT extractURLParameter('https://x.com/?a=1&b=hello%20world', 'b') AS b;

SELECT extractURLParameter('https://x.com/?a=1&a=2', 'a') AS first_a;

SELECT extractURLParameter('https://x.com/?a=&b=2', 'a') AS empty_a, extractURLParameter('https://x.com/?b=2', 'a') AS missing;

SELECT extractURLParameters(url) AS params, count() AS hits FROM events GROUP BY params ORDER BY params;

SELECT extractURLParameterNames(url) AS names, count() AS hits FROM events GROUP BY names ORDER BY names;

SELECT extractURLParameter(referrer, 'q') AS query, count() AS hits FROM events GROUP BY query ORDER BY query;

SELECT cutURLParameter(url, 'utm_medium') AS u FROM events WHERE url LIKE '%utm_medium%' GROUP BY u ORDER BY u LIMIT 5;

SELECT cutQueryString(url) AS u, count() AS hits FROM events GROUP BY u ORDER BY hits DESC, u LIMIT 5;

SELECT cutWWW('https://www.example.com/a') AS u;

SELECT cutFragment('https://x.com/a#b') AS u, cutQueryStringAndFragment('https://x.com/a?x=1#b') AS u2;

-- Encoding
SELECT decodeURLComponent('hello%20world%21') AS d;

SELECT encodeURLComponent('a b&c=d/é') AS e;

SELECT decodeURLComponent('a+b') AS plus_kept, decodeURLFormComponent('a+b') AS plus_space;

SELECT encodeURLFormComponent('a b') AS e;

-- URL hierarchy
SELECT URLHierarchy('https://example.com/docs/sql?x=1') AS h;

SELECT URLPathHierarchy('https://example.com/docs/sql') AS h;

-- Combined analytics
SELECT domain(url) AS d, path(url) AS p, count() AS hits FROM events GROUP BY d, p ORDER BY hits DESC, d, p LIMIT 10;

SELECT if(extractURLParameter(url, 'utm_source') = '', 'organic', extractURLParameter(url, 'utm_source')) AS channel, uniqExact(session_id) AS sessions FROM events GROUP BY channel ORDER BY channel;

SELECT coalesce(domain(referrer), 'direct') AS source, count() AS hits FROM events GROUP BY source ORDER BY source;
