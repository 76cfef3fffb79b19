-- The ranking and the change read each chosen value from the choice index itself
-- (db/queries/choice.rs, `chosen_slim`) and fetch full rows only for the entries a client asks
-- for: with `value` in the index (SQLite has no INCLUDE: it is the last key column) the choice
-- is a covering index scan.
DROP INDEX observations_choice;
CREATE INDEX observations_choice
    ON observations (indicator_id, kind, breakdown_id, period_id, district_id, source_id, qualifier, value);
