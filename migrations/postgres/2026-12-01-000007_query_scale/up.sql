-- The data version: one number that every write of figures bumps in its own transaction
-- (imports, corrections, publications, seeds). The response cache and the GET ETags are keyed
-- by it; it lives in the database so that several servers over one database agree on it.
CREATE TABLE data_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 1);

-- The choice of one value per district (db/queries/choice.rs) reads, for one indicator, kind
-- and breakdown, the district, source and qualifier of every candidate: with them in the index
-- it is an index-only scan. Measured at 11.76M SYNTHETIC rows (BENCHMARKS.md, "Query plans"):
-- a ranking with latestOnOrBefore read 58,800 heap pages through the old index, none through
-- this one. It replaces observations_indicator_kind, whose columns are its key.
DROP INDEX observations_indicator_kind;
CREATE INDEX observations_choice ON observations (indicator_id, kind, breakdown_id, period_id)
    INCLUDE (district_id, source_id, qualifier, id);
