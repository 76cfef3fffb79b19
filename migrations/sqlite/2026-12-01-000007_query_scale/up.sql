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
-- (SQLite has no INCLUDE; the rowid is the id) it is a covering index scan. It replaces
-- observations_indicator_kind, whose columns are its prefix.
DROP INDEX observations_indicator_kind;
CREATE INDEX observations_choice
    ON observations (indicator_id, kind, breakdown_id, period_id, district_id, source_id, qualifier);
