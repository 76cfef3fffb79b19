-- The ranking and the change read each chosen value from the choice index itself
-- (db/queries/choice.rs, `chosen_slim`) and fetch full rows only for the entries a client asks
-- for. With `value` in the index that is an index-only scan; without it, one heap page per
-- candidate. Measured on 447,836 SYNTHETIC rows (BENCHMARKS.md): the choice for a 298-district
-- ranking went from 2.0 to 1.1 ms of PostgreSQL time.
DROP INDEX observations_choice;
CREATE INDEX observations_choice ON observations (indicator_id, kind, breakdown_id, period_id)
    INCLUDE (district_id, source_id, qualifier, id, value);
