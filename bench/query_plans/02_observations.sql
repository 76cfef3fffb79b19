\timing on
SET session_replication_role = replica;
SET maintenance_work_mem = '512MB';
SET synchronous_commit = off;
ALTER TABLE observations DROP CONSTRAINT observations_key_key;
DROP INDEX observations_choice, observations_district_indicator, observations_source, observations_period, observations_created;
-- SYNTHETIC observations: about 2% of cells missing; values generated from the ids.
INSERT INTO observations (key, district_id, indicator_id, period_id, breakdown_id, kind, value, value_text, reported_unit,
                          qualifier, source_id, quote, quote_start, quote_end, created_at, recorded_at, recorded_by)
SELECT 'SYN-' || d.id || '-' || i.id || '-' || p.year,
       d.id, i.id, p.id, 1, 'actual', v, v::text, '人',
       CASE WHEN (d.id + i.id + p.year) % 40 = 0 THEN 'approximate' ELSE 'exact' END,
       s.id, 'SYNTHETIC', 0, 9, '2026-12-01T00:00:00.000000Z', '2026-12-01T00:00:00.000000Z', 'SYNTHETIC'
FROM districts d
CROSS JOIN indicators i
JOIN periods p ON true
JOIN sources s ON s.district_id = d.id AND s.review_year = p.year
CROSS JOIN LATERAL (SELECT ((d.id * 7919 + i.id * 104729 + p.year * 31) % 10007) / 100.0 AS v) val
WHERE d.level = 'district' AND (d.id * 31 + i.id * 17 + p.year) % 50 <> 0;
ALTER TABLE observations ADD CONSTRAINT observations_key_key UNIQUE (key);
CREATE INDEX observations_choice ON observations (indicator_id, kind, breakdown_id, period_id) INCLUDE (district_id, source_id, qualifier, id);
CREATE INDEX observations_district_indicator ON observations (district_id, indicator_id);
CREATE INDEX observations_source ON observations (source_id);
CREATE INDEX observations_period ON observations (period_id);
CREATE INDEX observations_created ON observations (created_at);
SET session_replication_role = origin;
VACUUM ANALYZE;
SELECT count(*) FROM observations;
