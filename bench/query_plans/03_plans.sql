echo ### ranking BEFORE: every candidate row of one indicator, latestOnOrBefore 2024 (the SQL of analytics::ranking before the change)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT o.*, p.*, s.published_on
FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
WHERE o.indicator_id IN (10) AND o.kind = 'actual' AND o.breakdown_id = 1 AND p.kind IN ('year','month')
  AND p.year BETWEEN 1949 AND 2024
ORDER BY o.id;
echo ### ranking: one value per district chosen in SQL, latestOnOrBefore 2024
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT o.id, o.key, o.district_id, o.value, o.qualifier, p.id, p.year, s.published_on
FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
WHERE o.id IN (
 SELECT chosen.id FROM (
   SELECT o.id, ROW_NUMBER() OVER (PARTITION BY o.indicator_id, o.district_id
     ORDER BY p.year DESC, s.published_on DESC NULLS LAST, CASE WHEN o.qualifier = 'exact' THEN 0 ELSE 1 END, o.id) AS rn
   FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
   WHERE o.indicator_id IN (10) AND o.kind = 'actual' AND o.breakdown_id = 1 AND p.kind IN ('year','month')
     AND p.year BETWEEN 1949 AND 2024) chosen WHERE chosen.rn = 1)
ORDER BY o.id;
echo ### ranking: one year (2024)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT o.id, o.key, o.district_id, o.value, o.qualifier, p.id, p.year, s.published_on
FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
WHERE o.id IN (
 SELECT chosen.id FROM (
   SELECT o.id, ROW_NUMBER() OVER (PARTITION BY o.indicator_id, o.district_id
     ORDER BY p.year DESC, s.published_on DESC NULLS LAST, CASE WHEN o.qualifier = 'exact' THEN 0 ELSE 1 END, o.id) AS rn
   FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
   WHERE o.indicator_id IN (10) AND o.kind = 'actual' AND o.breakdown_id = 1 AND p.kind IN ('year','month')
     AND p.year BETWEEN 2024 AND 2024) chosen WHERE chosen.rn = 1)
ORDER BY o.id;
\echo '### change: one indicator, 2015 -> 2024, every district'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT o.id, o.district_id, o.value, p.year, s.published_on
FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
WHERE o.id IN (
 SELECT chosen.id FROM (
   SELECT o.id, ROW_NUMBER() OVER (PARTITION BY o.indicator_id, o.district_id, p.year
     ORDER BY p.year DESC, s.published_on DESC NULLS LAST, CASE WHEN o.qualifier = 'exact' THEN 0 ELSE 1 END, o.id) AS rn
   FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
   WHERE o.indicator_id IN (10) AND o.kind = 'actual' AND o.breakdown_id = 1 AND p.kind IN ('year','month')
     AND p.year IN (2015, 2024)) chosen WHERE chosen.rn = 1)
ORDER BY o.id;
\echo '### compare: 20 districts x 20 indicators, 2024, latestOnOrBefore'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT o.id, o.district_id, o.value, p.year, s.published_on
FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
WHERE o.id IN (
 SELECT chosen.id FROM (
   SELECT o.id, ROW_NUMBER() OVER (PARTITION BY o.indicator_id, o.district_id
     ORDER BY p.year DESC, s.published_on DESC NULLS LAST, CASE WHEN o.qualifier = 'exact' THEN 0 ELSE 1 END, o.id) AS rn
   FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
   WHERE o.indicator_id IN (1,11,21,31,41,51,61,71,81,91,101,111,121,131,141,151,161,171,181,191) AND o.kind = 'actual' AND o.breakdown_id = 1 AND p.kind IN ('year','month')
     AND p.year BETWEEN 1949 AND 2024
     AND o.district_id IN (2,152,302,452,602,752,902,1052,1202,1352,1502,1652,1802,1952,2102,2252,2402,2552,2702,2852)) chosen WHERE chosen.rn = 1)
ORDER BY o.id;
\echo '### timeSeries: one district, one indicator, every year'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT o.id, o.district_id, o.value, p.year, s.published_on
FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
WHERE o.id IN (
 SELECT chosen.id FROM (
   SELECT o.id, ROW_NUMBER() OVER (PARTITION BY o.indicator_id, o.district_id, p.year
     ORDER BY p.year DESC, s.published_on DESC NULLS LAST, CASE WHEN o.qualifier = 'exact' THEN 0 ELSE 1 END, o.id) AS rn
   FROM observations o JOIN periods p ON p.id = o.period_id JOIN sources s ON s.id = o.source_id
   WHERE o.indicator_id IN (10) AND o.kind = 'actual' AND o.breakdown_id = 1 AND p.kind IN ('year','month')
     AND p.year BETWEEN 1949 AND 2100 AND o.district_id IN (1500)) chosen WHERE chosen.rn = 1)
ORDER BY o.id;
\echo '### observations page: filter by indicator, first 100, with its count'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT COUNT(*) FROM observations WHERE indicator_id IN (10);
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT * FROM observations WHERE indicator_id IN (10) ORDER BY id ASC LIMIT 100;
\echo '### CSV export: one keyset page of 500, deep in the table'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT * FROM observations WHERE id > 9000000 ORDER BY id ASC LIMIT 500;
\echo '### indicator coverage: one indicator'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT DISTINCT o.indicator_id, o.district_id, p.year FROM observations o JOIN periods p ON p.id = o.period_id
WHERE o.indicator_id IN (10) ORDER BY o.indicator_id, o.district_id, p.year;
