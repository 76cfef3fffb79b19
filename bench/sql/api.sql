-- The read API the benchmark gives PostGraphile and pgbench: the questions edustats answers,
-- written once in SQL, as STABLE functions in their own schema `bench_api` (PostGraphile exposes
-- only this schema: three query fields, no table, no mutation). pgbench calls the same
-- functions and builds the GraphQL-shaped JSON in PostgreSQL.
--
-- The choice rule is edustats' (src/stats/select.rs): one value per district among the
-- year's candidates (periods of kind year or month, kind `actual`, the total breakdown), the
-- most recently published source first, then an exact figure before a qualified one, then the
-- lowest observation id. Ranking is competition ranking (1, 2, 2, 4) best first by the
-- indicator's direction (`lower_is_better` ascending, otherwise descending), over district-
-- and county-level divisions (not the municipality level), ties listed by district id.
-- Applied by bench/run.sh with psql -v ON_ERROR_STOP=1; safe to re-run.

DROP SCHEMA IF EXISTS bench_api CASCADE;
CREATE SCHEMA bench_api;
COMMENT ON SCHEMA bench_api IS 'Benchmark read API (edustats bench/): ranking, ranking with year-on-year change, change.';

CREATE TYPE bench_api.ranking_entry AS (
    rank integer,
    value double precision,
    district_code text
);

CREATE TYPE bench_api.ranking_change_entry AS (
    rank integer,
    value double precision,
    district_code text,
    previous_value double precision,
    absolute_change double precision
);

CREATE TYPE bench_api.change_row AS (
    district_code text,
    from_value double precision,
    to_value double precision,
    absolute_change double precision
);

-- One chosen value per district for an indicator and a year (the choice rule above).
CREATE FUNCTION bench_api.chosen_values(indicator_code text, in_year integer)
RETURNS TABLE (district_id integer, value double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT DISTINCT ON (o.district_id) o.district_id, o.value
    FROM public.observations o
    JOIN public.indicators i ON i.id = o.indicator_id
    JOIN public.periods p ON p.id = o.period_id
    JOIN public.sources s ON s.id = o.source_id
    JOIN public.breakdowns b ON b.id = o.breakdown_id
    WHERE i.code = indicator_code
      AND o.kind = 'actual'
      AND b.code = ''
      AND p.kind IN ('year', 'month')
      AND p.year = in_year
    ORDER BY o.district_id, s.published_on DESC NULLS LAST, (o.qualifier = 'exact') DESC, o.id
$$;

CREATE FUNCTION bench_api.ranking(indicator text, year integer)
RETURNS SETOF bench_api.ranking_entry
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (rank() OVER w)::integer, c.value, d.code::text
    FROM bench_api.chosen_values(ranking.indicator, ranking.year) c
    JOIN public.districts d ON d.id = c.district_id
    CROSS JOIN (SELECT direction FROM public.indicators WHERE code = ranking.indicator) i
    WHERE d.level <> 'municipality'
    WINDOW w AS (ORDER BY CASE WHEN i.direction = 'lower_is_better' THEN c.value ELSE -c.value END)
    ORDER BY 1, d.id
$$;
COMMENT ON FUNCTION bench_api.ranking(text, integer) IS 'Districts ranked by their value of an indicator in a year, best first.';

CREATE FUNCTION bench_api.ranking_with_change(indicator text, year integer)
RETURNS SETOF bench_api.ranking_change_entry
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.rank, r.value, r.district_code, p.value, r.value - p.value
    FROM bench_api.ranking(ranking_with_change.indicator, ranking_with_change.year)
        WITH ORDINALITY AS r (rank, value, district_code, ord)
    JOIN public.districts d ON d.code = r.district_code
    LEFT JOIN bench_api.chosen_values(ranking_with_change.indicator, ranking_with_change.year - 1) p
        ON p.district_id = d.id
    ORDER BY r.ord
$$;
COMMENT ON FUNCTION bench_api.ranking_with_change(text, integer) IS 'The ranking with each district''s value of the year before and the change since.';

CREATE FUNCTION bench_api.change(indicator text, from_year integer, to_year integer)
RETURNS SETOF bench_api.change_row
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT d.code::text, f.value, t.value, t.value - f.value
    FROM public.districts d
    LEFT JOIN bench_api.chosen_values(change.indicator, change.from_year) f ON f.district_id = d.id
    LEFT JOIN bench_api.chosen_values(change.indicator, change.to_year) t ON t.district_id = d.id
    WHERE f.value IS NOT NULL OR t.value IS NOT NULL
    ORDER BY d.code
$$;
COMMENT ON FUNCTION bench_api.change(text, integer, integer) IS 'Each district''s value in two years and the change between them.';

-- The read-only role PostGraphile connects as: it can read the warehouse and call the API,
-- nothing else.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_readonly') THEN
        CREATE ROLE bench_readonly LOGIN;
    END IF;
END
$$;
GRANT CONNECT ON DATABASE :"dbname" TO bench_readonly;
GRANT USAGE ON SCHEMA public, bench_api TO bench_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO bench_readonly;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bench_api TO bench_readonly;
ALTER ROLE bench_readonly SET default_transaction_read_only = on;
